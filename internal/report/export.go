package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/staffbot/staffbot/internal/locale"
)

// Layout of a chart's XLSX download: the title and period on top, the
// table from HeaderRow down, the summary under it.
const (
	SheetName = "Data"
	HeaderRow = 4
)

// WriteXLSX writes the chart's numbers as a workbook: a row per point, a
// column per series, numbers as numbers, then the headline figures.
func WriteXLSX(w io.Writer, c *Chart) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", SheetName); err != nil {
		return err
	}
	set := func(col, row int, v any) error {
		cell, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			return err
		}
		return f.SetCellValue(SheetName, cell, v)
	}

	if err := set(1, 1, c.Title); err != nil {
		return err
	}
	if err := set(1, 2, c.Period); err != nil {
		return err
	}
	header := append([]string{c.XTitle}, seriesNames(c)...)
	for i, h := range header {
		if err := set(i+1, HeaderRow, h); err != nil {
			return err
		}
	}
	for r, label := range c.Labels {
		row := HeaderRow + 1 + r
		if err := set(1, row, exportKey(c, r, label)); err != nil {
			return err
		}
		for s, series := range c.Series {
			if math.IsNaN(series.Values[r]) {
				continue // no value: the cell stays empty
			}
			if err := set(s+2, row, series.Values[r]); err != nil {
				return err
			}
		}
	}
	row := HeaderRow + len(c.Labels) + 2
	for _, st := range c.Summary {
		if err := set(1, row, st.Label); err != nil {
			return err
		}
		if err := set(2, row, st.Value); err != nil {
			return err
		}
		row++
	}

	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err == nil {
		last, _ := excelize.CoordinatesToCellName(len(header), HeaderRow)
		f.SetCellStyle(SheetName, "A1", "A1", bold)
		f.SetCellStyle(SheetName, fmt.Sprintf("A%d", HeaderRow), last, bold)
	}
	f.SetColWidth(SheetName, "A", "A", 28)
	return f.Write(w)
}

// exportKey is what the first column shows for point r: the date or
// month as ISO text for time axes, the label otherwise.
func exportKey(c *Chart, r int, label string) string {
	if c.Kind == "hbar" {
		return label
	}
	if len(c.Keys) > r {
		k := c.Keys[r]
		if c.ID == "cohorts" || c.ID == "mau" {
			return strings.TrimSuffix(k, "-01")
		}
		return k
	}
	return label
}

func seriesNames(c *Chart) []string {
	out := make([]string, len(c.Series))
	for i, s := range c.Series {
		out[i] = s.Name
	}
	return out
}

// WriteCSV writes the same table as WriteXLSX, without the title: for
// Russian, semicolons and decimal commas, as Excel expects in Russia; for
// English, commas and points. A byte-order mark lets Excel read UTF-8.
func WriteCSV(w io.Writer, c *Chart, lang locale.Lang) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if lang != locale.EN {
		cw.Comma = ';'
	}
	if err := cw.Write(append([]string{c.XTitle}, seriesNames(c)...)); err != nil {
		return err
	}
	for r, label := range c.Labels {
		rec := []string{exportKey(c, r, label)}
		for _, s := range c.Series {
			rec = append(rec, FormatNumber(s.Values[r], lang))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// FormatNumber writes a value as the downloads and the data table show it:
// whole numbers without decimals, others with up to two, with a decimal
// comma in Russian; a point without a value (NaN) as the empty string.
func FormatNumber(v float64, lang locale.Lang) string {
	if math.IsNaN(v) {
		return ""
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if v != float64(int64(v)) {
		s = strconv.FormatFloat(v, 'f', 2, 64)
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if lang != locale.EN {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}
