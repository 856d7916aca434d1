package report

import (
	"fmt"
	"html"
	"math"
	"strings"

	"github.com/staffbot/staffbot/internal/locale"
)

// Size of a drawn chart in SVG units; the page scales it to its width.
const (
	svgWidth  = 960
	svgHeight = 300

	padLeft   = 52
	padRight  = 16
	padTop    = 14
	padBottom = 40

	hbarLabel = 300 // room for article titles in a horizontal bar chart
	hbarRow   = 26
)

// SVG draws the chart as an inline SVG image. Colours come from the
// classes s0…s5 in the cabinet's stylesheet; every mark carries its value
// in data-v, its point's index in data-i and a title, and the page shows
// the same numbers as a table. A point without a value (NaN) gets no
// mark, and a line breaks there. Text is escaped; the result is safe to
// embed in HTML.
func SVG(c *Chart, lang locale.Lang) string {
	var b strings.Builder
	id := "chart-" + c.ID
	height := svgHeight
	if c.Kind == "hbar" {
		height = padTop + padBottom + max(len(c.Labels), 1)*hbarRowHeight(c)
	}
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-t %s-d" focusable="false" data-chart="%s">`,
		svgWidth, height, id, id, esc(c.ID))
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, esc(c.Title), id, esc(describe(c, lang)))

	switch {
	case len(c.Labels) == 0:
		fmt.Fprintf(&b, `<text class="empty" x="%d" y="%d" text-anchor="middle">%s</text>`,
			svgWidth/2, height/2, esc(tr(lang, "svg.empty")))
	case c.Kind == "hbar":
		drawHBars(&b, c, lang, height)
	default:
		drawColumns(&b, c, lang)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// describe sums the chart up in a sentence for screen readers.
func describe(c *Chart, lang locale.Lang) string {
	parts := []string{c.Description}
	for _, st := range c.Summary {
		parts = append(parts, st.Label+": "+st.Value)
	}
	return strings.Join(parts, " ")
}

func esc(s string) string { return html.EscapeString(s) }

// niceMax returns the top of an axis with four equal steps that reaches v:
// each step 1, 2 or 5 times a power of ten, and at least 1, since most
// charts count people.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 4
	}
	raw := v / 4
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * p
	for _, m := range []float64{1, 2, 5} {
		if m*p >= raw {
			step = m * p
			break
		}
	}
	return 4 * max(step, 1)
}

// columnMax is the highest value the y axis must reach.
func columnMax(c *Chart) float64 {
	var top float64
	for i := range c.Labels {
		var stack float64
		for _, s := range c.Series {
			v := s.Values[i]
			if math.IsNaN(v) {
				continue
			}
			if c.Kind == "stacked" {
				stack += v
			} else {
				top = max(top, v)
			}
		}
		top = max(top, stack)
	}
	return niceMax(top)
}

// hbarRowHeight is the height of a row of a horizontal bar chart: room
// for one bar of each series.
func hbarRowHeight(c *Chart) int {
	return hbarRow + 10*max(len(c.Series)-1, 0)
}

