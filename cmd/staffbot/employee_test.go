package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestEmployee_ExportTimes: every point in time in an export, of the
// employee's row, their invites and the audit log alike, is RFC 3339 in
// the company's time zone; none is left as epoch milliseconds.
func TestEmployee_ExportTimes(t *testing.T) {
	eachDatabase(t, func(t *testing.T, c *cli) {
		c.mustRun("company", "create", "--slug", "acme", "--time-zone", "Asia/Yekaterinburg")
		c.mustRun("import", "employees", "--company", "acme", employees1C)
		c.mustRun("invite", "--company", "acme", "--employee", "00002")
		before := time.Now().Add(-time.Second)

		r := c.mustRun("employee", "export", "--company", "acme", "--employee", "00002")
		var exp map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &exp); err != nil {
			t.Fatalf("export is not JSON: %v\n%s", err, r.stdout)
		}
		if exp["time_zone"] != "Asia/Yekaterinburg" {
			t.Errorf("time_zone = %v", exp["time_zone"])
		}

		checked := 0
		var walk func(path string, v any)
		walk = func(path string, v any) {
			switch x := v.(type) {
			case map[string]any:
				for k, child := range x {
					if k == "before" || k == "after" { // audit payloads are the records' own
						continue
					}
					p := path + "." + k
					if isTimeKey(k) && child != nil {
						s, ok := child.(string)
						if !ok {
							t.Errorf("%s = %v (%T), want an RFC 3339 string", p, child, child)
							continue
						}
						at, err := time.Parse(time.RFC3339, s)
						if err != nil {
							t.Errorf("%s = %q: %v", p, s, err)
							continue
						}
						if !strings.HasSuffix(s, "+05:00") {
							t.Errorf("%s = %q, want the company's zone (+05:00)", p, s)
						}
						if at.Year() < 2000 || at.After(time.Now().Add(30*24*time.Hour)) {
							t.Errorf("%s = %q is not a plausible time", p, s)
						}
						checked++
						continue
					}
					walk(p, child)
				}
			case []any:
				for _, child := range x {
					walk(path+"[]", child)
				}
			}
		}
		walk("", exp)
		if checked < 6 {
			t.Errorf("only %d times in the export; want the employee's, the invite's and the audit records'", checked)
		}
		if at, _ := time.Parse(time.RFC3339, exp["exported_at"].(string)); at.Before(before) {
			t.Errorf("exported_at = %v", exp["exported_at"])
		}
		if emp := exp["employee"].(map[string]any); emp["hired_on"] != "2018-03-12" && len(emp["hired_on"].(string)) != 10 {
			t.Errorf("hired_on = %v, want a date", emp["hired_on"])
		}
	})
}

func isTimeKey(k string) bool {
	return k == "at" || k == "not_before" || strings.HasSuffix(k, "_at") || strings.HasSuffix(k, "_until") ||
		strings.HasSuffix(k, "_since")
}
