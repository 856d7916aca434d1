package report

import (
	"context"
	"math"
	"slices"
	"strconv"

	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/store"
)

// The helpdesk charts count tickets by the day something happened to each:
// opened, first answered, resolved, a timer ran out. Times are working
// time on the company's calendar, as the SLA timers count it, in hours.

func (b *Builder) tickets(ctx context.Context, q Query) (*Chart, error) {
	c := &Chart{Kind: "line"}
	bucket := BucketFor(q.From, q.To)
	index := timeAxis(c, q, bucket)
	f := q.filter()
	var totals [2]float64
	for i, on := range []string{"created", "resolved"} {
		counts, err := b.Store.CountTickets(ctx, q.CompanyID, f, on)
		if err != nil {
			return nil, err
		}
		values := make([]float64, len(c.Keys))
		for _, cnt := range counts {
			sumInto(values, index, bucket, cnt.Day.String(), cnt.N)
			totals[i] += float64(cnt.N)
		}
		c.Series = append(c.Series, Series{Key: on, Name: tr(q.Lang, "s.tickets_"+on), Values: values})
	}
	active, err := b.Store.CountActiveTickets(ctx, q.CompanyID, f)
	if err != nil {
		return nil, err
	}
	c.Summary = []Stat{
		{Key: "opened", Label: tr(q.Lang, "st.tickets_opened"), Value: count(totals[0])},
		{Key: "resolved", Label: tr(q.Lang, "st.tickets_resolved"), Value: count(totals[1])},
		{Key: "active", Label: tr(q.Lang, "st.tickets_active"), Value: count(float64(active))},
	}
	c.Notes = []string{tr(q.Lang, "note.tickets")}
	return c, nil
}

func (b *Builder) ticketCategories(ctx context.Context, q Query) (*Chart, error) {
	c := &Chart{Kind: "hbar", XTitle: tr(q.Lang, "x.category")}
	cats, err := b.Store.FindTicketCategories(ctx, q.CompanyID)
	if err != nil {
		return nil, err
	}
	f := q.filter()
	var opened, resolved map[int64]float64
	for _, on := range []string{"created", "resolved"} {
		counts, err := b.Store.CountTickets(ctx, q.CompanyID, f, on)
		if err != nil {
			return nil, err
		}
		m := map[int64]float64{}
		for _, cnt := range counts {
			m[cnt.CategoryID] += float64(cnt.N)
		}
		if on == "created" {
			opened = m
		} else {
			resolved = m
		}
	}
	// Every active queue, and archived ones that had tickets, busiest
	// first.
	var shown []*store.TicketCategory
	for _, cat := range cats {
		if !cat.Archived || opened[cat.ID] > 0 || resolved[cat.ID] > 0 {
			shown = append(shown, cat)
		}
	}
	slices.SortStableFunc(shown, func(x, y *store.TicketCategory) int {
		switch {
		case opened[x.ID] > opened[y.ID]:
			return -1
		case opened[x.ID] < opened[y.ID]:
			return 1
		}
		return x.Position - y.Position
	})
	o := make([]float64, len(shown))
	r := make([]float64, len(shown))
	for i, cat := range shown {
		c.Keys = append(c.Keys, cat.Slug)
		c.Labels = append(c.Labels, cat.Name(string(q.Lang)))
		o[i], r[i] = opened[cat.ID], resolved[cat.ID]
	}
	c.Series = []Series{
		{Key: "created", Name: tr(q.Lang, "s.tickets_created"), Values: o},
		{Key: "resolved", Name: tr(q.Lang, "s.tickets_resolved"), Values: r},
	}
	c.Notes = []string{tr(q.Lang, "note.ticket_categories")}
	return c, nil
}

// dayBuckets maps each day of the period, counted from the day number
// first, to the index of its bucket.
func dayBuckets(q Query, bucket Bucket, index map[string]int) (first int64, buckets []int) {
	first = store.DayNumber(q.From)
	for d := q.From; !d.After(q.To); d = d.AddDays(1) {
		buckets = append(buckets, index[bucket.start(d).String()])
	}
	return first, buckets
}

// percentile returns the p-th percentile (0 < p ≤ 1) of sorted values by
// the nearest-rank method: the smallest value with at least p of the
// values at or below it. NaN when there are none.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	rank := int(math.Ceil(p * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// hours turns working seconds into hours, rounded to hundredths as the
// table and the downloads show them.
func hours(secs float64) float64 { return math.Round(secs/36) / 100 }

// formatHours writes a number of hours for a headline: "1,5 ч".
func formatHours(lang locale.Lang, h float64) string {
	if math.IsNaN(h) {
		return "—"
	}
	return FormatNumber(h, lang) + tr(lang, "unit.h")
}

