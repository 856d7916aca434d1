package report_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/report"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

func date(s string) staffbot.Date {
	d, err := staffbot.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestBucketFor(t *testing.T) {
	tests := []struct {
		from, to string
		want     report.Bucket
	}{
		{"2026-03-01", "2026-03-01", report.BucketDay},
		{"2026-01-01", "2026-03-03", report.BucketDay},
		{"2026-01-01", "2026-03-04", report.BucketWeek},
		{"2025-09-01", "2026-03-01", report.BucketWeek},
		{"2025-03-02", "2026-03-01", report.BucketMonth},
	}
	for _, tt := range tests {
		if got := report.BucketFor(date(tt.from), date(tt.to)); got != tt.want {
			t.Errorf("BucketFor(%s, %s) = %s, want %s", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestFormatNumber(t *testing.T) {
	tests := []struct {
		v      float64
		ru, en string
	}{
		{12, "12", "12"},
		{0, "0", "0"},
		{2.5, "2,5", "2.5"},
		{1.0 / 3, "0,33", "0.33"},
	}
	for _, tt := range tests {
		if got := report.FormatNumber(tt.v, locale.RU); got != tt.ru {
			t.Errorf("FormatNumber(%v, ru) = %q, want %q", tt.v, got, tt.ru)
		}
		if got := report.FormatNumber(tt.v, locale.EN); got != tt.en {
			t.Errorf("FormatNumber(%v, en) = %q, want %q", tt.v, got, tt.en)
		}
	}
}

// seeded is a company with four months of synthetic history.
type seeded struct {
	st *store.Store
	co *staffbot.Company
	q  report.Query
}

func mustSeed(t *testing.T, st *store.Store) *seeded {
	t.Helper()
	co := &staffbot.Company{Slug: "acme", Name: "ООО Акме", TimeZone: "Europe/Moscow"}
	if err := st.CreateCompany(t.Context(), co); err != nil {
		t.Fatal(err)
	}
	today := date("2026-03-02")
	_, err := st.SeedActivity(t.Context(), co.ID, store.SeedOptions{
		Today: today, Days: 120, Employees: 600, Scenario: "onboarding",
		Steps: []string{"a", "b", "c", "d", "e", "f", "g", "h"}, Marks: map[string]string{"c": "day1_done", "g": "month1_feedback"},
		Articles: map[string]string{"vacation": "Отпуск", "salary": "Зарплата"}, Seed: 3, Tickets: 3,
		Requests: 1, RequestServices: map[string]int{"employment_certificate": 3, "vacation_application": 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &seeded{st: st, co: co, q: report.Query{
		CompanyID: co.ID, Location: co.Location(), From: today.AddDays(-29), To: today,
		Scenario: "onboarding", Lang: locale.RU, Now: time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC),
	}}
}

func TestCharts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		sd := mustSeed(t, open(t))
		b := report.Builder{Store: sd.st}

		for _, id := range report.ChartIDs() {
			t.Run(id, func(t *testing.T) {
				c, err := b.Chart(t.Context(), id, sd.q)
				if err != nil {
					t.Fatalf("Chart: %v", err)
				}
				if c.Title == "" || c.Title == "chart."+id || len(c.Series) == 0 || c.Empty() {
					t.Fatalf("chart %s: title %q, %d series, empty %v", id, c.Title, len(c.Series), c.Empty())
				}
				for _, s := range c.Series {
					if len(s.Values) != len(c.Labels) || len(c.Keys) != len(c.Labels) {
						t.Fatalf("series %s has %d values for %d labels and %d keys", s.Key, len(s.Values), len(c.Labels), len(c.Keys))
					}
				}
				mustMatchXLSX(t, c)
				mustMatchCSV(t, c)
				mustDrawSVG(t, c)
			})
		}

		t.Run("ActivationIsCumulative", func(t *testing.T) {
			c, err := b.Chart(t.Context(), "activation", sd.q)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range c.Series {
				for i := 1; i < len(s.Values); i++ {
					if s.Values[i] < s.Values[i-1] {
						t.Fatalf("%s falls from %v to %v at %s", s.Key, s.Values[i-1], s.Values[i], c.Keys[i])
					}
				}
			}
			inv, reg := c.Series[0].Values, c.Series[1].Values
			if last := len(inv) - 1; reg[last] > inv[last] || reg[last] == 0 {
				t.Errorf("registered %v of invited %v", reg[last], inv[last])
			}
		})

		t.Run("PlaceFilterNarrows", func(t *testing.T) {
			all, err := b.Chart(t.Context(), "messages", sd.q)
			if err != nil {
				t.Fatal(err)
			}
			q := sd.q
			q.Departments = []string{"Склад"}
			part, err := b.Chart(t.Context(), "messages", q)
			if err != nil {
				t.Fatal(err)
			}
			if sum(part) >= sum(all) || sum(part) == 0 {
				t.Errorf("messages of Склад = %v, all = %v", sum(part), sum(all))
			}
			q.Departments = []string{store.NoMatch}
			none, err := b.Chart(t.Context(), "messages", q)
			if err != nil || !none.Empty() {
				t.Errorf("messages outside the scope: empty %v, %v", none.Empty(), err)
			}
		})

		t.Run("LongPeriodsUseWeeksAndMonths", func(t *testing.T) {
			q := sd.q
			q.From = q.To.AddDays(-119)
			c, err := b.Chart(t.Context(), "active", q)
			if err != nil {
				t.Fatal(err)
			}
			if c.Series[0].Key != store.MetricActiveWeek || len(c.Keys) < 17 || len(c.Keys) > 19 {
				t.Errorf("120 days: %s with %d points", c.Series[0].Key, len(c.Keys))
			}
		})

		t.Run("Digest", func(t *testing.T) {
			d, err := b.Digest(t.Context(), sd.co, "onboarding", report.LastWeek(date("2026-03-02")), sd.q.Now)
			if err != nil {
				t.Fatal(err)
			}
			if d.Week != date("2026-02-23") || d.ActiveWeek == 0 || d.MessagesIn == 0 {
				t.Errorf("digest = %+v", d)
			}
			text := d.Text(locale.RU, "https://hr.example.ru/hr/dashboards")
			for _, want := range []string{"ООО Акме", "23.02.2026", "Активных за неделю: " + strconv.FormatInt(d.ActiveWeek, 10), "https://hr.example.ru/hr/dashboards"} {
				if !strings.Contains(text, want) {
					t.Errorf("digest text lacks %q:\n%s", want, text)
				}
			}
			if d.Onboarding.Stuck > 0 && !strings.Contains(text, "застряли в адаптации") {
				t.Errorf("digest does not name the stuck newcomers:\n%s", text)
			}
			want := fmt.Sprintf("Обращения в HR: открыто %d, решено %d", d.TicketsOpened, d.TicketsResolved)
			if d.TicketsOpened == 0 || !strings.Contains(text, want) {
				t.Errorf("digest has %d tickets opened, text lacks %q:\n%s", d.TicketsOpened, want, text)
			}
			open, overdue, err := sd.st.ServiceQueueCounts(t.Context(), sd.co.ID, store.EmployeeScope{}, sd.q.Now)
			if err != nil || d.RequestsOpen != open || d.RequestsOverdue != overdue {
				t.Errorf("digest requests %d open, %d overdue; the queue has %d and %d (%v)", d.RequestsOpen, d.RequestsOverdue, open, overdue, err)
			}
			if overdue > 0 && !strings.Contains(text, fmt.Sprintf("заявок с истёкшим сроком выдачи (ст. 62 ТК РФ): %d", overdue)) {
				t.Errorf("digest does not name the overdue requests:\n%s", text)
			}
		})
	})
}

func sum(c *report.Chart) float64 {
	var n float64
	for _, s := range c.Series {
		for _, v := range s.Values {
			n += v
		}
	}
	return n
}

// mustMatchXLSX checks that the workbook holds the chart's numbers, cell
// by cell.
func mustMatchXLSX(t *testing.T, c *report.Chart) {
	t.Helper()
	var buf bytes.Buffer
	if err := report.WriteXLSX(&buf, c); err != nil {
		t.Fatalf("WriteXLSX: %v", err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatalf("open XLSX: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows(report.SheetName)
	if err != nil {
		t.Fatal(err)
	}
	header := rows[report.HeaderRow-1]
	if header[0] != c.XTitle || len(header) != len(c.Series)+1 {
		t.Fatalf("XLSX header = %v", header)
	}
	for i := range c.Labels {
		row := rows[report.HeaderRow+i]
		for s, series := range c.Series {
			cell := ""
			if s+1 < len(row) {
				cell = row[s+1]
			}
			if math.IsNaN(series.Values[i]) {
				if cell != "" {
					t.Fatalf("XLSX %s row %d = %q for a point without a value", series.Key, i, cell)
				}
				continue
			}
			got, err := strconv.ParseFloat(cell, 64)
			if err != nil || got != series.Values[i] {
				t.Fatalf("XLSX %s row %d = %q, want %v", series.Key, i, cell, series.Values[i])
			}
		}
	}
}

func mustMatchCSV(t *testing.T, c *report.Chart) {
	t.Helper()
	var buf bytes.Buffer
	if err := report.WriteCSV(&buf, c, locale.RU); err != nil {
		t.Fatalf("WriteCSV: %v", err)
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff")))
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("read CSV: %v", err)
	}
	if len(recs) != len(c.Labels)+1 {
		t.Fatalf("CSV has %d records for %d points", len(recs), len(c.Labels))
	}
	for i := range c.Labels {
		for s, series := range c.Series {
			if math.IsNaN(series.Values[i]) {
				if recs[i+1][s+1] != "" {
					t.Fatalf("CSV %s row %d = %q for a point without a value", series.Key, i, recs[i+1][s+1])
				}
				continue
			}
			got, err := strconv.ParseFloat(strings.Replace(recs[i+1][s+1], ",", ".", 1), 64)
			if err != nil || got != roundTo(series.Values[i], 2) {
				t.Fatalf("CSV %s row %d = %q, want %v", series.Key, i, recs[i+1][s+1], series.Values[i])
			}
		}
	}
}

func roundTo(v float64, places int) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', places, 64), 64)
	return f
}

func mustDrawSVG(t *testing.T, c *report.Chart) {
	t.Helper()
	svg := report.SVG(c, locale.RU)
	for _, want := range []string{`role="img"`, `<title id="chart-` + c.ID + `-t">`, `<desc id="chart-` + c.ID + `-d">`} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG of %s lacks %s", c.ID, want)
		}
	}
	marks := strings.Count(svg, `data-v="`)
	points := 0
	for _, series := range c.Series {
		for _, v := range series.Values {
			if !math.IsNaN(v) {
				points++
			}
		}
	}
	if c.Kind == "line" && len(c.Labels) > 62 {
		points = 0
	}
	if marks != points {
		t.Errorf("SVG of %s has %d marks, want %d", c.ID, marks, points)
	}
	if strings.Contains(svg, "style=") || strings.Contains(svg, "<script") {
		t.Errorf("SVG of %s has inline style or script, which the cabinet's CSP refuses", c.ID)
	}
}

func TestSVG_EscapesText(t *testing.T) {
	c := &report.Chart{ID: "x", Title: `<script>alert(1)</script>`, Kind: "hbar", XTitle: "a",
		Keys: []string{"k"}, Labels: []string{`"><img src=x>`}, Series: []report.Series{{Key: "s", Name: "S", Values: []float64{3}}}}
	svg := report.SVG(c, locale.RU)
	if strings.Contains(svg, "<script>") || strings.Contains(svg, "<img") {
		t.Errorf("SVG does not escape text:\n%s", svg)
	}
}
