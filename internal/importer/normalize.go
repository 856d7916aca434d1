package importer

import (
	"fmt"
	"math"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/staffbot/staffbot"
)

// fault says what is wrong with one value, in Russian and English. It is not
// an error on purpose: a nil *fault stored in an error would not be nil.
type fault struct {
	ru, en string
}

func faultf(ru, en string, args ...any) *fault {
	return &fault{ru: fmt.Sprintf(ru, args...), en: fmt.Sprintf(en, args...)}
}

// clean trims s and collapses every run of white space in it (including
// no-break and other Unicode spaces, tabs and line breaks) into one ASCII
// space. Invisible format characters such as a zero-width space or a stray
// BOM are dropped.
func clean(s string) string {
	if isClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = true
		case isInvisible(r):
		default:
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isClean reports whether clean would return s unchanged. Most values are,
// so this avoids building a copy of each.
func isClean(s string) bool {
	space := true // a leading space is not clean
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == ' ':
				if space {
					return false
				}
				space = true
			case c < ' ' || c == 0x7f:
				return false
			default:
				space = false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isCyrillic(r) && (unicode.IsSpace(r) || isInvisible(r)) {
			return false
		}
		space = false
		i += size
	}
	return !space || s == ""
}

func isCyrillic(r rune) bool { return r >= 0x400 && r <= 0x4ff }

// isInvisible reports whether r is a control or format character, or not a
// character at all.
func isInvisible(r rune) bool {
	return r == utf8.RuneError || unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r)
}

// parseDate reads a day as Russian files write it: 02.01.2006, 2.1.2006,
// 02.01.06, 2006-01-02, optionally followed by a time ("02.01.2006 0:00:00"),
// which is dropped. Two-digit years below 70 are 20xx, like time.Parse does.
func parseDate(s string) (staffbot.Date, *fault) {
	notDate := func() *fault {
		return faultf("не дата: «%s»; ожидается ДД.ММ.ГГГГ", "not a date: %q; expected DD.MM.YYYY", s)
	}

	day := s
	if i := strings.IndexAny(s, " T"); i > 0 {
		if !isTime(s[i+1:]) {
			return staffbot.Date{}, notDate()
		}
		day = s[:i]
	}

	var y, m, d int
	var ok bool
	if ds, ms, ys, three := split3(day, '.'); three {
		d, ok = number(ds, 1, 2)
		if ok {
			m, ok = number(ms, 1, 2)
		}
		if ok {
			y, ok = number(ys, 4, 4)
			if !ok {
				y, ok = number(ys, 2, 2)
				if ok && y < 70 {
					y += 2000
				} else if ok {
					y += 1900
				}
			}
		}
	} else if ys, ms, ds, three := split3(day, '-'); three {
		y, ok = number(ys, 4, 4)
		if ok {
			m, ok = number(ms, 1, 2)
		}
		if ok {
			d, ok = number(ds, 1, 2)
		}
	}
	if !ok {
		return staffbot.Date{}, notDate()
	}
	return makeDate(y, m, d, s)
}

// split3 splits s at sep into exactly three parts.
func split3(s string, sep byte) (a, b, c string, ok bool) {
	i := strings.IndexByte(s, sep)
	if i < 0 {
		return "", "", "", false
	}
	j := strings.IndexByte(s[i+1:], sep)
	if j < 0 {
		return "", "", "", false
	}
	j += i + 1
	if strings.IndexByte(s[j+1:], sep) >= 0 {
		return "", "", "", false
	}
	return s[:i], s[i+1 : j], s[j+1:], true
}

// makeDate checks that y, m, d name a real day in a sensible year.
func makeDate(y, m, d int, s string) (staffbot.Date, *fault) {
	if y < 1900 || y > 2100 {
		return staffbot.Date{}, faultf("год %d вне диапазона 1900–2100: «%s»",
			"year %d is outside 1900–2100: %q", y, s)
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if m < 1 || m > 12 || d < 1 || t.Day() != d {
		return staffbot.Date{}, faultf("такой даты нет: %s", "no such day: %s", s)
	}
	return staffbot.Date{Year: y, Month: time.Month(m), Day: d}, nil
}

// isTime reports whether s is a time of day such as 0:00, 00:00:00 or
// 12:30:00.000.
func isTime(s string) bool {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return false
	}
	h, ok := number(parts[0], 1, 2)
	if !ok || h > 23 {
		return false
	}
	if min, ok := number(parts[1], 2, 2); !ok || min > 59 {
		return false
	}
	if len(parts) == 3 {
		sec, _, _ := strings.Cut(parts[2], ".")
		if n, ok := number(sec, 2, 2); !ok || n > 59 {
			return false
		}
	}
	return true
}

