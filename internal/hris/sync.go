package hris

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/store"
)

// What started a sync.
const (
	TriggerManual   = "manual"
	TriggerSchedule = "schedule"
)

// ChangeKind says what a sync did to one employee.
type ChangeKind string

// Kinds of change.
const (
	ChangeCreated  ChangeKind = "created"
	ChangeUpdated  ChangeKind = "updated"
	ChangeRevoked  ChangeKind = "revoked"  // a dismissal date was set: bot access ends on it
	ChangeRestored ChangeKind = "restored" // the dismissal date was removed
	ChangeSkipped  ChangeKind = "skipped"  // listed, but nothing was written
	ChangeMissing  ChangeKind = "missing"  // listed before, not this time; kept for now
)

// Reasons of changes for employees the system stopped listing.
const (
	ReasonNotListed = "not_listed" // revoked: missing from DismissAfter syncs in a row
)

// guardMinimum is the fewest missing employees that can trip the
// truncated-list check: in a small company one or two people leaving is a
// large share.
const guardMinimum = 3

// Change is one line of a sync's summary. It carries the personnel number
// and field names only, never values.
type Change struct {
	PersonnelNumber string
	Kind            ChangeKind
	Fields          []string // for updates: "full_name", "position", …
	Reason          string   // for skips: "deletion_mark", "archived", "no_hire_date", …
}

// Result is what a sync did.
type Result struct {
	Run     *store.ConnectorRun
	Changes []Change
}

// Syncer brings a company's staff list in line with its accounting system.
type Syncer struct {
	Store  *store.Store
	Clock  staffbot.Clock
	Logger *slog.Logger

	// RetryBase is the first back-off after a retryable failure; it
	// doubles with each failure in a row, up to the sync interval.
	// Default one minute.
	RetryBase time.Duration
}

// SyncOptions change one sync.
type SyncOptions struct {
	// AcceptMissing applies the sync even when more employees are missing
	// from the list than the connector's policy allows at once: HR has
	// checked that the list is complete.
	AcceptMissing bool
}

// Sync reads the whole staff list from conn and applies it in one
// transaction, recording the run: new employees are created, changed ones
// updated, dismissed, deleted or archived ones get a dismissal date so
// that their bot access ends.
//
// Every sync is a full one: the connector reads the whole list or fails.
// An employee the system listed before and not this time is marked
// missing; after c.Policy.DismissAfter syncs in a row without them they
// are dismissed today (0: only when HR confirms, DismissUnlisted), and a
// sync that lists them again clears the mark. Employees the system never
// listed (from a staff file, or entered by hand) are left alone. Each of
// these steps is in the audit log.
//
// Nothing is written when the read fails (timeout, 5xx, 404 "not
// published", bad login), comes back empty while the company has
// employees, or would leave more than c.Policy.MaxMissingPercent of the
// working employees the system listed before missing at once (unless
// opts.AcceptMissing); the failure is recorded as a run HR can see, and
// the next scheduled attempt is moved closer with back-off when it may
// pass by itself. Running Sync again with the same data changes nothing
// but the missing counts.
func (s *Syncer) Sync(ctx context.Context, co *staffbot.Company, c *store.Connector, conn Connector, trigger string) (*Result, error) {
	return s.SyncWith(ctx, co, c, conn, trigger, SyncOptions{})
}

