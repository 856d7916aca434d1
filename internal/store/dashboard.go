package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/staffbot/staffbot"
)

// Dashboard metrics kept in dash_counts. The active_* metrics count
// employees once per day, week and month; the others count events.
const (
	MetricInvited     = "invited"    // an employee's first invite
	MetricRegistered  = "registered" // an employee's first consent
	MetricActiveDay   = "active_d"
	MetricActiveWeek  = "active_w"
	MetricActiveMonth = "active_m"
	MetricMessagesIn  = "msg_in"
	MetricMessagesOut = "msg_out"
)

// dashLocations caches each company's time zone per store, so that the
// counters, written on hot paths, need not read the company every time.
var dashLocations sync.Map // dashLocKey → *time.Location

type dashLocKey struct {
	s  *Store
	id staffbot.CompanyID
}

// companyLocation returns the company's time zone, read once.
func (t *Tx) companyLocation(ctx context.Context, companyID staffbot.CompanyID) (*time.Location, error) {
	key := dashLocKey{t.s, companyID}
	if loc, ok := dashLocations.Load(key); ok {
		return loc.(*time.Location), nil
	}
	var tz string
	if err := t.queryRow(ctx, "SELECT time_zone FROM companies WHERE id = ?", companyID).Scan(&tz); err != nil {
		return nil, notFound(err, fmt.Sprintf("company %d", companyID))
	}
	co := staffbot.Company{TimeZone: tz}
	loc := co.Location()
	dashLocations.Store(key, loc)
	return loc, nil
}

// forgetCompanyLocation drops the cached zone after the company changed it.
func (s *Store) forgetCompanyLocation(companyID staffbot.CompanyID) {
	dashLocations.Delete(dashLocKey{s, companyID})
}

// WeekStart returns the Monday of d's week, the day weekly counters are
// filed under.
func WeekStart(d staffbot.Date) staffbot.Date {
	wd := int(d.In(time.UTC).Weekday()+6) % 7 // Monday 0 … Sunday 6
	return d.AddDays(-wd)
}

// MonthStart returns the first day of d's month.
func MonthStart(d staffbot.Date) staffbot.Date {
	return staffbot.Date{Year: d.Year, Month: d.Month, Day: 1}
}

// allPlaces stands for every department or every office in dash_counts.
const allPlaces = "\x01"

// counter is one increment of dash_counts.
type counter struct {
	metric, day, channel, department, office string
	n                                        int64
}

// bumpCount adds n to a counter of the employee's department and office,
// and to the rows that sum the department, the office and the company.
func (t *Tx) bumpCount(ctx context.Context, companyID staffbot.CompanyID, metric, day, channel, department, office string, n int64) error {
	return t.bumpCounts(ctx, companyID, counter{metric, day, channel, department, office, n})
}

// bumpCounts adds counters. They are held with the transaction and, once
// it commits, in the store's buffer, which FlushCounts writes out: the
// counters are hot rows that every message would otherwise lock.
func (t *Tx) bumpCounts(ctx context.Context, companyID staffbot.CompanyID, cs ...counter) error {
	for _, c := range cs {
		t.counts = append(t.counts, companyCounter{companyID, c})
	}
	return nil
}

// companyCounter is a counter of one company.
type companyCounter struct {
	companyID staffbot.CompanyID
	counter
}

// countBuffer holds committed counters until FlushCounts writes them.
type countBuffer struct {
	mu sync.Mutex
	m  map[companyCounter]int64 // n is zero in the key
}

// bufferCounts takes the counters of a committed transaction.
func (s *Store) bufferCounts(cs []companyCounter) {
	if len(cs) == 0 {
		return
	}
	s.countBuf.mu.Lock()
	defer s.countBuf.mu.Unlock()
	if s.countBuf.m == nil {
		s.countBuf.m = map[companyCounter]int64{}
	}
	// Each count is filed under the employee's department and office and
	// under the totals; summing here keeps every row once per flush.
	for _, c := range cs {
		n := c.n
		c.n = 0
		for _, place := range [][2]string{{c.department, c.office}, {c.department, allPlaces}, {allPlaces, c.office}, {allPlaces, allPlaces}} {
			k := c
			k.department, k.office = place[0], place[1]
			s.countBuf.m[k] += n
		}
	}
}

