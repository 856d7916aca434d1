package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/staffbot/staffbot/internal/faq"
	"github.com/staffbot/staffbot/internal/store"
)

const testKB = "../../internal/faq/testdata/kb.json"

// TestKB_ImportExportEval: a knowledge base goes in all at once, comes out
// in the same format, answers labelled questions, and its generative layer
// is switched on and off.
func TestKB_ImportExportEval(t *testing.T) {
	eachDatabase(t, func(t *testing.T, c *cli) {
		c.mustRun("company", "create", "--slug", "acme", "--name", "Акме")

		r := c.mustRun("kb", "import", "--company", "acme", testKB)
		if !strings.Contains(r.stdout, "93 new") {
			t.Errorf("import: %s", r.stdout)
		}
		r = c.mustRun("kb", "import", "--company", "acme", testKB)
		if !strings.Contains(r.stdout, "93 unchanged") {
			t.Errorf("second import: %s", r.stdout)
		}

		out := filepath.Join(t.TempDir(), "out.json")
		c.mustRun("kb", "export", "--company", "acme", out)
		f, err := os.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		exported, err := faq.ReadFile(f)
		f.Close()
		if err != nil || len(exported) != 93 || exported[0].Title == "" || len(exported[0].Questions) == 0 {
			t.Fatalf("export = %d articles, %v", len(exported), err)
		}

		dev := filepath.Join(t.TempDir(), "q.jsonl")
		lines := `{"q": "rfr jajhvbnm jngecr", "id": "vacation-annual", "kind": "layout"}
{"q": "рецепт борща", "id": null, "kind": "offtopic"}
`
		if err := os.WriteFile(dev, []byte(lines), 0o600); err != nil {
			t.Fatal(err)
		}
		r = c.mustRun("kb", "eval", "--company", "acme", dev)
		for _, want := range []string{"top-1", "overall correct 100.0 %", "wrong answers", "layout", "p99"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("eval lacks %q:\n%s", want, r.stdout)
			}
		}
		r = c.mustRun("kb", "eval", "--company", "acme", "--json", dev)
		sc := bufio.NewScanner(strings.NewReader(r.stdout))
		var got []map[string]any
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("eval --json line %q: %v", sc.Text(), err)
			}
			got = append(got, m)
		}
		if len(got) != 2 || got[0]["answer"] != "vacation-annual" || got[1]["answer"] != nil || got[0]["confidence"] == nil {
			t.Errorf("eval --json = %v", got)
		}

		c.mustRun("kb", "llm", "--company", "acme", "--url", "http://127.0.0.1:1/v1/chat/completions", "--model", "local")
		set, err := c.store().FAQSettings(t.Context(), c.company("acme").ID)
		if err != nil || !set.LLMEnabled || set.LLMModel != "local" {
			t.Errorf("settings = %+v, %v", set, err)
		}
		c.mustRun("kb", "llm", "--company", "acme", "--off")
		c.mustRun("kb", "gaps", "--company", "acme")
		c.mustRun("kb", "requests", "--company", "acme")

		arts, _ := c.store().FindKBArticles(t.Context(), c.company("acme").ID, store.KBFilter{PublishedOnly: true})
		if len(arts) != 93 {
			t.Errorf("published articles = %d, want 93", len(arts))
		}
	})
}

func TestKB_BadFileImportsNothing(t *testing.T) {
	c := newCLI(t, "")
	c.mustRun("company", "create", "--slug", "acme")
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`[{"id":"ok","title":"T","answer":"A"},{"id":"Bad Id","title":"","answer":""}]`), 0o600)
	r := c.run("kb", "import", "--company", "acme", bad)
	if r.code == 0 || !strings.Contains(r.stderr, "title is empty") {
		t.Fatalf("import of a broken file: %s", r)
	}
	if arts, _ := c.store().FindKBArticles(t.Context(), c.company("acme").ID, store.KBFilter{}); len(arts) != 0 {
		t.Errorf("a broken file left %d articles", len(arts))
	}
}

// TestKB_EvalChecksLabels: a label naming no article, or a line with no
// question, is an error naming the line, not a wrong answer counted; a
// company with nothing published is said so.
func TestKB_EvalChecksLabels(t *testing.T) {
	c := newCLI(t, "")
	c.mustRun("company", "create", "--slug", "acme")
	c.mustRun("company", "create", "--slug", "empty")
	c.mustRun("kb", "import", "--company", "acme", testKB)
	dir := t.TempDir()
	for _, tc := range []struct{ lines, want string }{
		{`{"q": "как взять отпуск", "id": "vacation-annual"}` + "\n\n" + `{"q": "как взять отпуск", "id": "vacation-anual"}`, `q.jsonl:3: article "vacation-anual" is not among`},
		{`{"q": "как взять отпуск", "id": "vacation-annual"}` + "\n" + `{"id": null, "kind": "offtopic"}`, `q.jsonl:2: no question ("q")`},
		{`{"q": "  ", "id": null}`, `q.jsonl:1: no question`},
	} {
		path := filepath.Join(dir, "q.jsonl")
		if err := os.WriteFile(path, []byte(tc.lines), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, src := range [][]string{{"--company", "acme"}, {"--kb", testKB}} {
			r := c.run(append(append([]string{"kb", "eval"}, src...), path)...)
			if r.code != 1 || !strings.Contains(r.stderr, tc.want) || strings.Contains(r.stdout, "top-1") {
				t.Errorf("eval %v of %q = %s, want exit 1 with %q", src, tc.lines, r, tc.want)
			}
		}
	}
	path := filepath.Join(dir, "q.jsonl")
	os.WriteFile(path, []byte(`{"q": "как взять отпуск", "id": null}`), 0o600)
	r := c.run("kb", "eval", "--company", "empty", path)
	if r.code != 1 || !strings.Contains(r.stderr, "company empty has no published articles") || strings.Contains(r.stdout, "%") {
		t.Errorf("eval of an empty company = %s", r)
	}
}

// TestKB_EvalFitFolds: the cross-validated block names no threshold of
// its own, since each fold fits one.
func TestKB_EvalFitFolds(t *testing.T) {
	c := newCLI(t, "")
	r := c.mustRun("kb", "eval", "--kb", testKB, "--fit", "../../internal/faq/testdata/dev.jsonl")
	if strings.Contains(r.stdout, "NaN") || !strings.Contains(r.stdout, "threshold       fitted per fold") {
		t.Errorf("eval --fit:\n%s", r.stdout)
	}
}

// TestKB_GapsFlags: --kind and --limit are checked before the database
// sees them.
func TestKB_GapsFlags(t *testing.T) {
	eachDatabase(t, func(t *testing.T, c *cli) {
		c.mustRun("company", "create", "--slug", "acme")
		for _, args := range [][]string{{"--kind", "unanswred"}, {"--limit", "-1"}, {"--limit", "0"}} {
			r := c.run(append([]string{"kb", "gaps", "--company", "acme"}, args...)...)
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if r.code != 2 || len(lines) != 1 || !strings.Contains(r.stderr, args[0]) || strings.Contains(r.stderr, "LIMIT") {
				t.Errorf("kb gaps %v = %s, want exit 2 with a one-line hint", args, r)
			}
		}
		for _, kind := range []string{"unanswered", "disliked", "all"} {
			c.mustRun("kb", "gaps", "--company", "acme", "--kind", kind, "--limit", "1")
		}
	})
}
