package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/staffbot/staffbot"
)

// Fields of a secure link sealed under the company's data key.
const (
	fieldSecureLinkName = "secure_link_file_name"
	fieldSecureLinkKey  = "secure_link_file_key"
)

func init() {
	sealedColumns = append(sealedColumns,
		sealedColumn{"secure_links", "file_name_sealed", fieldSecureLinkName, "company_id"},
		sealedColumn{"secure_links", "file_key_sealed", fieldSecureLinkKey, "company_id"},
	)
}

// SecureLinkState tells whether a secure link still works.
type SecureLinkState string

// The states of a secure link. Every state but active is final, and a link
// leaves active with its file key, file name and code wiped.
const (
	SecureLinkActive  SecureLinkState = "active"
	SecureLinkUsed    SecureLinkState = "used"    // every allowed open was spent
	SecureLinkExpired SecureLinkState = "expired" // its time ran out
	SecureLinkLocked  SecureLinkState = "locked"  // too many wrong codes
)

// SecureLink is a temporary link to a sensitive file kept encrypted on disk.
// FileName and FileKey are sealed in the database under the company's data
// key, bound to the company and the field, and plain here. Links written
// before that, sealed with the master key, still open; a data key
// rotation moves them.
type SecureLink struct {
	ID         int64
	CompanyID  staffbot.CompanyID
	EmployeeID staffbot.EmployeeID

	// TokenHash is the hex SHA-256 of the token in the link's URL.
	TokenHash string
	State     SecureLinkState

	FileName    string
	ContentType string
	Size        int64

	// StorageName is the file's random name on disk; FileKey its
	// AES-256 key.
	StorageName string
	FileKey     []byte

	RequireCode bool
	MaxOpens    int
	Opens       int

	// CodeHash is the HMAC of the one-time code now in force, or empty.
	CodeHash      string
	CodeExpiresAt *time.Time
	CodeSentAt    *time.Time
	CodesSent     int
	CodeFailures  int

	CreatedAt time.Time
	ExpiresAt time.Time
	ClosedAt  *time.Time
}

// SecureLinkOpen is one visit to a secure link: a page view, a code sent or
// entered, a download, or a refusal.
type SecureLinkOpen struct {
	ID      int64
	LinkID  int64
	At      time.Time
	Outcome string
	Client  string
}

const secureLinkColumns = `id, company_id, employee_id, token_hash, state, file_name_sealed, content_type, size,
	storage_name, file_key_sealed, require_code, max_opens, opens, code_hash, code_expires_at, code_sent_at,
	codes_sent, code_failures, created_at, expires_at, closed_at`

func (s *Store) scanSecureLink(row scanner) (*SecureLink, error) {
	var (
		l                 SecureLink
		state, name, key  string
		requireCode       int
		codeExpires, sent sql.NullInt64
		created, expires  int64
		closed            sql.NullInt64
	)
	err := row.Scan(&l.ID, &l.CompanyID, &l.EmployeeID, &l.TokenHash, &state, &name, &l.ContentType, &l.Size,
		&l.StorageName, &key, &requireCode, &l.MaxOpens, &l.Opens, &l.CodeHash, &codeExpires, &sent,
		&l.CodesSent, &l.CodeFailures, &created, &expires, &closed)
	if err != nil {
		return nil, err
	}
	l.State = SecureLinkState(state)
	l.RequireCode = requireCode != 0
	l.CodeExpiresAt = fromNullMillis(codeExpires)
	l.CodeSentAt = fromNullMillis(sent)
	l.CreatedAt = fromMillis(created)
	l.ExpiresAt = fromMillis(expires)
	l.ClosedAt = fromNullMillis(closed)

	// Keys are cached; a scanner has no context of its own to pass.
	ctx := context.Background()
	if l.FileName, err = s.OpenValue(ctx, l.CompanyID, fieldSecureLinkName, name); err != nil {
		return nil, fmt.Errorf("open file name of secure link %d: %w", l.ID, err)
	}
	sealedKey, err := s.OpenValue(ctx, l.CompanyID, fieldSecureLinkKey, key)
	if err != nil {
		return nil, fmt.Errorf("open file key of secure link %d: %w", l.ID, err)
	}
	if sealedKey != "" {
		if l.FileKey, err = base64.RawStdEncoding.DecodeString(sealedKey); err != nil {
			return nil, fmt.Errorf("decode file key of secure link %d: %w", l.ID, err)
		}
	}
	return &l, nil
}