func (b *Builder) ticketTimes(ctx context.Context, q Query) (*Chart, error) {
	c := &Chart{Kind: "line"}
	bucket := BucketFor(q.From, q.To)
	index := timeAxis(c, q, bucket)
	for _, of := range []string{"first_response", "resolution"} {
		times, err := b.Store.TicketTimes(ctx, q.CompanyID, q.filter(), of)
		if err != nil {
			return nil, err
		}
		per := make([][]float64, len(c.Keys))
		all := make([]float64, 0, len(times))
		first, buckets := dayBuckets(q, bucket, index)
		for _, t := range times {
			secs := float64(t.Secs)
			all = append(all, secs)
			if d := t.Day - first; d >= 0 && d < int64(len(buckets)) {
				per[buckets[d]] = append(per[buckets[d]], secs)
			}
		}
		slices.Sort(all)
		median := make([]float64, len(c.Keys))
		p90 := make([]float64, len(c.Keys))
		for i, values := range per {
			slices.Sort(values)
			median[i], p90[i] = hours(percentile(values, 0.5)), hours(percentile(values, 0.9))
		}
		c.Series = append(c.Series,
			Series{Key: of + "_median", Name: tr(q.Lang, "s."+of+"_median"), Values: median},
			Series{Key: of + "_p90", Name: tr(q.Lang, "s."+of+"_p90"), Values: p90})
		c.Summary = append(c.Summary,
			Stat{Key: of + "_median", Label: tr(q.Lang, "st."+of+"_median"), Value: formatHours(q.Lang, hours(percentile(all, 0.5)))},
			Stat{Key: of + "_p90", Label: tr(q.Lang, "st."+of+"_p90"), Value: formatHours(q.Lang, hours(percentile(all, 0.9)))},
			Stat{Key: of + "_n", Label: tr(q.Lang, "st."+of+"_n"), Value: count(float64(len(all)))})
	}
	c.Notes = []string{tr(q.Lang, "note.ticket_times")}
	return c, nil
}

func (b *Builder) sla(ctx context.Context, q Query) (*Chart, error) {
	c := &Chart{Kind: "bar"}
	bucket := BucketFor(q.From, q.To)
	index := timeAxis(c, q, bucket)
	f := q.filter()
	for _, of := range []string{"first_response", "resolution"} {
		breaches, err := b.Store.TicketBreaches(ctx, q.CompanyID, f, q.Location, of)
		if err != nil {
			return nil, err
		}
		values := make([]float64, len(c.Keys))
		var total float64
		for day, n := range breaches {
			sumInto(values, index, bucket, day.String(), n)
			total += float64(n)
		}
		c.Series = append(c.Series, Series{Key: of + "_breached", Name: tr(q.Lang, "s."+of+"_breached"), Values: values})

		onTime, timed, err := b.Store.TicketsOnTime(ctx, q.CompanyID, f, of)
		if err != nil {
			return nil, err
		}
		c.Summary = append(c.Summary,
			Stat{Key: of + "_on_time", Label: tr(q.Lang, "st."+of+"_on_time"), Value: percent(float64(onTime), float64(timed))},
			Stat{Key: of + "_breached", Label: tr(q.Lang, "st."+of+"_breached"), Value: count(total)})
	}
	c.Notes = []string{tr(q.Lang, "note.sla")}
	return c, nil
}

func (b *Builder) csat(ctx context.Context, q Query) (*Chart, error) {
	c := &Chart{Kind: "bar", XTitle: tr(q.Lang, "x.rating")}
	counts, err := b.Store.TicketRatings(ctx, q.CompanyID, q.filter())
	if err != nil {
		return nil, err
	}
	values := make([]float64, 5)
	var rated, sum, satisfied float64
	for r := 1; r <= 5; r++ {
		n := float64(counts[r])
		c.Keys = append(c.Keys, strconv.Itoa(r))
		c.Labels = append(c.Labels, strconv.Itoa(r))
		values[r-1] = n
		rated += n
		sum += n * float64(r)
		if r >= 4 {
			satisfied += n
		}
	}
	resolved := rated + float64(counts[0])
	c.Series = []Series{{Key: "ratings", Name: tr(q.Lang, "s.ratings"), Values: values}}
	average := "—"
	if rated > 0 {
		average = FormatNumber(math.Round(sum/rated*100)/100, q.Lang)
	}
	c.Summary = []Stat{
		{Key: "average", Label: tr(q.Lang, "st.rating_average"), Value: average},
		{Key: "csat", Label: tr(q.Lang, "st.csat"), Value: percent(satisfied, rated)},
		{Key: "rated", Label: tr(q.Lang, "st.rated"), Value: count(rated)},
		{Key: "response", Label: tr(q.Lang, "st.rating_response"), Value: percent(rated, resolved)},
	}
	c.Notes = []string{tr(q.Lang, "note.csat")}
	return c, nil
}
