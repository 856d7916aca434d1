package successfactors

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/hris"
	"github.com/staffbot/staffbot/internal/hris/successfactors/sftest"
)

func mustReadFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustClient(t *testing.T, url string, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{URL: url, Credentials: hris.Credentials{User: sftest.DefaultUser, Password: sftest.DefaultPassword}, Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParseDateTime_Case32(t *testing.T) {
	var c32 struct {
		Response struct {
			D struct {
				Results []struct {
					SeqNumber    string   `json:"seqNumber"`
					StartDate    DateTime `json:"startDate"`
					EndDate      DateTime `json:"endDate"`
					LastModified DateTime `json:"lastModifiedDateTime"`
				} `json:"results"`
			} `json:"d"`
		} `json:"response"`
		More map[string]string `json:"more_date_values_to_parse"`
	}
	if err := json.Unmarshal(mustReadFile(t, "32-sf-empjob-date-formats.json"), &c32); err != nil {
		t.Fatalf("decode the case's EmpJob reply: %v", err)
	}

	jan1 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := c32.Response.D.Results[0]
	if !rec.StartDate.Time.Equal(jan1) || !rec.EndDate.Open() || rec.EndDate.Date() != nil || !rec.LastModified.Time.Equal(jan1) {
		t.Errorf("EmpJob dates = %v, %v (open %v), %v", rec.StartDate.Time, rec.EndDate.Time, rec.EndDate.Open(), rec.LastModified.Time)
	}

	// What each listed value must become; "open" is 9999-12-31, "none" no value.
	want := map[string]string{
		"/Date(1704067200000)/":      "2024-01-01T00:00:00Z",
		"/Date(1704067200000+0000)/": "2024-01-01T00:00:00Z",
		"/Date(1704078000000+0180)/": "2024-01-01T03:00:00Z",
		"/Date(253402214400000)/":    "open",
		"/Date(-315619200000)/":      "1960-01-01T00:00:00Z",
		"null":                       "none",
	}
	for in, explained := range c32.More {
		w, ok := want[in]
		if !ok {
			t.Errorf("%s (%s): not in this test's table", in, explained)
			continue
		}
		var d DateTime
		if err := json.Unmarshal([]byte(quoteUnlessNull(in)), &d); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		switch w {
		case "open":
			if !d.Open() || d.Date() != nil {
				t.Errorf("%s: open = %v, want open end", in, d.Open())
			}
		case "none":
			if d.Valid {
				t.Errorf("%s: got %v, want no value", in, d.Time)
			}
		default:
			if got := d.Time.UTC().Format(time.RFC3339); got != w || d.Open() {
				t.Errorf("%s = %s, want %s (%s)", in, got, w, explained)
			}
		}
	}

	for _, bad := range []string{"/Date(abc)/", "2024-01-01T00:00:00", "/Date(1704067200000+3)/"} {
		if _, err := ParseDateTime(bad); !errors.Is(err, staffbot.ErrInvalid) {
			t.Errorf("ParseDateTime(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	// The offset is kept for display; the instant does not move.
	d, _ := ParseDateTime("/Date(1704078000000+0180)/")
	if _, off := d.Time.Zone(); off != 3*3600 {
		t.Errorf("offset = %d s, want 10800", off)
	}
}

func quoteUnlessNull(s string) string {
	if s == "null" {
		return s
	}
	b, _ := json.Marshal(s)
	return string(b)
}

func TestDateTime_Case35WriteForm(t *testing.T) {
	var c35 struct {
		Request struct {
			Body map[string]any `json:"body"`
		} `json:"request"`
		Corrected map[string]any `json:"corrected_body"`
	}
	if err := json.Unmarshal(mustReadFile(t, "35-sf-write-iso-date-rejected.json"), &c35); err != nil {
		t.Fatal(err)
	}
	body := struct {
		Metadata  map[string]string `json:"__metadata"`
		UserID    string            `json:"userId"`
		StartDate DateTime          `json:"startDate"`
		JobTitle  string            `json:"jobTitle"`
	}{
		Metadata: map[string]string{"uri": "EmpJob"}, UserID: "emp1001",
		StartDate: DateTime{Time: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Valid: true}, JobTitle: "Бухгалтер",
	}
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	json.Unmarshal(raw, &got)
	if fmt.Sprint(got) != fmt.Sprint(c35.Corrected) {
		t.Errorf("write body = %s, want %v", raw, c35.Corrected)
	}
	if fmt.Sprint(got["startDate"]) == fmt.Sprint(c35.Request.Body["startDate"]) {
		t.Errorf("write body uses the rejected ISO form %v", got["startDate"])
	}
	if s := FormatDateTime(time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)); s != "/Date(-315619200000)/" {
		t.Errorf("FormatDateTime(1960-01-01) = %s", s)
	}
	null, _ := json.Marshal(DateTime{})
	if string(null) != "null" {
		t.Errorf("no value marshals as %s, want null", null)
	}
}

// TestClient_Case33FollowsNext serves the two captured pages: the client
// must request the __next link exactly as given, with the session cookie,
// and end with three users.
func TestClient_Case33FollowsNext(t *testing.T) {
	var page1, page2 struct {
		Response json.RawMessage `json:"response"`
	}
	json.Unmarshal(mustReadFile(t, "33-sf-paging-page1.json"), &page1)
	json.Unmarshal(mustReadFile(t, "33-sf-paging-page2.json"), &page2)
	const captured = "https://api.sf.example"

	var srv *httptest.Server
	var userURIs []string
	cookieOnPage2 := false
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path != "/odata/v2/User":
			w.Write([]byte(`{"d":{"results":[]}}`))
		case r.URL.Query().Get("$skiptoken") == "":
			userURIs = append(userURIs, r.RequestURI)
			http.SetCookie(w, &http.Cookie{Name: "JSESSIONID", Value: "abc", Path: "/"})
			w.Write([]byte(strings.ReplaceAll(string(page1.Response), captured, srv.URL)))
		default:
			userURIs = append(userURIs, r.RequestURI)
			_, err := r.Cookie("JSESSIONID")
			cookieOnPage2 = err == nil
			w.Write(page2.Response)
		}
	}))
	defer srv.Close()

	c := mustClient(t, srv.URL, func(c *Config) { c.PageSize = 2 })
	got, err := c.ListEmployees(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d users, want 3", len(got))
	}
	if got[1].Excluded != hris.ExcludedInactive || got[2].FullName != "Смирнова-Кузнецова Ольга" {
		t.Errorf("users = %+v", got)
	}

	var next struct {
		D struct {
			Next string `json:"__next"`
		} `json:"d"`
	}
	json.Unmarshal(page1.Response, &next)
	wantURI := strings.TrimPrefix(next.D.Next, captured)
	if len(userURIs) != 2 || userURIs[1] != wantURI {
		t.Errorf("second request %q, want the __next link verbatim %q", userURIs, wantURI)
	}
	if !cookieOnPage2 {
		t.Error("the second page was asked without the session cookie")
	}
}

