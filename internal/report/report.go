// Package report computes what the HR cabinet's dashboards show: charts of
// activation, active employees, messages, onboarding cohorts, the FAQ and
// the helpdesk, over a period and for chosen departments and offices. A Chart holds the
// numbers once; the cabinet draws it as SVG with a data table, and the
// XLSX and CSV downloads write the same numbers. The package also builds
// the weekly digest for HR.
package report

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/store"
)

// Query says what a chart is about.
type Query struct {
	CompanyID staffbot.CompanyID
	Location  *time.Location

	// From and To are the days of the period, both included.
	From, To staffbot.Date

	// Departments and Offices narrow to employees there; empty lists do
	// not narrow. The caller intersects them with the reader's scope.
	Departments []string
	Offices     []string

	// Scenario is the onboarding scenario whose runs the cohorts count.
	Scenario string

	Lang locale.Lang
	Now  time.Time
}

func (q Query) filter() store.DashFilter {
	return store.DashFilter{From: q.From, To: q.To, Departments: q.Departments, Offices: q.Offices}
}

// Bucket is the width of a chart's points.
type Bucket string

// The buckets; a period picks its own (BucketFor).
const (
	BucketDay   Bucket = "day"
	BucketWeek  Bucket = "week"
	BucketMonth Bucket = "month"
)

// BucketFor picks the bucket of a period: days up to two months, weeks up
// to about half a year, months beyond.
func BucketFor(from, to staffbot.Date) Bucket {
	days := daysBetween(from, to) + 1
	switch {
	case days <= 62:
		return BucketDay
	case days <= 200:
		return BucketWeek
	}
	return BucketMonth
}

func daysBetween(a, b staffbot.Date) int {
	return int(b.In(time.UTC).Sub(a.In(time.UTC)).Hours() / 24)
}

// start returns the first day of the bucket holding d.
func (b Bucket) start(d staffbot.Date) staffbot.Date {
	switch b {
	case BucketWeek:
		return store.WeekStart(d)
	case BucketMonth:
		return store.MonthStart(d)
	}
	return d
}

// next returns the first day of the bucket after the one starting at d.
func (b Bucket) next(d staffbot.Date) staffbot.Date {
	switch b {
	case BucketWeek:
		return d.AddDays(7)
	case BucketMonth:
		t := d.In(time.UTC).AddDate(0, 1, 0)
		return staffbot.DateOf(t)
	}
	return d.AddDays(1)
}

// starts lists the first days of the buckets covering from to to.
func (b Bucket) starts(from, to staffbot.Date) []staffbot.Date {
	var out []staffbot.Date
	for d := b.start(from); !d.After(to); d = b.next(d) {
		out = append(out, d)
	}
	return out
}

// Chart is one chart's numbers with what it takes to draw and explain
// them.
type Chart struct {
	ID          string
	Title       string
	Description string

	// Kind is "line", "bar" (grouped), "stacked" or "hbar".
	Kind string

	// XTitle heads the label column of the data table and the download.
	XTitle string
	// Keys are the points' machine keys (2026-03-02, 2026-03, a slug);
	// Labels the same points for people.
	Keys   []string
	Labels []string
	Series []Series

	// Percent says the values are percentages.
	Percent bool

	// Summary holds the headline numbers shown above the chart.
	Summary []Stat
	// Notes explain definitions and limits in a sentence each.
	Notes []string

	// Period describes the query for the download's header.
	Period string
}

// Series is one line or one set of bars. A value of NaN is a point
// without a value (a median of no tickets): no mark, an empty cell.
type Series struct {
	Key    string
	Name   string
	Values []float64
}

// Stat is a headline number.
type Stat struct {
	Key   string
	Label string
	Value string
}

// Empty reports whether every value is zero or missing.
func (c *Chart) Empty() bool {
	for _, s := range c.Series {
		for _, v := range s.Values {
			if v != 0 && !math.IsNaN(v) {
				return false
			}
		}
	}
	return true
}

// Builder computes charts from the store.
type Builder struct {
	Store *store.Store
}

// Dashboard is a page of charts.
type Dashboard struct {
	ID     string
	Charts []string
}

