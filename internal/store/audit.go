package store

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
)

// The audit log is a hash chain per company. A record's hash is an HMAC,
// under the company's audit key, of its seq, the previous record's hash,
// its fields and the HMAC of its details; the chain's head (the last seq
// and hash) is kept in audit_chains and locked by every append, so appends
// of one company queue. Without the master key nobody can recompute a
// hash, so a record edited, deleted, inserted or moved in the database,
// even by someone able to write to it, no longer verifies.
//
// Two changes are legitimate and leave the chain verifiable: pruning
// deletes the oldest records and keeps the last pruned hash as the anchor
// the rest hangs from (with an audit.prune record saying so), and
// redaction replaces the details of records about an erased or anonymised
// employee while their details MAC stays (with an audit.redact record
// listing them).

// Audit actions the store writes itself.
const (
	AuditPrune  = "audit.prune"
	AuditRedact = "audit.redact"
)

const redactedDetails = `{"redacted":true}`

// auditDetails is what the details column holds.
type auditDetails struct {
	IP     string          `json:"ip,omitempty"`
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
}

// AppendAudit adds records to the end of their companies' chains, in the
// transaction of the change they describe. A record without an actor
// takes the context's (staffbot.WithActor), or else is the system's; one
// without a time is stamped now. Before and After are masked: secrets,
// tokens, codes and hashes become "***", phones and e-mail addresses keep
// a hint only, and so do the values of custom fields. Records get their ID and Seq.
func (t *Tx) AppendAudit(ctx context.Context, recs ...*staffbot.AuditRecord) error {
	var companies []staffbot.CompanyID
	for _, r := range recs {
		if !slices.Contains(companies, r.CompanyID) {
			companies = append(companies, r.CompanyID)
		}
	}
	for _, co := range companies {
		if err := t.appendAudit(ctx, co, recs); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
	}
	return nil
}

