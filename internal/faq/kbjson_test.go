package faq

import (
	"strings"
	"testing"
)

func TestFileArticle_Check(t *testing.T) {
	good := FileArticle{ID: "vacation-transfer", Title: "Перенос отпуска", Answer: "Заявление за 14 дней.", ReviewOn: "2026-09-01"}
	if p := good.Check(); p != nil {
		t.Fatalf("a good article has problems %+v", p)
	}
	tests := []struct {
		name string
		edit func(a *FileArticle)
		want string // field:code, comma-separated
	}{
		{"EmptyTitleAndAnswer", func(a *FileArticle) { a.Title, a.Answer = " ", "\n" }, "title:required,answer:required"},
		{"BadID", func(a *FileArticle) { a.ID = "Перенос отпуска" }, "id:format"},
		{"ImpossibleDate", func(a *FileArticle) { a.ReviewOn = "2026-02-30" }, "review_on:format"},
		{"DateOfAnotherShape", func(a *FileArticle) { a.ReviewOn = "01.09.2026" }, "review_on:format"},
		{"LongTitle", func(a *FileArticle) { a.Title = strings.Repeat("я", MaxTitle+1) }, "title:too_long"},
		{"LongAnswer", func(a *FileArticle) { a.Answer = strings.Repeat("я", MaxAnswer+1) }, "answer:too_long"},
		{"LongQuestion", func(a *FileArticle) { a.Questions = []string{"ok", strings.Repeat("я", MaxQuestion+1)} }, "questions:too_long"},
		{"LongTag", func(a *FileArticle) { a.Tags = []string{strings.Repeat("t", MaxLabel+1)} }, "tags:too_long"},
		{"ManyOffices", func(a *FileArticle) { a.Offices = make([]string, MaxList+1) }, "offices:too_long"},
	}
	for _, tt := range tests {
		a := good
		tt.edit(&a)
		var got []string
		for _, p := range a.Check() {
			if p.Message == "" {
				t.Errorf("%s: problem %+v has no message", tt.name, p)
			}
			got = append(got, p.Field+":"+p.Code)
		}
		if strings.Join(got, ",") != tt.want {
			t.Errorf("%s: %v, want %s", tt.name, got, tt.want)
		}
	}
}

func TestSuggestArticleID(t *testing.T) {
	tests := []struct{ title, want string }{
		{"Перенос отпуска", "perenos-otpuska"},
		{"Справка 2-НДФЛ: где взять?", "spravka-2-ndfl-gde-vzyat"},
		{"Ёлка и съезд", "elka-i-sezd"},
		{"  VPN для удалёнки  ", "vpn-dlya-udalenki"},
		{"???", "article"},
		{strings.Repeat("отпуск ", 20), "otpusk-otpusk-otpusk-otpusk-otpusk-otpusk-otpusk-otpusk-otpu"},
	}
	for _, tt := range tests {
		got := SuggestArticleID(tt.title)
		if got != tt.want {
			t.Errorf("SuggestArticleID(%q) = %q, want %q", tt.title, got, tt.want)
		}
		if !ValidArticleID(got) {
			t.Errorf("SuggestArticleID(%q) = %q is not a valid id", tt.title, got)
		}
	}
}