// SyncWith is Sync with options.
func (s *Syncer) SyncWith(ctx context.Context, co *staffbot.Company, c *store.Connector, conn Connector, trigger string, opts SyncOptions) (*Result, error) {
	if _, ok := staffbot.ActorFrom(ctx); !ok {
		ctx = staffbot.WithActor(ctx, staffbot.Actor{Kind: staffbot.ActorSystem, ID: "sync"})
	}
	started := s.clock().Now()
	run := &store.ConnectorRun{CompanyID: co.ID, ConnectorID: c.ID, TriggeredBy: trigger, StartedAt: started}
	res := &Result{Run: run}

	people, err := conn.ListEmployees(ctx)
	if err != nil {
		return res, s.fail(ctx, c, run, err)
	}
	run.Fetched = len(people)

	now := s.clock().Now()
	today := staffbot.DateOf(now.In(co.Location()))
	ReportProgress(ctx, "write", 0, len(people))
	plan := func(existing []*staffbot.Employee, listings map[staffbot.EmployeeID]*store.Listing) (*store.SyncWrites, error) {
		if len(people) == 0 && len(existing) > 0 {
			return nil, &Error{Kind: ErrProtocol, Op: "list employees",
				Cause: fmt.Sprintf("the system listed no employees while staffbot has %d; nothing changed", len(existing))}
		}
		pl := planSync(existing, people, today)
		if err := planMissing(&pl, existing, listings, c.Policy, today, opts.AcceptMissing); err != nil {
			return nil, err
		}
		res.Changes = pl.changes
		countChanges(run, pl)
		run.Status = store.ConnectorRunOK
		run.FinishedAt = s.clock().Now()
		return &store.SyncWrites{Employees: pl.writes, Listed: pl.listed, Unlisted: pl.unlisted}, nil
	}
	next := store.ConnectorSchedule{NextSyncAt: after(now, c.SyncEvery)}
	if err := s.Store.SyncEmployees(ctx, co.ID, plan, run, next, now); err != nil {
		res.Changes = nil
		*run = store.ConnectorRun{CompanyID: co.ID, ConnectorID: c.ID, TriggeredBy: trigger, StartedAt: started, Fetched: len(people)}
		return res, s.fail(ctx, c, run, err)
	}
	c.Failures, c.NextSyncAt = 0, next.NextSyncAt
	ReportProgress(ctx, "write", len(people), len(people))

	s.logger().InfoContext(ctx, "Employee sync finished",
		slog.Int64("company_id", int64(co.ID)), slog.Int64("connector_id", c.ID), slog.Int64("run_id", run.ID),
		slog.String("trigger", trigger), slog.Int("fetched", run.Fetched), slog.Int("created", run.Created),
		slog.Int("updated", run.Updated), slog.Int("revoked", run.Revoked), slog.Int("skipped", run.Skipped),
		slog.Int("missing", run.Missing), slog.Duration("duration", run.FinishedAt.Sub(started)))
	return res, nil
}

// fail records a failed run and schedules the retry. The error text is
// the connector's, which names entities and statuses, never people.
func (s *Syncer) fail(ctx context.Context, c *store.Connector, run *store.ConnectorRun, cause error) error {
	now := s.clock().Now()
	run.Status = store.ConnectorRunFailed
	run.FinishedAt = now
	run.ErrorKind = KindName(cause)
	run.Error = cause.Error()

	next := store.ConnectorSchedule{Failures: c.Failures + 1, NextSyncAt: after(now, c.SyncEvery)}
	if Retryable(cause) && c.SyncEvery > 0 {
		next.NextSyncAt = after(now, s.backoff(next.Failures, c.SyncEvery))
	}
	// The run is recorded even when the caller has given up.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.Store.RecordConnectorRun(rctx, run, next); err != nil {
		return errors.Join(cause, fmt.Errorf("record failed sync: %w", err))
	}
	c.Failures, c.NextSyncAt = next.Failures, next.NextSyncAt

	level := slog.LevelWarn
	if !Retryable(cause) {
		level = slog.LevelError
	}
	s.logger().Log(ctx, level, "Employee sync failed",
		slog.Int64("company_id", int64(run.CompanyID)), slog.Int64("connector_id", c.ID), slog.Int64("run_id", run.ID),
		slog.String("trigger", run.TriggeredBy), slog.String("error_kind", run.ErrorKind), slog.String("error", run.Error),
		slog.Int("failures", next.Failures))
	return cause
}

// backoff is RetryBase doubled per failure in a row, capped at every.
func (s *Syncer) backoff(failures int, every time.Duration) time.Duration {
	d := s.RetryBase
	if d <= 0 {
		d = time.Minute
	}
	for i := 1; i < failures && d < every; i++ {
		d *= 2
	}
	return min(d, every)
}

func after(t time.Time, d time.Duration) *time.Time {
	if d <= 0 {
		return nil
	}
	n := t.Add(d)
	return &n
}

