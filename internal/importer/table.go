package importer

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/staffbot/staffbot"
)

// headerSearch is how many non-empty rows may stand above the header (a
// title, a date, a company name) before we give up looking for it.
const headerSearch = 20

// table turns the records of a CSV file or a sheet into rows. Records come
// one at a time through add, then finish.
type table struct {
	res *result

	// xlsx is set for sheets: numbers in date columns are Excel serials.
	xlsx     bool
	date1904 bool

	// Before the header is found, records wait in pending.
	pending    []pendingRecord
	headerLine int
	cols       []column
	at         [kindCount]int // column index of each known kind, or -1

	vals []string // reused for the cleaned values of each record
}

type pendingRecord struct {
	line int
	rec  []string
}

type column struct {
	kind   kind
	header string // as written in the file, cleaned
}

// add takes one record that starts on line. rec may be reused by the caller
// after add returns.
func (t *table) add(line int, rec []string) {
	if t.cols != nil {
		t.row(line, rec)
		return
	}
	if isEmpty(rec) {
		return
	}
	if isHeader(rec) {
		t.header(line, rec)
		t.pending = nil
		return
	}
	t.pending = append(t.pending, pendingRecord{line, append([]string(nil), rec...)})
	if len(t.pending) == headerSearch {
		t.fallback()
	}
}

// finish ends the records.
func (t *table) finish() {
	if t.cols == nil {
		t.fallback()
	}
}

// fallback takes the first non-empty record as the header when none looks
// like one, so the missing columns are reported against it and the rows
// below are still checked.
func (t *table) fallback() {
	if len(t.pending) == 0 {
		t.res.fileProblem("в файле нет ни одной строки", "the file has no rows")
		t.cols = []column{}
		return
	}
	pending := t.pending
	t.pending = nil
	t.header(pending[0].line, pending[0].rec)
	for _, p := range pending[1:] {
		t.row(p.line, p.rec)
	}
}

// header learns the columns from the header record.
func (t *table) header(line int, rec []string) {
	t.headerLine = line
	t.cols = make([]column, len(rec))
	for k := range t.at {
		t.at[k] = -1
	}
	t.res.columns = make(map[string]string)
	t.res.absent = make(map[string]bool)

	custom := make(map[string]int)
	for i, h := range rec {
		h = clean(h)
		k := kindOf(h)
		t.cols[i] = column{kind: k, header: h}

		first := -1
		switch k {
		case kindIgnore:
			continue
		case kindPay:
			t.res.notices = append(t.res.notices, Notice{
				Column:    h,
				Message:   "столбец пропущен: оплата труда хранится в учётной системе, а не в staffbot",
				MessageEN: "the column is skipped: pay stays in the accounting system, not in staffbot",
			})
			t.cols[i].kind = kindIgnore
			continue
		case kindCustom:
			if j, ok := custom[h]; ok {
				first = j
			} else {
				custom[h] = i
			}
		default:
			if t.at[k] >= 0 {
				first = t.at[k]
			} else {
				t.at[k] = i
			}
		}
		if first >= 0 {
			t.res.problems = append(t.res.problems, Problem{
				Line:   line,
				Column: h,
				Field:  fields[k].field,
				Message: fmt.Sprintf("столбец повторяет столбец %d «%s»; оставьте один",
					first+1, t.cols[first].header),
				MessageEN: fmt.Sprintf("the column repeats column %d %q; keep one",
					first+1, t.cols[first].header),
			})
			t.cols[i].kind = kindIgnore
		}
	}

	for k := kindNumber; k < kindCount; k++ {
		if i := t.at[k]; i >= 0 {
			if _, ok := t.res.columns[fields[k].field]; !ok {
				t.res.columns[fields[k].field] = t.cols[i].header
			}
		}
	}

	// The name may come whole or as separate surname, name and patronymic.
	name := t.at[kindFullName] >= 0 || t.at[kindLastName] >= 0
	if t.at[kindFullName] < 0 && t.at[kindLastName] >= 0 {
		t.res.columns["FullName"] = t.cols[t.at[kindLastName]].header
	}
	for _, req := range []struct {
		kind kind
		ok   bool
	}{
		{kindNumber, t.at[kindNumber] >= 0},
		{kindFullName, name},
		{kindHired, t.at[kindHired] >= 0},
	} {
		if req.ok {
			continue
		}
		f := fields[req.kind]
		t.res.absent[f.field] = true
		t.res.problems = append(t.res.problems, Problem{
			Line:      line,
			Column:    f.name,
			Field:     f.field,
			Message:   "в файле нет обязательного столбца",
			MessageEN: "the file has no such column; it is required",
		})
	}
}

