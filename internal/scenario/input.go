package scenario

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/staffbot/staffbot"
)

var emailRE = regexp.MustCompile(`^[^\s@]+@[^\s@]+\.[^\s@]+$`)

// check reads a typed answer to the question and returns it in the form
// kept in the run: numbers without spaces, dates as YYYY-MM-DD, phones as
// +digits, yes_no as "yes" or "no". It reports false when the answer does
// not fit.
func (a *Ask) check(text string) (string, bool) {
	text = strings.TrimSpace(text)
	if text == "" {
		return "", false
	}
	switch a.Input {
	case InputText:
		n := float64(utf8.RuneCountInString(text))
		if !a.within(n) {
			return "", false
		}
		if a.pattern != nil && !a.pattern.MatchString(text) {
			return "", false
		}
		return text, true

	case InputNumber:
		s := strings.ReplaceAll(strings.ReplaceAll(text, " ", ""), "\u00a0", "")
		s = strings.Replace(s, ",", ".", 1)
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || !a.within(f) {
			return "", false
		}
		return strconv.FormatFloat(f, 'f', -1, 64), true

	case InputDate:
		for _, layout := range []string{"02.01.2006", "2.1.2006", time.DateOnly} {
			if t, err := time.Parse(layout, text); err == nil {
				return staffbot.DateOf(t).String(), true
			}
		}
		return "", false

	case InputEmail:
		if !emailRE.MatchString(text) {
			return "", false
		}
		return strings.ToLower(text), true

	case InputPhone:
		return normalizePhone(text)

	case InputYesNo:
		switch strings.ToLower(strings.Trim(text, ".!")) {
		case "да", "д", "ага", "конечно", "yes", "y", "yeah", "lf":
			return "yes", true
		case "нет", "н", "не", "no", "n", "ytn":
			return "no", true
		}
		return "", false
	}
	return "", false
}

func (a *Ask) within(f float64) bool {
	return (a.Min == nil || f >= *a.Min) && (a.Max == nil || f <= *a.Max)
}

// normalizePhone turns a Russian number written in any usual way into
// +7XXXXXXXXXX, and any other number of 10 to 15 digits into +digits.
func normalizePhone(s string) (string, bool) {
	var digits strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == '+' || r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return "", false
		}
	}
	d := digits.String()
	switch {
	case len(d) == 11 && (d[0] == '8' || d[0] == '7'):
		return "+7" + d[1:], true
	case len(d) == 10 && d[0] == '9':
		return "+7" + d, true
	case len(d) >= 10 && len(d) <= 15:
		return "+" + d, true
	}
	return "", false
}
