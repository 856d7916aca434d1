package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
)

// Fields bound into the FAQ's sealed values.
const (
	fieldFAQQuestion = "faq_question"
	fieldHRRequest   = "hr_request"
	fieldLLMKey      = "llm_key"
)

func init() {
	sealedColumns = append(sealedColumns,
		sealedColumn{"faq_questions", "text_sealed", fieldFAQQuestion, "company_id"},
		sealedColumn{"hr_requests", "text_sealed", fieldHRRequest, "company_id"},
		sealedColumn{"faq_settings", "llm_key_sealed", fieldLLMKey, "company_id"},
	)
}

// KBArticle is a knowledge-base article as HR edits it ("статья базы
// знаний"). Only published articles are ever answered, and only to the
// departments and offices it names, when it names any.
type KBArticle struct {
	ID        int64
	CompanyID staffbot.CompanyID

	// Slug is the article's stable key, the "id" of kb.json.
	Slug string

	Title     string
	Questions []string // typical phrasings
	Answer    string   // markup: *bold*, _italic_, [text](url)
	Category  string
	Tags      []string

	Departments []string // empty: every department
	Offices     []string // empty: every office

	Attachments []KBAttachment

	OwnerID  *staffbot.EmployeeID // who keeps it up to date
	ReviewOn *staffbot.Date       // when it should be checked again

	Published bool
	Version   int

	CreatedAt time.Time
	UpdatedAt time.Time
	UpdatedBy string
}

// KBAttachment is a file or link shown under an answer.
type KBAttachment struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// KBArticleVersion is one saved state of an article.
type KBArticleVersion struct {
	Version int
	Article KBArticle
	SavedAt time.Time
	SavedBy string
}

// kbSnapshot is how a version is kept: the editable fields only.
type kbSnapshot struct {
	Slug        string         `json:"slug"`
	Title       string         `json:"title"`
	Questions   []string       `json:"questions"`
	Answer      string         `json:"answer"`
	Category    string         `json:"category,omitempty"`
	Tags        []string       `json:"tags"`
	Departments []string       `json:"departments,omitempty"`
	Offices     []string       `json:"offices,omitempty"`
	Attachments []KBAttachment `json:"attachments,omitempty"`
	OwnerID     *int64         `json:"owner_id,omitempty"`
	ReviewOn    string         `json:"review_on,omitempty"`
	Published   bool           `json:"published"`
}

func snapshotOf(a *KBArticle) kbSnapshot {
	s := kbSnapshot{
		Slug: a.Slug, Title: a.Title, Questions: nonNil(a.Questions), Answer: a.Answer, Category: a.Category,
		Tags: nonNil(a.Tags), Departments: a.Departments, Offices: a.Offices, Attachments: a.Attachments,
		Published: a.Published,
	}
	if a.OwnerID != nil {
		id := int64(*a.OwnerID)
		s.OwnerID = &id
	}
	if a.ReviewOn != nil {
		s.ReviewOn = a.ReviewOn.String()
	}
	return s
}

