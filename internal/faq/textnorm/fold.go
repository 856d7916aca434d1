// Package textnorm holds the language-level pieces of the FAQ engine that
// know nothing about a knowledge base: case and ё folding, tokens and
// sentences, keyboard layouts, transliteration, stemming, stop words and an
// edit distance tuned to Russian misspellings.
package textnorm

import (
	"strings"
	"unicode"
)

// Fold lowercases s and folds ё to е, the way Russians type it anyway.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		r = unicode.ToLower(r)
		if r == 'ё' {
			r = 'е'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Script tells which alphabet a token is written in.
type Script uint8

// The scripts a token can have.
const (
	Other Script = iota
	Cyrillic
	Latin
	Digits
)

// ScriptOf classifies one rune.
func ScriptOf(r rune) Script {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		return Latin
	case r >= 'а' && r <= 'я', r >= 'А' && r <= 'Я', r == 'ё', r == 'Ё':
		return Cyrillic
	case r >= '0' && r <= '9':
		return Digits
	}
	return Other
}

// Token is a run of letters of one script, or of digits.
type Token struct {
	Text   string
	Script Script
}

// Tokenize splits folded text into tokens: runs of Cyrillic letters, of
// Latin letters, or of digits. Everything else separates tokens, and so
// does a change of script, so "2ндфл" gives "2" and "ндфл".
func Tokenize(s string) []Token {
	var (
		out   []Token
		cur   []rune
		curSc Script
	)
	flush := func() {
		if len(cur) > 0 {
			out = append(out, Token{Text: string(cur), Script: curSc})
			cur = cur[:0]
		}
	}
	for _, r := range s {
		sc := ScriptOf(r)
		if sc == Other || sc != curSc {
			flush()
		}
		if sc == Other {
			curSc = Other
			continue
		}
		curSc = sc
		cur = append(cur, r)
	}
	flush()
	return out
}

// Chunks splits s at white space, keeping punctuation attached, which
// matters for text typed in the wrong keyboard layout: "," there is "б".
func Chunks(s string) []string {
	return strings.Fields(s)
}

// Sentences splits a message into sentences at ".", "!", "?" and line
// breaks. Each sentence keeps its final mark, so a caller can tell a
// question from a statement.
func Sentences(s string) []string {
	var (
		out []string
		b   strings.Builder
	)
	rs := []rune(s)
	for i, r := range rs {
		if r == '\n' {
			if t := strings.TrimSpace(b.String()); t != "" {
				out = append(out, t)
			}
			b.Reset()
			continue
		}
		b.WriteRune(r)
		if r != '.' && r != '!' && r != '?' {
			continue
		}
		// A mark ends a sentence only when a space or the end follows, so
		// "1.5" stays whole; a full stop after a short abbreviation or
		// before a number ("ст. 115") does not end one either.
		if i+1 < len(rs) && !unicode.IsSpace(rs[i+1]) {
			continue
		}
		if r == '.' && (abbreviation(rs[:i]) || nextIsDigit(rs[i+1:])) {
			continue
		}
		if t := strings.TrimSpace(b.String()); t != "" {
			out = append(out, t)
		}
		b.Reset()
	}
	if t := strings.TrimSpace(b.String()); t != "" {
		out = append(out, t)
	}
	return out
}

// abbreviation reports whether the text before a full stop ends in a word
// of one or two letters, such as "ст" or "г".
func abbreviation(before []rune) bool {
	n := 0
	for i := len(before) - 1; i >= 0 && unicode.IsLetter(before[i]); i-- {
		n++
	}
	return n > 0 && n <= 2
}

func nextIsDigit(after []rune) bool {
	for _, r := range after {
		if !unicode.IsSpace(r) {
			return unicode.IsDigit(r)
		}
	}
	return false
}

// HasLetters reports whether s contains a letter of any script.
func HasLetters(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}
