package faq

import (
	"sort"
	"strings"

	"github.com/staffbot/staffbot/internal/faq/textnorm"
)

// Mode tells how the engine read the Latin letters of a message.
type Mode string

// Ways a message can be written.
const (
	ModeRussian  Mode = "ru"       // Cyrillic, or nothing in Latin letters
	ModeEnglish  Mode = "en"       // English words
	ModeTranslit Mode = "translit" // Russian in Latin letters
	ModeLayout   Mode = "layout"   // Russian typed on the English layout
)

// qterm is one distinct search term of a message.
type qterm struct {
	stem string
	w    float64 // weight: 1 in the question, less in its context
	ti   *termInfo
}

// query is a message read and ready to search.
type query struct {
	terms        []qterm
	unknown      float64 // summed weight of words no article and no lexicon entry knows
	unknownMax   float64 // the largest of those weights
	unknownTerms map[string]float64
	mode         Mode
	small        SmallTalk
	content      int // words of substance, known or not
}

// analyze reads a message: splits it into sentences, decides how its
// Latin letters are meant, repairs words, translates English, adds
// synonyms and weighs the question sentence above its context.
func (ix *Index) analyze(text string) query {
	q := query{mode: ix.detectMode(text)}
	sents := textnorm.Sentences(text)

	var stream []tok
	for si, s := range sents {
		for _, c := range textnorm.Chunks(s) {
			if q.mode == ModeLayout && hasLatin(c) {
				c = textnorm.LayoutToRussian(c)
			}
			for _, t := range textnorm.Tokenize(textnorm.Fold(c)) {
				stream = append(stream, ix.readToken(t, si, q.mode)...)
			}
		}
	}
	stream = ix.english(stream)
	stream = ix.lex.expand(stream)

	if k := ix.smallTalk(stream); k != TalkNone {
		q.small = k
		return q
	}

	weights := ix.sentenceWeights(sents, stream)
	seen := map[string]int{}
	unknown := map[string]float64{}
	add := func(stem string, w float64, ti *termInfo) {
		if i, ok := seen[stem]; ok {
			q.terms[i].w = max(q.terms[i].w, w)
			return
		}
		seen[stem] = len(q.terms)
		q.terms = append(q.terms, qterm{stem: stem, w: w, ti: ti})
	}
	for _, t := range stream {
		if t.stop {
			continue
		}
		w := weights[t.sent] * (1 - t.damp)
		// Weight goes by the word as typed: "уходить" is an everyday
		// verb, "уходу" (care) shares its stem and is not.
		light := ix.lex.lightWords[t.surf]
		if light {
			w *= lightWeight
		}
		if t.covered {
			// A synonym's canonical words carry its meaning now.
			w *= coveredWeight
		}
		ti := ix.terms[t.stem]

		if ti != nil {
			add(t.stem, w, ti)
			continue
		}
		if t.covered || light || ix.lex.light[t.stem] || t.script == textnorm.Digits {
			// A synonym that led elsewhere, an everyday word or a number
			// no article mentions: none says the message is off the base.
			continue
		}
		unknown[t.stem] = max(unknown[t.stem], w)
	}
	for _, w := range unknown {
		q.unknown += w
		q.unknownMax = max(q.unknownMax, w)
	}
	q.unknownTerms = unknown
	q.content = len(q.terms) + len(unknown)
	return q
}

// contextWeight is the weight of the sentences around the question when
// the question says much and when it says little; between the two
// idf masses of questionMass it moves from one to the other.
var (
	contextWeight = [2]float64{0.6, 1}
	questionMass  = [2]float64{2, 6}
)

// Weights of words that carry less than a full term.
var (
	lightWeight     = 0.3
	coveredWeight   = 0.5
	dampPerHalfEdit = 0.12
)