func (t *Tx) appendAudit(ctx context.Context, companyID staffbot.CompanyID, recs []*staffbot.AuditRecord) error {
	key, err := t.activeKey(ctx, companyID, keyPurposeAudit)
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, "INSERT INTO audit_chains (company_id, head_seq, head_hash) VALUES (?, 0, '') ON CONFLICT DO NOTHING",
		companyID)
	if err != nil {
		return fmt.Errorf("create chain: %w", err)
	}
	var (
		seq  int64
		prev string
	)
	err = t.queryRow(ctx, "SELECT head_seq, head_hash FROM audit_chains WHERE company_id = ?"+t.s.forUpdate(), companyID).
		Scan(&seq, &prev)
	if err != nil {
		return fmt.Errorf("lock chain: %w", err)
	}

	actor, _ := staffbot.ActorFrom(ctx)
	for _, rec := range recs {
		if rec.CompanyID != companyID {
			continue
		}
		if rec.Action == "" {
			return errors.New("bug: audit record without an action")
		}
		if rec.Actor.Kind == "" {
			rec.Actor = actor
			if rec.Actor.Kind == "" {
				rec.Actor = staffbot.Actor{Kind: staffbot.ActorSystem, ID: "staffbot"}
			}
		}
		if rec.At.IsZero() {
			rec.At = time.Now()
		}
		rec.At = fromMillis(millis(rec.At))

		d := auditDetails{IP: rec.Actor.IP, Before: rec.Before, After: rec.After}
		// The chain's own records hold hashes and numbers, which masking
		// could mistake for phones.
		if rec.Action != AuditPrune && rec.Action != AuditRedact {
			if d.Before, err = maskAuditJSON(rec.Before); err != nil {
				return fmt.Errorf("%s before: %w", rec.Action, err)
			}
			if d.After, err = maskAuditJSON(rec.After); err != nil {
				return fmt.Errorf("%s after: %w", rec.Action, err)
			}
		}
		rec.Before, rec.After = d.Before, d.After
		details, err := json.Marshal(d)
		if err != nil {
			return err
		}

		seq++
		row := auditRow{
			companyID: companyID, seq: seq, at: millis(rec.At),
			actorKind: string(rec.Actor.Kind), actorID: rec.Actor.ID, action: rec.Action,
			objectType: rec.ObjectType, objectID: rec.ObjectID, details: string(details), prevHash: prev,
		}
		if rec.SubjectID != nil {
			row.subject = sql.NullInt64{Int64: int64(*rec.SubjectID), Valid: true}
		}
		row.detailsMAC = detailsMAC(key.data.Key, row.details)
		row.hash = row.mac(key.data.Key)

		err = t.queryRow(ctx, `INSERT INTO audit_log (company_id, seq, at, actor_kind, actor_id, action, object_type,
				object_id, subject_id, details, details_mac, prev_hash, hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			companyID, row.seq, row.at, row.actorKind, row.actorID, row.action, row.objectType, row.objectID,
			row.subject, row.details, row.detailsMAC, row.prevHash, row.hash).Scan(&rec.ID)
		if err != nil {
			return fmt.Errorf("insert record: %w", err)
		}
		rec.Seq = seq
		prev = row.hash
	}

	_, err = t.exec(ctx, "UPDATE audit_chains SET head_seq = ?, head_hash = ? WHERE company_id = ?", seq, prev, companyID)
	return err
}

// auditRow is a record as stored.
type auditRow struct {
	id         int64
	companyID  staffbot.CompanyID
	seq        int64
	at         int64
	actorKind  string
	actorID    string
	action     string
	objectType string
	objectID   string
	subject    sql.NullInt64
	details    string
	detailsMAC string
	redacted   bool
	prevHash   string
	hash       string
}

const auditColumns = `id, company_id, seq, at, actor_kind, actor_id, action, object_type, object_id, subject_id,
	details, details_mac, redacted, prev_hash, hash`

func scanAuditRow(row scanner) (*auditRow, error) {
	var (
		r        auditRow
		redacted int
	)
	err := row.Scan(&r.id, &r.companyID, &r.seq, &r.at, &r.actorKind, &r.actorID, &r.action, &r.objectType,
		&r.objectID, &r.subject, &r.details, &r.detailsMAC, &redacted, &r.prevHash, &r.hash)
	r.redacted = redacted != 0
	return &r, err
}

// mac is the record's hash: every field but the details themselves, which
// enter through their own MAC so that they can be redacted.
func (r *auditRow) mac(key []byte) string {
	m := hmac.New(sha256.New, key)
	subject := ""
	if r.subject.Valid {
		subject = strconv.FormatInt(r.subject.Int64, 10)
	}
	for _, f := range []string{
		"staffbot-audit-v1", strconv.FormatInt(int64(r.companyID), 10), strconv.FormatInt(r.seq, 10), r.prevHash,
		strconv.FormatInt(r.at, 10), r.actorKind, r.actorID, r.action, r.objectType, r.objectID, subject, r.detailsMAC,
	} {
		var n [binary.MaxVarintLen64]byte
		m.Write(n[:binary.PutUvarint(n[:], uint64(len(f)))])
		m.Write([]byte(f))
	}
	return hex.EncodeToString(m.Sum(nil))
}

func detailsMAC(key []byte, details string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("staffbot-audit-details\x00"))
	m.Write([]byte(details))
	return hex.EncodeToString(m.Sum(nil))
}

func (r *auditRow) record() *staffbot.AuditRecord {
	rec := &staffbot.AuditRecord{
		ID: r.id, CompanyID: r.companyID, Seq: r.seq, At: fromMillis(r.at),
		Actor:  staffbot.Actor{Kind: staffbot.ActorKind(r.actorKind), ID: r.actorID},
		Action: r.action, ObjectType: r.objectType, ObjectID: r.objectID, Redacted: r.redacted,
	}
	if r.subject.Valid {
		id := staffbot.EmployeeID(r.subject.Int64)
		rec.SubjectID = &id
	}
	var d auditDetails
	if !r.redacted && json.Unmarshal([]byte(r.details), &d) == nil {
		rec.Actor.IP, rec.Before, rec.After = d.IP, d.Before, d.After
	}
	return rec
}

// AuditFilter narrows FindAudit. Zero fields do not filter; To is
// exclusive.
type AuditFilter struct {
	From, To  time.Time
	SubjectID *staffbot.EmployeeID
	Action    string
	AfterSeq  int64
	Limit     int
}

// FindAudit returns a company's audit records in chain order.
func (s *Store) FindAudit(ctx context.Context, companyID staffbot.CompanyID, f AuditFilter) ([]*staffbot.AuditRecord, error) {
	q := "SELECT " + auditColumns + " FROM audit_log WHERE company_id = ? AND seq > ?"
	args := []any{companyID, f.AfterSeq}
	if !f.From.IsZero() {
		q += " AND at >= ?"
		args = append(args, millis(f.From))
	}
	if !f.To.IsZero() {
		q += " AND at < ?"
		args = append(args, millis(f.To))
	}
	if f.SubjectID != nil {
		q += " AND (subject_id = ? OR (object_type = 'employee' AND object_id = ?))"
		args = append(args, int64(*f.SubjectID), fmt.Sprint(*f.SubjectID))
	}
	if f.Action != "" {
		q += " AND action = ?"
		args = append(args, f.Action)
	}
	q += " ORDER BY seq"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find audit records: %w", err)
	}
	defer rows.Close()
	var out []*staffbot.AuditRecord
	for rows.Next() {
		r, err := scanAuditRow(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r.record())
	}
	return out, rows.Err()
}

// AuditChains lists the companies that have an audit chain, the
// installation's (0) included, and every company, so that a company whose
// chain vanished is checked too.
func (s *Store) AuditChains(ctx context.Context) ([]staffbot.CompanyID, error) {
	rows, err := s.query(ctx, `SELECT company_id FROM audit_chains UNION SELECT company_id FROM audit_log
		UNION SELECT id FROM companies ORDER BY 1`)
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

// AuditProblem is one thing wrong with a chain.
type AuditProblem struct {
	Seq     int64
	ID      int64
	Problem string
}

func (p AuditProblem) String() string {
	if p.ID != 0 {
		return fmt.Sprintf("record %d (row id %d): %s", p.Seq, p.ID, p.Problem)
	}
	if p.Seq != 0 {
		return fmt.Sprintf("record %d: %s", p.Seq, p.Problem)
	}
	return p.Problem
}

// AuditReport is the outcome of checking one company's chain.
type AuditReport struct {
	CompanyID staffbot.CompanyID
	Records   int
	Redacted  int

	// AnchorSeq is the last pruned record; the chain starts after it.
	AnchorSeq int64
	HeadSeq   int64
	HeadHash  string

	Problems []AuditProblem
}

// OK reports whether the chain is intact.
func (r *AuditReport) OK() bool { return len(r.Problems) == 0 }

// VerifyAudit checks a company's chain and reports every record that was
// edited, deleted, inserted or moved, and whether records were cut from the
// end.
func (s *Store) VerifyAudit(ctx context.Context, companyID staffbot.CompanyID) (*AuditReport, error) {
	rep := &AuditReport{CompanyID: companyID}
	var chain struct {
		found            bool
		headSeq, anchor  int64
		headHash, anchHa string
	}
	key, err := s.auditKey(ctx, companyID)
	if err != nil {
		return nil, err
	}

	// The head and the records are read in one snapshot: a running server
	// appends records and moves the head in one transaction, and reading
	// them apart would see one without the other.
	var rows []*auditRow
	err = s.snapshot(ctx, func(tx *Tx) error {
		err := tx.queryRow(ctx, "SELECT head_seq, head_hash, anchor_seq, anchor_hash FROM audit_chains WHERE company_id = ?",
			companyID).Scan(&chain.headSeq, &chain.headHash, &chain.anchor, &chain.anchHa)
		switch {
		case err == nil:
			chain.found = true
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		rs, err := tx.query(ctx, "SELECT "+auditColumns+" FROM audit_log WHERE company_id = ? ORDER BY seq", companyID)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			r, err := scanAuditRow(rs)
			if err != nil {
				return err
			}
			rows = append(rows, r)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, err
	}
	rep.AnchorSeq, rep.HeadSeq, rep.HeadHash = chain.anchor, chain.headSeq, chain.headHash
	n := len(rows)
	switch {
	case !chain.found && n == 0 && key == nil:
		// A company from before the audit log, never changed since, has
		// none; one created since has at least its creation record.
		if newer, err := s.createdWithAuditLog(ctx, companyID); err != nil || !newer {
			return rep, err
		}
		rep.Problems = append(rep.Problems, AuditProblem{Problem: "the company's whole audit chain is missing: deleted"})
		return rep, nil
	case !chain.found:
		rep.Problems = append(rep.Problems, AuditProblem{Problem: "the chain's head is missing"})
	case key == nil:
		rep.Problems = append(rep.Problems, AuditProblem{Problem: "the company's audit key is missing"})
		return rep, nil
	}

	v := newChainVerifier(key.data.Key, chain.anchor, chain.anchHa)
	for _, r := range rows {
		v.add(r)
	}
	rep.Records, rep.Redacted = v.records, v.redacted
	rep.Problems = append(rep.Problems, v.finish(chain.found, chain.headSeq, chain.headHash, true)...)
	return rep, nil
}

// chainVerifier checks records fed in seq order.
type chainVerifier struct {
	key        []byte
	anchorSeq  int64
	anchorHash string

	wantSeq  int64
	prev     string
	lastSeq  int64
	lastHash string
	records  int
	redacted int
	problems []AuditProblem

	redactedSeqs map[int64]int64 // seq → row id
	declared     map[int64]bool
	prune        *auditRow
}

func newChainVerifier(key []byte, anchorSeq int64, anchorHash string) *chainVerifier {
	return &chainVerifier{
		key: key, anchorSeq: anchorSeq, anchorHash: anchorHash,
		wantSeq: anchorSeq + 1, prev: anchorHash, lastSeq: anchorSeq, lastHash: anchorHash,
		redactedSeqs: map[int64]int64{}, declared: map[int64]bool{},
	}
}

func (v *chainVerifier) problem(r *auditRow, format string, args ...any) {
	p := AuditProblem{Problem: fmt.Sprintf(format, args...)}
	if r != nil {
		p.Seq, p.ID = r.seq, r.id
	}
	v.problems = append(v.problems, p)
}

func (v *chainVerifier) add(r *auditRow) {
	v.records++
	linked := true
	switch {
	case r.seq <= v.anchorSeq:
		v.problem(r, "lies at or before the pruning anchor (record %d): it was put back or renumbered", v.anchorSeq)
		return
	case r.seq > v.wantSeq:
		if r.seq == v.wantSeq+1 {
			v.problems = append(v.problems, AuditProblem{Seq: v.wantSeq, Problem: "missing: deleted"})
		} else {
			v.problems = append(v.problems, AuditProblem{Seq: v.wantSeq,
				Problem: fmt.Sprintf("records %d to %d missing: deleted", v.wantSeq, r.seq-1)})
		}
		linked = false
	}
	if linked && r.prevHash != v.prev {
		v.problem(r, "does not follow the record before it: a record was altered, deleted, inserted or moved")
	}
	if r.redacted {
		v.redacted++
		v.redactedSeqs[r.seq] = r.id
	} else if !hmac.Equal([]byte(detailsMAC(v.key, r.details)), []byte(r.detailsMAC)) {
		v.problem(r, "altered: its details do not match their hash")
	}
	if !hmac.Equal([]byte(r.mac(v.key)), []byte(r.hash)) {
		v.problem(r, "altered: its content does not match its hash")
	}

	switch r.action {
	case AuditRedact:
		var after struct {
			Seqs []int64 `json:"seqs"`
		}
		if d := r.record(); json.Unmarshal(d.After, &after) == nil {
			for _, s := range after.Seqs {
				v.declared[s] = true
			}
		}
	case AuditPrune:
		v.prune = r
	}
	v.wantSeq, v.prev = r.seq+1, r.hash
	v.lastSeq, v.lastHash = r.seq, r.hash
}

// finish reports what only the whole chain shows: undeclared redactions,
// records cut from the end (when the head is known) and an anchor moved
// without a prune record (when checkAnchor).
func (v *chainVerifier) finish(haveHead bool, headSeq int64, headHash string, checkAnchor bool) []AuditProblem {
	for seq, id := range v.redactedSeqs {
		if !v.declared[seq] {
			v.problems = append(v.problems, AuditProblem{Seq: seq, ID: id,
				Problem: "its details were removed without an audit.redact record"})
		}
	}
	if haveHead {
		switch {
		case headSeq > v.lastSeq:
			if headSeq == v.lastSeq+1 {
				v.problems = append(v.problems, AuditProblem{Seq: headSeq, Problem: "missing: deleted from the end of the chain"})
			} else {
				v.problems = append(v.problems, AuditProblem{Seq: v.lastSeq + 1,
					Problem: fmt.Sprintf("records %d to %d missing: deleted from the end of the chain", v.lastSeq+1, headSeq)})
			}
		case headSeq < v.lastSeq:
			v.problems = append(v.problems, AuditProblem{Seq: headSeq + 1,
				Problem: fmt.Sprintf("records %d to %d lie beyond the chain's head: added behind its back", headSeq+1, v.lastSeq)})
		case headHash != v.lastHash:
			v.problems = append(v.problems, AuditProblem{Seq: headSeq, Problem: "the last record is not the one the chain's head names: altered"})
		}
	}
	if checkAnchor && v.anchorSeq > 0 {
		var after struct {
			ThroughSeq int64  `json:"through_seq"`
			AnchorHash string `json:"anchor"`
		}
		ok := v.prune != nil && json.Unmarshal(v.prune.record().After, &after) == nil &&
			after.ThroughSeq == v.anchorSeq && after.AnchorHash == v.anchorHash
		if !ok {
			v.problems = append(v.problems, AuditProblem{Seq: v.anchorSeq,
				Problem: "the pruning anchor does not match the last audit.prune record: records were removed from the start"})
		}
	}
	slices.SortStableFunc(v.problems, func(a, b AuditProblem) int { return int(a.Seq - b.Seq) })
	return v.problems
}

// createdWithAuditLog reports whether a company was created after the
// audit log existed, and so must have a chain.
func (s *Store) createdWithAuditLog(ctx context.Context, companyID staffbot.CompanyID) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM companies c, schema_migrations m
		WHERE c.id = ? AND m.version = 4 AND c.created_at >= m.applied_at`, companyID).Scan(&n)
	return n > 0, err
}

