// Package faq answers employees' questions from a company's knowledge base
// without any outside service. An Index is built from the published
// articles; Search reads a message the way people actually type it
// (Russian morphology, ё/е, typos, the wrong keyboard layout, Latin
// transliteration, HR slang, English), ranks the articles and says how
// sure it is. The optional generative layer lives in faq/llm, the chat
// dialogue in faq/faqbot.
package faq

import (
	"slices"
	"strings"
)

// Article is what the engine needs of a knowledge-base article. Only
// published articles are given to Build; the store keeps the rest.
type Article struct {
	// ID is the article's stable key within the company, such as
	// "vacation-transfer".
	ID string

	Title     string
	Questions []string // typical phrasings of the question
	Answer    string
	Tags      []string
	Category  string

	// Departments and Offices restrict who sees the article; empty means
	// everyone.
	Departments []string
	Offices     []string
}

// Audience is who is asking: an article restricted to departments or
// offices is only found for employees of them.
type Audience struct {
	Department string
	Office     string

	// All ignores visibility, for HR testing their own base.
	All bool
}

// Visible reports whether the article may be shown to the audience.
func (a *Article) Visible(aud Audience) bool {
	if aud.All {
		return true
	}
	return allows(a.Departments, aud.Department) && allows(a.Offices, aud.Office)
}

func allows(list []string, v string) bool {
	if len(list) == 0 {
		return true
	}
	v = strings.TrimSpace(v)
	return slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(strings.TrimSpace(s), v) })
}