func (s *Syncer) clock() staffbot.Clock {
	if s.Clock == nil {
		return staffbot.SystemClock{}
	}
	return s.Clock
}

func (s *Syncer) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

// syncPlan is what a sync is about to do.
type syncPlan struct {
	writes    []store.EmployeeImport
	changes   []Change // one per written or skipped record
	unchanged int      // listed and already up to date
	missing   int      // in staffbot, not listed by the system
	listed    []string // listed by the system and kept in staffbot
	unlisted  []store.Unlisted
}

// planSync compares the system's records with staffbot's employees and
// returns the rows to write and a change per touched employee.
func planSync(existing []*staffbot.Employee, people []Person, today staffbot.Date) syncPlan {
	byNumber := make(map[string]*staffbot.Employee, len(existing))
	numberOf := make(map[staffbot.EmployeeID]string, len(existing))
	for _, e := range existing {
		byNumber[e.PersonnelNumber] = e
		numberOf[e.ID] = e.PersonnelNumber
	}

	var changes []Change
	skip := func(number, reason string) {
		changes = append(changes, Change{PersonnelNumber: number, Kind: ChangeSkipped, Reason: reason})
	}

	// One record per number: a working record wins over an excluded
	// duplicate (1C keeps "(дубль)" records marked for deletion).
	chosen := make(map[string]Person, len(people))
	var order []string
	for _, p := range people {
		p.PersonnelNumber = strings.TrimSpace(p.PersonnelNumber)
		if p.PersonnelNumber == "" {
			skip("", "no_personnel_number")
			continue
		}
		prev, dup := chosen[p.PersonnelNumber]
		switch {
		case !dup:
			order = append(order, p.PersonnelNumber)
			chosen[p.PersonnelNumber] = p
		case prev.Excluded != NotExcluded && p.Excluded == NotExcluded:
			chosen[p.PersonnelNumber] = p
		case prev.Excluded == NotExcluded && p.Excluded == NotExcluded:
			skip(p.PersonnelNumber, "duplicate_number")
		}
	}

	// Who will exist after the sync, so that manager links only point at
	// employees staffbot has.
	known := make(map[string]bool, len(existing)+len(order))
	for n := range byNumber {
		known[n] = true
	}
	for _, n := range order {
		if byNumber[n] == nil && createReason(chosen[n], today) == "" {
			known[n] = true
		}
	}

	var writes []store.EmployeeImport
	var listed []string
	unchanged := 0
	for _, n := range order {
		p := chosen[n]
		old := byNumber[n]
		if old == nil {
			if reason := createReason(p, today); reason != "" {
				skip(n, reason)
				continue
			}
			listed = append(listed, n)
			e := staffbot.Employee{PersonnelNumber: n}
			apply(&e, p, today)
			w := store.EmployeeImport{Employee: e}
			if known[p.ManagerNumber] && p.ManagerNumber != n {
				w.ManagerNumber = p.ManagerNumber
			}
			writes = append(writes, w)
			changes = append(changes, Change{PersonnelNumber: n, Kind: ChangeCreated})
			continue
		}

		listed = append(listed, n)
		e := *old
		apply(&e, p, today)
		w := store.EmployeeImport{Employee: e}
		oldManager := ""
		if old.ManagerID != nil {
			oldManager = numberOf[*old.ManagerID]
		}
		w.ManagerNumber = oldManager
		if known[p.ManagerNumber] && p.ManagerNumber != n {
			w.ManagerNumber = p.ManagerNumber
		}
		if old.MentorID != nil {
			w.MentorNumber = numberOf[*old.MentorID]
		}

		fields := changedFields(old, &e)
		if w.ManagerNumber != oldManager {
			fields = append(fields, "manager")
		}
		if len(fields) == 0 {
			unchanged++
			continue
		}
		writes = append(writes, w)
		kind := ChangeUpdated
		switch {
		case old.DismissedOn == nil && e.DismissedOn != nil:
			kind = ChangeRevoked
		case old.DismissedOn != nil && e.DismissedOn == nil:
			kind = ChangeRestored
		}
		changes = append(changes, Change{PersonnelNumber: n, Kind: kind, Fields: fields})
	}
	missing := 0
	for n := range byNumber {
		if _, listed := chosen[n]; !listed {
			missing++
		}
	}
	return syncPlan{writes: writes, changes: changes, unchanged: unchanged, missing: missing, listed: listed}
}

