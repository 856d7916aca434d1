package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
)

// The FAQ charts read questions from faq_questions, which grows with every
// question asked. Days that have settled (faqSettleDays ago and older) are
// filed once into daily rollups (faq_daily_outcomes, faq_daily_articles)
// by department, by office and for the whole company; the charts read the
// rollups for those days and the questions themselves only for the last
// few. An outcome changed after its day was filed (a "helped" pressed a
// week later) is not seen by the charts. A filter by department and office
// together is not rolled up and reads the questions.
const faqSettleDays = 2

// FAQCount is how many questions asked on a day had an outcome.
type FAQCount struct {
	Day     staffbot.Date
	Outcome string
	N       int64
}

// dayNumber is a calendar day as days since 1 January 1970.
func dayNumber(d staffbot.Date) int64 { return d.In(time.UTC).Unix() / 86400 }

func dayOfNumber(n int64) staffbot.Date { return staffbot.DateOf(time.Unix(n*86400, 0).UTC()) }

// dayBounds returns the filter's days as instants in loc, the end
// exclusive, and the offset that turns an instant into loc's day number.
// The offset is the zone's at the start of the period, so in a zone that
// changes its clocks an hour around the change may count on the next day.
func dayBounds(f DashFilter, loc *time.Location) (from, to int64, offset int64) {
	start := f.From.In(loc)
	_, off := start.Zone()
	return millis(start), millis(f.To.AddDays(1).In(loc)), int64(off) * 1000
}

// instant returns the SQL for an instant bound of a range over a large
// table: a placeholder with its argument, or on PostgreSQL the number
// itself, so that each query is planned for its own range. A prepared
// statement's generic plan, which PostgreSQL switches to after five runs,
// takes a year of questions for a few hundred rows and walks them through
// the wrong index, taking several times longer than a scan.
func (s *Store) instant(ms int64, args []any) (string, []any) {
	if s.dialect == Postgres {
		return strconv.FormatInt(ms, 10), args
	}
	return "?", append(args, ms)
}

// askerFilter appends the condition that keeps questions of employees in
// the filter's departments and offices.
func (f DashFilter) askerFilter(b *strings.Builder, args []any, companyID staffbot.CompanyID) []any {
	if len(f.Departments) == 0 && len(f.Offices) == 0 {
		return args
	}
	b.WriteString(" AND q.employee_id IN (SELECT e.id FROM employees e WHERE e.company_id = ?")
	args = f.placeFilter(b, append(args, companyID), "e.")
	b.WriteString(")")
	return args
}

// FAQCounts counts the questions asked in the chat per day of the company's
// zone and outcome, from the questions themselves.
func (s *Store) FAQCounts(ctx context.Context, companyID staffbot.CompanyID, f DashFilter, loc *time.Location) ([]FAQCount, error) {
	from, to, off := dayBounds(f, loc)
	args := []any{off, companyID}
	lo, args := s.instant(from, args)
	hi, args := s.instant(to, args)
	var b strings.Builder
	b.WriteString(`SELECT (q.created_at + ?) / 86400000, q.outcome, count(*) FROM faq_questions q
		WHERE q.company_id = ? AND q.created_at >= ` + lo + ` AND q.created_at < ` + hi)
	args = f.askerFilter(&b, args, companyID)
	b.WriteString(" GROUP BY 1, 2 ORDER BY 1, 2")

	rows, err := s.query(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("count questions: %w", err)
	}
	defer rows.Close()
	var out []FAQCount
	for rows.Next() {
		var (
			c      FAQCount
			dayNum int64
		)
		if err := rows.Scan(&dayNum, &c.Outcome, &c.N); err != nil {
			return nil, err
		}
		c.Day = dayOfNumber(dayNum)
		out = append(out, c)
	}
	return out, rows.Err()
}

// rolledUp reports whether the filter's places can be read from the
// rollups, which keep departments and offices apart.
func (f DashFilter) rolledUp() bool {
	return len(f.Departments) == 0 || len(f.Offices) == 0
}

