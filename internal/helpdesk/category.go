package helpdesk

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/store"
)

// DefaultCategories are the categories a company starts with. The SLA
// targets follow the Labour Code where it sets one: work-related
// documents are due within three working days of the request (art. 62).
var DefaultCategories = []store.TicketCategory{
	{Slug: "hr", NameRU: "Кадры", NameEN: "Personnel", FirstResponse: "4h", Resolution: "3d",
		Keywords: []string{"перевод", "увольн", "уволи", "прием", "приём", "трудов", "договор", "должност", "график",
			"больничн", "фамили", "паспорт", "персональн", "испытательн", "совмест", "кадров"}},
	{Slug: "pay", NameRU: "Зарплата", NameEN: "Pay", FirstResponse: "4h", Resolution: "3d",
		Keywords: []string{"зарплат", "зп", "оклад", "преми", "выплат", "аванс", "расчетн", "расчётн", "удержан",
			"ндфл", "вычет", "начислен", "деньг", "карт", "salary", "pay"}},
	{Slug: "leave", NameRU: "Отпуск", NameEN: "Leave", FirstResponse: "4h", Resolution: "3d",
		Keywords: []string{"отпуск", "отгул", "отпускн", "перенос отпуск", "график отпусков", "vacation", "leave"}},
	{Slug: "docs", NameRU: "Справки", NameEN: "Certificates", FirstResponse: "4h", Resolution: "3d",
		Keywords: []string{"справк", "копи", "выписк", "2-ндфл", "стд-р", "182н", "заверен", "certificate"}},
	{Slug: "access", NameRU: "Доступы и оборудование", NameEN: "Access and equipment", FirstResponse: "2h", Resolution: "1d",
		Keywords: []string{"доступ", "парол", "ноутбук", "компьютер", "пропуск", "почт", "vpn", "впн", "принтер",
			"монитор", "учетн", "учётн", "логин", "телефон", "оборудован", "laptop", "password"}},
	{Slug: "other", NameRU: "Другое", NameEN: "Other", FirstResponse: "8h", Resolution: "5d"},
}

// categories returns the company's categories, creating the defaults the
// first time. Archived ones are included; callers skip them where needed.
func (s *Service) categories(ctx context.Context, tx *store.Tx, companyID staffbot.CompanyID) ([]*store.TicketCategory, error) {
	find := s.Store.FindTicketCategories
	if tx != nil {
		find = tx.FindTicketCategoriesTx
	}
	cats, err := find(ctx, companyID)
	if err != nil || len(cats) > 0 {
		return cats, err
	}
	seed := func(tx *store.Tx) error {
		for i, c := range DefaultCategories {
			c.CompanyID, c.Position, c.AssignMode = companyID, i+1, store.AssignRoundRobin
			if _, err := tx.CreateTicketCategory(ctx, &c); err != nil {
				return err
			}
		}
		return nil
	}
	if tx != nil {
		if err := seed(tx); err != nil {
			return nil, err
		}
	} else if err := s.Store.InTx(ctx, seed); err != nil {
		return nil, err
	}
	return find(ctx, companyID)
}

// Suggest picks the category whose keywords the text mentions most; nil
// when none is mentioned or when two categories tie for the most, so that
// the caller falls back to the catch-all category instead of an arbitrary
// first one. A keyword matches a whole word or, as a stem, the start of a
// word (see stemMatches); a keyword holding a space or a hyphen matches
// anywhere in the text.
func Suggest(cats []*store.TicketCategory, text string) *store.TicketCategory {
	norm := strings.ReplaceAll(strings.ToLower(text), "ё", "е")
	words := strings.FieldsFunc(norm, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-'
	})
	var (
		best  *store.TicketCategory
		score int
		tie   bool
	)
	for _, c := range cats {
		if c.Archived {
			continue
		}
		n := 0
		for _, k := range c.Keywords {
			k = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(k)), "ё", "е")
			if k == "" {
				continue
			}
			if strings.ContainsAny(k, " -") {
				if strings.Contains(norm, k) {
					n += 2
				}
				continue
			}
			for _, w := range words {
				if stemMatches(w, k) {
					n++
				}
			}
		}
		switch {
		case n > score:
			best, score, tie = c, n, false
		case n > 0 && n == score:
			tie = true
		}
	}
	if tie {
		return nil
	}
	return best
}

// shortStem is the length, in letters, up to which a keyword is too short
// to stand for any word it begins: "карт" is the stem of "карта" and
// "картой", not of "картридж".
const (
	shortStem   = 4
	maxEndingOf = 3 // letters a short stem may be followed by (an ending)
)

// stemMatches reports whether keyword k is word w or a stem of it. A long
// keyword matches any word it begins; a short one only when at most an
// ending follows it.
func stemMatches(w, k string) bool {
	if !strings.HasPrefix(w, k) {
		return false
	}
	if utf8.RuneCountInString(k) > shortStem {
		return true
	}
	return utf8.RuneCountInString(w[len(k):]) <= maxEndingOf
}

// categoryBySlug finds a category by slug or by name in either language.
func categoryBySlug(cats []*store.TicketCategory, key string) *store.TicketCategory {
	key = strings.TrimSpace(key)
	for _, c := range cats {
		if c.Archived {
			continue
		}
		if strings.EqualFold(c.Slug, key) || strings.EqualFold(c.NameRU, key) || strings.EqualFold(c.NameEN, key) {
			return c
		}
	}
	return nil
}

func categoryByID(cats []*store.TicketCategory, id int64) *store.TicketCategory {
	for _, c := range cats {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// fallbackCategory is "other", or the last active category.
func fallbackCategory(cats []*store.TicketCategory) *store.TicketCategory {
	if c := categoryBySlug(cats, "other"); c != nil {
		return c
	}
	for i := len(cats) - 1; i >= 0; i-- {
		if !cats[i].Archived {
			return cats[i]
		}
	}
	return nil
}
