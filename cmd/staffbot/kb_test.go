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