// FAQBucketCounts counts the questions asked in each period that starts on
// a day of starts (in loc) and ends where the next starts, the last at the
// end of f.To, by outcome: settled days from the rollups, the last days
// from the questions.
func (s *Store) FAQBucketCounts(ctx context.Context, companyID staffbot.CompanyID, f DashFilter, loc *time.Location, starts []staffbot.Date, now time.Time) (map[string][]int64, error) {
	out := map[string][]int64{}
	if len(starts) == 0 {
		return out, nil
	}
	add := func(day staffbot.Date, outcome string, n int64) {
		if day.Before(starts[0]) || day.After(f.To) {
			return
		}
		i := len(starts) - 1
		for i > 0 && day.Before(starts[i]) {
			i--
		}
		if out[outcome] == nil {
			out[outcome] = make([]int64, len(starts))
		}
		out[outcome][i] += n
	}

	live := f
	if f.rolledUp() {
		through, err := s.refreshFAQRollup(ctx, companyID, loc, now)
		if err != nil {
			return nil, err
		}
		if dayNumber(f.From) <= through {
			var b strings.Builder
			b.WriteString("SELECT day, outcome, sum(n) FROM faq_daily_outcomes WHERE company_id = ?")
			args := f.countSlice(&b, []any{companyID})
			b.WriteString(" AND day >= ? AND day <= ? GROUP BY day, outcome")
			args = append(args, dayNumber(f.From), min(dayNumber(f.To), through))
			rows, err := s.query(ctx, b.String(), args...)
			if err != nil {
				return nil, fmt.Errorf("read question rollup: %w", err)
			}
			for rows.Next() {
				var (
					d       int64
					outcome string
					n       int64
				)
				if err := rows.Scan(&d, &outcome, &n); err != nil {
					rows.Close()
					return nil, err
				}
				add(dayOfNumber(d), outcome, n)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
			live.From = dayOfNumber(through + 1)
		}
	}
	if live.From.After(live.To) {
		return out, nil
	}
	counts, err := s.FAQCounts(ctx, companyID, live, loc)
	if err != nil {
		return nil, err
	}
	for _, c := range counts {
		add(c.Day, c.Outcome, c.N)
	}
	return out, nil
}

// ArticleCount is how often the bot answered with a knowledge-base
// article.
type ArticleCount struct {
	Slug  string
	Title string
	N     int64
}

// TopFAQArticles returns the articles the bot answered with most often in
// the period, most used first.
func (s *Store) TopFAQArticles(ctx context.Context, companyID staffbot.CompanyID, f DashFilter, loc *time.Location, limit int, now time.Time) ([]ArticleCount, error) {
	counts := map[string]int64{}
	live := f
	if f.rolledUp() {
		through, err := s.refreshFAQRollup(ctx, companyID, loc, now)
		if err != nil {
			return nil, err
		}
		if dayNumber(f.From) <= through {
			var b strings.Builder
			b.WriteString("SELECT article_slug, sum(n) FROM faq_daily_articles WHERE company_id = ?")
			args := f.countSlice(&b, []any{companyID})
			b.WriteString(" AND day >= ? AND day <= ? GROUP BY article_slug")
			args = append(args, dayNumber(f.From), min(dayNumber(f.To), through))
			if err := s.sumBySlug(ctx, counts, b.String(), args...); err != nil {
				return nil, err
			}
			live.From = dayOfNumber(through + 1)
		}
	}
	if !live.From.After(live.To) {
		from, to, _ := dayBounds(live, loc)
		args := []any{companyID}
		lo, args := s.instant(from, args)
		hi, args := s.instant(to, args)
		var b strings.Builder
		b.WriteString(`SELECT q.article_slug, count(*) FROM faq_questions q
			WHERE q.company_id = ? AND q.created_at >= ` + lo + ` AND q.created_at < ` + hi + ` AND q.article_slug <> ''`)
		args = live.askerFilter(&b, args, companyID)
		b.WriteString(" GROUP BY q.article_slug")
		if err := s.sumBySlug(ctx, counts, b.String(), args...); err != nil {
			return nil, err
		}
	}

	out := make([]ArticleCount, 0, len(counts))
	for slug, n := range counts {
		out = append(out, ArticleCount{Slug: slug, N: n})
	}
	slices.SortFunc(out, func(a, b ArticleCount) int {
		if a.N != b.N {
			if a.N > b.N {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Slug, b.Slug)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	if len(out) == 0 {
		return out, nil
	}

	args := []any{companyID}
	for _, c := range out {
		args = append(args, c.Slug)
	}
	rows, err := s.query(ctx, "SELECT slug, title FROM kb_articles WHERE company_id = ? AND slug IN ("+placeholders(len(out))+")", args...)
	if err != nil {
		return nil, fmt.Errorf("article titles: %w", err)
	}
	defer rows.Close()
	titles := map[string]string{}
	for rows.Next() {
		var slug, title string
		if err := rows.Scan(&slug, &title); err != nil {
			return nil, err
		}
		titles[slug] = title
	}
	for i := range out {
		out[i].Title = titles[out[i].Slug]
	}
	return out, rows.Err()
}

func (s *Store) sumBySlug(ctx context.Context, counts map[string]int64, q string, args ...any) error {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("count answers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			slug string
			n    int64
		)
		if err := rows.Scan(&slug, &n); err != nil {
			return err
		}
		counts[slug] += n
	}
	return rows.Err()
}

// RefreshFAQRollup files the company's questions of the days that have
// settled into the daily rollups. The first call files all of the
// company's history; later calls a day or so each. The dashboards call it
// when they read, the server's report loop every minute.
func (s *Store) RefreshFAQRollup(ctx context.Context, companyID staffbot.CompanyID, loc *time.Location, now time.Time) error {
	_, err := s.refreshFAQRollup(ctx, companyID, loc, now)
	return err
}

// refreshFAQRollup files settled days and returns the last day filed, as
// a day number (-1 when none is).
func (s *Store) refreshFAQRollup(ctx context.Context, companyID staffbot.CompanyID, loc *time.Location, now time.Time) (int64, error) {
	cutoff := dayNumber(staffbot.DateOf(now.In(loc))) - faqSettleDays
	var through int64
	err := s.queryRow(ctx, "SELECT through_day FROM faq_rollups WHERE company_id = ?", companyID).Scan(&through)
	switch {
	case err == nil && through >= cutoff:
		return through, nil
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return 0, fmt.Errorf("read question rollup state: %w", err)
	}

	// Files are written under the company's row, locked, so that two
	// readers refreshing at once file each day once.
	_, offset := now.In(loc).Zone()
	err = s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO faq_rollups (company_id, through_day, offset_ms) VALUES (?, -1, ?)
			ON CONFLICT (company_id) DO NOTHING`, companyID, int64(offset)*1000)
		if err != nil {
			return err
		}
		var off int64
		err = tx.queryRow(ctx, "SELECT through_day, offset_ms FROM faq_rollups WHERE company_id = ?"+s.forUpdate(), companyID).
			Scan(&through, &off)
		if err != nil || through >= cutoff {
			return err
		}
		lo, hi := (through+1)*86400000-off, (cutoff+1)*86400000-off
		all := "'" + allPlaces + "'"
		for _, place := range [][2]string{{"e.department", all}, {all, "e.office"}, {all, all}} {
			for _, roll := range []struct{ table, column, where string }{
				{"faq_daily_outcomes", "q.outcome", ""},
				{"faq_daily_articles", "q.article_slug", " AND q.article_slug <> ''"},
			} {
				// PostgreSQL groups by output positions but refuses a
				// constant among them, so the place columns that are
				// the company's sums stay out of the list.
				group := []string{"1"}
				for i, p := range place {
					if p != all {
						group = append(group, strconv.Itoa(i+2))
					}
				}
				group = append(group, "4", "5")
				col := strings.TrimPrefix(roll.column, "q.")
				_, err := tx.exec(ctx, `INSERT INTO `+roll.table+` (company_id, department, office, day, `+col+`, n)
					SELECT q.company_id, `+place[0]+`, `+place[1]+`, (q.created_at + ?) / 86400000, `+roll.column+`, count(*)
					FROM faq_questions q JOIN employees e ON e.company_id = q.company_id AND e.id = q.employee_id
					WHERE q.company_id = ? AND q.created_at >= ? AND q.created_at < ?`+roll.where+`
					GROUP BY `+strings.Join(group, ", "),
					off, companyID, lo, hi)
				if err != nil {
					return fmt.Errorf("file questions into %s: %w", roll.table, err)
				}
			}
		}
		_, err = tx.exec(ctx, "UPDATE faq_rollups SET through_day = ? WHERE company_id = ?", cutoff, companyID)
		through = cutoff
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("refresh question rollup: %w", err)
	}
	return through, nil
}
