package faq

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/staffbot/staffbot/internal/faq/textnorm"
)

// FileArticle is one article in the exchange format of kb.json: the
// fields every knowledge base has, plus the optional ones staffbot keeps.
type FileArticle struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Questions []string `json:"questions"`
	Answer    string   `json:"answer"`
	Tags      []string `json:"tags"`

	Category    string   `json:"category,omitempty"`
	Departments []string `json:"departments,omitempty"`
	Offices     []string `json:"offices,omitempty"`
	Owner       string   `json:"owner,omitempty"`     // personnel number of the owner
	ReviewOn    string   `json:"review_on,omitempty"` // YYYY-MM-DD
	Draft       bool     `json:"draft,omitempty"`
}

var articleIDRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,79}$`)

// ValidArticleID reports whether id can name an article: lower-case Latin
// letters, digits, ".", "_" and "-", up to 80 characters.
func ValidArticleID(id string) bool { return articleIDRE.MatchString(id) }

// ReadFile parses a knowledge base in the kb.json format and checks every
// article, reporting all problems at once.
func ReadFile(r io.Reader) ([]FileArticle, error) {
	var arts []FileArticle
	dec := json.NewDecoder(r)
	if err := dec.Decode(&arts); err != nil {
		return nil, fmt.Errorf("parse knowledge base: %w", err)
	}
	var problems []string
	seen := map[string]int{}
	for i, a := range arts {
		where := fmt.Sprintf("article %d (%q)", i+1, a.ID)
		for _, p := range a.Check() {
			problems = append(problems, where+": "+p.Message)
		}
		if seen[a.ID] > 0 && ValidArticleID(a.ID) {
			problems = append(problems, fmt.Sprintf("%s: id repeats article %d", where, seen[a.ID]))
		}
		seen[a.ID] = i + 1
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("knowledge base has %d problem(s):\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	return arts, nil
}

// Problem is one thing wrong with one field of an article.
type Problem struct {
	// Field is the field's name in kb.json: "id", "title", "questions",
	// "answer", "tags", "category", "departments", "offices", "review_on".
	Field string
	// Code says what is wrong, for a message in the reader's language:
	// "required", "format", "too_long".
	Code string
	// Message says it in English.
	Message string
}

// Limits of an article's fields, in characters. An answer goes out as
// one chat message, and Telegram's limit is 4,096.
const (
	MaxTitle    = 200
	MaxQuestion = 500
	MaxAnswer   = 4000
	MaxLabel    = 100 // a tag, a category, a department, an office
	MaxList     = 100 // questions, tags, departments or offices
)

// Check returns what is wrong with the article on its own, field by field
// in the order of the format; nil when nothing is. Whether its id repeats
// another article's is for the caller, who sees the others.
func (a FileArticle) Check() []Problem {
	var out []Problem
	add := func(field, code, msg string) { out = append(out, Problem{Field: field, Code: code, Message: msg}) }
	if !ValidArticleID(a.ID) {
		add("id", "format", "id must be lower-case latin letters, digits, '.', '_' or '-', up to 80 characters")
	}
	switch title := strings.TrimSpace(a.Title); {
	case title == "":
		add("title", "required", "title is empty")
	case utf8.RuneCountInString(title) > MaxTitle:
		add("title", "too_long", fmt.Sprintf("title is longer than %d characters", MaxTitle))
	}
	if len(a.Questions) > MaxList {
		add("questions", "too_long", fmt.Sprintf("more than %d questions", MaxList))
	} else if slices.ContainsFunc(a.Questions, func(q string) bool { return utf8.RuneCountInString(q) > MaxQuestion }) {
		add("questions", "too_long", fmt.Sprintf("a question is longer than %d characters", MaxQuestion))
	}
	switch answer := strings.TrimSpace(a.Answer); {
	case answer == "":
		add("answer", "required", "answer is empty")
	case utf8.RuneCountInString(answer) > MaxAnswer:
		add("answer", "too_long", fmt.Sprintf("answer is longer than %d characters", MaxAnswer))
	}
	if utf8.RuneCountInString(a.Category) > MaxLabel {
		add("category", "too_long", fmt.Sprintf("category is longer than %d characters", MaxLabel))
	}
	for _, l := range []struct {
		field string
		items []string
	}{{"tags", a.Tags}, {"departments", a.Departments}, {"offices", a.Offices}} {
		if len(l.items) > MaxList || slices.ContainsFunc(l.items, func(s string) bool { return utf8.RuneCountInString(s) > MaxLabel }) {
			add(l.field, "too_long", fmt.Sprintf("%s: at most %d, each up to %d characters", l.field, MaxList, MaxLabel))
		}
	}
	if a.ReviewOn != "" {
		if _, err := time.Parse(time.DateOnly, a.ReviewOn); err != nil || !dateRE.MatchString(a.ReviewOn) {
			add("review_on", "format", "review_on must be a date, YYYY-MM-DD")
		}
	}
	return out
}

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// SuggestArticleID makes an article id of a title: transliterated to
// Latin, lower-case, words joined by "-", at most 60 characters. It is
// "article" when nothing is left.
func SuggestArticleID(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range textnorm.ToLatin(textnorm.Fold(title)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
		if b.Len() >= 60 {
			break
		}
	}
	id := strings.TrimRight(b.String(), "-")
	if id == "" {
		return "article"
	}
	return id
}

// WriteFile writes articles in the kb.json format, indented like the
// files HR edit by hand.
func WriteFile(w io.Writer, arts []FileArticle) error {
	for i := range arts {
		if arts[i].Questions == nil {
			arts[i].Questions = []string{}
		}
		if arts[i].Tags == nil {
			arts[i].Tags = []string{}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(arts)
}

// Article returns the engine's view of a file article.
func (a FileArticle) Article() Article {
	return Article{
		ID: a.ID, Title: a.Title, Questions: a.Questions, Answer: a.Answer, Tags: a.Tags,
		Category: a.Category, Departments: a.Departments, Offices: a.Offices,
	}
}
