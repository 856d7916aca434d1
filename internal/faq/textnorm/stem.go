package textnorm

import (
	"sync"
	"sync/atomic"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/russian"
)

// StemRU returns the Snowball stem of a folded Russian word. Stems are
// remembered, up to a bound, since a knowledge base repeats its words.
func StemRU(w string) string {
	if s, ok := stemFixRU[w]; ok {
		return s
	}
	if s, ok := stemCache.Load(w); ok {
		return s.(string)
	}
	s := russian.Stem(w, true)
	if stemCacheLen.Load() < stemCacheMax {
		if _, loaded := stemCache.LoadOrStore(w, s); !loaded {
			stemCacheLen.Add(1)
		}
	}
	return s
}

var (
	stemCache    sync.Map
	stemCacheLen atomic.Int64
)

const stemCacheMax = 200_000

// stemFixRU corrects words whose Snowball stem loses the root, mostly
// nouns that end like a reflexive verb, and joins the forms of common
// words whose vowel drops out ("день", "дня"; "ребёнок", "ребёнка").
var stemFixRU = func() map[string]string {
	m := map[string]string{
		"подпись": "подпис", "роспись": "роспис", "запись": "запис", "надпись": "надпис", "опись": "опис",
		"переписка": "переписк", "перерыв": "перерыв",
	}
	forms := map[string][]string{
		"ден":     {"день", "дня", "дню", "днем", "дне", "дни", "дней", "дням", "днями", "днях"},
		"ребенк":  {"ребенок", "ребенка", "ребенку", "ребенком", "ребенке"},
		"деньг":   {"деньги", "денег", "деньгам", "деньгами", "деньгах"},
		"отц":     {"отец", "отца", "отцу", "отцом", "отце"},
		"займ":    {"заем", "займа", "займу", "займом"},
		"звонк":   {"звонок", "звонка", "звонку", "звонком"},
		"перерыв": {"перерыва", "перерыву", "перерывом", "перерывы", "перерывов"},
	}
	for stem, ws := range forms {
		for _, w := range ws {
			m[w] = stem
		}
	}
	return m
}()

// StemEN returns the Snowball stem of a lower-case English word.
func StemEN(w string) string {
	return english.Stem(w, true)
}

// IsStopRU reports whether a folded Russian word carries no topic: function
// words, pronouns, question words and the politeness around a question.
func IsStopRU(w string) bool {
	return russian.IsStopWord(w) || stopRU[w]
}

// IsStopEN reports whether a lower-case English word carries no topic.
func IsStopEN(w string) bool {
	return english.IsStopWord(w) || stopEN[w]
}

var stopRU = set(
	"это", "эта", "эти", "этим", "этих", "вообще", "ещё", "еще", "очень", "пожалуйста", "плиз",
	"подскажите", "подскажи", "скажите", "скажи", "расскажите", "расскажи", "помогите", "здравствуйте",
	"сколько", "почему", "каким", "какие", "каких", "какое", "какую", "каком", "какого", "чём",
	"которые", "который", "которая", "которое", "которых", "свой", "своя", "свои", "своё", "своего", "своей",
	"мои", "моё", "моего", "моей", "моих", "моим", "наш", "наша", "наше", "наши", "нашей", "нашего", "нашем",
	"вашей", "ваш", "ваша", "ваше", "ваши", "вашего", "ими", "него", "нему", "ним", "нам", "нами",
	"также", "либо", "именно", "просто", "вроде", "типа", "кстати", "значит", "всё", "вся", "весь",
	"вот", "ну", "чё", "че", "чо", "щас", "тд", "тп", "т", "д", "п",
	"кого", "кому", "кем", "чего", "чему", "что-то", "как-то", "кто-то", "какой-то", "нужно", "нужна", "нужен",
	"нужны", "надо", "должен", "должна", "должны", "хочу", "хотел", "хотела", "хотим", "хотелось",
	"бы", "будут", "будем", "буду", "есть", "быть", "был", "была", "было", "были", "будет",
	"мочь", "могу", "можем", "могут", "может", "можно", "ли", "ль", "же", "ж",
	"ок", "окей", "да", "нет", "ага", "угу",
)

var stopEN = set(
	"can", "could", "would", "may", "might", "must", "shall", "will", "get", "got", "getting", "i'm", "im",
	"please", "hi", "hello", "also", "any", "there", "much", "many", "which", "what", "how", "when", "where",
	"who", "whom", "whose", "why", "do", "does", "did", "need", "want", "like", "let", "us", "something",
	"anything", "one", "ones", "is", "are", "am", "be", "my", "our", "your", "it", "its", "a", "an", "the",
	"ok", "okay", "yes", "no",
)

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
