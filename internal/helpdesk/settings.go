package helpdesk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/calendar"
	"github.com/staffbot/staffbot/internal/store"
)

// Settings are the helpdesk settings of a company as HR edits them.
type Settings struct {
	Hours         calendar.Hours
	AutoCloseDays int
	Days          []store.CalendarDay
	Categories    []*store.TicketCategory
}

// SettingsPerm is what changing the helpdesk's settings takes: queues,
// SLA targets and the calendar are HR managers' business, not operators'.
const SettingsPerm = auth.PermContentWrite

// Settings returns the company's helpdesk settings.
func (s *Service) Settings(ctx context.Context, p *auth.Principal) (*Settings, error) {
	if err := need(p, auth.PermTicketsRead); err != nil {
		return nil, err
	}
	set, err := s.Store.FindHelpdeskSettings(ctx, p.CompanyID)
	if err != nil {
		return nil, err
	}
	out := &Settings{Hours: calendar.DefaultHours(), AutoCloseDays: set.AutoCloseDays}
	if set.WorkHours != "" {
		if err := json.Unmarshal([]byte(set.WorkHours), &out.Hours); err != nil {
			return nil, err
		}
	}
	if out.Days, err = s.Store.FindCalendarDays(ctx, p.CompanyID); err != nil {
		return nil, err
	}
	if out.Categories, err = s.categories(ctx, nil, p.CompanyID); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) recordSettings(ctx context.Context, tx *store.Tx, p *auth.Principal, what string, after any) error {
	return s.auditor().Record(ctx, tx, staffbot.AuditRecord{CompanyID: p.CompanyID, At: s.Clock.Now(), Actor: p.Actor(),
		Action: AuditSettings, ObjectType: "helpdesk", ObjectID: what, After: auditJSON(after)})
}

// SaveHours sets the working week and the days of silence after which a
// resolved ticket closes (0: never).
func (s *Service) SaveHours(ctx context.Context, p *auth.Principal, hours calendar.Hours, autoCloseDays int) error {
	if err := need(p, SettingsPerm); err != nil {
		return err
	}
	if hours.Empty() || autoCloseDays < 0 || autoCloseDays > 365 {
		return fmt.Errorf("working hours must not be empty and auto-close days 0–365: %w", staffbot.ErrInvalid)
	}
	b, err := json.Marshal(hours)
	if err != nil {
		return err
	}
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SaveHelpdeskSettings(ctx, p.CompanyID, store.HelpdeskSettings{WorkHours: string(b), AutoCloseDays: autoCloseDays}); err != nil {
			return err
		}
		return s.recordSettings(ctx, tx, p, "hours", map[string]any{"hours": json.RawMessage(b), "auto_close_days": autoCloseDays})
	})
}

// SetCalendarDay changes one day of the company's calendar: kind is
// holiday, workday, short, or regular (the weekday's hours, whatever the
// production calendar says); "reset" removes the change.
func (s *Service) SetCalendarDay(ctx context.Context, p *auth.Principal, day staffbot.Date, kind, note string) error {
	if err := need(p, SettingsPerm); err != nil {
		return err
	}
	if day.IsZero() {
		return fmt.Errorf("calendar day: %w", staffbot.ErrInvalid)
	}
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		if kind == "reset" {
			if err := tx.DeleteCalendarDay(ctx, p.CompanyID, day); err != nil {
				return err
			}
		} else {
			if kind == "regular" {
				kind = ""
			}
			k, err := calendar.ParseDayKind(kind)
			if err != nil {
				return err
			}
			if err := tx.SetCalendarDay(ctx, p.CompanyID, store.CalendarDay{Day: day, Kind: string(k), Note: strings.TrimSpace(note)}); err != nil {
				return err
			}
		}
		return s.recordSettings(ctx, tx, p, "calendar", map[string]any{"day": day.String(), "kind": kind})
	})
}

// CategoryUpdate is a change to a category; nil fields stay.
type CategoryUpdate struct {
	NameRU, NameEN *string
	Keywords       []string
	AssignMode     *string
	FirstResponse  *string
	Resolution     *string
	LeadUserID     **store.UserID
	Operators      *[]store.UserID
	Archived       *bool
}

var slugRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// AddCategory adds a category with the default settings of "other".
func (s *Service) AddCategory(ctx context.Context, p *auth.Principal, slug, nameRU, nameEN string) (*store.TicketCategory, error) {
	if err := need(p, SettingsPerm); err != nil {
		return nil, err
	}
	slug, nameRU = strings.ToLower(strings.TrimSpace(slug)), strings.TrimSpace(nameRU)
	if !slugRe.MatchString(slug) || nameRU == "" {
		return nil, fmt.Errorf("category %q: a code of latin letters and digits and a Russian name are required: %w", slug, staffbot.ErrInvalid)
	}
	cats, err := s.categories(ctx, nil, p.CompanyID)
	if err != nil {
		return nil, err
	}
	c := &store.TicketCategory{CompanyID: p.CompanyID, Slug: slug, NameRU: nameRU, NameEN: strings.TrimSpace(nameEN),
		Position: len(cats) + 1, AssignMode: store.AssignRoundRobin, FirstResponse: "8h", Resolution: "5d"}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		created, err := tx.CreateTicketCategory(ctx, c)
		if err != nil {
			return err
		}
		if !created {
			return fmt.Errorf("category %q exists: %w", slug, staffbot.ErrConflict)
		}
		return s.recordSettings(ctx, tx, p, "category:"+slug, map[string]any{"name_ru": nameRU})
	})
	return c, err
}

// UpdateCategory changes a category of p's company.
func (s *Service) UpdateCategory(ctx context.Context, p *auth.Principal, id int64, u CategoryUpdate) (*store.TicketCategory, error) {
	if err := need(p, SettingsPerm); err != nil {
		return nil, err
	}
	var c *store.TicketCategory
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = tx.LockTicketCategory(ctx, p.CompanyID, id); err != nil {
			return err
		}
		if err := applyCategory(c, u); err != nil {
			return err
		}
		if u.Operators != nil || u.LeadUserID != nil {
			ops, err := s.operators(ctx, tx, p.CompanyID, nil)
			if err != nil {
				return err
			}
			for _, op := range c.Operators {
				if !containsUser(ops, op) {
					return fmt.Errorf("user %d cannot take tickets: %w", op, staffbot.ErrInvalid)
				}
			}
			if c.LeadUserID != nil {
				if _, err := tx.FindUserByID(ctx, p.CompanyID, *c.LeadUserID); err != nil {
					return fmt.Errorf("lead %d: %w", *c.LeadUserID, staffbot.ErrInvalid)
				}
			}
		}
		if err := tx.UpdateTicketCategory(ctx, c); err != nil {
			return err
		}
		return s.recordSettings(ctx, tx, p, "category:"+strconv.FormatInt(id, 10), map[string]any{
			"assign_mode": c.AssignMode, "first_response": c.FirstResponse, "resolution": c.Resolution,
			"lead_user_id": c.LeadUserID, "operators": c.Operators, "archived": c.Archived})
	})
	return c, err
}

func applyCategory(c *store.TicketCategory, u CategoryUpdate) error {
	var problems []string
	if u.NameRU != nil {
		if strings.TrimSpace(*u.NameRU) == "" {
			problems = append(problems, "the Russian name is empty")
		}
		c.NameRU = strings.TrimSpace(*u.NameRU)
	}
	if u.NameEN != nil {
		c.NameEN = strings.TrimSpace(*u.NameEN)
	}
	if u.Keywords != nil {
		c.Keywords = c.Keywords[:0]
		for _, k := range u.Keywords {
			if k = strings.TrimSpace(k); k != "" {
				c.Keywords = append(c.Keywords, strings.ToLower(k))
			}
		}
	}
	if u.AssignMode != nil {
		switch *u.AssignMode {
		case store.AssignRoundRobin, store.AssignByLoad, store.AssignManual:
			c.AssignMode = *u.AssignMode
		default:
			problems = append(problems, fmt.Sprintf("assignment %q is not round_robin, load or manual", *u.AssignMode))
		}
	}
	for _, f := range []struct {
		in  *string
		out *string
	}{{u.FirstResponse, &c.FirstResponse}, {u.Resolution, &c.Resolution}} {
		if f.in == nil {
			continue
		}
		tg, err := calendar.ParseTarget(*f.in)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		*f.out = tg.String()
	}
	if u.LeadUserID != nil {
		c.LeadUserID = *u.LeadUserID
	}
	if u.Operators != nil {
		c.Operators = *u.Operators
	}
	if u.Archived != nil {
		c.Archived = *u.Archived
	}
	if len(problems) > 0 {
		return fmt.Errorf("category %s: %s: %w", c.Slug, strings.Join(problems, "; "), staffbot.ErrInvalid)
	}
	return nil
}

