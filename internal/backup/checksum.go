package backup

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/staffbot/staffbot/internal/store"
)

// TableSum is a table's row count and checksum. The checksum is the sum,
// modulo 2^256, of the SHA-256 of every row (its columns by name, each
// value with its type), so it does not depend on the order rows are read
// in or on the order of columns, and is the same on both databases.
type TableSum struct {
	Rows     int64  `json:"rows"`
	Checksum string `json:"checksum"`
}

// summer accumulates a TableSum.
type summer struct {
	rows  int64
	sum   [4]uint64 // little-endian limbs
	order []int     // column indexes sorted by name
	cols  []string
}

func newSummer(cols []string) *summer {
	s := &summer{cols: cols, order: make([]int, len(cols))}
	for i := range cols {
		s.order[i] = i
	}
	slices.SortFunc(s.order, func(a, b int) int {
		switch {
		case cols[a] < cols[b]:
			return -1
		case cols[a] > cols[b]:
			return 1
		}
		return 0
	})
	return s
}

func (s *summer) add(vals []any) {
	h := sha256.New()
	for _, i := range s.order {
		h.Write([]byte(s.cols[i]))
		h.Write([]byte{0x1f})
		h.Write(canonical(vals[i]))
		h.Write([]byte{0x1e})
	}
	d := h.Sum(nil)
	var carry uint64
	for i := range 4 {
		limb := binary.BigEndian.Uint64(d[24-8*i : 32-8*i])
		sum := s.sum[i] + limb
		c1 := uint64(0)
		if sum < s.sum[i] {
			c1 = 1
		}
		sum2 := sum + carry
		if sum2 < sum {
			c1++
		}
		s.sum[i], carry = sum2, c1
	}
	s.rows++
}

func (s *summer) result() TableSum {
	var b [32]byte
	for i := range 4 {
		binary.BigEndian.PutUint64(b[24-8*i:32-8*i], s.sum[i])
	}
	return TableSum{Rows: s.rows, Checksum: hex.EncodeToString(b[:])}
}

// canonical writes a value with its kind, the same whichever database it
// came from: integers and booleans as integers, text as text.
func canonical(v any) []byte {
	switch x := v.(type) {
	case nil:
		return []byte("N")
	case int64:
		return []byte("I" + strconv.FormatInt(x, 10))
	case int32:
		return []byte("I" + strconv.FormatInt(int64(x), 10))
	case int:
		return []byte("I" + strconv.Itoa(x))
	case bool:
		if x {
			return []byte("I1")
		}
		return []byte("I0")
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return []byte("I" + strconv.FormatInt(int64(x), 10))
		}
		return []byte("F" + strconv.FormatFloat(x, 'g', -1, 64))
	case string:
		return append([]byte("S"), x...)
	case []byte:
		return append([]byte("S"), x...)
	case time.Time:
		return []byte("T" + x.UTC().Format(time.RFC3339Nano))
	}
	return []byte(fmt.Sprintf("?%v", v))
}

// Checksums reads every table of the store (but the migration log) and
// returns its row count and checksum; two databases with the same rows
// have the same sums.
func Checksums(ctx context.Context, st *store.Store) (map[string]TableSum, error) {
	return checksums(ctx, st.DB(), st.Dialect())
}

func checksums(ctx context.Context, q sqlQuerier, dialect store.Dialect) (map[string]TableSum, error) {
	sc, err := readSchema(ctx, q, dialect)
	if err != nil {
		return nil, err
	}
	out := map[string]TableSum{}
	for _, t := range sc.tables {
		sum, err := tableSum(ctx, q, t.name, t.columns)
		if err != nil {
			return nil, err
		}
		out[t.name] = sum
	}
	return out, nil
}

// tableSum sums the given columns of a table.
func tableSum(ctx context.Context, q sqlQuerier, name string, cols []string) (TableSum, error) {
	qc := make([]string, len(cols))
	for i, c := range cols {
		qc[i] = quote(c)
	}
	rows, err := q.QueryContext(ctx, "SELECT "+joinComma(qc)+" FROM "+quote(name))
	if err != nil {
		return TableSum{}, fmt.Errorf("read %s: %w", name, err)
	}
	defer rows.Close()
	s := newSummer(cols)
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return TableSum{}, err
		}
		s.add(vals)
	}
	return s.result(), rows.Err()
}