// planMissing adds to pl what happens to the employees the system listed
// before and not this time: the working ones are marked missing one more
// sync, and dismissed today once missing from p.DismissAfter syncs in a
// row. It fails with ErrTooManyMissing, changing nothing, when more than
// p.MaxMissingPercent of the working employees listed before would be
// missing at once, unless accept.
func planMissing(pl *syncPlan, existing []*staffbot.Employee, listings map[staffbot.EmployeeID]*store.Listing,
	p store.ConnectorPolicy, today staffbot.Date, accept bool) error {
	listed := make(map[string]bool, len(pl.listed))
	for _, n := range pl.listed {
		listed[n] = true
	}
	numberOf := make(map[staffbot.EmployeeID]string, len(existing))
	for _, e := range existing {
		numberOf[e.ID] = e.PersonnelNumber
	}
	var gone []*staffbot.Employee
	tracked, fresh := 0, 0
	for _, e := range existing {
		l := listings[e.ID]
		if l == nil || !e.Active(today) {
			continue // never listed by the system, or no longer working
		}
		tracked++
		if !listed[e.PersonnelNumber] {
			gone = append(gone, e)
			if l.MissingRuns == 0 {
				fresh++ // listed last time
			}
		}
	}
	// Only those who went missing in this sync count: once accepted, the
	// ones missing before go their way to dismissal.
	if !accept && fresh >= guardMinimum && p.MaxMissingPercent < 100 && fresh*100 > tracked*p.MaxMissingPercent {
		return &Error{Kind: ErrTooManyMissing, Op: "list employees",
			Cause: fmt.Sprintf("%d of the %d working employees the system listed before are missing at once (%d%%, more than the %d%% allowed); "+
				"nothing changed: check the system's list, then sync with --accept-missing if it is right",
				fresh, tracked, fresh*100/tracked, p.MaxMissingPercent)}
	}
	slices.SortFunc(gone, func(a, b *staffbot.Employee) int { return strings.Compare(a.PersonnelNumber, b.PersonnelNumber) })
	for _, e := range gone {
		u := store.Unlisted{EmployeeID: e.ID, Runs: listings[e.ID].MissingRuns + 1}
		if p.DismissAfter > 0 && u.Runs >= p.DismissAfter {
			d := *e
			day := today
			d.DismissedOn = &day
			w := store.EmployeeImport{Employee: d}
			if e.ManagerID != nil {
				w.ManagerNumber = numberOf[*e.ManagerID]
			}
			if e.MentorID != nil {
				w.MentorNumber = numberOf[*e.MentorID]
			}
			pl.writes = append(pl.writes, w)
			u.Dismissed, u.After = true, p.DismissAfter
			pl.changes = append(pl.changes, Change{PersonnelNumber: e.PersonnelNumber, Kind: ChangeRevoked,
				Fields: []string{"dismissed_on"}, Reason: ReasonNotListed})
		} else {
			pl.changes = append(pl.changes, Change{PersonnelNumber: e.PersonnelNumber, Kind: ChangeMissing,
				Reason: fmt.Sprintf("not listed in %d sync(s)", u.Runs)})
		}
		pl.unlisted = append(pl.unlisted, u)
	}
	return nil
}

// createReason says why a record not yet in staffbot is not created, or
// "" when it is.
func createReason(p Person, today staffbot.Date) string {
	switch {
	case p.Excluded != NotExcluded:
		return string(p.Excluded)
	case p.DismissedOn != nil && !today.Before(*p.DismissedOn):
		return "dismissed"
	case p.HiredOn.IsZero():
		return "no_hire_date"
	case strings.TrimSpace(p.FullName) == "":
		return "no_name"
	}
	return ""
}