// row reads one data record.
func (t *table) row(line int, rec []string) {
	vals := t.vals[:0]
	empty := true
	multiline := false
	for _, v := range rec {
		multiline = multiline || strings.IndexByte(v, '\n') >= 0
		v = clean(v)
		if v != "" {
			empty = false
		}
		vals = append(vals, v)
	}
	t.vals = vals
	if empty {
		return
	}

	// A value that spans lines yet leaves the row short of columns is
	// most likely an opening quote never closed, which swallowed the lines
	// after it.
	if multiline && len(vals) < len(t.cols) {
		t.res.problems = append(t.res.problems, Problem{
			Line:      line,
			Message:   "кавычка не закрыта: значение захватило следующие строки",
			MessageEN: "a quote is not closed: the value took in the lines after it",
		})
	}
	if len(vals) > len(t.cols) && !isEmpty(vals[len(t.cols):]) {
		t.res.problems = append(t.res.problems, Problem{
			Line: line,
			Message: fmt.Sprintf("значений (%d) больше, чем столбцов в заголовке (%d): "+
				"возможно, разделитель внутри значения без кавычек", len(vals), len(t.cols)),
			MessageEN: fmt.Sprintf("more values (%d) than header columns (%d): "+
				"perhaps a delimiter inside an unquoted value", len(vals), len(t.cols)),
		})
	}

	r := Row{Line: line}
	e := &r.Employee
	var last, first, middle string
	for i, c := range t.cols {
		v := ""
		if i < len(vals) {
			v = vals[i]
		}
		switch c.kind {
		case kindIgnore:
		case kindCustom:
			if e.Custom == nil {
				e.Custom = make(map[string]string)
			}
			e.Custom[c.header] = t.customValue(c.header, v)
		case kindNumber:
			e.PersonnelNumber = t.numberValue(v)
		case kindFullName:
			e.FullName = v
		case kindLastName:
			last = v
		case kindFirstName:
			first = v
		case kindMiddleName:
			middle = v
		case kindDepartment:
			e.Department = v
		case kindPosition:
			e.Position = v
		case kindOffice:
			e.Office = v
		case kindHired:
			if d, ok := t.date(line, i, v); ok {
				e.HiredOn = d
			}
		case kindDismissed:
			if d, ok := t.date(line, i, v); ok && !d.IsZero() {
				e.DismissedOn = &d
			}
		case kindPhone:
			if v == "" {
				break
			}
			p, fa := normalizePhone(t.numberValue(v))
			if fa != nil {
				t.problem(line, i, fa)
				break
			}
			e.Phone = p
		case kindEmail:
			if v == "" {
				break
			}
			m, fa := normalizeEmail(v)
			if fa != nil {
				t.problem(line, i, fa)
				break
			}
			e.Email = m
		case kindManager:
			r.ManagerNumber = t.numberValue(v)
		case kindMentor:
			r.MentorNumber = t.numberValue(v)
		}
	}
	if e.FullName == "" {
		e.FullName = joinName(last, first, middle)
	}
	t.res.rows = append(t.res.rows, r)
}

// date reads a date cell; an empty one gives the zero Date. It reports false
// after recording a problem.
func (t *table) date(line, col int, v string) (staffbot.Date, bool) {
	if v == "" {
		return staffbot.Date{}, true
	}
	if t.xlsx {
		if d, isNum, fa := serialDate(v, t.date1904); isNum {
			if fa != nil {
				t.problem(line, col, fa)
				return staffbot.Date{}, false
			}
			return d, true
		}
	}
	d, fa := parseDate(v)
	if fa != nil {
		t.problem(line, col, fa)
		return staffbot.Date{}, false
	}
	return d, true
}

// numberValue undoes what Excel does to long numbers typed into numeric
// cells ("8.9123456789E10"); text passes unchanged. Leading zeros lost in
// such a cell cannot be recovered.
func (t *table) numberValue(v string) string {
	if !t.xlsx || !strings.ContainsAny(v, "Ee") {
		return v
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f != float64(int64(f)) {
		return v
	}
	return strconv.FormatInt(int64(f), 10)
}

// customValue keeps an unknown column's value. In a sheet, a date cell reads
// as its serial number; a column whose header says it is a date gets the
// serial shown as DD.MM.YYYY instead.
func (t *table) customValue(header, v string) string {
	if !t.xlsx || v == "" {
		return v
	}
	key := headerKey(header)
	if strings.Contains(key, "дата") || strings.Contains(key, "date") {
		if d, isNum, fa := serialDate(v, t.date1904); isNum && fa == nil {
			return d.Russian()
		}
	}
	return t.numberValue(v)
}

func (t *table) problem(line, col int, fa *fault) {
	c := t.cols[col]
	t.res.problems = append(t.res.problems, Problem{
		Line:      line,
		Column:    c.header,
		Field:     fields[c.kind].field,
		Message:   fa.ru,
		MessageEN: fa.en,
	})
}

func joinName(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p)
	}
	return b.String()
}

func isEmpty(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" && clean(v) != "" {
			return false
		}
	}
	return true
}
