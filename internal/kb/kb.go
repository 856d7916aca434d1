// Package kb is how HR edit the knowledge base ("база знаний") from the
// cabinet and the REST API: articles with their history, publishing,
// restoring an earlier version, and the questions the bot could not answer
// ("пробелы"). Every call checks the principal's permission and works in
// the principal's company only. Every change is written to the audit log
// in the transaction that makes it and bumps the knowledge base's
// revision, so the bot rebuilds its index before the next question.
package kb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/faq"
	"github.com/staffbot/staffbot/internal/store"
)

// Service edits a company's knowledge base.
type Service struct {
	Store *store.Store
	Clock staffbot.Clock

	// Auditor records every change in its transaction, and reads of the
	// questions employees asked.
	Auditor auth.Auditor
}

// The audited actions, as object.verb.
const (
	AuditCreate     = "kb_article.create"
	AuditUpdate     = "kb_article.update"
	AuditPublish    = "kb_article.publish"
	AuditUnpublish  = "kb_article.unpublish"
	AuditRestore    = "kb_article.restore"
	AuditDelete     = "kb_article.delete"
	AuditGapsRead   = "faq_gap.list"
	AuditGapDismiss = "faq_gap.dismiss"
)

// Object types of the audit records and of the routes.
const (
	ObjectArticle = "kb_article"
	ObjectGap     = "faq_gap"
)

// Input is an article as an editor sends it.
type Input struct {
	// Slug is the article's key; only a new article takes it, and an
	// empty one is made from the title.
	Slug string

	Title       string
	Questions   []string
	Answer      string
	Category    string
	Tags        []string
	Departments []string
	Offices     []string
	Attachments []store.KBAttachment

	// The owner is an employee, by id or, when OwnerID is nil, by
	// personnel number; neither means nobody.
	OwnerID     *staffbot.EmployeeID
	OwnerNumber string

	ReviewOn  string // YYYY-MM-DD, or empty
	Published bool

	// GapID, when set on a new article, closes that gap: the article is
	// the answer to it.
	GapID int64
}

// ValidationError lists every bad field of an input. It wraps
// staffbot.ErrInvalid.
type ValidationError struct {
	Problems []faq.Problem
}

func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Field + ": " + p.Message
	}
	return "article: " + strings.Join(msgs, "; ")
}

func (e *ValidationError) Unwrap() error { return staffbot.ErrInvalid }

// Field returns the first problem of a field, if any.
func (e *ValidationError) Field(name string) (faq.Problem, bool) {
	i := slices.IndexFunc(e.Problems, func(p faq.Problem) bool { return p.Field == name })
	if i < 0 {
		return faq.Problem{}, false
	}
	return e.Problems[i], true
}

// ConflictError says the article changed since the editor read it: the
// editor's version is stale. Current is the article as it is now. It
// wraps staffbot.ErrConflict.
type ConflictError struct {
	Current *store.KBArticle
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("article %s is at version %d: %v", e.Current.Slug, e.Current.Version, staffbot.ErrConflict)
}

func (e *ConflictError) Unwrap() error { return staffbot.ErrConflict }

func need(p *auth.Principal, perm auth.Permission) error {
	if !p.Can(perm) {
		return fmt.Errorf("role lacks %s: %w", perm, staffbot.ErrForbidden)
	}
	return nil
}

func (s *Service) auditor() auth.Auditor {
	if s.Auditor == nil {
		return auth.NopAuditor{}
	}
	return s.Auditor
}

// by names the principal in an article's history.
func by(p *auth.Principal) string {
	a := p.Actor()
	return string(a.Kind) + ":" + a.ID
}

// Today is the company's calendar day, which review dates are held to.
func (s *Service) Today(ctx context.Context, companyID staffbot.CompanyID) (staffbot.Date, error) {
	co, err := s.Store.FindCompanyByID(ctx, companyID)
	if err != nil {
		return staffbot.Date{}, err
	}
	return staffbot.DateOf(s.Clock.Now().In(co.Location())), nil
}