func TestClient_ListEmployees(t *testing.T) {
	fake := sftest.NewServer(t)
	const n = 2500
	var es []sftest.Employee
	for i := range n {
		es = append(es, sftest.Employee{UserID: fmt.Sprintf("emp%05d", i), FirstName: "Анна", LastName: "Иванова",
			Email: fmt.Sprintf("e%d@acme.example", i), HireDate: "2020-01-15", Title: "Инженер", Department: "ИТ", ManagerID: "emp00000"})
	}
	es[1].Status, es[1].EndDate = "f", "2024-06-30"
	es[2].Status = "f"
	es[3].DateOfBirth = "1960-01-01"
	es[0].ManagerID = ""
	fake.AddEmployees(es...)
	c := mustClient(t, fake.URL(), nil)

	got, err := c.ListEmployees(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("got %d people, want %d (inactive users included)", len(got), n)
	}
	p := map[string]hris.Person{}
	for _, x := range got {
		p[x.PersonnelNumber] = x
	}
	a := p["emp00004"]
	if a.FullName != "Иванова Анна" || a.Position != "Инженер" || a.Department != "ИТ" || a.ManagerNumber != "emp00000" ||
		a.HiredOn != (staffbot.Date{Year: 2020, Month: 1, Day: 15}) || a.DismissedOn != nil || a.Excluded != "" {
		t.Errorf("emp00004 = %+v", a)
	}
	if d := p["emp00001"].DismissedOn; d == nil || d.String() != "2024-06-30" {
		t.Errorf("emp00001 dismissed on %v, want 2024-06-30", d)
	}
	if p["emp00002"].Excluded != hris.ExcludedInactive {
		t.Errorf("emp00002 = %+v, want excluded as inactive", p["emp00002"])
	}
	if p["emp00000"].ManagerNumber != "" {
		t.Errorf("NO_MANAGER became %q", p["emp00000"].ManagerNumber)
	}

	pages := 0
	for i, r := range fake.Requests() {
		if r.Entity == "User" {
			pages++
		}
		if i > 0 && !r.HadSession {
			t.Errorf("request %d without the session cookie", i)
		}
	}
	if pages != 3 {
		t.Errorf("User pages = %d, want 3", pages)
	}
}