// FlushCounts writes the buffered dashboard counters. Dashboard reads
// flush first; the server also flushes every few seconds and on close, so
// a crash loses at most those seconds of counts.
func (s *Store) FlushCounts(ctx context.Context) error {
	s.countBuf.mu.Lock()
	m := s.countBuf.m
	s.countBuf.m = nil
	s.countBuf.mu.Unlock()
	if len(m) == 0 {
		return nil
	}

	byCompany := map[staffbot.CompanyID][]counter{}
	for c, n := range m {
		c.n = n
		byCompany[c.companyID] = append(byCompany[c.companyID], c.counter)
	}
	err := s.InTx(ctx, func(tx *Tx) error {
		for companyID, cs := range byCompany {
			for len(cs) > 0 {
				k := min(len(cs), 64)
				if err := tx.writeCounts(ctx, companyID, cs[:k]...); err != nil {
					return err
				}
				cs = cs[k:]
			}
		}
		return nil
	})
	if err != nil {
		// Keep the counts for the next flush.
		s.countBuf.mu.Lock()
		if s.countBuf.m == nil {
			s.countBuf.m = map[companyCounter]int64{}
		}
		for c, n := range m {
			s.countBuf.m[c] += n
		}
		s.countBuf.mu.Unlock()
	}
	return err
}

// writeCounts adds rows to dash_counts in one statement; the rows are
// distinct, as an upsert may touch each row only once.
func (t *Tx) writeCounts(ctx context.Context, companyID staffbot.CompanyID, cs ...counter) error {
	var b strings.Builder
	b.WriteString("INSERT INTO dash_counts (company_id, metric, department, office, day, channel, n) VALUES ")
	args := make([]any, 0, len(cs)*7)
	for i, c := range cs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?)")
		args = append(args, companyID, c.metric, c.department, c.office, c.day, c.channel, c.n)
	}
	b.WriteString(" ON CONFLICT (company_id, metric, department, office, day, channel) DO UPDATE SET n = dash_counts.n + excluded.n")
	if _, err := t.exec(ctx, b.String(), args...); err != nil {
		return fmt.Errorf("count %s: %w", cs[0].metric, err)
	}
	return nil
}

// employeePlace returns the employee's department and office, as the
// counters file them.
func (t *Tx) employeePlace(ctx context.Context, companyID staffbot.CompanyID, id staffbot.EmployeeID) (string, string, error) {
	var dept, office string
	err := t.queryRow(ctx, "SELECT department, office FROM employees WHERE company_id = ? AND id = ?", companyID, id).
		Scan(&dept, &office)
	if err != nil {
		return "", "", notFound(err, fmt.Sprintf("employee %d", id))
	}
	return dept, office, nil
}

// countInvite counts the employee as invited on the day of their first
// invite; a re-invite is not counted again.
func (t *Tx) countInvite(ctx context.Context, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID, inviteID int64, now time.Time) error {
	var earlier int
	err := t.queryRow(ctx, "SELECT count(*) FROM invites WHERE company_id = ? AND employee_id = ? AND id <> ?",
		companyID, employeeID, inviteID).Scan(&earlier)
	if err != nil || earlier > 0 {
		return err
	}
	return t.countForEmployee(ctx, companyID, employeeID, MetricInvited, "", now)
}

// countRegistration counts the account's employee as registered on the day
// of their first consent; a second messenger or a consent given again after
// a withdrawal is not counted again.
func (t *Tx) countRegistration(ctx context.Context, acct *staffbot.ChannelAccount, now time.Time) error {
	var consents int
	err := t.queryRow(ctx, "SELECT count(*) FROM consents WHERE company_id = ? AND employee_id = ?",
		acct.CompanyID, acct.EmployeeID).Scan(&consents)
	if err != nil || consents != 1 {
		return err
	}
	return t.countForEmployee(ctx, acct.CompanyID, acct.EmployeeID, MetricRegistered, string(acct.Kind), now)
}

func (t *Tx) countForEmployee(ctx context.Context, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID, metric, channel string, now time.Time) error {
	loc, err := t.companyLocation(ctx, companyID)
	if err != nil {
		return err
	}
	dept, office, err := t.employeePlace(ctx, companyID, employeeID)
	if err != nil {
		return err
	}
	return t.bumpCount(ctx, companyID, metric, staffbot.DateOf(now.In(loc)).String(), channel, dept, office, 1)
}

// accountPlaces caches the department and office of the employee behind
// a messenger account for a minute, since every outgoing message is
// counted under them.
var accountPlaces sync.Map // accountPlaceKey → accountPlace

type accountPlaceKey struct {
	s       *Store
	company staffbot.CompanyID
	account int64
}

type accountPlace struct {
	department, office string
	fetched            time.Time
}