// readToken turns one token into terms according to the message's mode.
func (ix *Index) readToken(t textnorm.Token, sent int, mode Mode) []tok {
	switch t.Script {
	case textnorm.Cyrillic:
		return ix.readRussian(t.Text, sent)
	case textnorm.Digits:
		return []tok{{surf: t.Text, stem: t.Text, script: textnorm.Digits, sent: sent}}
	case textnorm.Latin:
		if mode == ModeTranslit {
			if w, conf := ix.voc.translit(t.Text); w != nil {
				return []tok{{surf: w.surf, stem: w.stem, script: textnorm.Cyrillic, stop: w.stop, sent: sent,
					damp: 1 - conf}}
			}
		}
		return []tok{{surf: t.Text, stem: t.Text, script: textnorm.Latin, english: true, sent: sent}}
	}
	return nil
}

// readRussian repairs a Russian word that neither the knowledge base nor
// the lexicon knows: a misspelling, two words run together, or an English
// word typed on the Russian layout.
func (ix *Index) readRussian(surf string, sent int) []tok {
	t := wordTok(surf, textnorm.Cyrillic)
	t.sent = sent
	if t.stop || ix.knownStem(t.stem) || ix.voc.words[surf] != nil || ix.lex.ruWords[surf] != "" {
		return []tok{t}
	}
	if stem := ix.alternate(t.stem); stem != "" {
		t.stem = stem
		return []tok{t}
	}
	if stem := ix.relative(t.stem); stem != "" {
		t.stem = stem
		t.damp = relativeDamp
		return []tok{t}
	}
	if w, d := ix.voc.nearest(surf); w != nil {
		return []tok{{surf: w.surf, stem: w.stem, script: textnorm.Cyrillic, stop: w.stop, sent: sent,
			damp: dampPerHalfEdit * float64(d)}}
	}
	if parts := ix.split(surf); parts != nil {
		for i := range parts {
			parts[i].sent = sent
		}
		return parts
	}
	if lat := textnorm.LayoutToLatin(surf); ix.lex.enWords[lat] || ix.terms[lat] != nil {
		return []tok{{surf: lat, stem: lat, script: textnorm.Latin, english: true, sent: sent}}
	}
	return []tok{t}
}

// stemAlternations undo the sound changes of Russian verb forms that the
// stemmer leaves apart: "прошу" and "просить", "плачу" and "платить",
// "отпущу" and "отпустить", "сдаю" and "сдавать".
var stemAlternations = []struct{ from, to string }{
	{"ж", "д"}, {"ж", "з"}, {"ч", "т"}, {"щ", "ст"}, {"ш", "с"}, {"ш", "х"}, {"вл", "в"}, {"бл", "б"},
	{"пл", "п"}, {"мл", "м"}, {"", "ва"},
}

// alternate returns the known stem an unknown one alternates with, or "".
func (ix *Index) alternate(stem string) string {
	if len([]rune(stem)) < 3 {
		return ""
	}
	for _, a := range stemAlternations {
		if !strings.HasSuffix(stem, a.from) {
			continue
		}
		alt := stem[:len(stem)-len(a.from)] + a.to
		if ix.terms[alt] != nil || ix.lex.expands[alt] {
			return alt
		}
	}
	return ""
}

// relativeDamp is how much less a word counts when it is read as a
// relative of a known one.
const relativeDamp = 0.3

// relative returns a known stem of the same word family as an unknown
// one, where one stem begins the other and they share at least
// familyLen letters: "накоп" (накопил) and "накоплен" (накопленные).
// The shortest such stem wins; "" when there is none.
func (ix *Index) relative(stem string) string {
	rs := []rune(stem)
	if len(rs) < familyLen {
		return ""
	}
	for n := len(rs) - 1; n >= familyLen; n-- {
		if p := string(rs[:n]); ix.terms[p] != nil {
			return p
		}
	}
	i := sort.SearchStrings(ix.stems, stem)
	best := ""
	for ; i < len(ix.stems) && strings.HasPrefix(ix.stems[i], stem); i++ {
		if best == "" || len(ix.stems[i]) < len(best) {
			best = ix.stems[i]
		}
	}
	return best
}

