package faq

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
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
		switch {
		case !ValidArticleID(a.ID):
			problems = append(problems, where+": id must be lower-case latin letters, digits, '.', '_' or '-'")
		case seen[a.ID] > 0:
			problems = append(problems, fmt.Sprintf("%s: id repeats article %d", where, seen[a.ID]))
		}
		seen[a.ID] = i + 1
		if strings.TrimSpace(a.Title) == "" {
			problems = append(problems, where+": title is empty")
		}
		if strings.TrimSpace(a.Answer) == "" {
			problems = append(problems, where+": answer is empty")
		}
		if a.ReviewOn != "" && !dateRE.MatchString(a.ReviewOn) {
			problems = append(problems, where+": review_on must be YYYY-MM-DD")
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("knowledge base has %d problem(s):\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	return arts, nil
}

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

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