// ReviewDue reports whether the article's review date has come by today.
func ReviewDue(a *store.KBArticle, today staffbot.Date) bool {
	return a.ReviewOn != nil && !today.Before(*a.ReviewOn)
}

// List returns the company's articles that the filter keeps, by slug.
func (s *Service) List(ctx context.Context, p *auth.Principal, f store.KBFilter) ([]*store.KBArticle, error) {
	if err := need(p, auth.PermContentRead); err != nil {
		return nil, err
	}
	return s.Store.FindKBArticles(ctx, p.CompanyID, f)
}

// Get returns one of the company's articles.
func (s *Service) Get(ctx context.Context, p *auth.Principal, slug string) (*store.KBArticle, error) {
	if err := need(p, auth.PermContentRead); err != nil {
		return nil, err
	}
	return s.Store.FindKBArticle(ctx, p.CompanyID, slug)
}

// Versions returns an article's history, newest first.
func (s *Service) Versions(ctx context.Context, p *auth.Principal, slug string) ([]store.KBArticleVersion, error) {
	if err := need(p, auth.PermContentRead); err != nil {
		return nil, err
	}
	return s.Store.KBArticleVersions(ctx, p.CompanyID, slug)
}

// article checks an input and makes the article it describes, for the
// company; problems are collected, not stopped at.
func (s *Service) article(ctx context.Context, tx *store.Tx, companyID staffbot.CompanyID, slug string, in Input) (*store.KBArticle, error) {
	in = tidy(in)
	fa := faq.FileArticle{
		ID: slug, Title: in.Title, Questions: in.Questions, Answer: in.Answer, Tags: in.Tags, Category: in.Category,
		Departments: in.Departments, Offices: in.Offices, ReviewOn: in.ReviewOn,
	}
	var problems []faq.Problem
	for _, p := range fa.Check() {
		if p.Field == "id" {
			p.Field = "slug"
		}
		problems = append(problems, p)
	}
	a := &store.KBArticle{
		CompanyID: companyID, Slug: slug, Title: in.Title, Questions: in.Questions, Answer: in.Answer,
		Category: in.Category, Tags: in.Tags, Departments: in.Departments, Offices: in.Offices,
		Attachments: in.Attachments, Published: in.Published,
	}
	if in.ReviewOn != "" {
		if d, err := staffbot.ParseDate(in.ReviewOn); err == nil {
			a.ReviewOn = &d
		}
	}
	if len(in.Attachments) > faq.MaxList {
		problems = append(problems, faq.Problem{Field: "attachments", Code: "too_long",
			Message: fmt.Sprintf("at most %d attachments", faq.MaxList)})
	}
	for _, at := range in.Attachments {
		if at.Name == "" || len(at.Name) > 200 || !webLink(at.URL) {
			problems = append(problems, faq.Problem{Field: "attachments", Code: "format",
				Message: "each attachment needs a name and an http or https link"})
			break
		}
	}

	switch {
	case in.OwnerID != nil:
		if _, err := tx.FindEmployeeByID(ctx, companyID, *in.OwnerID); errors.Is(err, staffbot.ErrNotFound) || *in.OwnerID <= 0 {
			problems = append(problems, faq.Problem{Field: "owner", Code: "not_found", Message: "no such employee"})
		} else if err != nil {
			return nil, err
		}
		a.OwnerID = in.OwnerID
	case in.OwnerNumber != "":
		id, err := tx.KBOwnerByNumber(ctx, companyID, in.OwnerNumber)
		if errors.Is(err, staffbot.ErrNotFound) {
			problems = append(problems, faq.Problem{Field: "owner", Code: "not_found", Message: "no employee with this personnel number"})
		} else if err != nil {
			return nil, err
		} else {
			a.OwnerID = &id
		}
	}
	if len(problems) > 0 {
		return nil, &ValidationError{Problems: problems}
	}
	return a, nil
}

