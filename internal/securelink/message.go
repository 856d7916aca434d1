package securelink

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/locale"
)

// LinkMessage is the chat message that hands an employee a link: what the
// file is, how long and how many times the link works, and whether it
// will ask for a code. A link on https also gets a button; messengers
// refuse buttons to plain-http or local addresses.
func LinkMessage(lang locale.Lang, fileName, url string, opts Options) channel.Outgoing {
	o, err := opts.WithDefaults()
	if err != nil {
		o = Options{TTL: DefaultTTL, MaxOpens: DefaultMaxOpens, RequireCode: opts.RequireCode}
	}
	var text string
	if lang == locale.EN {
		text = fmt.Sprintf("Your document “%s” is ready. Open it with this secure link; it works for %s and opens at most %s:\n%s",
			fileName, durationEN(o.TTL), plural(lang, o.MaxOpens, "time", "time", "times"), url)
		if o.RequireCode {
			text += "\n\nThe link will ask for a one-time code; I will send it here."
		}
	} else {
		text = fmt.Sprintf("Документ «%s» готов. Откройте его по защищённой ссылке — она действует %s и открывается не больше %s:\n%s",
			fileName, durationRU(o.TTL), plural(lang, o.MaxOpens, "раза", "раз", "раз"), url)
		if o.RequireCode {
			text += "\n\nПо ссылке понадобится одноразовый код — я пришлю его сюда."
		}
	}
	msg := channel.Outgoing{Text: text}
	if strings.HasPrefix(url, "https://") {
		label := "Открыть документ"
		if lang == locale.EN {
			label = "Open the document"
		}
		msg.Buttons = [][]channel.Button{{{Text: label, URL: url}}}
	}
	return msg
}

// CodeMessage is the chat message with a one-time code.
func CodeMessage(lang locale.Lang, code string) channel.Outgoing {
	if lang == locale.EN {
		return channel.Outgoing{Text: "Code to open your document: " + code +
			"\nIt works for 10 minutes. Do not tell it to anyone: HR never asks for it."}
	}
	return channel.Outgoing{Text: "Код для открытия документа: " + code +
		"\nОн действует 10 минут. Никому его не сообщайте: сотрудники HR его не спрашивают."}
}

// plural writes n with the Russian form for 1, 2–4 and 5+ (one, few,
// many), or the English singular and plural.
func plural(lang locale.Lang, n int, one, few, many string) string {
	if lang == locale.EN {
		if n == 1 {
			return fmt.Sprintf("%d %s", n, one)
		}
		return fmt.Sprintf("%d %s", n, many)
	}
	form := many
	switch n10, n100 := n%10, n%100; {
	case n10 == 1 && n100 != 11:
		form = one
	case n10 >= 2 && n10 <= 4 && (n100 < 12 || n100 > 14):
		form = few
	}
	return fmt.Sprintf("%d %s", n, form)
}

func durationRU(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return plural(locale.RU, int(d/(24*time.Hour)), "день", "дня", "дней")
	case d%time.Hour == 0:
		return plural(locale.RU, int(d/time.Hour), "час", "часа", "часов")
	}
	return plural(locale.RU, int(d/time.Minute), "минуту", "минуты", "минут")
}

func durationEN(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return plural(locale.EN, int(d/(24*time.Hour)), "day", "days", "days")
	case d%time.Hour == 0:
		return plural(locale.EN, int(d/time.Hour), "hour", "hours", "hours")
	}
	return plural(locale.EN, int(d/time.Minute), "minute", "minutes", "minutes")
}

// translit spells Russian letters in Latin (the passport system, GOST R
// 52535.1-2006) for the ASCII file name of old clients.
var translit = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e", 'ж': "zh", 'з': "z", 'и': "i",
	'й': "i", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t",
	'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch", 'ъ': "ie", 'ы': "y",
	'ь': "", 'э': "e", 'ю': "iu", 'я': "ia",
}

// asciiName is the file name in printable ASCII without quotes or
// backslashes: Russian letters transliterated, anything else an
// underscore.
func asciiName(name string) string {
	var b strings.Builder
	for _, r := range name {
		lower := []rune(strings.ToLower(string(r)))[0]
		if lat, ok := translit[lower]; ok {
			if lower != r && lat != "" {
				lat = strings.ToUpper(lat[:1]) + lat[1:]
			}
			b.WriteString(lat)
			continue
		}
		switch {
		case r == '"' || r == '\\' || r < 0x20 || r == 0x7f:
			b.WriteByte('_')
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "file"
	}
	return b.String()
}