func drawColumns(b *strings.Builder, c *Chart, lang locale.Lang) {
	top := columnMax(c)
	plotW := float64(svgWidth - padLeft - padRight)
	plotH := float64(svgHeight - padTop - padBottom)
	n := len(c.Labels)
	band := plotW / float64(n)
	y := func(v float64) float64 { return padTop + plotH - v/top*plotH }

	// Grid and y labels.
	b.WriteString(`<g class="grid" aria-hidden="true">`)
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, padLeft, svgWidth-padRight, y(v), y(v))
		fmt.Fprintf(b, `<text class="ylab" x="%d" y="%.1f" text-anchor="end">%s</text>`, padLeft-6, y(v)+4,
			esc(axisNumber(v, c.Percent, lang)))
	}
	b.WriteString(`</g>`)

	// X labels: at most about ten, evenly spread.
	step := max(1, int(math.Ceil(float64(n)/10)))
	b.WriteString(`<g class="xlab" aria-hidden="true">`)
	for i := 0; i < n; i += step {
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`,
			padLeft+band*(float64(i)+0.5), svgHeight-padBottom+18, esc(c.Labels[i]))
	}
	b.WriteString(`</g>`)

	switch c.Kind {
	case "line":
		for s, series := range c.Series {
			fmt.Fprintf(b, `<g class="series s%d" data-series="%s">`, s%6, esc(series.Key))
			// A point without a value breaks the line in two.
			var pts []string
			flush := func() {
				if len(pts) > 0 {
					fmt.Fprintf(b, `<polyline points="%s"/>`, strings.Join(pts, " "))
				}
				pts = pts[:0]
			}
			for i, v := range series.Values {
				if math.IsNaN(v) {
					flush()
					continue
				}
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", padLeft+band*(float64(i)+0.5), y(v)))
			}
			flush()
			if n <= 62 {
				for i, v := range series.Values {
					if math.IsNaN(v) {
						continue
					}
					fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3" data-v="%s" data-i="%d"><title>%s, %s: %s</title></circle>`,
						padLeft+band*(float64(i)+0.5), y(v), rawNumber(v), i, esc(series.Name), esc(c.Labels[i]), esc(FormatNumber(v, lang)))
				}
			}
			b.WriteString(`</g>`)
		}
	case "stacked":
		width := band * 0.7
		base := make([]float64, n)
		for s, series := range c.Series {
			fmt.Fprintf(b, `<g class="series s%d" data-series="%s">`, s%6, esc(series.Key))
			for i, v := range series.Values {
				if math.IsNaN(v) {
					continue
				}
				fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" data-v="%s" data-i="%d"><title>%s, %s: %s</title></rect>`,
					padLeft+band*float64(i)+(band-width)/2, y(base[i]+v), width, y(base[i])-y(base[i]+v),
					rawNumber(v), i, esc(series.Name), esc(c.Labels[i]), esc(FormatNumber(v, lang)))
				base[i] += v
			}
			b.WriteString(`</g>`)
		}
	default: // grouped bars
		group := band * 0.8
		width := group / float64(len(c.Series))
		for s, series := range c.Series {
			fmt.Fprintf(b, `<g class="series s%d" data-series="%s">`, s%6, esc(series.Key))
			for i, v := range series.Values {
				if math.IsNaN(v) {
					continue
				}
				fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" data-v="%s" data-i="%d"><title>%s, %s: %s</title></rect>`,
					padLeft+band*float64(i)+(band-group)/2+width*float64(s), y(v), math.Max(width-1, 1), y(0)-y(v),
					rawNumber(v), i, esc(series.Name), esc(c.Labels[i]), esc(FormatNumber(v, lang)))
			}
			b.WriteString(`</g>`)
		}
	}
	fmt.Fprintf(b, `<line class="axis" x1="%d" x2="%d" y1="%.1f" y2="%.1f" aria-hidden="true"/>`,
		padLeft, svgWidth-padRight, y(0), y(0))
}

func drawHBars(b *strings.Builder, c *Chart, lang locale.Lang, height int) {
	var top float64
	for _, s := range c.Series {
		for _, v := range s.Values {
			if !math.IsNaN(v) {
				top = max(top, v)
			}
		}
	}
	top = niceMax(top)
	plotW := float64(svgWidth - hbarLabel - padRight)
	x := func(v float64) float64 { return hbarLabel + v/top*plotW }
	row := hbarRowHeight(c)
	bar := float64(row-8) / float64(max(len(c.Series), 1))

	b.WriteString(`<g class="grid" aria-hidden="true">`)
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d"/>`, x(v), x(v), padTop, height-padBottom)
		fmt.Fprintf(b, `<text class="ylab" x="%.1f" y="%d" text-anchor="middle">%s</text>`, x(v), height-padBottom+18,
			esc(axisNumber(v, c.Percent, lang)))
	}
	b.WriteString(`</g>`)
	b.WriteString(`<g class="hlabels">`)
	for i, label := range c.Labels {
		fmt.Fprintf(b, `<text class="hlab" x="%d" y="%d" text-anchor="end">%s</text>`, hbarLabel-8, padTop+i*row+row/2+5, esc(shorten(label, 34)))
	}
	b.WriteString(`</g>`)
	for s, series := range c.Series {
		fmt.Fprintf(b, `<g class="series s%d" data-series="%s">`, s%6, esc(series.Key))
		for i, v := range series.Values {
			if math.IsNaN(v) {
				continue
			}
			title := c.Labels[i]
			if len(c.Series) > 1 {
				title += ", " + series.Name
			}
			fmt.Fprintf(b, `<rect x="%d" y="%.1f" width="%.1f" height="%.1f" data-v="%s" data-i="%d"><title>%s: %s</title></rect>`,
				hbarLabel, float64(padTop+i*row+4)+bar*float64(s), x(v)-hbarLabel, math.Max(bar-1, 1), rawNumber(v), i,
				esc(title), esc(FormatNumber(v, lang)))
		}
		b.WriteString(`</g>`)
	}
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func rawNumber(v float64) string { return FormatNumber(v, locale.EN) }

func axisNumber(v float64, pct bool, lang locale.Lang) string {
	s := FormatNumber(v, lang)
	if v >= 10000 {
		s = FormatNumber(math.Round(v/100)/10, lang) + tr(lang, "svg.thousand")
	}
	if pct {
		s += "%"
	}
	return s
}

func init() {
	texts["svg.empty"] = [2]string{"Нет данных за период", "No data for the period"}
	texts["svg.thousand"] = [2]string{" тыс.", "k"}
}
