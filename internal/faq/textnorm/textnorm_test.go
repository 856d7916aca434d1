package textnorm

import (
	"slices"
	"testing"
)

func TestLayoutToRussian(t *testing.T) {
	tests := []struct{ in, want string }{
		{"rfr jajhvbnm jngecr", "как оформить отпуск"},
		{"pf,hjybhjdfnm vtcnj", "забронировать место"},
		{"'ktrnhjyyfz gjlgbcm", "электронная подпись"},
		{"ye;ty vjybnjh", "нужен монитор"},
		{"ghbdtn", "привет"},
		{"Cghfdrf 2-YLAK", "Справка 2-НДФЛ"},
		{"[jxe d jngecr", "хочу в отпуск"},
	}
	for _, tt := range tests {
		if got := LayoutToRussian(tt.in); got != tt.want {
			t.Errorf("LayoutToRussian(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLayoutToLatin(t *testing.T) {
	tests := []struct{ in, want string }{
		{"мзт", "vpn"},
		{"рщц", "how"},
		{"ыфдфкн", "salary"},
		{"ЗфнЫдшз", "PaySlip"},
	}
	for _, tt := range tests {
		if got := LayoutToLatin(tt.in); got != tt.want {
			t.Errorf("LayoutToLatin(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestKey_TransliterationSchemesMeet(t *testing.T) {
	groups := [][]string{
		{"испытательный", "ispytatelny", "ispytatelnyj", "ispytatel'nyy", "ispitatelniy"},
		{"ребёнком", "rebenkom", "rebyonkom"},
		{"больничный", "bolnichny", "bol'nichnyj", "bolnichnyi"},
		{"сверхурочных", "sverhurochnyh", "sverkhurochnykh", "sverxurochnyx"},
		{"жильё", "zhilyo", "zhil'e"},
		{"компенсация", "kompensatsiya", "kompensaciya", "kompensatsija"},
		{"щит", "shchit", "schit"},
	}
	for _, g := range groups {
		want := Key(g[0])
		for _, w := range g[1:] {
			if got := Key(w); got != want {
				t.Errorf("Key(%q) = %q, want %q like Key(%q)", w, got, want, g[0])
			}
		}
	}
	if Key("отпуск") == Key("отпускные") {
		t.Error("different words share a key")
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"отпуск", "отпуск", 0},
		{"кампенсация", "компенсация", 1}, // unstressed о written as а
		{"сколко", "сколько", 1},          // a dropped soft sign
		{"офрмить", "оформить", 2},        // a missing letter
		{"заявлене", "заявление", 2},
		{"отупск", "отпуск", 2}, // neighbours swapped
		{"афармления", "оформления", 2},
		{"отпуск", "премия", 7}, // beyond the bound
	}
	for _, tt := range tests {
		if got := Distance([]rune(tt.a), []rune(tt.b), 6); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestTokenize(t *testing.T) {
	got := []string{}
	for _, tk := range Tokenize(Fold("Справка 2-НДФЛ, 2ндфл и ёлка!")) {
		got = append(got, tk.Text)
	}
	want := []string{"справка", "2", "ндфл", "2", "ндфл", "и", "елка"}
	if !slices.Equal(got, want) {
		t.Errorf("Tokenize = %q, want %q", got, want)
	}
}

func TestSentences(t *testing.T) {
	got := Sentences("Я в отпуске с 1.08. Заболел на третий день! Что делать? по ст. 124 ТК")
	want := []string{"Я в отпуске с 1.08.", "Заболел на третий день!", "Что делать?", "по ст. 124 ТК"}
	if !slices.Equal(got, want) {
		t.Errorf("Sentences = %q, want %q", got, want)
	}
}

func TestStemRU_FoldsForms(t *testing.T) {
	for _, g := range [][]string{
		{"справка", "справку", "справки"},
		{"отпуск", "отпуска", "отпуском"},
		{"подпись", "подписи"},
	} {
		want := StemRU(g[0])
		for _, w := range g[1:] {
			if got := StemRU(w); got != want {
				t.Errorf("StemRU(%q) = %q, want %q", w, got, want)
			}
		}
	}
}
