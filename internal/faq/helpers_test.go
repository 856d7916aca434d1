package faq

import (
	"os"
	"testing"
)

func mustTestIndex(t testing.TB) *Index {
	t.Helper()
	f, err := os.Open("testdata/kb.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fa, err := ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	arts := make([]Article, len(fa))
	for i, a := range fa {
		arts[i] = a.Article()
	}
	ix, err := Build(arts)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func mustDev(t testing.TB) []Labelled {
	t.Helper()
	return mustLabelled(t, "testdata/dev.jsonl")
}

func mustLabelled(t testing.TB, path string) []Labelled {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	items, err := ReadLabelled(f)
	if err != nil {
		t.Fatal(err)
	}
	return items
}
