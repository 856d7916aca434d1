package backup

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/secret"
	"github.com/staffbot/staffbot/internal/store"
)

// RestoreOptions adjust Restore.
type RestoreOptions struct {
	// Force empties a database that has data before restoring into it.
	Force bool
}

// ErrNotEmpty is returned when the restore target already has data.
var ErrNotEmpty = errors.New("target database is not empty")

// Restore loads a backup into the store's database, which must be migrated
// and empty (or Force). Everything happens in one transaction: a restore
// that fails leaves the database as it was. Before committing, every
// table's row count and checksum are read back and compared with the ones
// in the backup.
func Restore(ctx context.Context, st *store.Store, r io.Reader, opts RestoreOptions) (*Manifest, error) {
	h, content, err := open(r, st.Sealer())
	if err != nil {
		return nil, err
	}
	m := &Manifest{Header: h, Sums: map[string]TableSum{}}
	dec := json.NewDecoder(content)
	dec.UseNumber()

	var meta metaLine
	if err := dec.Decode(&meta); err != nil || meta.Backup != FormatVersion {
		return nil, fmt.Errorf("read backup: %w", streamErr(err))
	}
	m.Migrations, m.Tables = meta.Migrations, meta.Tables

	tx, err := st.DB().BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	have, err := strings1(ctx, tx, "SELECT name FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	for _, name := range meta.Migrations {
		if !slices.Contains(have, name) {
			return nil, fmt.Errorf("backup has migration %s, which this staffbot does not know: restore it with a newer version: %w",
				name, staffbot.ErrInvalid)
		}
	}
	sc, err := readSchema(ctx, tx, st.Dialect())
	if err != nil {
		return nil, err
	}
	if err := prepareTarget(ctx, tx, sc, opts.Force); err != nil {
		return nil, err
	}

	ld := &loader{tx: tx, dialect: st.Dialect()}
	columns := map[string][]string{}
	for range meta.Tables {
		var tl tableLine
		if err := dec.Decode(&tl); err != nil {
			return nil, fmt.Errorf("read backup: %w", streamErr(err))
		}
		t := sc.byName[tl.Table]
		if t == nil {
			return nil, fmt.Errorf("backup has table %s, which this database has not: %w", tl.Table, staffbot.ErrInvalid)
		}
		for _, c := range tl.Columns {
			if !slices.Contains(t.columns, c) {
				return nil, fmt.Errorf("backup has column %s.%s, which this database has not: %w", tl.Table, c, staffbot.ErrInvalid)
			}
		}
		end, err := ld.loadTable(ctx, dec, t, tl.Columns)
		if err != nil {
			return nil, fmt.Errorf("restore %s: %w", tl.Table, err)
		}
		m.Sums[tl.Table] = TableSum{Rows: end.Rows, Checksum: end.Checksum}
		columns[tl.Table] = tl.Columns
	}
	var done doneLine
	if err := dec.Decode(&done); err != nil || !done.Done || done.Tables != len(meta.Tables) {
		return nil, fmt.Errorf("read backup: %w", streamErr(err))
	}
	// The stream must end here, with its authenticated last chunk.
	if _, err := io.Copy(io.Discard, io.MultiReader(dec.Buffered(), content)); err != nil {
		return nil, fmt.Errorf("read backup: %w", streamErr(err))
	}

	if st.Dialect() == store.Postgres {
		if err := resetSequences(ctx, tx, sc); err != nil {
			return nil, err
		}
	}
	// Read back what went in: the backup's columns of each table (a newer
	// schema may have added columns, which hold their defaults).
	got := map[string]TableSum{}
	for name, cols := range columns {
		if got[name], err = tableSum(ctx, tx, name, cols); err != nil {
			return nil, err
		}
	}
	if err := compareSums(m.Sums, got); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit restore: %w", err)
	}
	return m, nil
}

// streamErr explains a backup that does not read to its end.
func streamErr(err error) error {
	switch {
	case err == nil, errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("backup ends too early: %w", secret.ErrStreamDamaged)
	}
	return err
}

