package importer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// readCSV reads a delimited text file into res.
func readCSV(res *result, data []byte) {
	text, err := decode(data)
	if err != nil {
		res.fileProblem("не удалось прочитать кодировку файла; сохраните его как CSV UTF-8",
			"the file's encoding could not be read; save it as CSV UTF-8")
		return
	}

	cr := csv.NewReader(bytes.NewReader(text))
	cr.Comma = delimiter(text)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true // 1C writes Отдел "Кадры" without quoting the field
	cr.ReuseRecord = true

	// One allocation for the rows instead of a dozen as they grow.
	res.rows = make([]Row, 0, bytes.Count(text, []byte{'\n'}))

	t := &table{res: res}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if pe, ok := errors.AsType[*csv.ParseError](err); ok {
			res.problems = append(res.problems, Problem{
				Line:      pe.StartLine,
				Message:   "строка не разбирается как CSV: проверьте кавычки",
				MessageEN: "the line cannot be read as CSV: check the quotes",
			})
			continue
		}
		if err != nil {
			// Reading from memory fails only on bad input, said above.
			break
		}
		line, _ := cr.FieldPos(0)
		t.add(line, rec)
	}
	t.finish()
}

// decode returns data as UTF-8. Excel and 1C write CSV in the Windows code
// page (cp1251 in Russia) unless asked for UTF-8, which then starts with a
// BOM; "Unicode text" from Excel is UTF-16 with a BOM. Text that is valid
// UTF-8 is taken as UTF-8, anything else as cp1251: cp1251 Cyrillic is almost
// never valid UTF-8 by accident. A BOM is dropped, since encoding/csv would
// keep it in the first header.
func decode(data []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
	}
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if utf8.Valid(data) {
		return data, nil
	}
	return charmap.Windows1251.NewDecoder().Bytes(data)
}

// delimiter guesses the field delimiter from the first line that has one
// outside quotes: ';' (Russian Excel), ',' or a tab, whichever occurs most.
// Ties go to ';', then tab.
func delimiter(text []byte) rune {
	const maxLines = 10
	var semi, comma, tab int
	quoted := false
	lines := 0
	for _, c := range text {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == ';':
			semi++
		case c == ',':
			comma++
		case c == '\t':
			tab++
		case c == '\n':
			if semi+comma+tab > 0 {
				return pick(semi, comma, tab)
			}
			lines++
			if lines == maxLines {
				return ';'
			}
		}
	}
	return pick(semi, comma, tab)
}

func pick(semi, comma, tab int) rune {
	switch {
	case semi >= comma && semi >= tab:
		return ';'
	case tab >= comma:
		return '\t'
	default:
		return ','
	}
}
