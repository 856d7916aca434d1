// Package backup makes encrypted, consistent backups of a staffbot
// database while the server runs, restores them, and checks them by
// restoring into a scratch database.
//
// A backup is a logical export: every table's rows as JSON lines, read in
// one snapshot (an SQLite read transaction, a PostgreSQL REPEATABLE READ
// transaction), gzipped, and encrypted with AES-256-GCM in chunks under a
// key derived from the master key and a random salt. The format is the
// same for both databases, so a backup of one restores into the other, and
// needs no external tool.
//
// File layout: the magic line, a length-prefixed JSON header in the clear
// (format version, creation time, the master key's id, the salt, the
// source database), then the encrypted stream, whose every chunk is bound
// to the header. Inside the stream: a meta line (migrations, tables), then
// per table a line naming its columns, one JSON array per row, and a line
// with its row count and checksum, then an end line.
package backup

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/secret"
	"github.com/staffbot/staffbot/internal/store"
)

// Magic starts every backup file.
const Magic = "STAFFBOT-BACKUP\n"

// FormatVersion is the version of the layout this package writes.
const FormatVersion = 1

// DefaultKeep is how long backups are kept in their directory: 60 days,
// the product's promise of "kept at most 2 months".
const DefaultKeep = 60 * 24 * time.Hour