// auditKey returns the company's audit key, or nil when it has none.
func (s *Store) auditKey(ctx context.Context, companyID staffbot.CompanyID) (*companyKey, error) {
	r, err := scanKeyRow(s.queryRow(ctx, "SELECT "+keyColumns+
		" FROM company_keys WHERE company_id = ? AND purpose = 'audit' AND state = 'active'", companyID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s.unwrap(r)
}

// PruneAudit deletes a company's records older than before, once they are
// checked, and anchors the rest of the chain on the last one deleted. It
// refuses to prune a broken chain, which would destroy the evidence. It
// returns how many records went.
func (s *Store) PruneAudit(ctx context.Context, companyID staffbot.CompanyID, before, now time.Time) (int, error) {
	pruned := 0
	err := s.InTx(ctx, func(tx *Tx) error {
		pruned = 0
		var anchorSeq int64
		var anchorHash string
		err := tx.queryRow(ctx, "SELECT anchor_seq, anchor_hash FROM audit_chains WHERE company_id = ?"+s.forUpdate(),
			companyID).Scan(&anchorSeq, &anchorHash)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		var through sql.NullInt64
		err = tx.queryRow(ctx, "SELECT MAX(seq) FROM audit_log WHERE company_id = ? AND at < ?", companyID, millis(before)).
			Scan(&through)
		if err != nil || !through.Valid {
			return err
		}
		key, err := s.auditKey(ctx, companyID)
		if err != nil || key == nil {
			return fmt.Errorf("company %d audit key: %w", companyID, errors.Join(err, errNotFound))
		}

		// Check what is about to go; a broken part stays as evidence.
		rows, err := tx.query(ctx, "SELECT "+auditColumns+" FROM audit_log WHERE company_id = ? AND seq <= ? ORDER BY seq",
			companyID, through.Int64)
		if err != nil {
			return err
		}
		v := newChainVerifier(key.data.Key, anchorSeq, anchorHash)
		for rows.Next() {
			r, err := scanAuditRow(rows)
			if err != nil {
				rows.Close()
				return err
			}
			v.add(r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// Redactions may be declared after the pruned part.
		for seq := range v.redactedSeqs {
			v.declared[seq] = true
		}
		if ps := v.finish(false, 0, "", false); len(ps) > 0 {
			return fmt.Errorf("audit chain of company %d is broken (%s); not pruning: %w", companyID, ps[0], staffbot.ErrConflict)
		}

		res, err := tx.exec(ctx, "DELETE FROM audit_log WHERE company_id = ? AND seq <= ?", companyID, through.Int64)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		pruned = int(n)
		if _, err := tx.exec(ctx, "UPDATE audit_chains SET anchor_seq = ?, anchor_hash = ? WHERE company_id = ?",
			v.lastSeq, v.lastHash, companyID); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &staffbot.AuditRecord{
			CompanyID: companyID, At: now, Action: AuditPrune, ObjectType: "audit_log",
			Actor: staffbot.Actor{Kind: staffbot.ActorSystem, ID: "retention"},
			After: auditJSON(map[string]any{
				"through_seq": v.lastSeq, "anchor": v.lastHash, "records": pruned, "before": before.UTC().Format(time.RFC3339),
			}),
		})
	})
	return pruned, err
}

// redactAuditOf removes the details (before, after, client address) of a
// company's records about an employee, and records which were redacted.
// Records that carry no personal data by design keep theirs.
func (t *Tx) redactAuditOf(ctx context.Context, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID, now time.Time) (int, error) {
	rows, err := t.query(ctx, `SELECT seq FROM audit_log WHERE company_id = ? AND redacted = 0
		AND (subject_id = ? OR (object_type = 'employee' AND object_id = ?))
		AND action NOT IN ('audit.redact', 'employee.anonymize', 'employee.erase', 'consent.withdraw') ORDER BY seq`,
		companyID, int64(employeeID), fmt.Sprint(employeeID))
	if err != nil {
		return 0, err
	}
	var seqs []int64
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			rows.Close()
			return 0, err
		}
		seqs = append(seqs, seq)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(seqs) == 0 {
		return 0, err
	}
	for i := 0; i < len(seqs); i += 500 {
		part := seqs[i:min(i+500, len(seqs))]
		args := []any{redactedDetails, companyID}
		for _, s := range part {
			args = append(args, s)
		}
		_, err := t.exec(ctx, "UPDATE audit_log SET details = ?, redacted = 1 WHERE company_id = ? AND seq IN ("+
			strings.TrimSuffix(strings.Repeat("?,", len(part)), ",")+")", args...)
		if err != nil {
			return 0, fmt.Errorf("redact audit records: %w", err)
		}
	}
	err = t.AppendAudit(ctx, &staffbot.AuditRecord{
		CompanyID: companyID, At: now, Action: AuditRedact, ObjectType: "employee", ObjectID: fmt.Sprint(employeeID),
		After: auditJSON(map[string]any{"seqs": seqs}),
	})
	return len(seqs), err
}

// AuditHead returns the last seq and hash of a company's chain; written
// down outside the database (the application log does it daily), it
// proves later that nothing was cut from the end.
func (s *Store) AuditHead(ctx context.Context, companyID staffbot.CompanyID) (int64, string, error) {
	var seq int64
	var hash string
	err := s.queryRow(ctx, "SELECT head_seq, head_hash FROM audit_chains WHERE company_id = ?", companyID).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	return seq, hash, err
}

// auditJSON encodes a value for AuditRecord.Before or After.
func auditJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(fmt.Sprintf(`{"error":%q}`, err.Error()))
	}
	return b
}