// CreateSecureLink stores a new active link, sealing its file name and key
// under the company's data key. The employee must belong to the company.
func (t *Tx) CreateSecureLink(ctx context.Context, l *SecureLink) error {
	name, err := t.SealValue(ctx, l.CompanyID, fieldSecureLinkName, l.FileName)
	if err != nil {
		return fmt.Errorf("seal file name: %w", err)
	}
	key, err := t.SealValue(ctx, l.CompanyID, fieldSecureLinkKey, base64.RawStdEncoding.EncodeToString(l.FileKey))
	if err != nil {
		return fmt.Errorf("seal file key: %w", err)
	}
	requireCode := 0
	if l.RequireCode {
		requireCode = 1
	}
	l.State = SecureLinkActive
	err = t.queryRow(ctx, `INSERT INTO secure_links (company_id, employee_id, token_hash, state, file_name_sealed,
			content_type, size, storage_name, file_key_sealed, require_code, max_opens, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		l.CompanyID, l.EmployeeID, l.TokenHash, string(l.State), name, l.ContentType, l.Size, l.StorageName, key,
		requireCode, l.MaxOpens, millis(l.CreatedAt), millis(l.ExpiresAt)).Scan(&l.ID)
	if err != nil {
		return fmt.Errorf("create secure link: %w", err)
	}
	return nil
}

// FindSecureLinkCompany returns the company whose link has the token hash,
// so that a URL carrying only the token can be served. It says nothing about
// whether the link still works.
func (s *Store) FindSecureLinkCompany(ctx context.Context, tokenHash string) (staffbot.CompanyID, error) {
	var id staffbot.CompanyID
	if err := s.queryRow(ctx, "SELECT company_id FROM secure_links WHERE token_hash = ?", tokenHash).Scan(&id); err != nil {
		return 0, notFound(err, "find secure link")
	}
	return id, nil
}

// FindSecureLink returns a company's link by its token hash.
func (s *Store) FindSecureLink(ctx context.Context, companyID staffbot.CompanyID, tokenHash string) (*SecureLink, error) {
	l, err := s.scanSecureLink(s.queryRow(ctx, "SELECT "+secureLinkColumns+
		" FROM secure_links WHERE company_id = ? AND token_hash = ?", companyID, tokenHash))
	if err != nil {
		return nil, notFound(err, "find secure link")
	}
	return l, nil
}

// FindSecureLinkForUpdate returns a company's link by its token hash and
// locks it until the transaction ends, so that two downloads cannot both
// take the last open.
func (t *Tx) FindSecureLinkForUpdate(ctx context.Context, companyID staffbot.CompanyID, tokenHash string) (*SecureLink, error) {
	l, err := t.s.scanSecureLink(t.queryRow(ctx, "SELECT "+secureLinkColumns+
		" FROM secure_links WHERE company_id = ? AND token_hash = ?"+t.s.forUpdate(), companyID, tokenHash))
	if err != nil {
		return nil, notFound(err, "find secure link")
	}
	return l, nil
}

// UpdateSecureLinkUse saves what a visit changed on an active link: the
// opens spent and the one-time code's hash, times and counters.
func (t *Tx) UpdateSecureLinkUse(ctx context.Context, l *SecureLink) error {
	_, err := t.exec(ctx, `UPDATE secure_links SET opens = ?, code_hash = ?, code_expires_at = ?, code_sent_at = ?,
			codes_sent = ?, code_failures = ?
		WHERE company_id = ? AND id = ? AND state = 'active'`,
		l.Opens, l.CodeHash, nullMillis(l.CodeExpiresAt), nullMillis(l.CodeSentAt), l.CodesSent, l.CodeFailures,
		l.CompanyID, l.ID)
	if err != nil {
		return fmt.Errorf("update secure link %d: %w", l.ID, err)
	}
	return nil
}

// CloseSecureLink ends an active link in a final state and wipes its file
// key, file name, storage name and code; the counters stay. It reports
// whether the link was still active. Deleting the file is the caller's job.
func (t *Tx) CloseSecureLink(ctx context.Context, companyID staffbot.CompanyID, id int64, state SecureLinkState, now time.Time) (bool, error) {
	if state == SecureLinkActive {
		return false, fmt.Errorf("bug: close secure link %d as active", id)
	}
	res, err := t.exec(ctx, `UPDATE secure_links SET state = ?, file_name_sealed = '', storage_name = '',
			file_key_sealed = '', code_hash = '', code_expires_at = NULL, closed_at = ?
		WHERE company_id = ? AND id = ? AND state = 'active'`,
		string(state), millis(now), companyID, id)
	if err != nil {
		return false, fmt.Errorf("close secure link %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// CloseExpiredSecureLinks closes, in every company, the active links whose
// time ran out or whose opens are spent, and returns the storage names of
// their files for the caller to delete.
func (s *Store) CloseExpiredSecureLinks(ctx context.Context, now time.Time, limit int) ([]string, error) {
	var names []string
	err := s.InTx(ctx, func(tx *Tx) error {
		names = names[:0]
		rows, err := tx.query(ctx, `SELECT company_id, id, storage_name, opens >= max_opens FROM secure_links
			WHERE state = 'active' AND (expires_at <= ? OR opens >= max_opens) ORDER BY id LIMIT ?`+s.forUpdate(),
			millis(now), limit)
		if err != nil {
			return err
		}
		type due struct {
			companyID staffbot.CompanyID
			id        int64
			used      bool
		}
		var dues []due
		for rows.Next() {
			var (
				d    due
				name string
			)
			if err := rows.Scan(&d.companyID, &d.id, &name, &d.used); err != nil {
				rows.Close()
				return err
			}
			dues = append(dues, d)
			names = append(names, name)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}

		for _, d := range dues {
			state := SecureLinkExpired
			if d.used {
				state = SecureLinkUsed
			}
			if _, err := tx.CloseSecureLink(ctx, d.companyID, d.id, state, now); err != nil {
				return err
			}
			if err := tx.RecordSecureLinkOpen(ctx, d.companyID, d.id, "closed_"+string(state), "", now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("close expired secure links: %w", err)
	}
	return names, nil
}

// SecureLinkStorageNames returns the storage names of every active link in
// every company: the files that must stay on disk.
func (s *Store) SecureLinkStorageNames(ctx context.Context) (map[string]bool, error) {
	rows, err := s.query(ctx, "SELECT storage_name FROM secure_links WHERE state = 'active'")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		names[name] = true
	}
	return names, rows.Err()
}

// RecordSecureLinkOpen records one visit to a link and what came of it.
// client is the visitor's network, never the full address. The link's
// page writes the same visit to the audit log in the same transaction;
// this list stays for the link's own history and the employee's export.
func (t *Tx) RecordSecureLinkOpen(ctx context.Context, companyID staffbot.CompanyID, linkID int64, outcome, client string, now time.Time) error {
	_, err := t.exec(ctx, `INSERT INTO securelink_opens (company_id, link_id, at, outcome, client) VALUES (?, ?, ?, ?, ?)`,
		companyID, linkID, millis(now), outcome, client)
	if err != nil {
		return fmt.Errorf("record secure link open: %w", err)
	}
	return nil
}

// FindSecureLinkOpens lists the visits to a company's link, oldest first.
func (s *Store) FindSecureLinkOpens(ctx context.Context, companyID staffbot.CompanyID, linkID int64) ([]*SecureLinkOpen, error) {
	rows, err := s.query(ctx, `SELECT id, link_id, at, outcome, client FROM securelink_opens
		WHERE company_id = ? AND link_id = ? ORDER BY id`, companyID, linkID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*SecureLinkOpen
	for rows.Next() {
		var (
			o  SecureLinkOpen
			at int64
		)
		if err := rows.Scan(&o.ID, &o.LinkID, &at, &o.Outcome, &o.Client); err != nil {
			return nil, err
		}
		o.At = fromMillis(at)
		out = append(out, &o)
	}
	return out, rows.Err()
}