// tidy trims every field and drops empty list items.
func tidy(in Input) Input {
	list := func(l []string) []string {
		var out []string
		for _, s := range l {
			if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		return out
	}
	in.Slug, in.Title, in.Answer = strings.TrimSpace(in.Slug), strings.TrimSpace(in.Title), strings.TrimSpace(in.Answer)
	in.Category, in.ReviewOn, in.OwnerNumber = strings.TrimSpace(in.Category), strings.TrimSpace(in.ReviewOn), strings.TrimSpace(in.OwnerNumber)
	in.Questions, in.Tags = list(in.Questions), list(in.Tags)
	in.Departments, in.Offices = list(in.Departments), list(in.Offices)
	var atts []store.KBAttachment
	for _, a := range in.Attachments {
		a.Name, a.URL = strings.TrimSpace(a.Name), strings.TrimSpace(a.URL)
		if a.Name != "" || a.URL != "" {
			atts = append(atts, a)
		}
	}
	in.Attachments = atts
	return in
}

func webLink(s string) bool {
	return (strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")) && len(s) <= 2000 &&
		!strings.ContainsAny(s, " \t\r\n<>\"")
}

// Create adds an article. A slug that another article has is a problem of
// the slug field; an empty one is made from the title, with a number
// added when it is taken.
func (s *Service) Create(ctx context.Context, p *auth.Principal, in Input) (*store.KBArticle, error) {
	if err := need(p, auth.PermContentWrite); err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	var out *store.KBArticle
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		slug := strings.TrimSpace(in.Slug)
		taken := func(slug string) (bool, error) {
			_, err := tx.LockKBArticle(ctx, p.CompanyID, slug)
			if errors.Is(err, staffbot.ErrNotFound) {
				return false, nil
			}
			return err == nil, err
		}
		if slug == "" {
			base := faq.SuggestArticleID(in.Title)
			slug = base
			for n := 2; ; n++ {
				t, err := taken(slug)
				if err != nil {
					return err
				}
				if !t {
					break
				}
				slug = base + "-" + strconv.Itoa(n)
			}
		}
		a, err := s.article(ctx, tx, p.CompanyID, slug, in)
		if err != nil {
			return err
		}
		if t, err := taken(slug); err != nil {
			return err
		} else if t {
			return &ValidationError{Problems: []faq.Problem{{Field: "slug", Code: "taken", Message: "another article has this slug"}}}
		}
		if _, err := tx.SaveKBArticle(ctx, a, by(p), now); err != nil {
			return err
		}
		if in.GapID != 0 {
			// A gap closed meanwhile, or not of this company, is left as
			// it is; the article stands on its own.
			if _, err := tx.ResolveFAQGap(ctx, p.CompanyID, in.GapID, a.Slug, now); err != nil && !errors.Is(err, staffbot.ErrNotFound) {
				return err
			}
		}
		out = a
		return s.record(ctx, tx, p, now, AuditCreate, a.Slug, nil, fields(a))
	})
	return out, err
}

// Update replaces an article's text. version is the version the editor
// started from; when the article has moved on since, nothing is saved and
// the error is a *ConflictError holding the article as it is now. An
// update that changes nothing returns the article as it is.
func (s *Service) Update(ctx context.Context, p *auth.Principal, slug string, version int, in Input) (*store.KBArticle, error) {
	if err := need(p, auth.PermContentWrite); err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	var out *store.KBArticle
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		cur, err := tx.LockKBArticle(ctx, p.CompanyID, slug)
		if err != nil {
			return err
		}
		if cur.Version != version {
			return &ConflictError{Current: cur}
		}
		a, err := s.article(ctx, tx, p.CompanyID, cur.Slug, in)
		if err != nil {
			return err
		}
		changed, err := tx.SaveKBArticle(ctx, a, by(p), now)
		if err != nil || !changed {
			out = a
			return err
		}
		out = a
		return s.change(ctx, tx, p, now, AuditUpdate, cur, a)
	})
	return out, err
}