// maskedSecret shows whether a secret is set, never what it is.
func maskedSecret(v string) string {
	if v == "" {
		return ""
	}
	return "***"
}

// Keys whose values are masked in audit records, by a part of their name.
var (
	secretKeyParts = []string{"token", "secret", "password", "passwd", "hash", "code", "key", "totp",
		"recovery", "sealed", "cookie", "session", "credential", "otp"}
	phoneLike = regexp.MustCompile(`\+?\b\d[\d ()\-]{8,}\d\b`)
	emailLike = regexp.MustCompile(`[^\s@"<>]+@[^\s@"<>]+\.[^\s@"<>]+`)
)

// MaskAuditJSON masks a JSON value as AppendAudit does; other packages use
// it to show what a record will hold.
func MaskAuditJSON(raw json.RawMessage) (json.RawMessage, error) { return maskAuditJSON(raw) }

func maskAuditJSON(raw json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	return json.Marshal(maskValue("", v))
}

func maskValue(key string, v any) any {
	k := strings.ToLower(key)
	switch x := v.(type) {
	case map[string]any:
		if isCustomKey(k) {
			return maskCustom(x)
		}
		for kk, vv := range x {
			x[kk] = maskValue(kk, vv)
		}
		return x
	case []any:
		for i, vv := range x {
			x[i] = maskValue(key, vv)
		}
		return x
	case string:
		switch {
		case x == "":
			return x
		case isSecretKey(k):
			return "***"
		case strings.Contains(k, "phone"):
			return maskPhone(x)
		case strings.Contains(k, "email") || strings.Contains(k, "mail"):
			return maskEmail(x)
		}
		x = phoneLike.ReplaceAllStringFunc(x, maskPhone)
		return emailLike.ReplaceAllStringFunc(x, maskEmail)
	case json.Number:
		if isSecretKey(k) || strings.Contains(k, "phone") {
			return "***"
		}
		return x
	}
	return v
}