// apply copies what the system provides onto e. Empty values are "not
// provided" and keep staffbot's own. An excluded record is dismissed on its
// dismissal date, or today when it has none or a later one.
func apply(e *staffbot.Employee, p Person, today staffbot.Date) {
	set := func(dst *string, v string) {
		if v = strings.TrimSpace(v); v != "" {
			*dst = v
		}
	}
	set(&e.FullName, strings.Join(strings.Fields(p.FullName), " "))
	set(&e.Position, p.Position)
	set(&e.Department, p.Department)
	set(&e.Office, p.Office)
	set(&e.Phone, normalizePhone(p.Phone))
	set(&e.Email, normalizeEmail(p.Email))

	switch {
	case p.Excluded != NotExcluded:
		d := p.DismissedOn
		if d == nil || d.After(today) {
			d = &today
		}
		if e.DismissedOn == nil || e.DismissedOn.After(*d) {
			day := *d
			e.DismissedOn = &day
		}
		if !p.HiredOn.IsZero() {
			e.HiredOn = p.HiredOn
		}
	case !p.HiredOn.IsZero():
		// The record carries HR dates, so its dismissal date (or none)
		// is the truth, including a rehire that clears one.
		e.HiredOn = p.HiredOn
		e.DismissedOn = nil
		if p.DismissedOn != nil {
			day := *p.DismissedOn
			e.DismissedOn = &day
		}
	case p.DismissedOn != nil:
		day := *p.DismissedOn
		e.DismissedOn = &day
	}
}

func changedFields(a, b *staffbot.Employee) []string {
	var out []string
	add := func(name string, changed bool) {
		if changed {
			out = append(out, name)
		}
	}
	add("full_name", a.FullName != b.FullName)
	add("position", a.Position != b.Position)
	add("department", a.Department != b.Department)
	add("office", a.Office != b.Office)
	add("phone", a.Phone != b.Phone)
	add("email", a.Email != b.Email)
	add("hired_on", a.HiredOn != b.HiredOn)
	add("dismissed_on", !sameDay(a.DismissedOn, b.DismissedOn))
	return out
}

func sameDay(a, b *staffbot.Date) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// countChanges sets the run's counts from the plan (it may be asked
// again if the transaction is retried, so it assigns, never adds up).
func countChanges(run *store.ConnectorRun, pl syncPlan) {
	run.Created, run.Revoked, run.Updated, run.Skipped = 0, 0, 0, 0
	for _, c := range pl.changes {
		switch c.Kind {
		case ChangeCreated:
			run.Created++
		case ChangeRevoked:
			run.Revoked++
		case ChangeUpdated, ChangeRestored:
			run.Updated++
		case ChangeSkipped:
			run.Skipped++
		}
	}
	run.Unchanged, run.Missing = pl.unchanged, pl.missing
}

// normalizePhone accepts a Russian mobile or landline number in the usual
// spellings and returns +7XXXXXXXXXX; anything else is dropped (""), so a
// malformed value never replaces a good one.
func normalizePhone(s string) string {
	var digits []byte
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, byte(r))
		case strings.ContainsRune(" -()+.\u00a0", r):
		default:
			return ""
		}
	}
	switch {
	case len(digits) == 11 && (digits[0] == '7' || digits[0] == '8'):
		return "+7" + string(digits[1:])
	case len(digits) == 10:
		return "+7" + string(digits)
	}
	return ""
}

// normalizeEmail lower-cases an address and drops anything that is not
// one.
func normalizeEmail(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || !strings.Contains(domain, ".") || strings.ContainsAny(s, " ,;<>") {
		return ""
	}
	return s
}

// SortChanges orders changes by kind, then personnel number, for printing.
func SortChanges(cs []Change) {
	rank := map[ChangeKind]int{ChangeCreated: 0, ChangeUpdated: 1, ChangeRestored: 2, ChangeRevoked: 3, ChangeMissing: 4, ChangeSkipped: 5}
	slices.SortStableFunc(cs, func(a, b Change) int {
		if d := rank[a.Kind] - rank[b.Kind]; d != 0 {
			return d
		}
		return strings.Compare(a.PersonnelNumber, b.PersonnelNumber)
	})
}