// countMessageOut counts an outgoing message under its channel and, when
// it goes to an employee's account, the employee's department and office.
func (t *Tx) countMessageOut(ctx context.Context, companyID staffbot.CompanyID, accountID *int64, kind staffbot.ChannelKind, now time.Time) error {
	loc, err := t.companyLocation(ctx, companyID)
	if err != nil {
		return err
	}
	var place accountPlace
	if m := t.memo; m != nil && accountID != nil && m.company == companyID && m.account == *accountID {
		place.department, place.office = m.department, m.office
	} else if accountID != nil {
		key := accountPlaceKey{t.s, companyID, *accountID}
		if v, ok := accountPlaces.Load(key); ok && time.Since(v.(accountPlace).fetched) < time.Minute {
			place = v.(accountPlace)
		} else {
			err := t.queryRow(ctx, `SELECT e.department, e.office FROM channel_accounts a
				JOIN employees e ON e.company_id = a.company_id AND e.id = a.employee_id
				WHERE a.company_id = ? AND a.id = ?`, companyID, *accountID).Scan(&place.department, &place.office)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("count outgoing message: %w", err)
			}
			place.fetched = time.Now()
			accountPlaces.Store(key, place)
		}
	}
	return t.bumpCount(ctx, companyID, MetricMessagesOut, staffbot.DateOf(now.In(loc)).String(), string(kind),
		place.department, place.office, 1)
}

// RecordActivity counts a message an employee wrote to the bot, and the
// employee as active on the day, in the week and in the month, once each.
// Call it in the transaction that handles the message; today is the
// company's calendar day.
func (t *Tx) RecordActivity(ctx context.Context, companyID staffbot.CompanyID, emp *staffbot.Employee, kind staffbot.ChannelKind, today staffbot.Date) error {
	day := today.String()
	week := WeekStart(today).String()
	month := MonthStart(today).String()
	dept, office := emp.Department, emp.Office

	counts := []counter{{MetricMessagesIn, day, string(kind), dept, office, 1}}
	var last activityState
	if m := t.memoOf(companyID, emp.ID); m != nil && m.hasActivity {
		last = m.activity
	} else {
		err := t.queryRow(ctx, `SELECT last_day, last_week, last_month FROM activity_state
			WHERE company_id = ? AND employee_id = ?`, companyID, emp.ID).Scan(&last.day, &last.week, &last.month)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read activity: %w", err)
		}
	}
	lastDay, lastWeek, lastMonth := last.day, last.week, last.month
	if lastDay == day {
		return t.bumpCounts(ctx, companyID, counts...)
	}
	counts = append(counts, counter{MetricActiveDay, day, "", dept, office, 1})
	if lastWeek != week {
		counts = append(counts, counter{MetricActiveWeek, week, "", dept, office, 1})
	}
	if lastMonth != month {
		counts = append(counts, counter{MetricActiveMonth, month, "", dept, office, 1})
	}
	if err := t.bumpCounts(ctx, companyID, counts...); err != nil {
		return err
	}
	_, err := t.exec(ctx, `INSERT INTO activity_state (company_id, employee_id, last_day, last_week, last_month)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (company_id, employee_id) DO UPDATE SET
			last_day = excluded.last_day, last_week = excluded.last_week, last_month = excluded.last_month`,
		companyID, emp.ID, day, week, month)
	if err != nil {
		return fmt.Errorf("save activity: %w", err)
	}
	if m := t.memoOf(companyID, emp.ID); m != nil {
		m.activity, m.hasActivity = activityState{day, week, month}, true
	}
	return nil
}

// DashFilter narrows dashboard queries: days From to To inclusive, and the
// employees' departments and offices. Empty lists do not narrow; a list
// holding only NoMatch matches nothing (a filter outside the reader's
// scope).
type DashFilter struct {
	From, To    staffbot.Date
	Departments []string
	Offices     []string
}

// NoMatch stands for a department or office no row has; a filter holding
// it matches nothing.
const NoMatch = "\x00"

// placeFilter appends the department and office conditions for columns
// prefixed with p (such as "e.").
func (f DashFilter) placeFilter(b *strings.Builder, args []any, p string) []any {
	// NoMatch never reaches the database: PostgreSQL refuses a NUL.
	if slices.Contains(f.Departments, NoMatch) || slices.Contains(f.Offices, NoMatch) {
		b.WriteString(" AND 1 = 0")
		return args
	}
	if len(f.Departments) > 0 {
		b.WriteString(" AND " + p + "department IN (" + placeholders(len(f.Departments)) + ")")
		for _, d := range f.Departments {
			args = append(args, d)
		}
	}
	if len(f.Offices) > 0 {
		b.WriteString(" AND " + p + "office IN (" + placeholders(len(f.Offices)) + ")")
		for _, o := range f.Offices {
			args = append(args, o)
		}
	}
	return args
}