// isCustomKey reports whether a key holds an employee's custom fields:
// whatever columns a staff file brought (a birth date, a passport number).
func isCustomKey(k string) bool { return k == "custom" || k == "custom_fields" }

// maskCustom masks every value of custom fields as personal data, the
// way a phone is masked, keeping the field names: a change shows which
// field changed, not what it holds.
func maskCustom(m map[string]any) map[string]any {
	for k, v := range m {
		switch x := v.(type) {
		case string:
			if x != "" {
				m[k] = maskPhone(x)
			}
		case json.Number:
			m[k] = maskPhone(x.String())
		case nil, bool:
		default:
			m[k] = "***"
		}
	}
	return m
}

// isSecretKey reports whether a key names a secret; ids (key_id,
// token_id) name things and stay.
func isSecretKey(k string) bool {
	if k == "id" || strings.HasSuffix(k, "_id") {
		return false
	}
	for _, p := range secretKeyParts {
		if strings.Contains(k, p) {
			return true
		}
	}
	return false
}

// maskPhone keeps the last two digits: enough to tell two numbers apart
// in a change, too little to call anyone.
func maskPhone(p string) string {
	var digits []rune
	for _, r := range p {
		if r >= '0' && r <= '9' {
			digits = append(digits, r)
		}
	}
	if len(digits) < 2 {
		return "***"
	}
	return "***" + string(digits[len(digits)-2:])
}

// maskEmail keeps the first letter and the domain.
func maskEmail(e string) string {
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" {
		return "***"
	}
	return string([]rune(local)[:1]) + "***@" + domain
}
