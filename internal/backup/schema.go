package backup

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/staffbot/staffbot/internal/store"
)

// sqlQuerier is a *sql.DB, *sql.Tx or *sql.Conn.
type sqlQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// table is what a backup needs to know of a table.
type table struct {
	name    string
	columns []string
	notNull map[string]bool
	// selfRefs are nullable columns referencing the table itself (an
	// employee's manager), filled in after all rows are in.
	selfRefs []string
	// identity is the auto-increment column, whose sequence PostgreSQL
	// must be told about after rows come in with their ids.
	identity string
}

// schema is the tables of a database in an order where every table comes
// after the tables it references.
type schema struct {
	tables []*table
	byName map[string]*table
}

// skipped tables are not data: the migration log (the restore target has
// its own) and SQLite's bookkeeping.
func skipped(name string) bool {
	return name == "schema_migrations" || strings.HasPrefix(name, "sqlite_")
}

// readSchema reads the tables, their columns and references through q.
func readSchema(ctx context.Context, q sqlQuerier, dialect store.Dialect) (*schema, error) {
	var (
		names []string
		refs  = map[string][]string{} // table → referenced tables
		fkCol = map[string][]string{} // table → columns referencing itself
		err   error
	)
	sc := &schema{byName: map[string]*table{}}

	if dialect == store.Postgres {
		names, err = strings1(ctx, q, `SELECT table_name FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
		if err != nil {
			return nil, err
		}
		rows, err := q.QueryContext(ctx, `SELECT tc.relname, rc.relname, a.attname
			FROM pg_constraint con
			JOIN pg_class tc ON tc.oid = con.conrelid
			JOIN pg_class rc ON rc.oid = con.confrelid
			JOIN pg_namespace n ON n.oid = tc.relnamespace
			JOIN LATERAL unnest(con.conkey) AS k(attnum) ON true
			JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
			WHERE con.contype = 'f' AND n.nspname = current_schema()`)
		if err != nil {
			return nil, fmt.Errorf("read foreign keys: %w", err)
		}
		for rows.Next() {
			var from, to, col string
			if err := rows.Scan(&from, &to, &col); err != nil {
				rows.Close()
				return nil, err
			}
			addRef(refs, fkCol, from, to, col)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	} else {
		names, err = strings1(ctx, q, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			if skipped(n) {
				continue
			}
			rows, err := q.QueryContext(ctx, `SELECT "table", "from" FROM pragma_foreign_key_list(?)`, n)
			if err != nil {
				return nil, fmt.Errorf("read foreign keys of %s: %w", n, err)
			}
			for rows.Next() {
				var to, col string
				if err := rows.Scan(&to, &col); err != nil {
					rows.Close()
					return nil, err
				}
				addRef(refs, fkCol, n, to, col)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
		}
	}

	for _, n := range names {
		if skipped(n) {
			continue
		}
		t, err := readTable(ctx, q, dialect, n)
		if err != nil {
			return nil, err
		}
		for _, c := range fkCol[n] {
			if !t.notNull[c] && !slices.Contains(t.selfRefs, c) {
				t.selfRefs = append(t.selfRefs, c)
			}
		}
		sc.byName[n] = t
	}

	// Order: referenced tables first.
	done := map[string]bool{}
	var visit func(n string, path []string) error
	visit = func(n string, path []string) error {
		if done[n] {
			return nil
		}
		if slices.Contains(path, n) {
			return fmt.Errorf("tables reference each other in a cycle: %s", strings.Join(append(path, n), " → "))
		}
		for _, r := range refs[n] {
			if r == n || sc.byName[r] == nil {
				continue
			}
			if err := visit(r, append(path, n)); err != nil {
				return err
			}
		}
		done[n] = true
		sc.tables = append(sc.tables, sc.byName[n])
		return nil
	}
	for _, n := range names {
		if sc.byName[n] != nil {
			if err := visit(n, nil); err != nil {
				return nil, err
			}
		}
	}
	return sc, nil
}

func addRef(refs, fkCol map[string][]string, from, to, col string) {
	if !slices.Contains(refs[from], to) {
		refs[from] = append(refs[from], to)
	}
	if from == to {
		fkCol[from] = append(fkCol[from], col)
	}
}

func readTable(ctx context.Context, q sqlQuerier, dialect store.Dialect, name string) (*table, error) {
	t := &table{name: name, notNull: map[string]bool{}}
	var query string
	if dialect == store.Postgres {
		query = `SELECT column_name, is_nullable = 'NO', is_identity = 'YES' FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`
	} else {
		// An INTEGER PRIMARY KEY is the rowid: SQLite numbers it itself.
		query = `SELECT name, "notnull" = 1, pk = 1 AND upper(type) = 'INTEGER' FROM pragma_table_info(?) ORDER BY cid`
	}
	rows, err := q.QueryContext(ctx, query, name)
	if err != nil {
		return nil, fmt.Errorf("read columns of %s: %w", name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			col              string
			notNull, identit bool
		)
		if err := rows.Scan(&col, &notNull, &identit); err != nil {
			return nil, err
		}
		t.columns = append(t.columns, col)
		t.notNull[col] = notNull
		if identit {
			t.identity = col
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(t.columns) == 0 {
		return nil, fmt.Errorf("table %s has no columns", name)
	}
	return t, nil
}

func strings1(ctx context.Context, q sqlQuerier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// quote quotes an identifier for both databases.
func quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
