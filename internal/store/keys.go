package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/secret"
)

// Envelope encryption: every company has a data key of its own, random,
// stored in company_keys only wrapped under the master key. Sensitive
// values are sealed with the company's active data key as
// "v2:<key id>:…", bound to the company and the field. Values from before
// data keys ("v1:…", sealed directly with the master key) still open, and
// rotation turns them into v2 values.
//
// Rotating a company's data key makes a new active key and re-seals the
// company's values in small batches while the server runs; the old key is
// kept, retired, so a value written under it by a transaction that raced
// the rotation still opens (the next rotation re-seals it). Rotating the
// master key re-wraps the few data keys, not the values.

// Key purposes and states.
const (
	keyPurposeData  = "data"
	keyPurposeAudit = "audit"
	keyActive       = "active"
	keyRetired      = "retired"
)

// Fields bound into sealed values. A value sealed for one field does not
// open as another.
const (
	fieldTelegramToken = "telegram_token"
	fieldWebhookSecret = "telegram_webhook_secret"
	fieldPhone         = "phone"
	fieldEmail         = "email"
	fieldTOTP          = "totp_secret"
	fieldTOTPPending   = "totp_pending"
	fieldConnector     = "connector_secret"
	fieldCustom        = "employee_custom"
)

// sealedColumn is a column holding values sealed with company data keys.
type sealedColumn struct {
	table, column string
	// field is bound into each value; company names the column holding
	// the company id ("id" in companies itself).
	field, company string
}

// plainJSON reports whether the column held plain JSON objects before it
// was sealed: such a value ("{…}") still reads, and rotation seals it. The
// empty object stays plain, as it tells nothing.
func (c sealedColumn) plainJSON() bool {
	return c.table == "employees" && c.column == "custom"
}

// sealedColumns lists every column sealed with data keys, for rotation.
// A file adding such a column appends to it in an init function.
var sealedColumns = []sealedColumn{
	{"companies", "telegram_token_sealed", fieldTelegramToken, "id"},
	{"companies", "telegram_webhook_secret_sealed", fieldWebhookSecret, "id"},
	{"employees", "phone_sealed", fieldPhone, "company_id"},
	{"employees", "email_sealed", fieldEmail, "company_id"},
	{"users", "totp_secret_sealed", fieldTOTP, "company_id"},
	{"users", "totp_pending_sealed", fieldTOTPPending, "company_id"},
	{"connectors", "secret_sealed", fieldConnector, "company_id"},
	{"employees", "custom", fieldCustom, "company_id"},
}

// masterSealedColumns lists columns whose code still seals with the master
// key directly (s.sealer). A master key rotation re-seals them under the
// new master key once every process has it (PruneOldMasterKeys). None is
// left: secure links moved to data keys last.
var masterSealedColumns []sealedColumn

// sealContext is what a sealed value is bound to.
func sealContext(companyID staffbot.CompanyID, field string) string {
	return fmt.Sprintf("%d/%s", companyID, field)
}

// companyKey is an unwrapped key of one company.
type companyKey struct {
	companyID staffbot.CompanyID
	purpose   string
	data      *secret.DataKey
}

// keyCache holds unwrapped keys by their random id. Ids are never reused,
// so an entry never goes stale; a key made by a transaction that rolled
// back stays cached, unused.
type keyCache struct {
	mu   sync.RWMutex
	byID map[string]*companyKey
}

func (c *keyCache) get(id string) *companyKey {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.byID[id]
}

func (c *keyCache) put(k *companyKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID == nil {
		c.byID = map[string]*companyKey{}
	}
	c.byID[k.data.ID] = k
}

// Sealer returns the master key sealer, for backups, whose keys derive
// from the master key.
func (s *Store) Sealer() *secret.Sealer { return s.sealer }

// SealValue seals a sensitive value of the company with its active data
// key, bound to the field; a company's first value creates its key. The
// empty string stays empty.
func (t *Tx) SealValue(ctx context.Context, companyID staffbot.CompanyID, field, plaintext string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	k, err := t.activeKey(ctx, companyID, keyPurposeData)
	if err != nil {
		return "", err
	}
	return k.data.Seal(plaintext, sealContext(companyID, field))
}