// SetPublished publishes or unpublishes an article. version, when not
// zero, must be the article's current one.
func (s *Service) SetPublished(ctx context.Context, p *auth.Principal, slug string, published bool, version int) (*store.KBArticle, error) {
	if err := need(p, auth.PermContentWrite); err != nil {
		return nil, err
	}
	action := AuditUnpublish
	if published {
		action = AuditPublish
	}
	return s.edit(ctx, p, slug, version, action, func(tx *store.Tx, a *store.KBArticle) error {
		a.Published = published
		return nil
	})
}

// Restore makes the text of an earlier version current again, as a new
// version; whether the article is published stays as it is. current, when
// not zero, must be the article's current version.
func (s *Service) Restore(ctx context.Context, p *auth.Principal, slug string, version, current int) (*store.KBArticle, error) {
	if err := need(p, auth.PermContentWrite); err != nil {
		return nil, err
	}
	return s.edit(ctx, p, slug, current, AuditRestore, func(tx *store.Tx, a *store.KBArticle) error {
		vs, err := tx.KBArticleVersions(ctx, p.CompanyID, slug)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(vs, func(v store.KBArticleVersion) bool { return v.Version == version })
		if i < 0 {
			return fmt.Errorf("article %s version %d: %w", slug, version, staffbot.ErrNotFound)
		}
		old := vs[i].Article
		id, co, ver, created, pub := a.ID, a.CompanyID, a.Version, a.CreatedAt, a.Published
		*a = old
		a.ID, a.CompanyID, a.Version, a.CreatedAt, a.Published = id, co, ver, created, pub
		return nil
	})
}

// edit changes a locked article with fn and saves it as a new version.
func (s *Service) edit(ctx context.Context, p *auth.Principal, slug string, version int, action string,
	fn func(tx *store.Tx, a *store.KBArticle) error) (*store.KBArticle, error) {
	now := s.Clock.Now()
	var out *store.KBArticle
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		cur, err := tx.LockKBArticle(ctx, p.CompanyID, slug)
		if err != nil {
			return err
		}
		if version != 0 && cur.Version != version {
			return &ConflictError{Current: cur}
		}
		a := *cur
		if err := fn(tx, &a); err != nil {
			return err
		}
		changed, err := tx.SaveKBArticle(ctx, &a, by(p), now)
		out = &a
		if err != nil || !changed {
			return err
		}
		return s.change(ctx, tx, p, now, action, cur, &a)
	})
	return out, err
}

// Delete removes an article and its history. version must be the
// article's current one, so that nobody deletes what they have not seen.
func (s *Service) Delete(ctx context.Context, p *auth.Principal, slug string, version int) error {
	if err := need(p, auth.PermContentWrite); err != nil {
		return err
	}
	now := s.Clock.Now()
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		cur, err := tx.LockKBArticle(ctx, p.CompanyID, slug)
		if err != nil {
			return err
		}
		if cur.Version != version {
			return &ConflictError{Current: cur}
		}
		if err := tx.DeleteKBArticle(ctx, p.CompanyID, slug); err != nil {
			return err
		}
		return s.record(ctx, tx, p, now, AuditDelete, slug, fields(cur), nil)
	})
}

// fields is what the audit log keeps of an article.
func fields(a *store.KBArticle) map[string]any {
	m := map[string]any{
		"title": a.Title, "questions": a.Questions, "answer": a.Answer, "category": a.Category, "tags": a.Tags,
		"departments": a.Departments, "offices": a.Offices, "attachments": a.Attachments, "published": a.Published,
		"version": a.Version,
	}
	if a.OwnerID != nil {
		m["owner_id"] = int64(*a.OwnerID)
	}
	if a.ReviewOn != nil {
		m["review_on"] = a.ReviewOn.String()
	}
	return m
}