// split tries to read a word as two known words typed without a space.
func (ix *Index) split(surf string) []tok {
	rs := []rune(surf)
	for k := 2; k <= len(rs)-2; k++ {
		a, b := ix.voc.words[string(rs[:k])], ix.voc.words[string(rs[k:])]
		if a == nil || b == nil {
			continue
		}
		if (len(rs[:k]) < 3 && !a.stop) || (len(rs[k:]) < 3 && !b.stop) {
			continue
		}
		return []tok{
			{surf: a.surf, stem: a.stem, script: textnorm.Cyrillic, stop: a.stop},
			{surf: b.surf, stem: b.stem, script: textnorm.Cyrillic, stop: b.stop},
		}
	}
	return nil
}

// english replaces runs of English words with Russian ones from the
// glossary. English words it does not know stay as terms of their own,
// which no Russian article has.
func (ix *Index) english(stream []tok) []tok {
	out := make([]tok, 0, len(stream))
	for i := 0; i < len(stream); i++ {
		t := stream[i]
		if !t.english {
			out = append(out, t)
			continue
		}
		// Glossary phrases match on English stems.
		j := i
		for j < len(stream) && stream[j].english && stream[j].sent == t.sent {
			j++
		}
		run := make([]tok, j-i)
		for k := range run {
			run[k] = stream[i+k]
			run[k].stem = textnorm.StemEN(run[k].surf)
			run[k].stop = textnorm.IsStopEN(run[k].surf)
		}
		used := make([]bool, len(run))
		for k := 0; k < len(run); k++ {
			if used[k] {
				continue
			}
			if p, at := ix.lex.english.matchLoose(run, k, stemKey); p != nil {
				for _, j := range at {
					used[j] = true
				}
				for _, o := range p.out {
					o.sent = t.sent
					out = append(out, o)
				}
				continue
			}
			w := run[k]
			w.stem = w.surf
			switch {
			case textnorm.IsStopEN(w.surf) || len(w.surf) < 2 || ix.lex.enCommon[w.surf]:
				w.stop = true
			case ix.terms[w.surf] != nil:
				// A Latin term the articles use: VPN, HR.
			default:
				// A Russian term in Latin letters inside English: "2-NDFL",
				// "DMS", "STD-R".
				if v, conf := ix.voc.translit(w.surf); v != nil && conf == 1 && !v.stop {
					w = tok{surf: v.surf, stem: v.stem, script: textnorm.Cyrillic, sent: w.sent}
					break
				}
				w.stem = "en:" + w.surf
			}
			out = append(out, w)
		}
		i = j - 1
	}
	return out
}

// detectMode decides how the Latin-letter words of a message are meant, by
// which reading turns more of them into words the engine knows. Exact
// matches decide most messages; near matches are tried only when they do
// not, since they cost a vocabulary scan per word.
func (ix *Index) detectMode(text string) Mode {
	var latin, layout []string
	for _, c := range textnorm.Chunks(text) {
		if !hasLatin(c) {
			continue
		}
		for _, t := range textnorm.Tokenize(textnorm.Fold(c)) {
			if t.Script == textnorm.Latin {
				latin = append(latin, t.Text)
			}
		}
		for _, t := range textnorm.Tokenize(textnorm.Fold(textnorm.LayoutToRussian(c))) {
			if t.Script == textnorm.Cyrillic {
				layout = append(layout, t.Text)
			}
		}
	}
	if len(latin) == 0 {
		return ModeRussian
	}

	var en, tr, ly float64
	var trMiss, lyMiss []string
	for _, w := range latin {
		if ix.lex.enWords[w] || ix.terms[w] != nil || textnorm.IsStopEN(w) {
			en++
		}
		if ix.voc.keys[textnorm.Key(w)] != nil {
			tr++
		} else {
			trMiss = append(trMiss, w)
		}
	}
	for _, w := range layout {
		if textnorm.IsStopRU(w) || ix.voc.words[w] != nil || ix.knownStem(textnorm.StemRU(w)) {
			ly++
		} else {
			lyMiss = append(lyMiss, w)
		}
	}
	frac := func(n float64, of int) float64 {
		if of == 0 {
			return 0
		}
		return n / float64(of)
	}
	fe, ft, fl := frac(en, len(latin)), frac(tr, len(latin)), frac(ly, len(layout))

	// Misspelt Russian, in either disguise, needs the near matches.
	if max(fe, ft, fl) < 0.75 {
		for _, w := range trMiss {
			if _, conf := ix.voc.translit(w); conf > 0 {
				tr += conf
			}
		}
		for _, w := range lyMiss {
			if v, _ := ix.voc.nearest(w); v != nil {
				ly += 0.6
			}
		}
		ft, fl = frac(tr, len(latin)), frac(ly, len(layout))
	}
	switch {
	case fe >= ft && fe >= fl:
		return ModeEnglish
	case ft >= fl:
		return ModeTranslit
	default:
		return ModeLayout
	}
}