// OpenValue opens a value sealed by SealValue for the same company and
// field, or one sealed with the master key before data keys existed. A
// value sealed with another company's key does not open.
func (s *Store) OpenValue(ctx context.Context, companyID staffbot.CompanyID, field, sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	if secret.IsSealedByMaster(sealed) {
		return s.sealer.Open(sealed)
	}
	keyID, _, ok := secret.SplitSealed(sealed)
	if !ok {
		return "", errors.New("unknown sealed value format")
	}
	k, err := s.keyByID(ctx, companyID, keyID)
	if err != nil {
		return "", err
	}
	return k.data.Open(sealed, sealContext(companyID, field))
}

// openColumnValue opens a value of a sealed column; in a column that held
// plain JSON before, a plain object is returned as it is.
func (s *Store) openColumnValue(ctx context.Context, c sealedColumn, companyID staffbot.CompanyID, v string) (string, error) {
	if c.plainJSON() && strings.HasPrefix(v, "{") {
		return v, nil
	}
	return s.OpenValue(ctx, companyID, c.field, v)
}

const keyColumns = `key_id, company_id, purpose, version, state, key_sealed, master_id, old_key_sealed,
	old_master_id, created_at, retired_at`

type keyRow struct {
	keyID       string
	companyID   staffbot.CompanyID
	purpose     string
	version     int
	state       string
	sealed      string
	masterID    string
	oldSealed   string
	oldMasterID string
	createdAt   int64
	retiredAt   sql.NullInt64
}