// countSlice appends the condition that picks the counter rows of the
// filter's departments and offices: the company's, a department's or an
// office's sums when the filter leaves the other open.
func (f DashFilter) countSlice(b *strings.Builder, args []any) []any {
	if slices.Contains(f.Departments, NoMatch) || slices.Contains(f.Offices, NoMatch) {
		b.WriteString(" AND 1 = 0")
		return args
	}
	for _, part := range []struct {
		column string
		values []string
	}{{"department", f.Departments}, {"office", f.Offices}} {
		if len(part.values) == 0 {
			b.WriteString(" AND " + part.column + " = ?")
			args = append(args, allPlaces)
			continue
		}
		b.WriteString(" AND " + part.column + " IN (" + placeholders(len(part.values)) + ")")
		for _, v := range part.values {
			args = append(args, v)
		}
	}
	return args
}

// DashCount is a counter summed over a day (or week, or month) and,
// when asked, a channel.
type DashCount struct {
	Day     string
	Channel string
	N       int64
}

// SumDashCounts sums a metric per day within the filter, and per channel
// when byChannel is set, ordered by day and channel. Weekly and monthly
// metrics are filed under the first day of their week or month, which
// may fall before From.
func (s *Store) SumDashCounts(ctx context.Context, companyID staffbot.CompanyID, metric string, f DashFilter, byChannel bool) ([]DashCount, error) {
	if err := s.FlushCounts(ctx); err != nil {
		return nil, err
	}
	var b strings.Builder
	cols := "day, ''"
	if byChannel {
		cols = "day, channel"
	}
	b.WriteString("SELECT " + cols + ", sum(n) FROM dash_counts WHERE company_id = ? AND metric = ?")
	args := f.countSlice(&b, []any{companyID, metric})
	from := f.From
	switch metric {
	case MetricActiveWeek:
		from = WeekStart(f.From)
	case MetricActiveMonth:
		from = MonthStart(f.From)
	}
	b.WriteString(" AND day >= ? AND day <= ?")
	args = append(args, from.String(), f.To.String())
	b.WriteString(" GROUP BY 1, 2 ORDER BY 1, 2")

	rows, err := s.query(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("sum %s: %w", metric, err)
	}
	defer rows.Close()
	var out []DashCount
	for rows.Next() {
		var c DashCount
		if err := rows.Scan(&c.Day, &c.Channel, &c.N); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// TotalDashCount sums a metric over every day before the given one,
// within the filter's departments and offices.
func (s *Store) TotalDashCount(ctx context.Context, companyID staffbot.CompanyID, metric string, f DashFilter, before staffbot.Date) (int64, error) {
	if err := s.FlushCounts(ctx); err != nil {
		return 0, err
	}
	var b strings.Builder
	b.WriteString("SELECT coalesce(sum(n), 0) FROM dash_counts WHERE company_id = ? AND metric = ?")
	args := f.countSlice(&b, []any{companyID, metric})
	b.WriteString(" AND day < ?")
	args = append(args, before.String())
	var n int64
	if err := s.queryRow(ctx, b.String(), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("total %s: %w", metric, err)
	}
	return n, nil
}

// CountHeadcount counts the employees on staff on the given day within the
// filter's departments and offices.
func (s *Store) CountHeadcount(ctx context.Context, companyID staffbot.CompanyID, f DashFilter, on staffbot.Date) (int64, error) {
	var b strings.Builder
	b.WriteString(`SELECT count(*) FROM employees WHERE company_id = ? AND hired_on <= ?
		AND (dismissed_on IS NULL OR dismissed_on > ?)`)
	args := f.placeFilter(&b, []any{companyID, on.String(), on.String()}, "")
	var n int64
	if err := s.queryRow(ctx, b.String(), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count headcount: %w", err)
	}
	return n, nil
}

// Places lists a company's departments and offices, for filters.
func (s *Store) Places(ctx context.Context, companyID staffbot.CompanyID) (departments, offices []string, err error) {
	rows, err := s.query(ctx, "SELECT DISTINCT department, office FROM employees WHERE company_id = ? ORDER BY 1, 2", companyID)
	if err != nil {
		return nil, nil, fmt.Errorf("list places: %w", err)
	}
	defer rows.Close()
	seenD, seenO := map[string]bool{}, map[string]bool{}
	for rows.Next() {
		var d, o string
		if err := rows.Scan(&d, &o); err != nil {
			return nil, nil, err
		}
		if d != "" && !seenD[d] {
			seenD[d] = true
			departments = append(departments, d)
		}
		if o != "" && !seenO[o] {
			seenO[o] = true
			offices = append(offices, o)
		}
	}
	slices.Sort(offices)
	return departments, offices, rows.Err()
}