// compareSums reports tables whose rows did not come back as they were.
func compareSums(want, got map[string]TableSum) error {
	var bad []string
	for name, w := range want {
		g := got[name]
		if g != w {
			bad = append(bad, fmt.Sprintf("%s (%d rows, want %d)", name, g.Rows, w.Rows))
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return fmt.Errorf("restored tables differ from the backup: %s", strings.Join(bad, ", "))
	}
	return nil
}

// prepareTarget makes sure the target holds no data, or deletes it when
// forced, children before parents.
func prepareTarget(ctx context.Context, tx *sql.Tx, sc *schema, force bool) error {
	for _, t := range sc.tables {
		var one int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM "+quote(t.name)+" LIMIT 1").Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return err
		}
		if !force {
			return fmt.Errorf("%w: table %s has rows (use --force to replace them)", ErrNotEmpty, t.name)
		}
		break
	}
	if !force {
		return nil
	}
	for i := len(sc.tables) - 1; i >= 0; i-- {
		t := sc.tables[i]
		if len(t.selfRefs) > 0 {
			set := make([]string, len(t.selfRefs))
			for j, c := range t.selfRefs {
				set[j] = quote(c) + " = NULL"
			}
			if _, err := tx.ExecContext(ctx, "UPDATE "+quote(t.name)+" SET "+strings.Join(set, ", ")); err != nil {
				return fmt.Errorf("empty %s: %w", t.name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+quote(t.name)); err != nil {
			return fmt.Errorf("empty %s: %w", t.name, err)
		}
	}
	return nil
}

// loader inserts rows in batches.
type loader struct {
	tx      *sql.Tx
	dialect store.Dialect
}

// maxParams keeps a batch under both databases' limit of bound values.
const maxParams = 2000

func (l *loader) loadTable(ctx context.Context, dec *json.Decoder, t *table, cols []string) (endTableLine, error) {
	var end endTableLine
	// Columns referencing the table itself go in empty and are set once
	// every row is there.
	idIdx := slices.Index(cols, "id")
	var self []int
	for _, c := range t.selfRefs {
		if i := slices.Index(cols, c); i >= 0 {
			self = append(self, i)
		}
	}
	if len(self) > 0 && idIdx < 0 {
		return end, fmt.Errorf("table references itself but has no id column")
	}
	type link struct {
		id   any
		vals []any
	}
	var links []link

	perRow := max(1, maxParams/len(cols))
	batch := make([][]any, 0, perRow)
	sum := newSummer(cols)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := l.insert(ctx, t.name, cols, batch)
		batch = batch[:0]
		return err
	}

	for {
		raw := json.RawMessage{}
		if err := dec.Decode(&raw); err != nil {
			return end, streamErr(err)
		}
		if len(raw) > 0 && raw[0] == '{' {
			if err := json.Unmarshal(raw, &end); err != nil || end.End != t.name {
				return end, fmt.Errorf("unexpected line in backup: %w", secret.ErrStreamDamaged)
			}
			break
		}
		row, err := decodeRow(raw, len(cols))
		if err != nil {
			return end, err
		}
		sum.add(row)
		if len(self) > 0 {
			lk := link{id: row[idIdx]}
			set := false
			for _, i := range self {
				lk.vals = append(lk.vals, row[i])
				set = set || row[i] != nil
				row[i] = nil
			}
			if set {
				links = append(links, lk)
			}
		}
		batch = append(batch, row)
		if len(batch) == perRow {
			if err := flush(); err != nil {
				return end, err
			}
		}
	}
	if err := flush(); err != nil {
		return end, err
	}

	if got := sum.result(); got.Rows != end.Rows || got.Checksum != end.Checksum {
		return end, fmt.Errorf("rows read do not match the backup's checksum: %w", secret.ErrStreamDamaged)
	}
	if len(links) > 0 {
		set := make([]string, len(self))
		for j, i := range self {
			set[j] = quote(cols[i]) + " = ?"
		}
		q := l.rebind("UPDATE " + quote(t.name) + " SET " + strings.Join(set, ", ") + " WHERE id = ?")
		for _, lk := range links {
			if _, err := l.tx.ExecContext(ctx, q, append(lk.vals, lk.id)...); err != nil {
				return end, fmt.Errorf("link rows: %w", err)
			}
		}
	}
	return end, nil
}

func (l *loader) insert(ctx context.Context, name string, cols []string, rows [][]any) error {
	qc := make([]string, len(cols))
	for i, c := range cols {
		qc[i] = quote(c)
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	q := "INSERT INTO " + quote(name) + " (" + strings.Join(qc, ", ") + ") VALUES " +
		strings.TrimSuffix(strings.Repeat(one+", ", len(rows)), ", ")
	args := make([]any, 0, len(cols)*len(rows))
	for _, r := range rows {
		args = append(args, r...)
	}
	if _, err := l.tx.ExecContext(ctx, l.rebind(q), args...); err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	return nil
}

// rebind numbers placeholders for PostgreSQL.
func (l *loader) rebind(q string) string {
	if l.dialect != store.Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// decodeRow turns a JSON array back into values for the database.
func decodeRow(raw json.RawMessage, n int) ([]any, error) {
	var cells []json.RawMessage
	if err := json.Unmarshal(raw, &cells); err != nil || len(cells) != n {
		return nil, fmt.Errorf("bad row in backup: %w", secret.ErrStreamDamaged)
	}
	row := make([]any, n)
	for i, c := range cells {
		switch {
		case string(c) == "null":
			row[i] = nil
		case len(c) > 0 && c[0] == '"':
			var s string
			if err := json.Unmarshal(c, &s); err != nil {
				return nil, err
			}
			row[i] = s
		case len(c) > 0 && c[0] == '{':
			var b bytesValue
			if err := json.Unmarshal(c, &b); err != nil {
				return nil, err
			}
			row[i] = b.B
		case string(c) == "true" || string(c) == "false":
			row[i] = string(c) == "true"
		default:
			if v, err := strconv.ParseInt(string(c), 10, 64); err == nil {
				row[i] = v
				continue
			}
			v, err := strconv.ParseFloat(string(c), 64)
			if err != nil {
				return nil, fmt.Errorf("bad number in backup: %w", secret.ErrStreamDamaged)
			}
			row[i] = v
		}
	}
	return row, nil
}

// resetSequences moves PostgreSQL's identity sequences past the ids that
// came in with the rows, so new rows do not collide with them.
func resetSequences(ctx context.Context, tx *sql.Tx, sc *schema) error {
	for _, t := range sc.tables {
		if t.identity == "" {
			continue
		}
		q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', '%s'), COALESCE((SELECT MAX(%s) FROM %s), 0) + 1, false)`,
			strings.ReplaceAll(quote(t.name), "'", "''"), strings.ReplaceAll(t.identity, "'", "''"), quote(t.identity), quote(t.name))
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("reset sequence of %s: %w", t.name, err)
		}
	}
	return nil
}