func TestClient_Status(t *testing.T) {
	fake := sftest.NewServer(t)
	fake.AddEmployees(
		sftest.Employee{UserID: "emp1", FirstName: "Анна", LastName: "Иванова", HireDate: "2020-01-15"},
		sftest.Employee{UserID: "emp2", FirstName: "Пётр", LastName: "Петров", HireDate: "2020-01-15", Status: "f", EndDate: "2024-06-30"},
	)
	c := mustClient(t, fake.URL(), func(c *Config) { c.Credentials = hris.Credentials{Token: sftest.DefaultToken} })
	today := staffbot.Date{Year: 2025, Month: 1, Day: 1}

	st, err := c.Status(t.Context(), "emp1")
	if err != nil || st.State(today) != hris.StateActive || st.HiredOn.String() != "2020-01-15" {
		t.Errorf("emp1 = %+v, %v; want active", st, err)
	}
	st, err = c.Status(t.Context(), "emp2")
	if err != nil || st.State(today) != hris.StateDismissed || st.DismissedOn.String() != "2024-06-30" {
		t.Errorf("emp2 = %+v, %v; want dismissed 2024-06-30", st, err)
	}
	if _, err := c.Status(t.Context(), "emp9"); !errors.Is(err, hris.ErrNotFound) {
		t.Errorf("emp9: %v, want ErrNotFound", err)
	}
	if c.Supports(hris.ActionPayslip) {
		t.Error("Supports(payslip) = true")
	}
	if _, err := c.Payslip(t.Context(), "emp1", hris.Month{Year: 2025, Month: 1}); !errors.Is(err, hris.ErrUnsupported) {
		t.Errorf("Payslip: %v, want ErrUnsupported", err)
	}
}

func TestClient_Errors(t *testing.T) {
	fake := sftest.NewServer(t)
	fake.AddEmployees(sftest.Employee{UserID: "emp1", FirstName: "Анна", LastName: "Иванова", HireDate: "2020-01-15"})

	fake.Fail(http.StatusInternalServerError, nil, 1)
	c := mustClient(t, fake.URL(), nil)
	if _, err := c.ListEmployees(t.Context()); !errors.Is(err, hris.ErrUnavailable) || !strings.Contains(err.Error(), "COE_GENERAL_SERVER_FAILURE") {
		t.Errorf("500: %v, want ErrUnavailable with the code", err)
	}

	bad := mustClient(t, fake.URL(), func(c *Config) { c.Credentials.Password = "wrong" })
	if err := bad.Check(t.Context()); !errors.Is(err, hris.ErrAuth) {
		t.Errorf("wrong password: %v, want ErrAuth", err)
	}

	var ignored []json.RawMessage
	err := c.each(t.Context(), "EmpCompensation", nil, false, func(r json.RawMessage) error { ignored = append(ignored, r); return nil })
	if !errors.Is(err, hris.ErrNotPublished) {
		t.Errorf("unknown entity: %v, want ErrNotPublished", err)
	}

	fake.SetDelay(2 * time.Second)
	slow := mustClient(t, fake.URL(), func(c *Config) { c.Timeout = 50 * time.Millisecond })
	if _, err := slow.Status(t.Context(), "emp1"); !errors.Is(err, hris.ErrUnavailable) {
		t.Errorf("timeout: %v, want ErrUnavailable", err)
	}
}

func TestClient_RefusesNextToAnotherHost(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"d":{"results":[{"userId":"a"}],"__next":"http://203.0.113.9/odata/v2/User?$skiptoken=x"}}`))
	}))
	defer srv.Close()
	c := mustClient(t, srv.URL, nil)
	if _, err := c.ListEmployees(t.Context()); !errors.Is(err, hris.ErrProtocol) {
		t.Errorf("err = %v, want ErrProtocol", err)
	}
}