// LinkArticle links a knowledge-base article to a ticket ("" unlinks).
func (s *Service) LinkArticle(ctx context.Context, p *auth.Principal, id int64, slug string) error {
	if err := need(p, auth.PermTicketsWrite); err != nil {
		return err
	}
	tk, err := s.find(ctx, p, id)
	if err != nil {
		return err
	}
	slug = strings.TrimSpace(slug)
	if slug != "" {
		if _, err := s.Store.FindKBArticle(ctx, p.CompanyID, slug); err != nil {
			if errors.Is(err, staffbot.ErrNotFound) {
				return fmt.Errorf("article %q: %w", slug, staffbot.ErrInvalid)
			}
			return err
		}
	}
	return s.setKB(ctx, p, tk.ID, slug, false)
}

// DraftArticle makes an unpublished knowledge-base article of a reply:
// the employee's first message as the question, the reply as the answer,
// and links it to the ticket. HR edits and publishes it in the knowledge
// base. It returns the article's slug.
func (s *Service) DraftArticle(ctx context.Context, p *auth.Principal, id, seq int64) (string, error) {
	if err := need(p, auth.PermContentWrite); err != nil {
		return "", err
	}
	if err := need(p, auth.PermTicketsRead); err != nil {
		return "", err
	}
	tk, err := s.find(ctx, p, id)
	if err != nil {
		return "", err
	}
	msgs, err := s.Store.FindTicketMessages(ctx, p.CompanyID, id, seq-1, false)
	if err != nil {
		return "", err
	}
	if len(msgs) == 0 || msgs[0].Seq != seq || msgs[0].Kind != store.MessageReply {
		return "", fmt.Errorf("message %d of ticket %d is not a reply: %w", seq, id, staffbot.ErrInvalid)
	}
	first, err := s.Store.FirstEmployeeMessage(ctx, p.CompanyID, id)
	if err != nil {
		return "", err
	}
	cats, err := s.categories(ctx, nil, p.CompanyID)
	if err != nil {
		return "", err
	}
	slug := fmt.Sprintf("ticket-%d-%d", tk.Number, seq)
	if _, err := s.Store.FindKBArticle(ctx, p.CompanyID, slug); err == nil {
		return slug, s.setKB(ctx, p, tk.ID, slug, false)
	}
	a := &store.KBArticle{CompanyID: p.CompanyID, Slug: slug, Title: tk.Subject, Questions: []string{first.Body},
		Answer: msgs[0].Body, Published: false}
	if a.Title == "" {
		a.Title = slug
	}
	if c := categoryByID(cats, tk.CategoryID); c != nil {
		a.Category = c.NameRU
	}
	actor := p.Actor()
	if _, err := s.Store.SaveKBArticle(ctx, a, string(actor.Kind)+":"+actor.ID, s.Clock.Now()); err != nil {
		return "", err
	}
	return slug, s.setKB(ctx, p, tk.ID, slug, true)
}

func (s *Service) setKB(ctx context.Context, p *auth.Principal, id int64, slug string, created bool) error {
	now := s.Clock.Now()
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		tk, err := tx.LockTicket(ctx, p.CompanyID, id)
		if err != nil {
			return err
		}
		tk.KBSlug, tk.UpdatedAt = slug, now
		if err := s.event(ctx, tx, tk, p.Actor(), "kb", slug, now); err != nil {
			return err
		}
		if err := tx.UpdateTicket(ctx, tk); err != nil {
			return err
		}
		return s.auditor().Record(ctx, tx, staffbot.AuditRecord{CompanyID: p.CompanyID, At: now, Actor: p.Actor(), Action: AuditKB,
			ObjectType: ObjectTicket, ObjectID: strconv.FormatInt(id, 10), SubjectID: &tk.EmployeeID,
			After: auditJSON(map[string]any{"kb_slug": slug, "created": created})})
	})
	if err == nil {
		s.changed(p.CompanyID, false)
	}
	return err
}