func (s kbSnapshot) apply(a *KBArticle) {
	a.Slug, a.Title, a.Questions, a.Answer, a.Category = s.Slug, s.Title, s.Questions, s.Answer, s.Category
	a.Tags, a.Departments, a.Offices, a.Attachments, a.Published = s.Tags, s.Departments, s.Offices, s.Attachments, s.Published
	a.OwnerID, a.ReviewOn = nil, nil
	if s.OwnerID != nil {
		id := staffbot.EmployeeID(*s.OwnerID)
		a.OwnerID = &id
	}
	if d, err := staffbot.ParseDate(s.ReviewOn); err == nil {
		a.ReviewOn = &d
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func validateKBArticle(a *KBArticle) error {
	var problems []string
	if a.Slug == "" || len(a.Slug) > 80 || strings.ContainsAny(a.Slug, " /?#\t\n") {
		problems = append(problems, fmt.Sprintf("slug %q must be 1-80 characters without spaces or slashes", a.Slug))
	}
	if strings.TrimSpace(a.Title) == "" {
		problems = append(problems, "title is empty")
	}
	if strings.TrimSpace(a.Answer) == "" {
		problems = append(problems, "answer is empty")
	}
	if len(problems) > 0 {
		return fmt.Errorf("article %q: %s: %w", a.Slug, strings.Join(problems, "; "), staffbot.ErrInvalid)
	}
	return nil
}

const kbColumns = `id, company_id, slug, title, questions, answer, category, tags, departments, offices,
	attachments, owner_id, review_on, published, version, created_at, updated_at, updated_by`

func scanKBArticle(row scanner) (*KBArticle, error) {
	var (
		a                                   KBArticle
		questions, tags, depts, offs, attch string
		owner                               sql.NullInt64
		review                              sql.NullString
		published                           int
		created, updated                    int64
	)
	err := row.Scan(&a.ID, &a.CompanyID, &a.Slug, &a.Title, &questions, &a.Answer, &a.Category, &tags, &depts,
		&offs, &attch, &owner, &review, &published, &a.Version, &created, &updated, &a.UpdatedBy)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		raw string
		to  any
	}{{questions, &a.Questions}, {tags, &a.Tags}, {depts, &a.Departments}, {offs, &a.Offices}, {attch, &a.Attachments}} {
		if err := json.Unmarshal([]byte(f.raw), f.to); err != nil {
			return nil, fmt.Errorf("article %d: %w", a.ID, err)
		}
	}
	if owner.Valid {
		id := staffbot.EmployeeID(owner.Int64)
		a.OwnerID = &id
	}
	if review.Valid && review.String != "" {
		d, err := staffbot.ParseDate(review.String)
		if err != nil {
			return nil, fmt.Errorf("article %d review date: %w", a.ID, err)
		}
		a.ReviewOn = &d
	}
	a.Published = published != 0
	a.CreatedAt, a.UpdatedAt = fromMillis(created), fromMillis(updated)
	return &a, nil
}

func jsonList[T any](v []T) string {
	if v == nil {
		return "[]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// SaveKBArticle creates the article or, when the company has one with the
// same slug, replaces its text. A save that changes anything becomes a new
// version, kept in the history; one that changes nothing is not written.
// It reports whether something changed.
func (s *Store) SaveKBArticle(ctx context.Context, a *KBArticle, by string, now time.Time) (bool, error) {
	var changed bool
	err := s.InTx(ctx, func(tx *Tx) error {
		var err error
		changed, err = tx.saveKBArticle(ctx, a, by, now)
		return err
	})
	return changed, err
}

func (t *Tx) saveKBArticle(ctx context.Context, a *KBArticle, by string, now time.Time) (bool, error) {
	if err := validateKBArticle(a); err != nil {
		return false, err
	}
	old, err := t.findKBArticle(ctx, a.CompanyID, a.Slug, true)
	switch {
	case errors.Is(err, staffbot.ErrNotFound):
		old = nil
	case err != nil:
		return false, err
	}

	var review sql.NullString
	if a.ReviewOn != nil {
		review = sql.NullString{String: a.ReviewOn.String(), Valid: true}
	}
	var owner sql.NullInt64
	if a.OwnerID != nil {
		owner = sql.NullInt64{Int64: int64(*a.OwnerID), Valid: true}
	}
	pub := 0
	if a.Published {
		pub = 1
	}

	if old == nil {
		a.Version, a.CreatedAt, a.UpdatedAt, a.UpdatedBy = 1, now, now, by
		err := t.queryRow(ctx, `INSERT INTO kb_articles (company_id, slug, title, questions, answer, category, tags,
			departments, offices, attachments, owner_id, review_on, published, version, created_at, updated_at, updated_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			a.CompanyID, a.Slug, a.Title, jsonList(a.Questions), a.Answer, a.Category, jsonList(a.Tags),
			jsonList(a.Departments), jsonList(a.Offices), jsonList(a.Attachments), owner, review, pub, a.Version,
			millis(now), millis(now), by).Scan(&a.ID)
		if isUniqueViolation(err) {
			// Another transaction created the slug after our look.
			return false, fmt.Errorf("article %s exists: %w", a.Slug, staffbot.ErrConflict)
		}
		if err != nil {
			return false, fmt.Errorf("insert article %s: %w", a.Slug, err)
		}
	} else {
		oldSnap, _ := json.Marshal(snapshotOf(old))
		newSnap, _ := json.Marshal(snapshotOf(a))
		if string(oldSnap) == string(newSnap) {
			*a = *old
			return false, nil
		}
		a.ID, a.Version, a.CreatedAt, a.UpdatedAt, a.UpdatedBy = old.ID, old.Version+1, old.CreatedAt, now, by
		_, err := t.exec(ctx, `UPDATE kb_articles SET title = ?, questions = ?, answer = ?, category = ?, tags = ?,
			departments = ?, offices = ?, attachments = ?, owner_id = ?, review_on = ?, published = ?, version = ?,
			updated_at = ?, updated_by = ? WHERE company_id = ? AND id = ?`,
			a.Title, jsonList(a.Questions), a.Answer, a.Category, jsonList(a.Tags), jsonList(a.Departments),
			jsonList(a.Offices), jsonList(a.Attachments), owner, review, pub, a.Version, millis(now), by,
			a.CompanyID, a.ID)
		if err != nil {
			return false, fmt.Errorf("update article %s: %w", a.Slug, err)
		}
	}

	snap, err := json.Marshal(snapshotOf(a))
	if err != nil {
		return false, err
	}
	_, err = t.exec(ctx, `INSERT INTO kb_article_versions (company_id, article_id, version, snapshot, saved_at, saved_by)
		VALUES (?, ?, ?, ?, ?, ?)`, a.CompanyID, a.ID, a.Version, string(snap), millis(now), by)
	if err != nil {
		return false, fmt.Errorf("record version %d of %s: %w", a.Version, a.Slug, err)
	}
	return true, t.bumpKBRevision(ctx, a.CompanyID)
}

// KBImportSummary counts what an import did.
type KBImportSummary struct {
	Created, Updated, Unchanged int
}

// ImportKB saves every article in one transaction: all or nothing.
// Articles of the company that the import does not mention are kept.
func (s *Store) ImportKB(ctx context.Context, companyID staffbot.CompanyID, arts []*KBArticle, by string, now time.Time) (KBImportSummary, error) {
	var sum KBImportSummary
	err := s.InTx(ctx, func(tx *Tx) error {
		sum = KBImportSummary{}
		for _, a := range arts {
			a.CompanyID = companyID
			version := a.Version
			changed, err := tx.saveKBArticle(ctx, a, by, now)
			if err != nil {
				return err
			}
			switch {
			case !changed:
				sum.Unchanged++
			case a.Version == 1 && version == 0:
				sum.Created++
			default:
				sum.Updated++
			}
		}
		return nil
	})
	return sum, err
}

// LockKBArticle returns the company's article with the slug, locked for
// the rest of the transaction.
func (t *Tx) LockKBArticle(ctx context.Context, companyID staffbot.CompanyID, slug string) (*KBArticle, error) {
	return t.findKBArticle(ctx, companyID, slug, true)
}

// SaveKBArticle is SaveKBArticle inside a transaction.
func (t *Tx) SaveKBArticle(ctx context.Context, a *KBArticle, by string, now time.Time) (bool, error) {
	return t.saveKBArticle(ctx, a, by, now)
}

// KBOwnerByNumber returns the id of the company's employee with the
// personnel number, for naming an article's owner.
func (t *Tx) KBOwnerByNumber(ctx context.Context, companyID staffbot.CompanyID, number string) (staffbot.EmployeeID, error) {
	var id staffbot.EmployeeID
	err := t.queryRow(ctx, "SELECT id FROM employees WHERE company_id = ? AND personnel_number = ?", companyID, number).Scan(&id)
	if err != nil {
		return 0, notFound(err, "find employee "+number)
	}
	return id, nil
}

// FindKBArticle returns the company's article with the slug.
func (s *Store) FindKBArticle(ctx context.Context, companyID staffbot.CompanyID, slug string) (*KBArticle, error) {
	a, err := scanKBArticle(s.queryRow(ctx, "SELECT "+kbColumns+" FROM kb_articles WHERE company_id = ? AND slug = ?",
		companyID, slug))
	if err != nil {
		return nil, notFound(err, "find article "+slug)
	}
	return a, nil
}

func (t *Tx) findKBArticle(ctx context.Context, companyID staffbot.CompanyID, slug string, lock bool) (*KBArticle, error) {
	q := "SELECT " + kbColumns + " FROM kb_articles WHERE company_id = ? AND slug = ?"
	if lock {
		q += t.s.forUpdate()
	}
	a, err := scanKBArticle(t.queryRow(ctx, q, companyID, slug))
	if err != nil {
		return nil, notFound(err, "find article "+slug)
	}
	return a, nil
}

// KBFilter narrows FindKBArticles.
type KBFilter struct {
	PublishedOnly bool
	DraftsOnly    bool
	// DueBy, when set, keeps articles whose review date is on or before it.
	DueBy *staffbot.Date
	// Category keeps the articles of one category, Tag those with the tag
	// (either ignoring case).
	Category string
	Tag      string
	// Query keeps articles whose title or sample questions hold every word
	// of it, ignoring case and ё.
	Query string
}

// FindKBArticles lists the company's articles by slug.
func (s *Store) FindKBArticles(ctx context.Context, companyID staffbot.CompanyID, f KBFilter) ([]*KBArticle, error) {
	return findKBArticles(ctx, s.query, companyID, f)
}

// FindKBArticles is FindKBArticles inside a transaction.
func (t *Tx) FindKBArticles(ctx context.Context, companyID staffbot.CompanyID, f KBFilter) ([]*KBArticle, error) {
	return findKBArticles(ctx, t.query, companyID, f)
}

func findKBArticles(ctx context.Context, query func(context.Context, string, ...any) (*sql.Rows, error),
	companyID staffbot.CompanyID, f KBFilter) ([]*KBArticle, error) {
	q := "SELECT " + kbColumns + " FROM kb_articles WHERE company_id = ?"
	args := []any{companyID}
	switch {
	case f.PublishedOnly:
		q += " AND published = 1"
	case f.DraftsOnly:
		q += " AND published = 0"
	}
	if f.DueBy != nil {
		q += " AND review_on IS NOT NULL AND review_on <> '' AND review_on <= ?"
		args = append(args, f.DueBy.String())
	}
	rows, err := query(ctx, q+" ORDER BY slug", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	words := strings.Fields(kbFold(f.Query))
	var out []*KBArticle
	for rows.Next() {
		a, err := scanKBArticle(rows)
		if err != nil {
			return nil, err
		}
		if f.Category != "" && !strings.EqualFold(strings.TrimSpace(a.Category), strings.TrimSpace(f.Category)) {
			continue
		}
		if f.Tag != "" && !slices.ContainsFunc(a.Tags, func(t string) bool { return strings.EqualFold(t, strings.TrimSpace(f.Tag)) }) {
			continue
		}
		if len(words) > 0 {
			text := kbFold(a.Title + "\n" + strings.Join(a.Questions, "\n"))
			if slices.ContainsFunc(words, func(w string) bool { return !strings.Contains(text, w) }) {
				continue
			}
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// kbFold lower-cases s and writes ё as е, as the search compares text.
func kbFold(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), "ё", "е")
}

// SetKBArticlePublished publishes or unpublishes an article, as a new
// version.
func (s *Store) SetKBArticlePublished(ctx context.Context, companyID staffbot.CompanyID, slug string, published bool, by string, now time.Time) error {
	return s.InTx(ctx, func(tx *Tx) error {
		a, err := tx.findKBArticle(ctx, companyID, slug, true)
		if err != nil {
			return err
		}
		a.Published = published
		_, err = tx.saveKBArticle(ctx, a, by, now)
		return err
	})
}

// DeleteKBArticle removes an article and its history.
func (s *Store) DeleteKBArticle(ctx context.Context, companyID staffbot.CompanyID, slug string) error {
	return s.InTx(ctx, func(tx *Tx) error { return tx.DeleteKBArticle(ctx, companyID, slug) })
}

// DeleteKBArticle is DeleteKBArticle inside a transaction.
func (t *Tx) DeleteKBArticle(ctx context.Context, companyID staffbot.CompanyID, slug string) error {
	res, err := t.exec(ctx, "DELETE FROM kb_articles WHERE company_id = ? AND slug = ?", companyID, slug)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete article %s: %w", slug, staffbot.ErrNotFound)
	}
	// Questions whose answer from this article was disliked now have no
	// answer at all: HR should still see them, as unanswered.
	_, err = t.exec(ctx, `UPDATE faq_gaps SET kind = ?, article_slug = ''
		WHERE company_id = ? AND article_slug = ? AND resolved_at IS NULL`, GapUnanswered, companyID, slug)
	if err != nil {
		return err
	}
	return t.bumpKBRevision(ctx, companyID)
}

// KBArticleVersions returns an article's history, newest first.
func (s *Store) KBArticleVersions(ctx context.Context, companyID staffbot.CompanyID, slug string) ([]KBArticleVersion, error) {
	a, err := s.FindKBArticle(ctx, companyID, slug)
	if err != nil {
		return nil, err
	}
	return kbArticleVersions(ctx, s.query, a)
}

// KBArticleVersions is KBArticleVersions inside a transaction.
func (t *Tx) KBArticleVersions(ctx context.Context, companyID staffbot.CompanyID, slug string) ([]KBArticleVersion, error) {
	a, err := t.findKBArticle(ctx, companyID, slug, false)
	if err != nil {
		return nil, err
	}
	return kbArticleVersions(ctx, t.query, a)
}

func kbArticleVersions(ctx context.Context, query func(context.Context, string, ...any) (*sql.Rows, error),
	a *KBArticle) ([]KBArticleVersion, error) {
	rows, err := query(ctx, `SELECT version, snapshot, saved_at, saved_by FROM kb_article_versions
		WHERE company_id = ? AND article_id = ? ORDER BY version DESC`, a.CompanyID, a.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []KBArticleVersion
	for rows.Next() {
		var (
			v    KBArticleVersion
			raw  string
			at   int64
			snap kbSnapshot
		)
		if err := rows.Scan(&v.Version, &raw, &at, &v.SavedBy); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(raw), &snap); err != nil {
			return nil, fmt.Errorf("article %s version %d: %w", a.Slug, v.Version, err)
		}
		v.Article = KBArticle{ID: a.ID, CompanyID: a.CompanyID, Version: v.Version}
		snap.apply(&v.Article)
		v.SavedAt = fromMillis(at)
		out = append(out, v)
	}
	return out, rows.Err()
}

// RestoreKBArticle makes an earlier version current again, as a new
// version.
func (s *Store) RestoreKBArticle(ctx context.Context, companyID staffbot.CompanyID, slug string, version int, by string, now time.Time) error {
	vs, err := s.KBArticleVersions(ctx, companyID, slug)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(vs, func(v KBArticleVersion) bool { return v.Version == version })
	if i < 0 {
		return fmt.Errorf("article %s version %d: %w", slug, version, staffbot.ErrNotFound)
	}
	a := vs[i].Article
	a.CompanyID = companyID
	_, err = s.SaveKBArticle(ctx, &a, by, now)
	return err
}

func (t *Tx) bumpKBRevision(ctx context.Context, companyID staffbot.CompanyID) error {
	_, err := t.exec(ctx, `INSERT INTO faq_settings (company_id, kb_revision) VALUES (?, 1)
		ON CONFLICT (company_id) DO UPDATE SET kb_revision = faq_settings.kb_revision + 1`, companyID)
	return err
}

// KBRevision returns a number that changes whenever the company's
// knowledge base does, so a cached index can tell it is stale.
func (t *Tx) KBRevision(ctx context.Context, companyID staffbot.CompanyID) (int64, error) {
	if m := t.memo; m != nil && m.pending && m.company == companyID {
		return m.kbRevision, nil
	}
	var rev int64
	err := t.queryRow(ctx, "SELECT kb_revision FROM faq_settings WHERE company_id = ?", companyID).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return rev, err
}

// KBRevision is KBRevision outside a transaction.
func (s *Store) KBRevision(ctx context.Context, companyID staffbot.CompanyID) (int64, error) {
	var rev int64
	err := s.queryRow(ctx, "SELECT kb_revision FROM faq_settings WHERE company_id = ?", companyID).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return rev, err
}

// FAQSettings are a company's settings of the optional generative layer.
// The key is sealed at rest.
type FAQSettings struct {
	LLMEnabled bool
	LLMURL     string // an OpenAI-compatible chat-completions URL
	LLMModel   string
	LLMKey     string
	LLMTimeout time.Duration
}

// FAQSettings returns the company's settings; a company that never set
// any gets the zero value, with the generative layer off.
func (s *Store) FAQSettings(ctx context.Context, companyID staffbot.CompanyID) (FAQSettings, error) {
	var (
		f       FAQSettings
		enabled int
		sealed  string
		timeout int64
	)
	err := s.queryRow(ctx, `SELECT llm_enabled, llm_url, llm_model, llm_key_sealed, llm_timeout_ms
		FROM faq_settings WHERE company_id = ?`, companyID).Scan(&enabled, &f.LLMURL, &f.LLMModel, &sealed, &timeout)
	if errors.Is(err, sql.ErrNoRows) {
		return FAQSettings{}, nil
	}
	if err != nil {
		return FAQSettings{}, err
	}
	f.LLMEnabled = enabled != 0
	f.LLMTimeout = time.Duration(timeout) * time.Millisecond
	if f.LLMKey, err = s.OpenValue(ctx, companyID, fieldLLMKey, sealed); err != nil {
		return FAQSettings{}, fmt.Errorf("company %d model key: %w", companyID, err)
	}
	return f, nil
}

// SaveFAQSettings stores the company's settings, sealing the key.
func (s *Store) SaveFAQSettings(ctx context.Context, companyID staffbot.CompanyID, f FAQSettings) error {
	return s.InTx(ctx, func(tx *Tx) error {
		sealed, err := tx.SealValue(ctx, companyID, fieldLLMKey, f.LLMKey)
		if err != nil {
			return err
		}
		enabled := 0
		if f.LLMEnabled {
			enabled = 1
		}
		_, err = tx.exec(ctx, `INSERT INTO faq_settings (company_id, llm_enabled, llm_url, llm_model, llm_key_sealed, llm_timeout_ms)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (company_id) DO UPDATE SET llm_enabled = excluded.llm_enabled, llm_url = excluded.llm_url,
			llm_model = excluded.llm_model, llm_key_sealed = excluded.llm_key_sealed, llm_timeout_ms = excluded.llm_timeout_ms`,
			companyID, enabled, f.LLMURL, f.LLMModel, sealed, f.LLMTimeout.Milliseconds())
		return err
	})
}

// FAQ question outcomes: what the bot did with a question, and what the
// employee said of it.
const (
	FAQAnswered   = "answered"   // answered with an article
	FAQGenerating = "generating" // the generative layer is phrasing the answer
	FAQOffered    = "offered"    // offered a few articles to choose from
	FAQUnknown    = "unknown"    // said it does not know
	FAQHelped     = "helped"     // the employee said the answer helped
	FAQDisliked   = "disliked"   // the employee said it did not help
	FAQToHR       = "to_hr"      // passed to HR
)

// Kinds of knowledge-base gaps.
const (
	GapUnanswered = "unanswered"
	GapDisliked   = "disliked"
)

// FAQQuestion is one question asked in the chat.
type FAQQuestion struct {
	ID          int64
	CompanyID   staffbot.CompanyID
	EmployeeID  staffbot.EmployeeID
	Text        string   // the employee's words; sealed at rest, never logged
	Terms       []string // the engine's reading of it, for grouping
	Band        string
	ArticleSlug string
	Confidence  float64
	Outcome     string
	GapID       *int64
	CreatedAt   time.Time
}

// CreateFAQQuestion records a question, sealing its text.
func (t *Tx) CreateFAQQuestion(ctx context.Context, q *FAQQuestion) error {
	sealed, err := t.SealValue(ctx, q.CompanyID, fieldFAQQuestion, q.Text)
	if err != nil {
		return err
	}
	return t.queryRow(ctx, `INSERT INTO faq_questions (company_id, employee_id, text_sealed, terms, band, article_slug,
		confidence, outcome, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		q.CompanyID, q.EmployeeID, sealed, strings.Join(q.Terms, " "), q.Band, q.ArticleSlug, q.Confidence,
		q.Outcome, millis(q.CreatedAt)).Scan(&q.ID)
}

const faqQuestionColumns = `id, company_id, employee_id, text_sealed, terms, band, article_slug, confidence, outcome,
	gap_id, created_at`

func (s *Store) scanFAQQuestion(row scanner) (*FAQQuestion, error) {
	var (
		q       FAQQuestion
		sealed  string
		terms   string
		gap     sql.NullInt64
		created int64
	)
	err := row.Scan(&q.ID, &q.CompanyID, &q.EmployeeID, &sealed, &terms, &q.Band, &q.ArticleSlug, &q.Confidence,
		&q.Outcome, &gap, &created)
	if err != nil {
		return nil, err
	}
	if q.Text, err = s.OpenValue(context.Background(), q.CompanyID, fieldFAQQuestion, sealed); err != nil {
		return nil, fmt.Errorf("question %d: %w", q.ID, err)
	}
	q.Terms = strings.Fields(terms)
	if gap.Valid {
		q.GapID = &gap.Int64
	}
	q.CreatedAt = fromMillis(created)
	return &q, nil
}

// FindFAQQuestion returns a question of the company, locking it for the
// rest of the transaction.
func (t *Tx) FindFAQQuestion(ctx context.Context, companyID staffbot.CompanyID, id int64) (*FAQQuestion, error) {
	q, err := t.s.scanFAQQuestion(t.queryRow(ctx, "SELECT "+faqQuestionColumns+
		" FROM faq_questions WHERE company_id = ? AND id = ?"+t.s.forUpdate(), companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("find question %d", id))
	}
	return q, nil
}

// FindFAQQuestion is FindFAQQuestion outside a transaction, without the lock.
func (s *Store) FindFAQQuestion(ctx context.Context, companyID staffbot.CompanyID, id int64) (*FAQQuestion, error) {
	q, err := s.scanFAQQuestion(s.queryRow(ctx, "SELECT "+faqQuestionColumns+
		" FROM faq_questions WHERE company_id = ? AND id = ?", companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("find question %d", id))
	}
	return q, nil
}

// FindFAQQuestions lists the company's questions with an outcome, oldest
// first, at most limit of them.
func (s *Store) FindFAQQuestions(ctx context.Context, companyID staffbot.CompanyID, outcome string, before time.Time, limit int) ([]*FAQQuestion, error) {
	rows, err := s.query(ctx, "SELECT "+faqQuestionColumns+
		" FROM faq_questions WHERE company_id = ? AND outcome = ? AND created_at < ? ORDER BY id LIMIT ?",
		companyID, outcome, millis(before), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*FAQQuestion
	for rows.Next() {
		q, err := s.scanFAQQuestion(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// SetFAQOutcome records what became of a question.
func (t *Tx) SetFAQOutcome(ctx context.Context, companyID staffbot.CompanyID, id int64, outcome string) error {
	_, err := t.exec(ctx, "UPDATE faq_questions SET outcome = ? WHERE company_id = ? AND id = ?", outcome, companyID, id)
	return err
}

// SwapFAQOutcome changes a question's outcome from one value to another,
// and reports whether it was the one to do so.
func (t *Tx) SwapFAQOutcome(ctx context.Context, companyID staffbot.CompanyID, id int64, from, to string) (bool, error) {
	res, err := t.exec(ctx, "UPDATE faq_questions SET outcome = ? WHERE company_id = ? AND id = ? AND outcome = ?",
		to, companyID, id, from)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SetFAQArticle records which article a question was answered with.
func (t *Tx) SetFAQArticle(ctx context.Context, companyID staffbot.CompanyID, id int64, slug string) error {
	_, err := t.exec(ctx, "UPDATE faq_questions SET article_slug = ? WHERE company_id = ? AND id = ?", slug, companyID, id)
	return err
}

// gapSimilarity is how alike two questions' terms must be (Jaccard) to
// count as the same gap.
const gapSimilarity = 0.5

// RecordFAQGap counts a question as unanswered or disliked, in the group of
// similar questions it belongs to: the open group of that kind (and
// article, for dislikes) whose terms overlap its own the most, at least by
// half, or a new group. It returns the group's id.
func (t *Tx) RecordFAQGap(ctx context.Context, q *FAQQuestion, kind string, now time.Time) (int64, error) {
	slug := ""
	if kind == GapDisliked {
		slug = q.ArticleSlug
	}
	rows, err := t.query(ctx, `SELECT id, terms FROM faq_gaps WHERE company_id = ? AND kind = ? AND article_slug = ?
		AND resolved_at IS NULL ORDER BY last_at DESC LIMIT 1000`, q.CompanyID, kind, slug)
	if err != nil {
		return 0, err
	}
	var (
		bestID  int64
		bestSim = gapSimilarity
	)
	for rows.Next() {
		var (
			id    int64
			terms string
		)
		if err := rows.Scan(&id, &terms); err != nil {
			rows.Close()
			return 0, err
		}
		if sim := jaccard(q.Terms, strings.Fields(terms)); sim >= bestSim {
			bestID, bestSim = id, sim
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}

	if bestID == 0 {
		terms := append([]string(nil), q.Terms...)
		sort.Strings(terms)
		err := t.queryRow(ctx, `INSERT INTO faq_gaps (company_id, kind, article_slug, terms, occurrences, last_question_id,
			first_at, last_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?) RETURNING id`,
			q.CompanyID, kind, slug, strings.Join(terms, " "), q.ID, millis(now), millis(now)).Scan(&bestID)
		if err != nil {
			return 0, fmt.Errorf("insert gap: %w", err)
		}
	} else {
		_, err := t.exec(ctx, `UPDATE faq_gaps SET occurrences = occurrences + 1, last_question_id = ?, last_at = ?
			WHERE company_id = ? AND id = ?`, q.ID, millis(now), q.CompanyID, bestID)
		if err != nil {
			return 0, fmt.Errorf("count gap %d: %w", bestID, err)
		}
	}
	_, err = t.exec(ctx, "UPDATE faq_questions SET gap_id = ? WHERE company_id = ? AND id = ?", bestID, q.CompanyID, q.ID)
	return bestID, err
}

func jaccard(a, b []string) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 1
	}
	set := map[string]int{}
	for _, s := range a {
		set[s] |= 1
	}
	for _, s := range b {
		set[s] |= 2
	}
	both := 0
	for _, v := range set {
		if v == 3 {
			both++
		}
	}
	return float64(both) / float64(len(set))
}

// FAQGap is a group of similar questions the knowledge base did not serve.
type FAQGap struct {
	ID          int64
	Kind        string
	ArticleSlug string // the disliked article
	Terms       []string
	Count       int
	Sample      string // the latest question in the group, in the employee's words
	FirstAt     time.Time
	LastAt      time.Time

	// ResolvedAt is when HR closed the group, by writing the article
	// ResolvedSlug or by dismissing it (ResolvedSlug empty). Later
	// questions like it start a new group.
	ResolvedAt   *time.Time
	ResolvedSlug string
}

const faqGapColumns = `g.id, g.kind, g.article_slug, g.terms, g.occurrences, g.first_at, g.last_at, g.resolved_at,
	g.resolved_slug, q.text_sealed
	FROM faq_gaps g LEFT JOIN faq_questions q ON q.company_id = g.company_id AND q.id = g.last_question_id`

func (s *Store) scanFAQGap(ctx context.Context, companyID staffbot.CompanyID, row scanner) (*FAQGap, error) {
	var (
		g           FAQGap
		terms       string
		first, last int64
		resolved    sql.NullInt64
		sealed      sql.NullString
	)
	err := row.Scan(&g.ID, &g.Kind, &g.ArticleSlug, &terms, &g.Count, &first, &last, &resolved, &g.ResolvedSlug, &sealed)
	if err != nil {
		return nil, err
	}
	g.Terms = strings.Fields(terms)
	g.FirstAt, g.LastAt = fromMillis(first), fromMillis(last)
	if resolved.Valid {
		at := fromMillis(resolved.Int64)
		g.ResolvedAt = &at
	}
	if sealed.Valid {
		if g.Sample, err = s.OpenValue(ctx, companyID, fieldFAQQuestion, sealed.String); err != nil {
			return nil, fmt.Errorf("gap %d sample: %w", g.ID, err)
		}
	}
	return &g, nil
}

// TopFAQGaps returns the company's most frequent open gaps of a kind (""
// for both), most frequent first: the articles HR should write or fix
// next.
func (s *Store) TopFAQGaps(ctx context.Context, companyID staffbot.CompanyID, kind string, limit int) ([]FAQGap, error) {
	q := "SELECT " + faqGapColumns + " WHERE g.company_id = ? AND g.resolved_at IS NULL"
	args := []any{companyID}
	if kind != "" {
		q += " AND g.kind = ?"
		args = append(args, kind)
	}
	q += " ORDER BY g.occurrences DESC, g.last_at DESC, g.id LIMIT ?"
	args = append(args, limit)
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []FAQGap
	for rows.Next() {
		g, err := s.scanFAQGap(ctx, companyID, rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *g)
	}
	return out, rows.Err()
}

// FindFAQGap returns one of the company's gaps, open or resolved.
func (s *Store) FindFAQGap(ctx context.Context, companyID staffbot.CompanyID, id int64) (*FAQGap, error) {
	g, err := s.scanFAQGap(ctx, companyID, s.queryRow(ctx, "SELECT "+faqGapColumns+" WHERE g.company_id = ? AND g.id = ?",
		companyID, id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("find gap %d", id))
	}
	return g, nil
}

// ResolveFAQGap closes an open gap: HR wrote the article slug for it, or
// dismissed it when slug is empty. It reports whether the gap was open; a
// gap that is not the company's is ErrNotFound.
func (t *Tx) ResolveFAQGap(ctx context.Context, companyID staffbot.CompanyID, id int64, slug string, now time.Time) (bool, error) {
	res, err := t.exec(ctx, `UPDATE faq_gaps SET resolved_at = ?, resolved_slug = ?
		WHERE company_id = ? AND id = ? AND resolved_at IS NULL`, millis(now), slug, companyID, id)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, nil
	}
	var one int
	err = t.queryRow(ctx, "SELECT 1 FROM faq_gaps WHERE company_id = ? AND id = ?", companyID, id).Scan(&one)
	if err != nil {
		return false, notFound(err, fmt.Sprintf("resolve gap %d", id))
	}
	return false, nil
}

// HRRequest is a question an employee asked to pass to HR.
type HRRequest struct {
	ID         int64
	CompanyID  staffbot.CompanyID
	EmployeeID staffbot.EmployeeID
	QuestionID *int64
	Text       string // sealed at rest
	Source     string
	Status     string
	CreatedAt  time.Time
}

// HR request statuses.
const (
	HRRequestOpen   = "open"
	HRRequestClosed = "closed"
)

// CreateHRRequest records a request to HR, sealing its text. A second
// request for the same question is not created; the first is returned.
func (t *Tx) CreateHRRequest(ctx context.Context, r *HRRequest) error {
	if r.QuestionID != nil {
		var id int64
		err := t.queryRow(ctx, "SELECT id FROM hr_requests WHERE company_id = ? AND question_id = ?",
			r.CompanyID, *r.QuestionID).Scan(&id)
		if err == nil {
			r.ID = id
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	sealed, err := t.SealValue(ctx, r.CompanyID, fieldHRRequest, r.Text)
	if err != nil {
		return err
	}
	if r.Source == "" {
		r.Source = "faq"
	}
	if r.Status == "" {
		r.Status = HRRequestOpen
	}
	var qid sql.NullInt64
	if r.QuestionID != nil {
		qid = sql.NullInt64{Int64: *r.QuestionID, Valid: true}
	}
	return t.queryRow(ctx, `INSERT INTO hr_requests (company_id, employee_id, question_id, text_sealed, source, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.CompanyID, r.EmployeeID, qid, sealed, r.Source, r.Status, millis(r.CreatedAt)).Scan(&r.ID)
}

// FindHRRequests lists the company's requests with a status ("" for all),
// oldest first.
func (s *Store) FindHRRequests(ctx context.Context, companyID staffbot.CompanyID, status string) ([]*HRRequest, error) {
	q := `SELECT id, company_id, employee_id, question_id, text_sealed, source, status, created_at
		FROM hr_requests WHERE company_id = ?`
	args := []any{companyID}
	if status != "" {
		q += " AND status = ?"
		args = append(args, status)
	}
	rows, err := s.query(ctx, q+" ORDER BY id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*HRRequest
	for rows.Next() {
		var (
			r       HRRequest
			qid     sql.NullInt64
			sealed  string
			created int64
		)
		if err := rows.Scan(&r.ID, &r.CompanyID, &r.EmployeeID, &qid, &sealed, &r.Source, &r.Status, &created); err != nil {
			return nil, err
		}
		if qid.Valid {
			r.QuestionID = &qid.Int64
		}
		if r.Text, err = s.OpenValue(ctx, companyID, fieldHRRequest, sealed); err != nil {
			return nil, fmt.Errorf("request %d: %w", r.ID, err)
		}
		r.CreatedAt = fromMillis(created)
		out = append(out, &r)
	}
	return out, rows.Err()
}

// SetHRRequestStatus changes a request's status.
func (s *Store) SetHRRequestStatus(ctx context.Context, companyID staffbot.CompanyID, id int64, status string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, "UPDATE hr_requests SET status = ? WHERE company_id = ? AND id = ?", status, companyID, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("request %d: %w", id, staffbot.ErrNotFound)
		}
		return nil
	})
}