// smallTalk reports the kind of chit-chat a message is, if it is nothing
// but that.
func (ix *Index) smallTalk(stream []tok) SmallTalk {
	key := func(t tok) string {
		if t.script == textnorm.Latin {
			return t.surf
		}
		return t.stem
	}
	matched := make([]bool, len(stream))
	found := map[SmallTalk]bool{}
	for i := 0; i < len(stream); i++ {
		if p := ix.lex.small.match(stream, i, key); p != nil {
			found[SmallTalk(p.out[0].stem)] = true
			for k := range p.seq {
				matched[i+k] = true
			}
			i += len(p.seq) - 1
		}
	}
	if len(found) == 0 {
		return TalkNone
	}
	for i, t := range stream {
		if matched[i] || t.stop || t.covered || smallTalkFiller[t.surf] {
			continue
		}
		return TalkNone
	}
	for _, k := range []SmallTalk{TalkWho, TalkJoke, TalkHowAreYou, TalkLove, TalkAbuse, TalkElsewhere, TalkThanks, TalkBye, TalkGreeting, TalkAck} {
		if found[k] {
			return k
		}
	}
	return TalkNone
}

// sentenceWeights weighs each sentence: the question counts fully, the
// story around it less, and more so the less the question itself says.
func (ix *Index) sentenceWeights(sents []string, stream []tok) []float64 {
	w := make([]float64, max(len(sents), 1))
	if len(sents) <= 1 {
		for i := range w {
			w[i] = 1
		}
		return w
	}
	isQ := make([]bool, len(sents))
	anyQ := false
	for i, s := range sents {
		isQ[i] = isQuestion(s, stream, i)
		anyQ = anyQ || isQ[i]
	}
	if !anyQ {
		isQ[len(sents)-1] = true
	}
	// How much the question itself says: the idf mass of its words of
	// substance. "Где это проверить?" says nearly nothing, and then the
	// story before it tells what the message is about.
	var mass float64
	for _, t := range stream {
		if !isQ[t.sent] || t.stop || t.covered || ix.lex.lightWords[t.surf] {
			continue
		}
		if ti := ix.terms[t.stem]; ti != nil {
			mass += ti.idf
		} else if t.script != textnorm.Digits {
			mass += ix.idfMax
		}
	}
	lo, hi := questionMass[0], questionMass[1]
	ctx := contextWeight[1] - (contextWeight[1]-contextWeight[0])*min(max((mass-lo)/(hi-lo), 0), 1)
	for i := range w {
		w[i] = ctx
		if isQ[i] {
			w[i] = 1
		}
	}
	return w
}

var questionWords = map[string]bool{
	"как": true, "где": true, "когда": true, "сколько": true, "можно": true, "что": true, "кто": true,
	"куда": true, "почему": true, "зачем": true, "какой": true, "какая": true, "какие": true, "каким": true,
	"есть": true, "положен": true, "положена": true, "положено": true, "положены": true, "нужно": true,
	"надо": true, "могу": true, "может": true, "дают": true, "будут": true, "будет": true, "ли": true,
	"how": true, "what": true, "when": true, "where": true, "who": true, "can": true, "is": true,
	"are": true, "do": true, "does": true, "will": true, "should": true, "which": true,
}

func isQuestion(s string, stream []tok, sent int) bool {
	if strings.HasSuffix(strings.TrimSpace(s), "?") {
		return true
	}
	first := true
	for _, t := range stream {
		if t.sent != sent {
			continue
		}
		if t.surf == "ли" || (first && questionWords[t.surf]) {
			return true
		}
		first = false
	}
	return false
}

func hasLatin(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return textnorm.ScriptOf(r) == textnorm.Latin })
}
