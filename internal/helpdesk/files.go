package helpdesk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/staffbot/staffbot/internal/store"
)

// File fetching: attempts and the waits between them.
const (
	fileLease       = 2 * time.Minute
	fileMaxAttempts = 5
	fileBatch       = 10
)

// DefaultMaxFileSize is Telegram's limit on files a bot may download.
const DefaultMaxFileSize = 20 << 20

// FetchFiles downloads attachments still held only by their messenger
// reference and stores them sealed with the company's key. A failed
// download is tried again later, up to fileMaxAttempts times; a channel
// with no fetcher keeps the reference.
func (s *Service) FetchFiles(ctx context.Context) (int, error) {
	now := s.Clock.Now()
	list, err := s.Store.ClaimTicketAttachments(ctx, now, fileLease, fileBatch)
	if err != nil {
		return 0, err
	}
	limit := s.MaxFileSize
	if limit <= 0 {
		limit = DefaultMaxFileSize
	}
	stored := 0
	for _, a := range list {
		err := s.fetchOne(ctx, a, limit)
		if err == nil {
			stored++
			s.changed(a.CompanyID, false)
			continue
		}
		final := a.Attempts >= fileMaxAttempts || errors.Is(err, errTooLarge)
		retry := now.Add(time.Duration(a.Attempts*a.Attempts) * time.Minute)
		s.logger().WarnContext(ctx, "Ticket file not fetched", slog.Int64("company_id", int64(a.CompanyID)),
			slog.Int64("ticket_id", a.TicketID), slog.Int64("attachment_id", a.ID), slog.Int("attempt", a.Attempts),
			slog.Bool("final", final), slog.String("error", err.Error()))
		if err := s.Store.RetryTicketAttachment(ctx, a.CompanyID, a.ID, retry, final); err != nil {
			return stored, err
		}
	}
	return stored, nil
}

var errTooLarge = errors.New("file too large")

func (s *Service) fetchOne(ctx context.Context, a *store.TicketAttachment, limit int64) error {
	f := s.Files[a.Channel]
	if f == nil {
		return fmt.Errorf("no file fetcher for channel %q", a.Channel)
	}
	co, err := s.Store.FindCompanyByID(ctx, a.CompanyID)
	if err != nil {
		return err
	}
	name, ctype, data, err := f.Fetch(ctx, co, a.FileRef)
	if err != nil {
		return err
	}
	if int64(len(data)) > limit {
		return fmt.Errorf("file of %d bytes, limit %d: %w", len(data), limit, errTooLarge)
	}
	if a.Name == "" {
		a.Name = name
	}
	if ctype == "" {
		ctype = http.DetectContentType(data)
	}
	a.ContentType = ctype
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		return tx.StoreTicketAttachment(ctx, a, data, s.Clock.Now())
	})
}