func (s *Service) change(ctx context.Context, tx *store.Tx, p *auth.Principal, now time.Time, action string, before, after *store.KBArticle) error {
	b, a, _ := audit.Diff(fields(before), fields(after))
	return s.auditor().Record(ctx, tx, staffbot.AuditRecord{CompanyID: p.CompanyID, At: now, Actor: p.Actor(), Action: action,
		ObjectType: ObjectArticle, ObjectID: after.Slug, Before: b, After: a})
}

func (s *Service) record(ctx context.Context, tx *store.Tx, p *auth.Principal, now time.Time, action, slug string, before, after map[string]any) error {
	rec := staffbot.AuditRecord{CompanyID: p.CompanyID, At: now, Actor: p.Actor(), Action: action,
		ObjectType: ObjectArticle, ObjectID: slug}
	if before != nil {
		rec.Before = audit.JSON(before)
	}
	if after != nil {
		rec.After = audit.JSON(after)
	}
	return s.auditor().Record(ctx, tx, rec)
}

// MaxGaps bounds a list of gaps.
const MaxGaps = 200

// Gaps returns the company's open gaps of a kind ("" for both), most
// frequent first. Their samples are employees' own words, so the read is
// recorded.
func (s *Service) Gaps(ctx context.Context, p *auth.Principal, kind string, limit int) ([]store.FAQGap, error) {
	if err := need(p, auth.PermContentRead); err != nil {
		return nil, err
	}
	if kind != "" && kind != store.GapUnanswered && kind != store.GapDisliked {
		return nil, fmt.Errorf("gap kind %q: %w", kind, staffbot.ErrInvalid)
	}
	if limit <= 0 || limit > MaxGaps {
		limit = MaxGaps
	}
	gaps, err := s.Store.TopFAQGaps(ctx, p.CompanyID, kind, limit)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(gaps))
	for i, g := range gaps {
		ids[i] = g.ID
	}
	err = s.auditor().Record(ctx, nil, staffbot.AuditRecord{CompanyID: p.CompanyID, At: s.Clock.Now(), Actor: p.Actor(),
		Action: AuditGapsRead, ObjectType: ObjectGap, After: audit.JSON(map[string]any{"kind": kind, "ids": ids})})
	if err != nil {
		return nil, err
	}
	return gaps, nil
}

// Gap returns one of the company's gaps; its read is recorded.
func (s *Service) Gap(ctx context.Context, p *auth.Principal, id int64) (*store.FAQGap, error) {
	if err := need(p, auth.PermContentRead); err != nil {
		return nil, err
	}
	g, err := s.Store.FindFAQGap(ctx, p.CompanyID, id)
	if err != nil {
		return nil, err
	}
	err = s.auditor().Record(ctx, nil, staffbot.AuditRecord{CompanyID: p.CompanyID, At: s.Clock.Now(), Actor: p.Actor(),
		Action: AuditGapsRead, ObjectType: ObjectGap, ObjectID: strconv.FormatInt(id, 10)})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// DismissGap closes a gap without an article: HR decided the bot need not
// answer it. A gap closed already stays as it is.
func (s *Service) DismissGap(ctx context.Context, p *auth.Principal, id int64) error {
	if err := need(p, auth.PermContentWrite); err != nil {
		return err
	}
	now := s.Clock.Now()
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		closed, err := tx.ResolveFAQGap(ctx, p.CompanyID, id, "", now)
		if err != nil || !closed {
			return err
		}
		return s.auditor().Record(ctx, tx, staffbot.AuditRecord{CompanyID: p.CompanyID, At: now, Actor: p.Actor(),
			Action: AuditGapDismiss, ObjectType: ObjectGap, ObjectID: strconv.FormatInt(id, 10)})
	})
}
