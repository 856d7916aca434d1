package importer

import (
	"bytes"

	"github.com/xuri/excelize/v2"
)

// readXLSX reads the first sheet of a workbook into res. Cells are read raw,
// so a date cell gives its serial number whatever its display format, and the
// header row is found by its content: 1C puts a title block above it.
func readXLSX(res *result, data []byte) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		// An archive that unpacks to more than this is not a staff list.
		UnzipSizeLimit: 16 * maxFileSize,
	})
	if err != nil {
		res.fileProblem("не удалось открыть книгу Excel; сохраните её заново как XLSX или CSV",
			"the Excel workbook could not be opened; save it again as XLSX or CSV")
		return
	}
	defer f.Close()

	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		res.fileProblem("в книге нет листов", "the workbook has no sheets")
		return
	}
	rows, err := f.GetRows(sheets[0], excelize.Options{RawCellValue: true})
	if err != nil {
		res.fileProblem("не удалось прочитать первый лист книги",
			"the first sheet of the workbook could not be read")
		return
	}

	t := &table{res: res, xlsx: true}
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		t.date1904 = *props.Date1904
	}
	for i, rec := range rows {
		t.add(i+1, rec)
	}
	t.finish()
}
