package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/staffbot/staffbot"
)

// Draft states: what the employee's next message in the chat is for.
const (
	DraftCompose = "compose" // the text of a new request
	DraftReply   = "reply"   // an addition to TicketID
	DraftComment = "comment" // a comment on the rating of TicketID
)

// DraftFile is a file sent while writing a request, kept by its messenger
// reference until the ticket exists.
type DraftFile struct {
	Channel staffbot.ChannelKind `json:"channel"`
	Ref     string               `json:"ref"`
	Name    string               `json:"name,omitempty"`
}

// TicketDraft is what an employee is in the middle of in the chat.
type TicketDraft struct {
	CompanyID  staffbot.CompanyID
	EmployeeID staffbot.EmployeeID
	State      string
	TicketID   *int64
	Text       string // sealed at rest
	Files      []DraftFile
	UpdatedAt  time.Time
}

// FindTicketDraft returns the employee's draft.
func (t *Tx) FindTicketDraft(
	ctx context.Context, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID,
) (*TicketDraft, error) {
	var (
		d           TicketDraft
		ticket      sql.NullInt64
		text, files string
		updated     int64
	)
	if m := t.pendingOf(companyID, employeeID); m != nil && !m.ticketDraft {
		return nil, notFound(sql.ErrNoRows, "find draft")
	}
	err := t.queryRow(ctx, "SELECT state, ticket_id, text_sealed, files_sealed, updated_at FROM ticket_drafts WHERE company_id = ? AND employee_id = ?",
		companyID, employeeID).Scan(&d.State, &ticket, &text, &files, &updated)
	if err != nil {
		return nil, notFound(err, "find draft")
	}
	d.CompanyID, d.EmployeeID, d.UpdatedAt = companyID, employeeID, fromMillis(updated)
	if ticket.Valid {
		d.TicketID = &ticket.Int64
	}
	if d.Text, err = t.s.OpenValue(ctx, companyID, fieldDraftText, text); err != nil {
		return nil, fmt.Errorf("draft text: %w", err)
	}
	plain, err := t.s.OpenValue(ctx, companyID, fieldDraftFiles, files)
	if err != nil {
		return nil, fmt.Errorf("draft files: %w", err)
	}
	if plain != "" {
		if err := json.Unmarshal([]byte(plain), &d.Files); err != nil {
			return nil, fmt.Errorf("draft files: %w", err)
		}
	}
	return &d, nil
}

// SaveTicketDraft stores the employee's draft, replacing any other.
func (t *Tx) SaveTicketDraft(ctx context.Context, d *TicketDraft) error {
	text, err := t.SealValue(ctx, d.CompanyID, fieldDraftText, d.Text)
	if err != nil {
		return err
	}
	var files string
	if len(d.Files) > 0 {
		plain, err := jsonString(d.Files)
		if err != nil {
			return err
		}
		if files, err = t.SealValue(ctx, d.CompanyID, fieldDraftFiles, plain); err != nil {
			return err
		}
	}
	_, err = t.exec(ctx, `INSERT INTO ticket_drafts (company_id, employee_id, state, ticket_id, text_sealed, files_sealed, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (company_id, employee_id) DO UPDATE SET state = excluded.state, ticket_id = excluded.ticket_id,
			text_sealed = excluded.text_sealed, files_sealed = excluded.files_sealed, updated_at = excluded.updated_at`,
		d.CompanyID, d.EmployeeID, d.State, nullInt64(d.TicketID), text, files, millis(d.UpdatedAt))
	if err != nil {
		return fmt.Errorf("save draft: %w", err)
	}
	return nil
}

// DeleteTicketDraft forgets the employee's draft.
func (t *Tx) DeleteTicketDraft(ctx context.Context, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID) error {
	_, err := t.exec(ctx, "DELETE FROM ticket_drafts WHERE company_id = ? AND employee_id = ?", companyID, employeeID)
	return err
}

// Attachment statuses.
const (
	AttachmentPending = "pending" // the messenger's reference only; to be fetched
	AttachmentStored  = "stored"  // the content is stored, sealed
	AttachmentFailed  = "failed"  // fetching gave up; the reference is kept
)

// TicketAttachment is a file or photo an employee sent with a ticket.
type TicketAttachment struct {
	ID          int64
	CompanyID   staffbot.CompanyID
	TicketID    int64
	MessageSeq  int64
	Channel     staffbot.ChannelKind
	FileRef     string // the messenger's file id; sealed, cleared once stored
	Name        string // sealed
	ContentType string
	Size        int64
	Status      string
	Attempts    int
	CreatedAt   time.Time
	StoredAt    *time.Time
}