func scanKeyRow(row scanner) (*keyRow, error) {
	var r keyRow
	err := row.Scan(&r.keyID, &r.companyID, &r.purpose, &r.version, &r.state, &r.sealed, &r.masterID,
		&r.oldSealed, &r.oldMasterID, &r.createdAt, &r.retiredAt)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// unwrap returns the key of a row, from the cache or by unwrapping it under
// whichever of its master keys this process holds.
func (s *Store) unwrap(r *keyRow) (*companyKey, error) {
	if k := s.keys.get(r.keyID); k != nil && k.companyID == r.companyID {
		return k, nil
	}
	raw, err := s.unwrapRaw(r)
	if err != nil {
		return nil, err
	}
	dk, err := secret.DataKeyFrom(r.keyID, raw)
	if err != nil {
		return nil, err
	}
	k := &companyKey{companyID: r.companyID, purpose: r.purpose, data: dk}
	s.keys.put(k)
	return k, nil
}

func (s *Store) unwrapRaw(r *keyRow) ([]byte, error) {
	for _, w := range [][2]string{{r.sealed, r.masterID}, {r.oldSealed, r.oldMasterID}} {
		if w[0] == "" {
			continue
		}
		m, ok := s.sealer.ForKeyID(w[1])
		if !ok {
			continue
		}
		raw, err := m.Unwrap(w[0])
		if err != nil {
			return nil, fmt.Errorf("unwrap key %s: %w", r.keyID, err)
		}
		return raw, nil
	}
	return nil, fmt.Errorf("key %s is wrapped under master key %s, which is not configured (STAFFBOT_MASTER_KEY): %w",
		r.keyID, r.masterID, staffbot.ErrUnavailable)
}

// keyByID returns a key of the company by id. It reads committed keys
// through the pool, so it can be called while a transaction's rows are
// being scanned; keys this process creates are cached at once.
func (s *Store) keyByID(ctx context.Context, companyID staffbot.CompanyID, keyID string) (*companyKey, error) {
	if k := s.keys.get(keyID); k != nil {
		if k.companyID != companyID {
			return nil, fmt.Errorf("key %s: %w", keyID, errNotFound)
		}
		return k, nil
	}
	r, err := scanKeyRow(s.queryRow(ctx, "SELECT "+keyColumns+" FROM company_keys WHERE company_id = ? AND key_id = ?",
		companyID, keyID))
	if err != nil {
		return nil, notFound(err, "find key "+keyID)
	}
	return s.unwrap(r)
}

// activeKey returns the company's active key of a purpose, creating the
// first one when there is none. It reads through the transaction, so a
// rotation committed by another process is seen at once.
func (t *Tx) activeKey(ctx context.Context, companyID staffbot.CompanyID, purpose string) (*companyKey, error) {
	for range 2 {
		r, err := scanKeyRow(t.queryRow(ctx, "SELECT "+keyColumns+
			" FROM company_keys WHERE company_id = ? AND purpose = ? AND state = 'active'", companyID, purpose))
		if err == nil {
			return t.s.unwrap(r)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("find %s key: %w", purpose, err)
		}
		k, err := t.createKey(ctx, companyID, purpose, time.Now())
		if err != nil || k != nil {
			return k, err
		}
		// Another transaction created it first; read theirs.
	}
	return nil, fmt.Errorf("bug: company %d has no active %s key after creating one", companyID, purpose)
}

// createKey adds an active key of a purpose, the next version. It returns
// nil and no error when another transaction made one at the same moment.
func (t *Tx) createKey(ctx context.Context, companyID staffbot.CompanyID, purpose string, now time.Time) (*companyKey, error) {
	dk, err := secret.NewDataKey()
	if err != nil {
		return nil, err
	}
	wrapped, err := t.s.sealer.Wrap(dk.Key)
	if err != nil {
		return nil, err
	}
	var version int
	err = t.queryRow(ctx, "SELECT COALESCE(MAX(version), 0) + 1 FROM company_keys WHERE company_id = ? AND purpose = ?",
		companyID, purpose).Scan(&version)
	if err != nil {
		return nil, fmt.Errorf("next key version: %w", err)
	}
	res, err := t.exec(ctx, `INSERT INTO company_keys (company_id, purpose, version, key_id, state, key_sealed, master_id, created_at)
		VALUES (?, ?, ?, ?, 'active', ?, ?, ?) ON CONFLICT DO NOTHING`,
		companyID, purpose, version, dk.ID, wrapped, t.s.sealer.KeyID(), millis(now))
	if err != nil {
		return nil, fmt.Errorf("create %s key: %w", purpose, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, nil
	}
	k := &companyKey{companyID: companyID, purpose: purpose, data: dk}
	t.s.keys.put(k)
	return k, nil
}

// KeyInfo describes one stored key, for "staffbot keys status". It holds
// no key material.
type KeyInfo struct {
	CompanyID staffbot.CompanyID
	Purpose   string
	Version   int
	KeyID     string
	State     string

	// MasterID names the master key the key is wrapped under;
	// OldMasterID the previous one while a master rotation finishes.
	MasterID    string
	OldMasterID string

	CreatedAt time.Time
	RetiredAt *time.Time
}

// FindKeys lists every company's keys, by company, purpose and version.
func (s *Store) FindKeys(ctx context.Context) ([]KeyInfo, error) {
	rows, err := s.query(ctx, "SELECT "+keyColumns+" FROM company_keys ORDER BY company_id, purpose, version")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []KeyInfo
	for rows.Next() {
		r, err := scanKeyRow(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, KeyInfo{
			CompanyID: r.companyID, Purpose: r.purpose, Version: r.version, KeyID: r.keyID, State: r.state,
			MasterID: r.masterID, OldMasterID: r.oldMasterID,
			CreatedAt: fromMillis(r.createdAt), RetiredAt: fromNullMillis(r.retiredAt),
		})
	}
	return out, rows.Err()
}

// CountMasterSealed counts values still sealed directly with a master key
// ("v1:"), by table and column.
func (s *Store) CountMasterSealed(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	for _, c := range append(append([]sealedColumn{}, sealedColumns...), masterSealedColumns...) {
		ok, err := s.hasTable(ctx, c.table)
		if err != nil || !ok {
			continue
		}
		var n int
		if err := s.queryRow(ctx, "SELECT count(*) FROM "+c.table+" WHERE "+c.column+" LIKE 'v1:%'").Scan(&n); err != nil {
			return nil, err
		}
		if n > 0 {
			out[c.table+"."+c.column] = n
		}
	}
	return out, nil
}

// RotateReport tells what a data key rotation did.
type RotateReport struct {
	CompanyID staffbot.CompanyID
	KeyID     string
	Version   int

	// Resealed counts values moved to the new key; Failed those that did
	// not open (damaged, or under a key this process cannot unwrap), left
	// as they were.
	Resealed int
	Failed   int
}

// RotateDataKey gives the company a new data key and re-seals all its
// values with it, in batches of the given size, each in a short
// transaction of its own, so the server keeps running. The old key is
// retired, not deleted.
func (s *Store) RotateDataKey(ctx context.Context, companyID staffbot.CompanyID, batch int, now time.Time) (*RotateReport, error) {
	rep := &RotateReport{CompanyID: companyID}
	err := s.InTx(ctx, func(tx *Tx) error {
		var old string
		err := tx.queryRow(ctx, `SELECT key_id FROM company_keys WHERE company_id = ? AND purpose = 'data' AND state = 'active'`,
			companyID).Scan(&old)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err = tx.exec(ctx, `UPDATE company_keys SET state = 'retired', retired_at = ?
			WHERE company_id = ? AND purpose = 'data' AND state = 'active'`, millis(now), companyID)
		if err != nil {
			return fmt.Errorf("retire data key: %w", err)
		}
		k, err := tx.createKey(ctx, companyID, keyPurposeData, now)
		if err != nil {
			return err
		}
		if k == nil {
			return fmt.Errorf("company %d: data key rotated by someone else at the same time: %w", companyID, staffbot.ErrConflict)
		}
		rep.KeyID = k.data.ID
		if err := tx.queryRow(ctx, "SELECT version FROM company_keys WHERE key_id = ?", k.data.ID).Scan(&rep.Version); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &staffbot.AuditRecord{
			CompanyID: companyID, At: now, Action: "keys.rotate", ObjectType: "key", ObjectID: k.data.ID,
			Before: auditJSON(map[string]any{"key_id": old}),
			After:  auditJSON(map[string]any{"key_id": k.data.ID, "version": rep.Version}),
		})
	})
	if err != nil {
		return nil, fmt.Errorf("rotate data key of company %d: %w", companyID, err)
	}
	n, failed, err := s.ResealValues(ctx, companyID, batch)
	rep.Resealed, rep.Failed = n, failed
	return rep, err
}

// ResealValues re-seals every value of the company that is not under its
// active data key (values under retired keys, and values sealed directly
// with the master key), in batches. It makes a few passes, since the
// server may write a value under the old key while a pass runs.
func (s *Store) ResealValues(ctx context.Context, companyID staffbot.CompanyID, batch int) (resealed, failed int, err error) {
	if batch <= 0 {
		batch = 500
	}
	for pass := 0; pass < 3; pass++ {
		moved := 0
		for _, c := range sealedColumns {
			n, f, err := s.resealColumn(ctx, c, companyID, batch)
			if err != nil {
				return resealed, failed, fmt.Errorf("re-seal %s.%s: %w", c.table, c.column, err)
			}
			moved += n
			if pass == 0 {
				failed += f
			}
		}
		resealed += moved
		if moved == 0 {
			break
		}
	}
	return resealed, failed, nil
}

func (s *Store) resealColumn(ctx context.Context, c sealedColumn, companyID staffbot.CompanyID, batch int) (moved, failed int, err error) {
	lock := ""
	if s.dialect == Postgres {
		lock = " FOR UPDATE"
	}
	var lastID int64
	for {
		var n int
		err := s.InTx(ctx, func(tx *Tx) error {
			k, err := tx.activeKey(ctx, companyID, keyPurposeData)
			if err != nil {
				return err
			}
			type value struct {
				id     int64
				sealed string
			}
			var vals []value
			empty := ""
			if c.plainJSON() {
				empty = " AND " + c.column + " <> '{}'"
			}
			rows, err := tx.query(ctx, "SELECT id, "+c.column+" FROM "+c.table+" WHERE "+c.company+" = ? AND id > ? AND "+
				c.column+" <> ''"+empty+" AND "+c.column+" NOT LIKE ? ORDER BY id LIMIT ?"+lock,
				companyID, lastID, secret.SealedWith(k.data.ID)+"%", batch)
			if err != nil {
				return err
			}
			for rows.Next() {
				var v value
				if err := rows.Scan(&v.id, &v.sealed); err != nil {
					rows.Close()
					return err
				}
				vals = append(vals, v)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			n = len(vals)
			for _, v := range vals {
				lastID = v.id
				plain, err := s.openColumnValue(ctx, c, companyID, v.sealed)
				if err != nil {
					failed++
					continue
				}
				sealed, err := k.data.Seal(plain, sealContext(companyID, c.field))
				if err != nil {
					return err
				}
				_, err = tx.exec(ctx, "UPDATE "+c.table+" SET "+c.column+" = ? WHERE id = ? AND "+c.column+" = ?",
					sealed, v.id, v.sealed)
				if err != nil {
					return err
				}
				moved++
			}
			return nil
		})
		if err != nil {
			return moved, failed, err
		}
		if n < batch {
			return moved, failed, nil
		}
	}
}

// CompanyIDs lists every company id, for commands that act on
// all of them.
func (s *Store) CompanyIDs(ctx context.Context) ([]staffbot.CompanyID, error) {
	rows, err := s.query(ctx, "SELECT id FROM companies ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []staffbot.CompanyID
	for rows.Next() {
		var id staffbot.CompanyID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// RewrapKeys wraps every stored key under newMaster as well. The wrapping
// under the current master key is kept as the old one, so processes still
// running with the current key go on working; once every process runs
// with the new key first, PruneOldMasterKeys drops it.
func (s *Store) RewrapKeys(ctx context.Context, newMaster *secret.Sealer, now time.Time) (int, error) {
	n := 0
	err := s.InTx(ctx, func(tx *Tx) error {
		n = 0
		keys, err := tx.lockKeyRows(ctx, "ORDER BY id")
		if err != nil {
			return err
		}
		for _, r := range keys {
			raw, err := s.unwrapRaw(r)
			if err != nil {
				return err
			}
			wrapped, err := newMaster.Wrap(raw)
			if err != nil {
				return err
			}
			old, err := s.sealer.Wrap(raw)
			if err != nil {
				return err
			}
			_, err = tx.exec(ctx, `UPDATE company_keys SET key_sealed = ?, master_id = ?, old_key_sealed = ?, old_master_id = ?
				WHERE key_id = ?`, wrapped, newMaster.KeyID(), old, s.sealer.KeyID(), r.keyID)
			if err != nil {
				return fmt.Errorf("re-wrap key %s: %w", r.keyID, err)
			}
			n++
		}
		return tx.AppendAudit(ctx, &staffbot.AuditRecord{
			At: now, Action: "keys.rewrap", ObjectType: "master_key", ObjectID: newMaster.KeyID(),
			Before: auditJSON(map[string]any{"master_id": s.sealer.KeyID()}),
			After:  auditJSON(map[string]any{"master_id": newMaster.KeyID(), "count": n}),
		})
	})
	return n, err
}

// PruneReport tells what PruneOldMasterKeys did.
type PruneReport struct {
	// Rewrapped counts keys that were still wrapped under an old master
	// key only and are now wrapped under the current one.
	Rewrapped int
	// Dropped counts old wrappings removed.
	Dropped int
	// Resealed counts values sealed directly with a master key that were
	// re-sealed: under the current master key, or with the company's data
	// key where the column has one.
	Resealed int
}

// PruneOldMasterKeys finishes a master key rotation: every key ends up
// wrapped under the current master key only, and values sealed directly
// with a previous master key are re-sealed. Run it once every process uses
// the new key; afterwards the previous key can leave the configuration.
func (s *Store) PruneOldMasterKeys(ctx context.Context, batch int, now time.Time) (*PruneReport, error) {
	rep := &PruneReport{}
	cur := s.sealer.KeyID()
	err := s.InTx(ctx, func(tx *Tx) error {
		keys, err := tx.lockKeyRows(ctx, "WHERE master_id <> ? OR old_key_sealed <> ''", cur)
		if err != nil {
			return err
		}
		for _, r := range keys {
			sealed := r.sealed
			if r.masterID != cur {
				raw, err := s.unwrapRaw(r)
				if err != nil {
					return err
				}
				if sealed, err = s.sealer.Wrap(raw); err != nil {
					return err
				}
				rep.Rewrapped++
			}
			if r.oldSealed != "" {
				rep.Dropped++
			}
			_, err := tx.exec(ctx, `UPDATE company_keys SET key_sealed = ?, master_id = ?, old_key_sealed = '', old_master_id = ''
				WHERE key_id = ?`, sealed, cur, r.keyID)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	// Values of this store's own columns become data-key values; columns
	// whose code seals with the master key stay so, under the current key.
	ids, err := s.CompanyIDs(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		n, _, err := s.ResealValues(ctx, id, batch)
		if err != nil {
			return nil, err
		}
		rep.Resealed += n
	}
	for _, c := range masterSealedColumns {
		n, err := s.resealMasterColumn(ctx, c, batch)
		if err != nil {
			return nil, fmt.Errorf("re-seal %s.%s: %w", c.table, c.column, err)
		}
		rep.Resealed += n
	}
	err = s.InTx(ctx, func(tx *Tx) error {
		return tx.AppendAudit(ctx, &staffbot.AuditRecord{
			At: now, Action: "keys.prune", ObjectType: "master_key", ObjectID: cur,
			After: auditJSON(map[string]any{"rewrapped": rep.Rewrapped, "dropped": rep.Dropped, "resealed": rep.Resealed}),
		})
	})
	return rep, err
}

// resealMasterColumn re-seals under the current master key the values of
// a column sealed directly with a master key, when previous master keys
// are configured (otherwise every such value is already under the current
// one).
func (s *Store) resealMasterColumn(ctx context.Context, c sealedColumn, batch int) (int, error) {
	if len(s.sealer.Previous()) == 0 {
		return 0, nil
	}
	if ok, err := s.hasTable(ctx, c.table); err != nil || !ok {
		return 0, err
	}
	moved := 0
	var lastID int64
	for {
		var n int
		err := s.InTx(ctx, func(tx *Tx) error {
			rows, err := tx.query(ctx, "SELECT id, "+c.column+" FROM "+c.table+" WHERE id > ? AND "+c.column+
				" LIKE 'v1:%' ORDER BY id LIMIT ?"+s.forUpdate(), lastID, batch)
			if err != nil {
				return err
			}
			type value struct {
				id     int64
				sealed string
			}
			var vals []value
			for rows.Next() {
				var v value
				if err := rows.Scan(&v.id, &v.sealed); err != nil {
					rows.Close()
					return err
				}
				vals = append(vals, v)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			n = len(vals)
			for _, v := range vals {
				lastID = v.id
				plain, err := s.sealer.Open(v.sealed)
				if err != nil {
					continue
				}
				sealed, err := s.sealer.Seal(plain)
				if err != nil {
					return err
				}
				if _, err := tx.exec(ctx, "UPDATE "+c.table+" SET "+c.column+" = ? WHERE id = ? AND "+c.column+" = ?",
					sealed, v.id, v.sealed); err != nil {
					return err
				}
				moved++
			}
			return nil
		})
		if err != nil || n < batch {
			return moved, err
		}
	}
}

// hasTable reports whether the database has a table; the store's own
// lists name tables that other features add.
func (s *Store) hasTable(ctx context.Context, name string) (bool, error) {
	var n int
	var err error
	if s.dialect == Postgres {
		err = s.queryRow(ctx, `SELECT count(*) FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_name = ?`, name).Scan(&n)
	} else {
		err = s.queryRow(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", name).Scan(&n)
	}
	return n > 0, err
}

// lockKeyRows reads and locks the company_keys rows that the rest of a
// query (a WHERE and/or ORDER BY clause) selects.
func (t *Tx) lockKeyRows(ctx context.Context, rest string, args ...any) ([]*keyRow, error) {
	rows, err := t.query(ctx, "SELECT "+keyColumns+" FROM company_keys "+rest+t.s.forUpdate(), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []*keyRow
	for rows.Next() {
		r, err := scanKeyRow(rows)
		if err != nil {
			return nil, err
		}
		keys = append(keys, r)
	}
	return keys, rows.Err()
}
