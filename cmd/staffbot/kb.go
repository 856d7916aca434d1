package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/config"
	"github.com/staffbot/staffbot/internal/faq"
	"github.com/staffbot/staffbot/internal/faq/faqbot"
	"github.com/staffbot/staffbot/internal/store"
)

const kbUsage = `Usage: staffbot kb <subcommand> --company SLUG [flags]

  import [--draft] FILE.json     add or update articles from a kb.json file (all or nothing)
  export [--published] [FILE]    write the knowledge base as kb.json (stdout without FILE)
  eval [--json] [--fit] FILE.jsonl  measure answers on labelled questions
  gaps [--kind K] [--limit N]    the most frequent unanswered and disliked questions
  requests                       questions employees passed to HR, still open
  llm --url URL --model M        turn the generative layer on (--off turns it off)`

func runKB(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, "kb", kbUsage, []subcommand{
		{"import", kbImport}, {"export", kbExport}, {"eval", kbEval}, {"gaps", kbGaps}, {"requests", kbRequests}, {"llm", kbLLM},
	}, args, stdout, stderr)
}

func kbImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("kb import", cmdHelp{
		usage: "kb import --company SLUG [--draft] [flags] FILE.json",
		about: `Adds or updates knowledge-base articles from a kb.json file, all or
nothing; each changed article gets a new version.`,
		example:  "staffbot kb import --company acme kb.json",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	fs.String("company", "", "company slug (required)")
	draft := fs.Bool("draft", false, "import every article as a draft, not published")
	by := fs.String("by", "cli", "who is recorded as the author of this version")
	st, co, err := openCompany(ctx, fs, &cfg, args, 1, "the kb.json FILE")
	if err != nil {
		return err
	}
	defer st.Close()

	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	file, err := faq.ReadFile(f)
	if err != nil {
		return err
	}
	arts := make([]*store.KBArticle, 0, len(file))
	for _, fa := range file {
		a := &store.KBArticle{
			Slug: fa.ID, Title: fa.Title, Questions: fa.Questions, Answer: fa.Answer, Tags: fa.Tags,
			Category: fa.Category, Departments: fa.Departments, Offices: fa.Offices,
			Published: !fa.Draft && !*draft,
		}
		if fa.ReviewOn != "" {
			d, err := staffbot.ParseDate(fa.ReviewOn)
			if err != nil {
				return fmt.Errorf("article %s: %w", fa.ID, err)
			}
			a.ReviewOn = &d
		}
		if fa.Owner != "" {
			emp, err := st.FindEmployeeByNumber(ctx, co.ID, fa.Owner)
			if err != nil {
				return fmt.Errorf("article %s: owner %q: %w", fa.ID, fa.Owner, err)
			}
			a.OwnerID = &emp.ID
		}
		arts = append(arts, a)
	}
	sum, err := st.ImportKB(ctx, co.ID, arts, *by, time.Now().UTC())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s imported: %d new, %d updated, %d unchanged\n", filepath.Base(fs.Arg(0)), sum.Created, sum.Updated, sum.Unchanged)
	return nil
}

func kbExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("kb export", cmdHelp{
		usage:    "kb export --company SLUG [--published] [flags] [FILE.json]",
		about:    "Writes the knowledge base as a kb.json file, or on stdout without FILE.",
		example:  "staffbot kb export --company acme --published kb.json",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	fs.String("company", "", "company slug (required)")
	published := fs.Bool("published", false, "only published articles")
	st, co, err := openCompany(ctx, fs, &cfg, args, -1, "")
	if err != nil {
		return err
	}
	defer st.Close()

	arts, err := st.FindKBArticles(ctx, co.ID, store.KBFilter{PublishedOnly: *published})
	if err != nil {
		return err
	}
	out := make([]faq.FileArticle, 0, len(arts))
	for _, a := range arts {
		fa := faq.FileArticle{
			ID: a.Slug, Title: a.Title, Questions: a.Questions, Answer: a.Answer, Tags: a.Tags,
			Category: a.Category, Departments: a.Departments, Offices: a.Offices, Draft: !a.Published,
		}
		if a.ReviewOn != nil {
			fa.ReviewOn = a.ReviewOn.String()
		}
		if a.OwnerID != nil {
			if emp, err := st.FindEmployeeByID(ctx, co.ID, *a.OwnerID); err == nil {
				fa.Owner = emp.PersonnelNumber
			}
		}
		out = append(out, fa)
	}
	w := stdout
	if fs.NArg() == 1 && fs.Arg(0) != "-" {
		f, err := os.Create(fs.Arg(0))
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	return faq.WriteFile(w, out)
}

func kbEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("kb eval", cmdHelp{
		usage: "kb eval (--company SLUG | --kb kb.json) [--json] [--fit] [flags] FILE.jsonl",
		about: `Measures the answer engine on labelled questions (one JSON object a line:
{"q": "…", "id": "article-id" or null, "kind": "typo"}): top-1 and top-3,
how often it answers right, wrongly, or says it does not know, per kind,
and latency. With --json, one line per question: {"q", "answer", "top",
"confidence"}.`,
		example:  "staffbot kb eval --kb internal/faq/testdata/kb.json internal/faq/testdata/dev.jsonl",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	slug := fs.String("company", "", "company whose published knowledge base is measured")
	kbFile := fs.String("kb", "", "measure this kb.json file instead of a company's base (no database needed)")
	asJSON := fs.Bool("json", false, "print one JSON object per question instead of the figures")
	fit := fs.Bool("fit", false, "also refit the confidence on these questions and print a 5-fold estimate")
	if err := fs.parse(args); err != nil {
		return err
	}
	if *slug == "" && *kbFile == "" {
		return fs.usageError("--company or --kb is required")
	}
	if err := fs.args(1, "the labelled questions FILE.jsonl"); err != nil {
		return err
	}

	var arts []faq.Article
	switch {
	case *kbFile != "":
		f, err := os.Open(*kbFile)
		if err != nil {
			return err
		}
		file, err := faq.ReadFile(f)
		f.Close()
		if err != nil {
			return err
		}
		for _, fa := range file {
			if !fa.Draft {
				arts = append(arts, fa.Article())
			}
		}
	default:
		st, err := openStore(ctx, cfg, stderr)
		if err != nil {
			return err
		}
		defer st.Close()
		co, err := findCompany(ctx, st, *slug)
		if err != nil {
			return err
		}
		stored, err := st.FindKBArticles(ctx, co.ID, store.KBFilter{PublishedOnly: true})
		if err != nil {
			return err
		}
		for _, a := range stored {
			arts = append(arts, faqbot.ArticleOf(a))
		}
	}
	if len(arts) == 0 {
		if *kbFile != "" {
			return fmt.Errorf("%s has no published articles to measure", *kbFile)
		}
		return fmt.Errorf("company %s has no published articles to measure; publish some, or measure a file with --kb", *slug)
	}
	ix, err := faq.Build(arts)
	if err != nil {
		return err
	}
	items, err := readLabelled(fs.Arg(0), arts)
	if err != nil {
		return err
	}
	outs := faq.Run(ix, items)

	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		for _, o := range outs {
			line := struct {
				Q          string   `json:"q"`
				Answer     *string  `json:"answer"`
				Top        []string `json:"top"`
				Confidence float64  `json:"confidence"`
			}{Q: o.Item.Q, Top: []string{}, Confidence: o.Result.Confidence}
			if id := o.Result.Answer(); id != "" {
				line.Answer = &id
			}
			for i, h := range o.Result.Hits {
				if i < 3 {
					line.Top = append(line.Top, h.ID)
				}
			}
			if err := enc.Encode(line); err != nil {
				return err
			}
		}
		return nil
	}
	faq.Summarize(outs, faq.HighThreshold).Print(stdout)
	if *fit {
		coef, high, mid := faq.Fit(outs)
		fmt.Fprintf(stdout, "\nrefitted on these questions: calibration %.3f, high %.3f, middle %.3f\n", coef, high, mid)
		faq.Summarize(faq.WithCalibration(outs, coef), high).Print(stdout)
		fmt.Fprintln(stdout, "\n5-fold cross-validation of calibration and threshold:")
		faq.CrossValidate(outs, 5).Print(stdout)
	}
	return nil
}

// readLabelled reads a labelled questions file and checks each line: a
// question is given, and the article it names is in arts, so that a
// typo in a label is not counted as a wrong answer.
func readLabelled(path string, arts []faq.Article) ([]faq.Labelled, error) {
	ids := make(map[string]bool, len(arts))
	for _, a := range arts {
		ids[a.ID] = true
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var items []faq.Labelled
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var l faq.Labelled
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		if strings.TrimSpace(l.Q) == "" {
			return nil, fmt.Errorf(`%s:%d: no question ("q")`, path, n)
		}
		if l.Answerable() && !ids[*l.ID] {
			return nil, fmt.Errorf("%s:%d: article %q is not among the published articles measured", path, n, *l.ID)
		}
		items = append(items, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(items) == 0 {
		return nil, errors.New("no questions in " + path)
	}
	return items, nil
}

func kbGaps(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("kb gaps", cmdHelp{
		usage:    "kb gaps --company SLUG [--kind unanswered|disliked|all] [--limit N] [flags]",
		about:    "Lists the most frequent questions the bot could not answer or whose answer was disliked.",
		example:  "staffbot kb gaps --company acme --kind unanswered --limit 10",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	fs.String("company", "", "company slug (required)")
	kind := fs.String("kind", "all", "unanswered, disliked or all")
	limit := fs.Int("limit", 20, "how many groups to show (at least 1)")
	if err := fs.parse(args); err != nil {
		return err
	}
	switch *kind {
	case "unanswered", "disliked":
	case "all", "":
		*kind = ""
	default:
		return fs.usageError("--kind %q: must be unanswered, disliked or all", *kind)
	}
	if *limit < 1 {
		return fs.usageError("--limit %d: must be at least 1", *limit)
	}
	st, co, err := openCompany(ctx, fs, &cfg, args, 0, "")
	if err != nil {
		return err
	}
	defer st.Close()
	gaps, err := st.TopFAQGaps(ctx, co.ID, *kind, *limit)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COUNT\tKIND\tARTICLE\tLAST\tLATEST QUESTION")
	for _, g := range gaps {
		art := g.ArticleSlug
		if art == "" {
			art = "—"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", g.Count, g.Kind, art, g.LastAt.Format(time.DateOnly), oneLine(g.Sample))
	}
	return tw.Flush()
}

func kbRequests(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("kb requests", cmdHelp{
		usage:    "kb requests --company SLUG [flags]",
		about:    "Lists the questions employees passed to HR that are still open.",
		example:  "staffbot kb requests --company acme",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	fs.String("company", "", "company slug (required)")
	st, co, err := openCompany(ctx, fs, &cfg, args, 0, "")
	if err != nil {
		return err
	}
	defer st.Close()
	reqs, err := st.FindHRRequests(ctx, co.ID, store.HRRequestOpen)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMPLOYEE\tASKED\tQUESTION")
	for _, r := range reqs {
		number := fmt.Sprint(r.EmployeeID)
		if emp, err := st.FindEmployeeByID(ctx, co.ID, r.EmployeeID); err == nil {
			number = emp.PersonnelNumber
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", r.ID, number, r.CreatedAt.Format(time.DateTime), oneLine(r.Text))
	}
	return tw.Flush()
}

func kbLLM(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config.Config
	fs := newFlags("kb llm", cmdHelp{
		usage: "kb llm --company SLUG (--url URL --model MODEL [--key-file FILE] | --off) [flags]",
		about: `Turns on the generative layer, which phrases answers from the matched
article with an OpenAI-compatible model, or turns it off. The key is stored
sealed.`,
		example:  "staffbot kb llm --company acme --url http://127.0.0.1:11434/v1/chat/completions --model qwen2.5:7b",
		settings: storeSettings,
	}, &cfg, stdout, stderr)
	fs.String("company", "", "company slug (required)")
	url := fs.String("url", "", "OpenAI-compatible chat-completions URL of the model")
	model := fs.String("model", "", "model name")
	keyFile := fs.String("key-file", "", "file holding the API key (the key is stored sealed)")
	timeout := fs.Duration("timeout", 8*time.Second, "how long to wait for an answer before sending the article as it is")
	off := fs.Bool("off", false, "turn the generative layer off")
	st, co, err := openCompany(ctx, fs, &cfg, args, 0, "")
	if err != nil {
		return err
	}
	defer st.Close()

	set, err := st.FAQSettings(ctx, co.ID)
	if err != nil {
		return err
	}
	if *off {
		set.LLMEnabled = false
	} else {
		if *url == "" || *model == "" {
			return fs.usageError("--url and --model are required (or --off)")
		}
		if !strings.HasPrefix(*url, "http://") && !strings.HasPrefix(*url, "https://") {
			return fmt.Errorf("--url %q: must be an http or https URL", *url)
		}
		set.LLMEnabled, set.LLMURL, set.LLMModel, set.LLMTimeout = true, *url, *model, *timeout
		if *keyFile != "" {
			key, err := os.ReadFile(*keyFile)
			if err != nil {
				return err
			}
			set.LLMKey = strings.TrimSpace(string(key))
		}
	}
	if err := st.SaveFAQSettings(ctx, co.ID, set); err != nil {
		return err
	}
	state := "off"
	if set.LLMEnabled {
		state = "on: " + set.LLMModel + " at " + set.LLMURL
	}
	fmt.Fprintf(stdout, "generative layer of %s is %s\n", co.Slug, state)
	return nil
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 100 {
		s = string(r[:99]) + "…"
	}
	return s
}