const attachmentColumns = `id, company_id, ticket_id, message_seq, channel, file_ref_sealed, name_sealed, content_type, size,
	status, attempts, created_at, stored_at`

func (s *Store) scanAttachment(row scanner) (*TicketAttachment, error) {
	var (
		a         TicketAttachment
		ref, name string
		channel   string
		created   int64
		stored    sql.NullInt64
	)
	err := row.Scan(&a.ID, &a.CompanyID, &a.TicketID, &a.MessageSeq, &channel, &ref, &name, &a.ContentType, &a.Size,
		&a.Status, &a.Attempts, &created, &stored)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	if a.FileRef, err = s.OpenValue(ctx, a.CompanyID, fieldTicketFileRef, ref); err != nil {
		return nil, fmt.Errorf("attachment %d: %w", a.ID, err)
	}
	if a.Name, err = s.OpenValue(ctx, a.CompanyID, fieldTicketFile, name); err != nil {
		return nil, fmt.Errorf("attachment %d: %w", a.ID, err)
	}
	a.Channel = staffbot.ChannelKind(channel)
	a.CreatedAt, a.StoredAt = fromMillis(created), fromNullMillis(stored)
	return &a, nil
}

// CreateTicketAttachment records a file the employee sent, to be fetched.
func (t *Tx) CreateTicketAttachment(ctx context.Context, a *TicketAttachment) error {
	ref, err := t.SealValue(ctx, a.CompanyID, fieldTicketFileRef, a.FileRef)
	if err != nil {
		return err
	}
	name, err := t.SealValue(ctx, a.CompanyID, fieldTicketFile, a.Name)
	if err != nil {
		return err
	}
	if a.Status == "" {
		a.Status = AttachmentPending
	}
	return t.queryRow(ctx, `INSERT INTO ticket_attachments (company_id, ticket_id, message_seq, channel, file_ref_sealed, name_sealed,
			content_type, status, not_before, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		a.CompanyID, a.TicketID, a.MessageSeq, string(a.Channel), ref, name, a.ContentType, a.Status,
		millis(a.CreatedAt), millis(a.CreatedAt)).Scan(&a.ID)
}

// FindTicketAttachments returns a ticket's attachments without their
// content.
func (s *Store) FindTicketAttachments(ctx context.Context, companyID staffbot.CompanyID, ticketID int64) ([]*TicketAttachment, error) {
	rows, err := s.query(ctx, "SELECT "+attachmentColumns+" FROM ticket_attachments WHERE company_id = ? AND ticket_id = ? ORDER BY id",
		companyID, ticketID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*TicketAttachment
	for rows.Next() {
		a, err := s.scanAttachment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// FindTicketAttachment returns an attachment of the company with its
// content, which is nil until the file is stored.
func (s *Store) FindTicketAttachment(
	ctx context.Context, companyID staffbot.CompanyID, id int64,
) (*TicketAttachment, []byte, error) {
	a, err := s.scanAttachment(s.queryRow(ctx, "SELECT "+attachmentColumns+" FROM ticket_attachments WHERE company_id = ? AND id = ?",
		companyID, id))
	if err != nil {
		return nil, nil, notFound(err, fmt.Sprintf("attachment %d", id))
	}
	var sealed string
	if err := s.queryRow(ctx, "SELECT data_sealed FROM ticket_attachments WHERE company_id = ? AND id = ?", companyID, id).Scan(&sealed); err != nil {
		return nil, nil, err
	}
	if sealed == "" {
		return a, nil, nil
	}
	plain, err := s.OpenValue(ctx, companyID, fieldTicketData, sealed)
	if err != nil {
		return nil, nil, fmt.Errorf("attachment %d content: %w", id, err)
	}
	return a, []byte(plain), nil
}

// ClaimTicketAttachments leases up to limit attachments due for fetching:
// each is put off by lease, so another process leaves it alone meanwhile,
// and its attempts counted.
func (s *Store) ClaimTicketAttachments(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*TicketAttachment, error) {
	skip := ""
	if s.dialect == Postgres {
		skip = " FOR UPDATE SKIP LOCKED"
	}
	var out []*TicketAttachment
	err := s.InTx(ctx, func(tx *Tx) error {
		out = out[:0]
		rows, err := tx.query(ctx, "SELECT "+attachmentColumns+" FROM ticket_attachments WHERE status = 'pending' AND not_before <= ? ORDER BY id LIMIT ?"+skip,
			millis(now), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			a, err := s.scanAttachment(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, a := range out {
			a.Attempts++
			_, err := tx.exec(ctx, "UPDATE ticket_attachments SET not_before = ?, attempts = ? WHERE company_id = ? AND id = ?",
				millis(now.Add(lease)), a.Attempts, a.CompanyID, a.ID)
			if err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// StoreTicketAttachment keeps a fetched file, sealed, and forgets the
// messenger's reference.
func (t *Tx) StoreTicketAttachment(ctx context.Context, a *TicketAttachment, data []byte, now time.Time) error {
	sealed, err := t.SealValue(ctx, a.CompanyID, fieldTicketData, string(data))
	if err != nil {
		return err
	}
	name, err := t.SealValue(ctx, a.CompanyID, fieldTicketFile, a.Name)
	if err != nil {
		return err
	}
	res, err := t.exec(ctx, `UPDATE ticket_attachments SET status = 'stored', data_sealed = ?, name_sealed = ?, content_type = ?,
			size = ?, file_ref_sealed = '', stored_at = ?
		WHERE company_id = ? AND id = ? AND status = 'pending'`,
		sealed, name, a.ContentType, len(data), millis(now), a.CompanyID, a.ID)
	if err != nil {
		return fmt.Errorf("store attachment %d: %w", a.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("attachment %d is no longer pending: %w", a.ID, staffbot.ErrConflict)
	}
	a.Status, a.Size, a.FileRef, a.StoredAt = AttachmentStored, int64(len(data)), "", &now
	return nil
}

// RetryTicketAttachment puts a failed fetch off until retryAt, or gives
// up on it for good when final.
func (s *Store) RetryTicketAttachment(ctx context.Context, companyID staffbot.CompanyID, id int64, retryAt time.Time, final bool) error {
	status := AttachmentPending
	if final {
		status = AttachmentFailed
	}
	return s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, "UPDATE ticket_attachments SET status = ?, not_before = ? WHERE company_id = ? AND id = ? AND status = 'pending'",
			status, millis(retryAt), companyID, id)
		return err
	})
}

// HRRequestTicket is the hr_requests status of a request the helpdesk
// made a ticket of.
const HRRequestTicket = "ticket"

// FindOpenHRRequests returns requests to HR from every company that are
// waiting to become tickets, oldest first.
func (s *Store) FindOpenHRRequests(ctx context.Context, limit int) ([]TicketRef, error) {
	return s.ticketRefs(ctx, "SELECT company_id, id FROM hr_requests WHERE status = ? ORDER BY id LIMIT ?", HRRequestOpen, limit)
}

// TakeHRRequest marks an open request as made into a ticket and returns
// it; ErrConflict when it was not open (another process took it).
func (t *Tx) TakeHRRequest(ctx context.Context, companyID staffbot.CompanyID, id int64) (*HRRequest, error) {
	res, err := t.exec(ctx, "UPDATE hr_requests SET status = ? WHERE company_id = ? AND id = ? AND status = ?",
		HRRequestTicket, companyID, id, HRRequestOpen)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, fmt.Errorf("request %d is not open: %w", id, staffbot.ErrConflict)
	}
	var (
		r       HRRequest
		qid     sql.NullInt64
		sealed  string
		created int64
	)
	err = t.queryRow(ctx, `SELECT id, company_id, employee_id, question_id, text_sealed, source, status, created_at
		FROM hr_requests WHERE company_id = ? AND id = ?`, companyID, id).Scan(&r.ID, &r.CompanyID, &r.EmployeeID, &qid, &sealed, &r.Source, &r.Status, &created)
	if err != nil {
		return nil, err
	}
	if qid.Valid {
		r.QuestionID = &qid.Int64
	}
	if r.Text, err = t.s.OpenValue(ctx, companyID, fieldHRRequest, sealed); err != nil {
		return nil, fmt.Errorf("request %d: %w", id, err)
	}
	r.CreatedAt = fromMillis(created)
	return &r, nil
}

// IsConflict reports whether err wraps staffbot.ErrConflict.
func IsConflict(err error) bool { return errors.Is(err, staffbot.ErrConflict) }
