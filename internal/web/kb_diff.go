package web

import (
	"strings"

	"github.com/staffbot/staffbot/internal/locale"
)

// kbChange is a field that differs between two states of an article,
// line by line.
type kbChange struct {
	Field string // the field's label
	Lines []kbLine
}

// kbLine is a line of a field: kept ("same"), removed ("del") or added
// ("ins").
type kbLine struct {
	Op   string
	Text string
}

// kbDiff lists the fields of after that differ from before, in the
// editor's order, each with its lines removed and added.
func kbDiff(lang locale.Lang, before, after kbForm) []kbChange {
	status := func(f kbForm) string {
		if f.Published {
			return tr(lang, "kb.published")
		}
		return tr(lang, "kb.draft")
	}
	fields := []struct {
		key  string
		a, b string
	}{
		{"kb.f.title", before.Title, after.Title},
		{"kb.f.questions", before.Questions, after.Questions},
		{"kb.f.answer", before.Answer, after.Answer},
		{"kb.f.category", before.Category, after.Category},
		{"kb.f.tags", before.Tags, after.Tags},
		{"kb.f.departments", before.Departments, after.Departments},
		{"kb.f.offices", before.Offices, after.Offices},
		{"kb.f.attachments", before.Attachments, after.Attachments},
		{"kb.f.owner", before.Owner, after.Owner},
		{"kb.f.review_on", before.ReviewOn, after.ReviewOn},
		{"kb.f.status", status(before), status(after)},
	}
	var out []kbChange
	for _, f := range fields {
		a, b := splitLines(f.a), splitLines(f.b)
		if strings.Join(a, "\n") == strings.Join(b, "\n") {
			continue
		}
		out = append(out, kbChange{Field: tr(lang, f.key), Lines: diffLines(a, b)})
	}
	return out
}

func splitLines(s string) []string {
	s = strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// diffLines aligns two lists of lines on their longest common
// subsequence: what only a has is removed, what only b has is added.
func diffLines(a, b []string) []kbLine {
	n, m := len(a), len(b)
	// lcs[i][j] is the length of the common subsequence of a[i:], b[j:].
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []kbLine
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			out = append(out, kbLine{Op: "same", Text: a[i]})
			i, j = i+1, j+1
		case lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, kbLine{Op: "del", Text: a[i]})
			i++
		default:
			out = append(out, kbLine{Op: "ins", Text: b[j]})
			j++
		}
	}
	for ; i < n; i++ {
		out = append(out, kbLine{Op: "del", Text: a[i]})
	}
	for ; j < m; j++ {
		out = append(out, kbLine{Op: "ins", Text: b[j]})
	}
	return out
}