// number reads s as a decimal number of minDigits to maxDigits digits.
func number(s string, minDigits, maxDigits int) (int, bool) {
	if len(s) < minDigits || len(s) > maxDigits {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// serialDate reads an Excel date serial number ("45292" or "45292.5"). It
// reports false when s is not a number.
func serialDate(s string, date1904 bool) (staffbot.Date, bool, *fault) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return staffbot.Date{}, false, nil
	}
	// Excel's 1900 system counts from 30.12.1899, because it treats 1900 as
	// a leap year; serials after 28.02.1900 come out right from that base.
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	if date1904 {
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if f < 1 || f > 100000 {
		return staffbot.Date{}, true, faultf("не дата: «%s»", "not a date: %q", s)
	}
	t := base.AddDate(0, 0, int(f))
	d := staffbot.DateOf(t)
	if _, fa := makeDate(d.Year, int(d.Month), d.Day, d.Russian()); fa != nil {
		return staffbot.Date{}, true, fa
	}
	return d, true, nil
}

// normalizePhone turns a Russian phone number in any usual form
// (8 912 345-67-89, +7 (912) 345-67-89, 9123456789, 79123456789) into
// +79123456789. Foreign numbers written with + and a country code keep their
// digits. Extensions and words are refused: the bot dials what it stores.
func normalizePhone(s string) (string, *fault) {
	var digits [20]byte
	n := 0
	plus := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if n == len(digits) {
				return "", faultf("слишком длинный номер телефона: «%s»",
					"the phone number is too long: %q", s)
			}
			digits[n] = c
			n++
		case c == '+' && n == 0 && !plus:
			plus = true
		case c == ' ' || c == '-' || c == '(' || c == ')' || c == '.':
		default:
			return "", faultf("в телефоне лишние символы (добавочный, второй номер?): «%s»; ожидается +7XXXXXXXXXX",
				"the phone has extra characters (an extension, a second number?): %q; expected +7XXXXXXXXXX", s)
		}
	}
	d := digits[:n]

	switch {
	case plus && n == 11 && d[0] == '7',
		plus && n >= 10 && n <= 15 && d[0] != '7':
		return "+" + string(d), nil
	case !plus && n == 11 && (d[0] == '8' || d[0] == '7'):
		d[0] = '7'
		return "+" + string(d), nil
	case !plus && n == 10:
		return "+7" + string(d), nil
	}
	return "", faultf("неверный номер телефона: «%s»; ожидается +7XXXXXXXXXX",
		"not a valid phone number: %q; expected +7XXXXXXXXXX", s)
}

// normalizeEmail checks that s is one plain address (no display name, one @,
// a dotted domain) and lowercases its domain.
func normalizeEmail(s string) (string, *fault) {
	bad := func() *fault {
		return faultf("неверный адрес электронной почты: «%s»", "not a valid e-mail address: %q", s)
	}

	if strings.Count(s, "@") != 1 || strings.ContainsAny(s, " ,;<>") {
		return "", bad()
	}
	local, domain, _ := strings.Cut(s, "@")
	if !isDotAtom(local) || !isDotAtom(domain) {
		// Not the plain form every mail system takes; let net/mail judge
		// quoted local parts and the like.
		addr, err := mail.ParseAddress(s)
		if err != nil || addr.Name != "" || addr.Address != s {
			return "", bad()
		}
	}
	if local == "" || !strings.Contains(domain, ".") ||
		strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.Contains(domain, "..") {
		return "", bad()
	}
	if lower := strings.ToLower(domain); lower != domain {
		return local + "@" + lower, nil
	}
	return s, nil
}

// isDotAtom reports whether s is an RFC 5322 dot-atom: ASCII letters, digits
// and !#$%&'*+-/=?^_`{|}~ in dot-separated non-empty parts. net/mail accepts
// every such local part and domain.
func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.':
		case strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