// Header is the clear part of a backup file.
type Header struct {
	Version     int       `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	MasterKeyID string    `json:"master_key_id"`
	Salt        []byte    `json:"salt"`
	Dialect     string    `json:"dialect"`
}

// Manifest describes a backup's content.
type Manifest struct {
	Header
	Migrations []string            `json:"migrations"`
	Tables     []string            `json:"tables"`
	Sums       map[string]TableSum `json:"-"`
}

// Rows returns the number of rows in the backup.
func (m *Manifest) Rows() int64 {
	var n int64
	for _, s := range m.Sums {
		n += s.Rows
	}
	return n
}

// Lines of the stream.
type metaLine struct {
	Backup     int      `json:"staffbot_backup"`
	Migrations []string `json:"migrations"`
	Tables     []string `json:"tables"`
}

type tableLine struct {
	Table   string   `json:"table"`
	Columns []string `json:"columns"`
}

type endTableLine struct {
	End      string `json:"end"`
	Rows     int64  `json:"rows"`
	Checksum string `json:"checksum"`
}

type doneLine struct {
	Done   bool `json:"done"`
	Tables int  `json:"tables"`
}

// bytesValue marks a BLOB in a row, which JSON has no type for.
type bytesValue struct {
	B []byte `json:"$bytes"`
}

// Create writes a backup of the store to w. It reads everything in one
// snapshot, so writes made meanwhile by a running server are either all in
// or all out.
func Create(ctx context.Context, st *store.Store, w io.Writer, now time.Time) (*Manifest, error) {
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	m := &Manifest{
		Header: Header{
			Version: FormatVersion, CreatedAt: now.UTC().Truncate(time.Second), MasterKeyID: st.Sealer().KeyID(),
			Salt: salt, Dialect: string(st.Dialect()),
		},
		Sums: map[string]TableSum{},
	}
	head, err := writeHeader(w, m.Header)
	if err != nil {
		return nil, err
	}
	key, err := st.Sealer().DeriveKey("backup", salt)
	if err != nil {
		return nil, err
	}
	enc, err := secret.NewStreamWriter(w, key, head)
	if err != nil {
		return nil, err
	}
	zw := gzip.NewWriter(enc)
	bw := bufio.NewWriterSize(zw, 64<<10)

	opts := &sql.TxOptions{ReadOnly: true}
	if st.Dialect() == store.Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := st.DB().BeginTx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("begin snapshot: %w", err)
	}
	defer tx.Rollback()

	if err := dump(ctx, tx, st.Dialect(), bw, m); err != nil {
		return nil, err
	}
	for _, c := range []io.Closer{flusher{bw}, zw, enc} {
		if err := c.Close(); err != nil {
			return nil, fmt.Errorf("write backup: %w", err)
		}
	}
	return m, nil
}

type flusher struct{ w *bufio.Writer }

func (f flusher) Close() error { return f.w.Flush() }

func dump(ctx context.Context, tx *sql.Tx, dialect store.Dialect, w io.Writer, m *Manifest) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)

	migrations, err := strings1(ctx, tx, "SELECT name FROM schema_migrations ORDER BY version")
	if err != nil {
		return fmt.Errorf("read migrations: %w", err)
	}
	sc, err := readSchema(ctx, tx, dialect)
	if err != nil {
		return err
	}
	m.Migrations = migrations
	for _, t := range sc.tables {
		m.Tables = append(m.Tables, t.name)
	}
	if err := enc.Encode(metaLine{Backup: FormatVersion, Migrations: migrations, Tables: m.Tables}); err != nil {
		return err
	}

	for _, t := range sc.tables {
		if err := enc.Encode(tableLine{Table: t.name, Columns: t.columns}); err != nil {
			return err
		}
		sum, err := dumpTable(ctx, tx, t, enc)
		if err != nil {
			return err
		}
		m.Sums[t.name] = sum
		if err := enc.Encode(endTableLine{End: t.name, Rows: sum.Rows, Checksum: sum.Checksum}); err != nil {
			return err
		}
	}
	return enc.Encode(doneLine{Done: true, Tables: len(sc.tables)})
}

func dumpTable(ctx context.Context, tx *sql.Tx, t *table, enc *json.Encoder) (TableSum, error) {
	cols := make([]string, len(t.columns))
	for i, c := range t.columns {
		cols[i] = quote(c)
	}
	rows, err := tx.QueryContext(ctx, "SELECT "+joinComma(cols)+" FROM "+quote(t.name))
	if err != nil {
		return TableSum{}, fmt.Errorf("read %s: %w", t.name, err)
	}
	defer rows.Close()
	s := newSummer(t.columns)
	vals := make([]any, len(t.columns))
	ptrs := make([]any, len(t.columns))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	out := make([]any, len(t.columns))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return TableSum{}, fmt.Errorf("read %s: %w", t.name, err)
		}
		s.add(vals)
		for i, v := range vals {
			switch x := v.(type) {
			case []byte:
				out[i] = bytesValue{B: x}
			case time.Time:
				out[i] = x.UTC().Format(time.RFC3339Nano)
			default:
				out[i] = v
			}
		}
		if err := enc.Encode(out); err != nil {
			return TableSum{}, err
		}
	}
	return s.result(), rows.Err()
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}

// writeHeader writes the magic and the header and returns both as the
// bytes every encrypted chunk is bound to.
func writeHeader(w io.Writer, h Header) ([]byte, error) {
	js, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 0, len(Magic)+4+len(js))
	buf = append(buf, Magic...)
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(js)))
	buf = append(buf, js...)
	if _, err := w.Write(buf); err != nil {
		return nil, fmt.Errorf("write backup: %w", err)
	}
	return buf, nil
}

// ReadHeader reads the clear header of a backup.
func ReadHeader(r io.Reader) (Header, []byte, error) {
	var h Header
	buf := make([]byte, len(Magic)+4)
	if _, err := io.ReadFull(r, buf); err != nil || string(buf[:len(Magic)]) != Magic {
		return h, nil, fmt.Errorf("not a staffbot backup: %w", staffbot.ErrInvalid)
	}
	n := binary.BigEndian.Uint32(buf[len(Magic):])
	if n > 64<<10 {
		return h, nil, fmt.Errorf("backup header too long: %w", staffbot.ErrInvalid)
	}
	js := make([]byte, n)
	if _, err := io.ReadFull(r, js); err != nil {
		return h, nil, fmt.Errorf("backup header cut short: %w", staffbot.ErrInvalid)
	}
	if err := json.Unmarshal(js, &h); err != nil {
		return h, nil, fmt.Errorf("backup header: %w", staffbot.ErrInvalid)
	}
	if h.Version != FormatVersion {
		return h, nil, fmt.Errorf("backup format %d, this staffbot reads %d: %w", h.Version, FormatVersion, staffbot.ErrInvalid)
	}
	return h, append(buf, js...), nil
}

// open returns the decrypted, decompressed content of a backup.
func open(r io.Reader, sealer *secret.Sealer) (Header, io.Reader, error) {
	h, head, err := ReadHeader(r)
	if err != nil {
		return h, nil, err
	}
	master, ok := sealer.ForKeyID(h.MasterKeyID)
	if !ok {
		return h, nil, fmt.Errorf("backup was made under master key %s, and the configured key is %s; "+
			"give the old key too (STAFFBOT_MASTER_KEY=NEW,OLD): %w", h.MasterKeyID, sealer.KeyID(), staffbot.ErrForbidden)
	}
	key, err := master.DeriveKey("backup", h.Salt)
	if err != nil {
		return h, nil, err
	}
	dec, err := secret.NewStreamReader(bufio.NewReaderSize(r, 128<<10), key, head)
	if err != nil {
		return h, nil, err
	}
	zr, err := gzip.NewReader(dec)
	if err != nil {
		return h, nil, fmt.Errorf("open backup: %w", err)
	}
	return h, zr, nil
}

// CreateFile writes a backup to path, which must not exist yet, through
// a temporary file renamed when complete, readable by the owner only.
func CreateFile(ctx context.Context, st *store.Store, path string, now time.Time) (*Manifest, error) {
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("%s exists: %w", path, staffbot.ErrConflict)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, ".staffbot-backup-*")
	if err != nil {
		return nil, err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, err
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	m, err := Create(ctx, st, bw, now)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, err
	}
	return m, nil
}

// Prune deletes the backups in dir made longer than keep before now, by
// the creation time in their header (not the file's, which a copy
// changes), and returns their paths. Files that are not backups stay.
func Prune(dir string, keep time.Duration, now time.Time) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		h, _, err := ReadHeader(f)
		f.Close()
		if err != nil || !h.CreatedAt.Before(now.Add(-keep)) {
			continue
		}
		if err := os.Remove(path); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, path)
	}
	return removed, errors.Join(errs...)
}
