// Package importer reads employee lists that HR exports from 1C:ZUP or keeps
// in Excel: CSV in UTF-8 or Windows-1251 with any of the usual delimiters, and
// XLSX workbooks. It turns them into rows ready to upsert and reports every
// problem in the file at once, with line and column, in Russian and English,
// so HR can fix the file in one pass.
//
// Parse checks each value on its own (dates, phones, e-mails, columns);
// Validate checks rows against each other and against the employees already
// stored (duplicates, managers and mentors). ParseAndValidate does both.
package importer

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/staffbot/staffbot"
)

// maxFileSize bounds what Parse reads into memory. A staff list of 100,000
// people with a dozen columns is about 20 MB.
const maxFileSize = 64 << 20

// Row is one employee read from a file.
type Row struct {
	// Line is where the row is in the file: the physical line of a CSV file
	// on which the row starts (the header is usually line 1), or the row
	// number of an XLSX sheet.
	Line int

	// Employee has no IDs and no company yet. Custom holds the columns
	// importer does not know, under their header as written in the file;
	// pay columns are never kept (see Notice).
	Employee staffbot.Employee

	// ManagerNumber and MentorNumber are the personnel numbers of the
	// employee's manager and mentor, or empty. The caller resolves them to
	// IDs after the import.
	ManagerNumber string
	MentorNumber  string
}

// Problem is one thing wrong in a file.
type Problem struct {
	Line      int    // as in Row.Line; 0 when the problem is about the whole file
	Column    string // the header as written in the file, or our name for a missing column
	Field     string // the Row or Employee field, such as "HiredOn"; empty for the file or a custom column
	Message   string // Russian, for HR
	MessageEN string
}

// String formats p in Russian: «строка 3, «Дата приема»: такой даты нет: 31.02.2025».
func (p Problem) String() string {
	return p.format(p.Message, "строка")
}

// English formats p like String, in English.
func (p Problem) English() string {
	return p.format(p.MessageEN, "line")
}

func (p Problem) format(msg, line string) string {
	switch {
	case p.Line == 0 && p.Column == "":
		return msg
	case p.Line == 0:
		return fmt.Sprintf("«%s»: %s", p.Column, msg)
	case p.Column == "":
		return fmt.Sprintf("%s %d: %s", line, p.Line, msg)
	default:
		return fmt.Sprintf("%s %d, «%s»: %s", line, p.Line, p.Column, msg)
	}
}

// Notice is something an import leaves out on purpose, such as a pay
// column. It rejects nothing: the file imports without what it names.
type Notice struct {
	Column    string // the header as written in the file
	Message   string // Russian, for HR
	MessageEN string
}

// String formats n in Russian: «Оклад»: столбец пропущен: ….
func (n Notice) String() string { return fmt.Sprintf("«%s»: %s", n.Column, n.Message) }

// English formats n like String, in English.
func (n Notice) English() string { return fmt.Sprintf("«%s»: %s", n.Column, n.MessageEN) }

// Problems is every problem found in a file. It is an error so that Parse
// can return it; it matches staffbot.ErrInvalid. Nothing from a file with
// problems may be saved.
type Problems []Problem

// Error lists the problems in Russian, one a line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// English lists the problems in English, one a line.
func (ps Problems) English() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.English()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.Is(err, staffbot.ErrInvalid) recognise a file with
// problems.
func (ps Problems) Unwrap() error { return staffbot.ErrInvalid }

// Parse reads an employee list from r. fileName is used only to tell XLSX
// from CSV when the content does not; the content wins.
//
// When values are wrong, Parse returns Problems listing all of them, together
// with the rows it could read (a wrong value is left empty in its row), so a
// caller may show a preview; such rows must not be saved. Any other error
// means r could not be read.
func Parse(r io.Reader, fileName string) ([]Row, error) {
	res, err := parse(r, fileName)
	if err != nil {
		return nil, err
	}
	if len(res.problems) > 0 {
		return res.rows, res.problems
	}
	return res.rows, nil
}

// ParseAndValidate parses a file like Parse and then validates the rows like
// Validate, returning the problems of both kinds together, ordered by line.
// A value Parse already rejected is not reported again as missing. known may
// be nil when the company has no employees yet.
func ParseAndValidate(r io.Reader, fileName string, known func(personnelNumber string) bool) ([]Row, error) {
	rows, _, err := ParseAndValidateNotices(r, fileName, known)
	return rows, err
}

// ParseAndValidateNotices is ParseAndValidate that also returns the
// notices: columns the import skips on purpose (pay), to be shown to
// whoever imports the file whether or not it has problems.
func ParseAndValidateNotices(r io.Reader, fileName string, known func(personnelNumber string) bool) ([]Row, []Notice, error) {
	res, err := parse(r, fileName)
	if err != nil {
		return nil, nil, err
	}
	rows, err := res.validated(known)
	return rows, res.notices, err
}

func (res *result) validated(known func(personnelNumber string) bool) ([]Row, error) {
	// A problem Parse found in a field explains the field being empty, so
	// Validate's "missing" for the same line and field would only repeat it.
	type spot struct {
		line  int
		field string
	}
	seen := make(map[spot]bool, len(res.problems))
	for _, p := range res.problems {
		seen[spot{p.Line, p.Field}] = true
	}

	problems := res.problems
	for _, p := range validate(res.rows, known, res.columns, res.absent) {
		if !seen[spot{p.Line, p.Field}] {
			problems = append(problems, p)
		}
	}
	if len(problems) == 0 {
		return res.rows, nil
	}
	slices.SortStableFunc(problems, func(a, b Problem) int { return a.Line - b.Line })
	return res.rows, problems
}

// result is what parse learned from a file.
type result struct {
	rows     []Row
	problems Problems
	notices  []Notice

	// columns names each known field's column as the file's header writes
	// it; absent holds the fields whose column the file lacks.
	columns map[string]string
	absent  map[string]bool
}

func parse(r io.Reader, fileName string) (*result, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", fileName, err)
	}

	res := &result{}
	switch {
	case len(data) > maxFileSize:
		res.fileProblem(
			fmt.Sprintf("файл больше %d МБ; разделите его на части", maxFileSize>>20),
			fmt.Sprintf("the file is larger than %d MB; split it", maxFileSize>>20),
		)
	case len(bytes.TrimSpace(data)) == 0:
		res.fileProblem("файл пуст", "the file is empty")
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		readXLSX(res, data)
	case bytes.HasPrefix(data, []byte("\xD0\xCF\x11\xE0")):
		res.fileProblem(
			"старый формат Excel (XLS) не поддерживается; сохраните файл как XLSX или CSV",
			"the old Excel format (XLS) is not supported; save the file as XLSX or CSV",
		)
	case hasExt(fileName, ".xlsx", ".xlsm"):
		res.fileProblem(
			"файл назван как XLSX, но не является книгой Excel",
			"the file is named as XLSX but is not an Excel workbook",
		)
	default:
		readCSV(res, data)
	}
	return res, nil
}

func (res *result) fileProblem(msg, msgEN string) {
	res.problems = append(res.problems, Problem{Message: msg, MessageEN: msgEN})
}

func hasExt(name string, exts ...string) bool {
	name = strings.ToLower(name)
	for _, ext := range exts {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}