// Dashboards lists the cabinet's dashboards and their charts in order.
var Dashboards = []Dashboard{
	{ID: "adoption", Charts: []string{"activation", "active", "mau", "messages"}},
	{ID: "onboarding", Charts: []string{"cohorts"}},
	{ID: "faq", Charts: []string{"questions", "top_articles"}},
	{ID: "helpdesk", Charts: []string{"tickets", "ticket_categories", "ticket_times", "sla", "csat"}},
}

// ChartIDs lists every chart.
func ChartIDs() []string {
	var out []string
	for _, d := range Dashboards {
		out = append(out, d.Charts...)
	}
	return out
}

// Chart computes the chart with the id.
func (b *Builder) Chart(ctx context.Context, id string, q Query) (*Chart, error) {
	if q.Location == nil {
		q.Location = time.UTC
	}
	if q.To.Before(q.From) {
		return nil, fmt.Errorf("period %s to %s: %w", q.From, q.To, staffbot.ErrInvalid)
	}
	var (
		c   *Chart
		err error
	)
	switch id {
	case "activation":
		c, err = b.activation(ctx, q)
	case "active":
		c, err = b.active(ctx, q)
	case "mau":
		c, err = b.mau(ctx, q)
	case "messages":
		c, err = b.messages(ctx, q)
	case "cohorts":
		c, err = b.cohorts(ctx, q)
	case "questions":
		c, err = b.questions(ctx, q)
	case "top_articles":
		c, err = b.topArticles(ctx, q)
	case "tickets":
		c, err = b.tickets(ctx, q)
	case "ticket_categories":
		c, err = b.ticketCategories(ctx, q)
	case "ticket_times":
		c, err = b.ticketTimes(ctx, q)
	case "sla":
		c, err = b.sla(ctx, q)
	case "csat":
		c, err = b.csat(ctx, q)
	default:
		return nil, fmt.Errorf("chart %q: %w", id, staffbot.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", id, err)
	}
	c.ID = id
	c.Title = tr(q.Lang, "chart."+id)
	c.Description = tr(q.Lang, "chart."+id+".desc")
	c.Period = tr(q.Lang, "period", q.From.Russian(), q.To.Russian())
	return c, nil
}

// timeAxis fills the chart's keys and labels with the period's buckets and
// returns the index of each bucket's first day.
func timeAxis(c *Chart, q Query, bucket Bucket) map[string]int {
	index := map[string]int{}
	for i, d := range bucket.starts(q.From, q.To) {
		index[d.String()] = i
		c.Keys = append(c.Keys, d.String())
		c.Labels = append(c.Labels, bucketLabel(q.Lang, bucket, d))
	}
	c.XTitle = tr(q.Lang, "x."+string(bucket))
	return index
}

func bucketLabel(lang locale.Lang, b Bucket, d staffbot.Date) string {
	switch b {
	case BucketMonth:
		return monthLabel(lang, d)
	case BucketWeek:
		return fmt.Sprintf("%02d.%02d", d.Day, d.Month)
	}
	return fmt.Sprintf("%02d.%02d", d.Day, d.Month)
}

func monthLabel(lang locale.Lang, d staffbot.Date) string {
	names := monthsRU
	if lang == locale.EN {
		names = monthsEN
	}
	return fmt.Sprintf("%s %d", names[d.Month-1], d.Year)
}

var (
	monthsRU = []string{"янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"}
	monthsEN = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
)

// sumInto adds counts into values by the bucket of their day.
func sumInto(values []float64, index map[string]int, bucket Bucket, day string, n int64) {
	d, err := staffbot.ParseDate(day)
	if err != nil {
		return
	}
	if i, ok := index[bucket.start(d).String()]; ok {
		values[i] += float64(n)
	}
}

func (b *Builder) activation(ctx context.Context, q Query) (*Chart, error) {
	c := &Chart{Kind: "line"}
	bucket := BucketFor(q.From, q.To)
	index := timeAxis(c, q, bucket)
	f := q.filter()

	series := []string{store.MetricInvited, store.MetricRegistered}
	totals := make([]float64, len(series))
	added := make([]float64, len(series))
	for i, m := range series {
		base, err := b.Store.TotalDashCount(ctx, q.CompanyID, m, f, q.From)
		if err != nil {
			return nil, err
		}
		counts, err := b.Store.SumDashCounts(ctx, q.CompanyID, m, f, false)
		if err != nil {
			return nil, err
		}
		per := make([]float64, len(c.Keys))
		for _, cnt := range counts {
			sumInto(per, index, bucket, cnt.Day, cnt.N)
			added[i] += float64(cnt.N)
		}
		// Cumulative: everyone invited (registered) up to each point.
		run := float64(base)
		for j := range per {
			run += per[j]
			per[j] = run
		}
		totals[i] = run
		c.Series = append(c.Series, Series{Key: m, Name: tr(q.Lang, "s."+m), Values: per})
	}
	c.Summary = []Stat{
		{Key: "invited", Label: tr(q.Lang, "st.invited"), Value: count(totals[0])},
		{Key: "registered", Label: tr(q.Lang, "st.registered"), Value: count(totals[1])},
		{Key: "rate", Label: tr(q.Lang, "st.activation"), Value: percent(totals[1], totals[0])},
		{Key: "new", Label: tr(q.Lang, "st.new_registered"), Value: count(added[1])},
	}
	c.Notes = []string{tr(q.Lang, "note.activation")}
	return c, nil
}

func (b *Builder) active(ctx context.Context, q Query) (*Chart, error) {
	c := &Chart{Kind: "bar"}
	bucket := BucketFor(q.From, q.To)
	index := timeAxis(c, q, bucket)
	metric := map[Bucket]string{BucketDay: store.MetricActiveDay, BucketWeek: store.MetricActiveWeek, BucketMonth: store.MetricActiveMonth}[bucket]
	counts, err := b.Store.SumDashCounts(ctx, q.CompanyID, metric, q.filter(), false)
	if err != nil {
		return nil, err
	}
	values := make([]float64, len(c.Keys))
	for _, cnt := range counts {
		if i, ok := index[cnt.Day]; ok {
			values[i] = float64(cnt.N)
		}
	}
	c.Series = []Series{{Key: metric, Name: tr(q.Lang, "s."+metric), Values: values}}

	var sum, peak float64
	for _, v := range values {
		sum += v
		peak = max(peak, v)
	}
	c.Summary = []Stat{
		{Key: "average", Label: tr(q.Lang, "st.average."+string(bucket)), Value: decimal(sum / float64(max(len(values), 1)))},
		{Key: "peak", Label: tr(q.Lang, "st.peak"), Value: count(peak)},
	}
	c.Notes = []string{tr(q.Lang, "note.active")}
	return c, nil
}

func (b *Builder) mau(ctx context.Context, q Query) (*Chart, error) {
	c := &Chart{Kind: "bar"}
	index := timeAxis(c, q, BucketMonth)
	f := q.filter()
	counts, err := b.Store.SumDashCounts(ctx, q.CompanyID, store.MetricActiveMonth, f, false)
	if err != nil {
		return nil, err
	}
	values := make([]float64, len(c.Keys))
	for _, cnt := range counts {
		if i, ok := index[cnt.Day]; ok {
			values[i] = float64(cnt.N)
		}
	}
	c.Series = []Series{{Key: store.MetricActiveMonth, Name: tr(q.Lang, "s.active_m"), Values: values}}

	headcount, err := b.Store.CountHeadcount(ctx, q.CompanyID, f, q.To)
	if err != nil {
		return nil, err
	}
	// The headline month is the last complete one: a month two days old
	// says little about reach or stickiness.
	month := store.MonthStart(q.To)
	if next := BucketMonth.next(month); q.To.AddDays(1) != next {
		month = staffbot.DateOf(month.In(time.UTC).AddDate(0, -1, 0))
	}
	end := BucketMonth.next(month).AddDays(-1)
	monthly := store.DashFilter{From: month, To: end, Departments: q.Departments, Offices: q.Offices}
	var mau, dauSum float64
	for _, m := range []string{store.MetricActiveMonth, store.MetricActiveDay} {
		counts, err := b.Store.SumDashCounts(ctx, q.CompanyID, m, monthly, false)
		if err != nil {
			return nil, err
		}
		for _, cnt := range counts {
			if m == store.MetricActiveMonth && cnt.Day == month.String() {
				mau = float64(cnt.N)
			}
			if m == store.MetricActiveDay {
				dauSum += float64(cnt.N)
			}
		}
	}
	days := float64(daysBetween(month, end) + 1)
	c.Summary = []Stat{
		{Key: "mau", Label: tr(q.Lang, "st.mau", monthLabel(q.Lang, month)), Value: count(mau)},
		{Key: "headcount", Label: tr(q.Lang, "st.headcount"), Value: count(float64(headcount))},
		{Key: "reach", Label: tr(q.Lang, "st.mau_headcount"), Value: percent(mau, float64(headcount))},
		{Key: "stickiness", Label: tr(q.Lang, "st.stickiness"), Value: percent(dauSum/days, mau)},
	}
	c.Notes = []string{tr(q.Lang, "note.mau")}
	return c, nil
}

// channels are the channels messages are charted for, in order.
var channels = []staffbot.ChannelKind{staffbot.ChannelTelegram, staffbot.ChannelWebchat}

func (b *Builder) messages(ctx context.Context, q Query) (*Chart, error) {
	c := &Chart{Kind: "line"}
	bucket := BucketFor(q.From, q.To)
	index := timeAxis(c, q, bucket)
	f := q.filter()

	var totalIn, totalOut float64
	for _, m := range []string{store.MetricMessagesIn, store.MetricMessagesOut} {
		counts, err := b.Store.SumDashCounts(ctx, q.CompanyID, m, f, true)
		if err != nil {
			return nil, err
		}
		known := slices.Clone(channels)
		for _, cnt := range counts {
			if !slices.Contains(known, staffbot.ChannelKind(cnt.Channel)) {
				known = append(known, staffbot.ChannelKind(cnt.Channel))
			}
		}
		for _, ch := range known {
			values := make([]float64, len(c.Keys))
			for _, cnt := range counts {
				if cnt.Channel == string(ch) {
					sumInto(values, index, bucket, cnt.Day, cnt.N)
				}
			}
			for _, v := range values {
				if m == store.MetricMessagesIn {
					totalIn += v
				} else {
					totalOut += v
				}
			}
			c.Series = append(c.Series, Series{
				Key:    m + ":" + string(ch),
				Name:   tr(q.Lang, "s."+m, channelName(q.Lang, string(ch))),
				Values: values,
			})
		}
	}
	c.Summary = []Stat{
		{Key: "in", Label: tr(q.Lang, "st.msg_in"), Value: count(totalIn)},
		{Key: "out", Label: tr(q.Lang, "st.msg_out"), Value: count(totalOut)},
	}
	c.Notes = []string{tr(q.Lang, "note.messages")}
	return c, nil
}

func channelName(lang locale.Lang, ch string) string {
	switch ch {
	case "":
		return tr(lang, "ch.none")
	case string(staffbot.ChannelTelegram):
		return "Telegram"
	case string(staffbot.ChannelWebchat):
		return tr(lang, "ch.webchat")
	}
	return ch
}

// cohortStatuses are the stacks of the cohort chart, bottom first.
var cohortStatuses = []string{store.OnboardingDone, store.OnboardingInProgress, store.OnboardingStuck, store.OnboardingNotStarted}

// minCohorts is how many hire months the cohort chart shows at least:
// onboarding lasts about three months, so a shorter period says little.
const minCohorts = 6

func (b *Builder) cohorts(ctx context.Context, q Query) (*Chart, error) {
	c := &Chart{Kind: "stacked"}
	if earliest := staffbot.DateOf(store.MonthStart(q.To).In(time.UTC).AddDate(0, 1-minCohorts, 0)); earliest.Before(q.From) {
		q.From = earliest
	}
	index := timeAxis(c, q, BucketMonth)
	c.XTitle = tr(q.Lang, "x.cohort")
	counts, err := b.Store.OnboardingCohorts(ctx, q.CompanyID, q.Scenario, q.filter(), q.Now)
	if err != nil {
		return nil, err
	}
	byStatus := map[string][]float64{}
	for _, st := range cohortStatuses {
		byStatus[st] = make([]float64, len(c.Keys))
	}
	var total, done, stuck float64
	for _, cnt := range counts {
		i, ok := index[cnt.Month+"-01"]
		if !ok || byStatus[cnt.Status] == nil {
			continue
		}
		byStatus[cnt.Status][i] += float64(cnt.N)
		total += float64(cnt.N)
		switch cnt.Status {
		case store.OnboardingDone:
			done += float64(cnt.N)
		case store.OnboardingStuck:
			stuck += float64(cnt.N)
		}
	}
	for _, st := range cohortStatuses {
		c.Series = append(c.Series, Series{Key: st, Name: tr(q.Lang, "s."+st), Values: byStatus[st]})
	}
	c.Summary = []Stat{
		{Key: "newcomers", Label: tr(q.Lang, "st.newcomers"), Value: count(total)},
		{Key: "done", Label: tr(q.Lang, "st.completion"), Value: percent(done, total)},
		{Key: "stuck", Label: tr(q.Lang, "st.stuck"), Value: count(stuck)},
	}
	c.Notes = []string{tr(q.Lang, "note.cohorts", int(store.StuckAfter.Hours()))}
	return c, nil
}

// Outcomes of questions in faq_questions that the FAQ chart tells apart.
const (
	outcomeUnknown = "unknown" // the bot said it does not know
	outcomeToHR    = "to_hr"   // passed to HR
	outcomeHelped  = "helped"  // the employee said the answer helped
)

func (b *Builder) questions(ctx context.Context, q Query) (*Chart, error) {
	c := &Chart{Kind: "line"}
	bucket := BucketFor(q.From, q.To)
	timeAxis(c, q, bucket)
	starts := bucket.starts(q.From, q.To)
	if len(starts) > 0 && starts[0].Before(q.From) {
		starts[0] = q.From // a week or month cut by the period counts from its first day
	}
	counts, err := b.Store.FAQBucketCounts(ctx, q.CompanyID, q.filter(), q.Location, starts, q.Now)
	if err != nil {
		return nil, err
	}
	all := make([]float64, len(c.Keys))
	unknown := make([]float64, len(c.Keys))
	toHR := make([]float64, len(c.Keys))
	var total, nUnknown, nToHR, nHelped float64
	for outcome, values := range counts {
		for i, n := range values {
			v := float64(n)
			all[i] += v
			total += v
			switch outcome {
			case outcomeUnknown:
				unknown[i] += v
				nUnknown += v
			case outcomeToHR:
				toHR[i] += v
				nToHR += v
			case outcomeHelped:
				nHelped += v
			}
		}
	}
	c.Series = []Series{
		{Key: "questions", Name: tr(q.Lang, "s.questions"), Values: all},
		{Key: outcomeUnknown, Name: tr(q.Lang, "s.unknown"), Values: unknown},
		{Key: outcomeToHR, Name: tr(q.Lang, "s.to_hr"), Values: toHR},
	}
	deflected := total - nToHR
	c.Summary = []Stat{
		{Key: "questions", Label: tr(q.Lang, "st.questions"), Value: count(total)},
		{Key: "unanswered", Label: tr(q.Lang, "st.unanswered"), Value: percent(nUnknown, total)},
		{Key: "deflection", Label: tr(q.Lang, "st.deflection"), Value: percent(deflected, total)},
		{Key: "containment", Label: tr(q.Lang, "st.containment"), Value: percent(nHelped, total)},
	}
	c.Notes = []string{tr(q.Lang, "note.questions")}
	return c, nil
}

func (b *Builder) topArticles(ctx context.Context, q Query) (*Chart, error) {
	c := &Chart{Kind: "hbar", XTitle: tr(q.Lang, "x.article")}
	top, err := b.Store.TopFAQArticles(ctx, q.CompanyID, q.filter(), q.Location, 10, q.Now)
	if err != nil {
		return nil, err
	}
	values := make([]float64, len(top))
	for i, a := range top {
		c.Keys = append(c.Keys, a.Slug)
		label := a.Title
		if label == "" {
			label = a.Slug
		}
		c.Labels = append(c.Labels, label)
		values[i] = float64(a.N)
	}
	c.Series = []Series{{Key: "answers", Name: tr(q.Lang, "s.answers"), Values: values}}
	c.Notes = []string{tr(q.Lang, "note.top_articles")}
	return c, nil
}

func count(v float64) string { return fmt.Sprintf("%d", int64(math.Round(v))) }

func decimal(v float64) string {
	if v == math.Trunc(v) {
		return count(v)
	}
	return fmt.Sprintf("%.1f", v)
}

// percent formats part of whole; a whole of zero has no percentage.
func percent(part, whole float64) string {
	if whole <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", 100*part/whole)
}
