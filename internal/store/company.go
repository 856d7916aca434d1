package store

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"time"

	"github.com/staffbot/staffbot"
)

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,40}$`)

// CreateCompany adds a tenant. The slug must be 2–41 lower-case letters,
// digits or hyphens; the time zone must be known to this system.
func (s *Store) CreateCompany(ctx context.Context, co *staffbot.Company) error {
	if !slugRE.MatchString(co.Slug) {
		return fmt.Errorf("slug %q: use 2-41 lower-case latin letters, digits and hyphens: %w", co.Slug, staffbot.ErrInvalid)
	}
	if co.TimeZone == "" {
		co.TimeZone = staffbot.DefaultTimeZone
	}
	if _, err := time.LoadLocation(co.TimeZone); err != nil {
		return fmt.Errorf("time zone %q: %w", co.TimeZone, staffbot.ErrInvalid)
	}
	if co.Name == "" {
		co.Name = co.Slug
	}
	if co.CreatedAt.IsZero() {
		co.CreatedAt = time.Now().UTC()
	}

	return s.InTx(ctx, func(tx *Tx) error {
		var n int
		if err := tx.queryRow(ctx, "SELECT count(*) FROM companies WHERE slug = ?", co.Slug).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("company %q exists: %w", co.Slug, staffbot.ErrConflict)
		}
		err := tx.queryRow(ctx, `INSERT INTO companies (slug, name, time_zone, telegram_bot_username, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`,
			co.Slug, co.Name, co.TimeZone, co.TelegramBotUsername, millis(co.CreatedAt),
		).Scan(&co.ID)
		if err != nil {
			return fmt.Errorf("insert company: %w", err)
		}
		// The secrets are sealed with the company's own data key, which
		// needs the company's id.
		if err := tx.setCompanyTelegram(ctx, co.ID, co.TelegramBotUsername, co.TelegramToken, co.TelegramWebhookSecret); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &staffbot.AuditRecord{
			CompanyID: co.ID, At: co.CreatedAt, Action: "company.create",
			ObjectType: "company", ObjectID: fmt.Sprint(co.ID),
			After: auditJSON(map[string]any{
				"slug": co.Slug, "name": co.Name, "time_zone": co.TimeZone,
				"telegram_bot_username": co.TelegramBotUsername, "telegram_token": maskedSecret(co.TelegramToken),
			}),
		})
	})
}

// UpdateCompanyTelegram stores the company's bot settings; the token and
// webhook secret are sealed with the company's data key.
func (s *Store) UpdateCompanyTelegram(ctx context.Context, id staffbot.CompanyID, username, token, webhookSecret string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		var oldName string
		err := tx.queryRow(ctx, "SELECT telegram_bot_username FROM companies WHERE id = ?", id).Scan(&oldName)
		if err != nil {
			return notFound(err, fmt.Sprintf("company %d", id))
		}
		if err := tx.setCompanyTelegram(ctx, id, username, token, webhookSecret); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &staffbot.AuditRecord{
			CompanyID: id, Action: "company.telegram.update", ObjectType: "company", ObjectID: fmt.Sprint(id),
			Before: auditJSON(map[string]any{"telegram_bot_username": oldName}),
			After: auditJSON(map[string]any{
				"telegram_bot_username": username, "telegram_token": maskedSecret(token),
				"telegram_webhook_secret": maskedSecret(webhookSecret),
			}),
		})
	})
}

func (t *Tx) setCompanyTelegram(ctx context.Context, id staffbot.CompanyID, username, token, webhookSecret string) error {
	sealedToken, err := t.SealValue(ctx, id, fieldTelegramToken, token)
	if err != nil {
		return err
	}
	sealedSecret, err := t.SealValue(ctx, id, fieldWebhookSecret, webhookSecret)
	if err != nil {
		return err
	}
	res, err := t.exec(ctx, `UPDATE companies SET telegram_bot_username = ?, telegram_token_sealed = ?,
		telegram_webhook_secret_sealed = ? WHERE id = ?`, username, sealedToken, sealedSecret, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("company %d: %w", id, staffbot.ErrNotFound)
	}
	return nil
}

const companyColumns = `id, slug, name, time_zone, telegram_bot_username, telegram_token_sealed,
	telegram_webhook_secret_sealed, created_at`

func (s *Store) scanCompany(ctx context.Context, row interface{ Scan(...any) error }) (*staffbot.Company, error) {
	var (
		co                staffbot.Company
		token, hookSecret string
		created           int64
	)
	err := row.Scan(&co.ID, &co.Slug, &co.Name, &co.TimeZone, &co.TelegramBotUsername, &token, &hookSecret, &created)
	if err != nil {
		return nil, err
	}
	co.CreatedAt = fromMillis(created)
	if co.TelegramToken, err = s.OpenValue(ctx, co.ID, fieldTelegramToken, token); err != nil {
		return nil, fmt.Errorf("company %s telegram token: %w", co.Slug, err)
	}
	if co.TelegramWebhookSecret, err = s.OpenValue(ctx, co.ID, fieldWebhookSecret, hookSecret); err != nil {
		return nil, fmt.Errorf("company %s webhook secret: %w", co.Slug, err)
	}
	return &co, nil
}

// FindCompanyBySlug returns the company with the slug.
func (s *Store) FindCompanyBySlug(ctx context.Context, slug string) (*staffbot.Company, error) {
	co, err := s.scanCompany(ctx, s.queryRow(ctx, "SELECT "+companyColumns+" FROM companies WHERE slug = ?", slug))
	if err != nil {
		return nil, notFound(err, "find company "+slug)
	}
	return co, nil
}

// FindCompanyByID returns the company with the id.
func (s *Store) FindCompanyByID(ctx context.Context, id staffbot.CompanyID) (*staffbot.Company, error) {
	co, err := s.scanCompany(ctx, s.queryRow(ctx, "SELECT "+companyColumns+" FROM companies WHERE id = ?", id))
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("find company %d", id))
	}
	return co, nil
}

// FindCompanies lists every company, ordered by slug.
func (s *Store) FindCompanies(ctx context.Context) ([]*staffbot.Company, error) {
	rows, err := s.query(ctx, "SELECT "+companyColumns+" FROM companies ORDER BY slug")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*staffbot.Company
	for rows.Next() {
		co, err := s.scanCompany(ctx, rows)
		if err != nil {
			return nil, err
		}
		out = append(out, co)
	}
	return out, rows.Err()
}

var _ = sql.ErrNoRows
