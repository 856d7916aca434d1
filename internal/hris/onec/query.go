package onec

import (
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot/internal/hris"
)

// 1C speaks OData v3: keys and values in $filter carry typed literals
// (guid'…', datetime'…'). A bare GUID or an ISO date with a zone, as v4
// clients write them, is refused with HTTP 400.

// GUID renders a reference as an OData v3 literal: guid'…'.
func GUID(key string) string { return "guid'" + key + "'" }

// DateTime renders an instant as an OData v3 literal without a zone, the
// way 1C stores dates: datetime'2006-01-02T15:04:05'.
func DateTime(t time.Time) string { return "datetime'" + t.Format(dateLayout) + "'" }

// String renders a string literal, doubling quotes inside it.
func String(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Bool renders true or false.
func Bool(b bool) string { return strconv.FormatBool(b) }

// Eq renders "field eq literal".
func Eq(field, literal string) string { return field + " eq " + literal }

// And joins conditions with "and".
func And(conds ...string) string { return strings.Join(conds, " and ") }

// EmptyRef is the zero GUID 1C writes for an empty reference.
const EmptyRef = "00000000-0000-0000-0000-000000000000"

// EmptyDate is the value 1C writes for an empty date.
const EmptyDate = "0001-01-01T00:00:00"

const dateLayout = "2006-01-02T15:04:05"

// Query holds the system query options of one collection request.
type Query struct {
	Filter      string
	Select      []string
	OrderBy     string
	Top, Skip   int
	InlineCount bool // $inlinecount=allpages: the total comes as odata.count
}

// encode writes the query string with $ kept literal and every value
// percent-encoded once as UTF-8. Spaces become %20, never +.
func (q Query) encode() string {
	parts := []string{"$format=json"}
	if q.Filter != "" {
		parts = append(parts, "$filter="+escapeQuery(q.Filter))
	}
	if len(q.Select) > 0 {
		parts = append(parts, "$select="+escapeQuery(strings.Join(q.Select, ",")))
	}
	if q.InlineCount {
		parts = append(parts, "$inlinecount=allpages")
	}
	if q.Top > 0 {
		parts = append(parts, "$top="+strconv.Itoa(q.Top))
		parts = append(parts, "$skip="+strconv.Itoa(q.Skip))
	}
	if q.OrderBy != "" {
		parts = append(parts, "$orderby="+escapeQuery(q.OrderBy))
	}
	return strings.Join(parts, "&")
}

func escapePath(s string) string  { return hris.EscapePath(s) }
func escapeQuery(s string) string { return hris.EscapeQuery(s) }
