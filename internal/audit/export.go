package audit

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/store"
)

// csvHeader is the first line of an export.
var csvHeader = []string{"seq", "at", "actor_kind", "actor_id", "ip", "action", "object_type", "object_id",
	"subject_id", "before", "after", "redacted"}

// ExportCSV writes a company's records from from (inclusive) to to
// (exclusive; zero for no end) as CSV, in chain order, and returns how many
// it wrote. Times are UTC. Cells that a spreadsheet would run as a formula
// are quoted with a leading apostrophe.
func ExportCSV(ctx context.Context, st *store.Store, companyID staffbot.CompanyID, from, to time.Time, w io.Writer) (int, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return 0, err
	}
	n := 0
	var after int64
	for {
		recs, err := st.FindAudit(ctx, companyID, store.AuditFilter{From: from, To: to, AfterSeq: after, Limit: 1000})
		if err != nil {
			return n, err
		}
		for _, r := range recs {
			subject := ""
			if r.SubjectID != nil {
				subject = fmt.Sprint(*r.SubjectID)
			}
			row := []string{
				fmt.Sprint(r.Seq), r.At.UTC().Format(time.RFC3339Nano), string(r.Actor.Kind), r.Actor.ID, r.Actor.IP,
				r.Action, r.ObjectType, r.ObjectID, subject, string(r.Before), string(r.After), fmt.Sprint(r.Redacted),
			}
			for i := range row {
				row[i] = defuse(row[i])
			}
			if err := cw.Write(row); err != nil {
				return n, err
			}
			n++
			after = r.Seq
		}
		if len(recs) < 1000 {
			break
		}
	}
	cw.Flush()
	return n, cw.Error()
}

// defuse keeps a spreadsheet from running a cell as a formula.
func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
