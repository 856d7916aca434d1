package onec

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/hris"
	"github.com/staffbot/staffbot/internal/hris/onec/onectest"
)

func mustClient(t *testing.T, fake *onectest.Server, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		URL:         fake.URL(),
		Credentials: hris.Credentials{User: onectest.DefaultUser, Password: onectest.DefaultPassword},
		ServicePath: onectest.ServicePath,
		Timeout:     5 * time.Second,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func mustReadJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func date(y int, m time.Month, d int) staffbot.Date { return staffbot.Date{Year: y, Month: m, Day: d} }

func byNumber(ps []hris.Person) map[string]hris.Person {
	out := map[string]hris.Person{}
	for _, p := range ps {
		out[p.PersonnelNumber] = p
	}
	return out
}

// case28 is inputs/28-1c-odata-employees-empty-dates.json.
type case28 struct {
	CatalogRequest string `json:"catalog_request"`
	Catalog        struct {
		Value []map[string]any `json:"value"`
	} `json:"catalog_response"`
	HRData struct {
		Value []map[string]any `json:"value"`
	} `json:"current_hr_data_response"`
	Expected map[string]string `json:"expected_interpretation"`
}

func loadCase28(t *testing.T, fake *onectest.Server) case28 {
	t.Helper()
	var c case28
	mustReadJSON(t, "28-1c-odata-employees-empty-dates.json", &c)
	fake.SetRecords(EntityEmployees, c.Catalog.Value)
	fake.SetRecords(EntityHRData, c.HRData.Value)
	return c
}

func TestClient_ListEmployees_Case28EmptyDates(t *testing.T) {
	fake := onectest.NewServer(t)
	c28 := loadCase28(t, fake)
	c := mustClient(t, fake, nil)

	got, err := c.ListEmployees(t.Context())
	if err != nil {
		t.Fatalf("ListEmployees: %v", err)
	}
	people := byNumber(got)
	if len(people) != len(c28.Expected) {
		t.Fatalf("got %d people, want %d", len(people), len(c28.Expected))
	}
	today := date(2024, 12, 4) // the day the case's expectations refer to

	// Every number of expected_interpretation is checked below.
	checks := map[string]func(p hris.Person) string{
		"00-0000001": func(p hris.Person) string {
			if p.DismissedOn != nil || p.Excluded != "" || p.HiredOn != date(2019, 2, 1) {
				return "want active, hired 2019-02-01, no dismissal"
			}
			return ""
		},
		"00-0000002": func(p hris.Person) string {
			if p.DismissedOn == nil || *p.DismissedOn != date(2025, 1, 31) || p.Excluded != "" {
				return "want dismissal 2025-01-31"
			}
			st := hris.Status{DismissedOn: p.DismissedOn}
			if st.State(today) != hris.StateActive || st.State(date(2025, 1, 31)) != hris.StateDismissed {
				return "want employed on 2024-12-04 and dismissed from 2025-01-31"
			}
			return ""
		},
		"00-0000003": func(p hris.Person) string {
			if p.Excluded != hris.ExcludedDeleted {
				return "want excluded for the deletion mark"
			}
			return ""
		},
		"00-0000004": func(p hris.Person) string {
			if p.Excluded != hris.ExcludedArchived {
				return "want excluded as archived"
			}
			return ""
		},
		"00-0000005": func(p hris.Person) string {
			if p.HiredOn != date(2025, 2, 3) || p.Position != "" || p.Department != "" || p.Excluded != "" {
				return "want hired 2025-02-03 with no position or department"
			}
			return ""
		},
	}
	for number := range c28.Expected {
		check, ok := checks[number]
		if !ok {
			t.Errorf("%s: the case expects something this test does not check", number)
			continue
		}
		p, ok := people[number]
		if !ok {
			t.Errorf("%s: missing", number)
			continue
		}
		if msg := check(p); msg != "" {
			t.Errorf("%s: got %+v; %s (%s)", number, p, msg, c28.Expected[number])
		}
	}

	for _, r := range fake.Requests() {
		if strings.Contains(r.RequestURI, EmptyRef) {
			t.Errorf("request %s resolves the zero GUID", r.RequestURI)
		}
	}

	// The catalog request matches the one in the case, encoded once.
	wantURI := strings.TrimPrefix(strings.SplitN(c28.CatalogRequest, " ", 2)[1], "/zup")
	wantPath, wantQuery, _ := strings.Cut(wantURI, "?")
	var first *onectest.Request
	for _, r := range fake.Requests() {
		if r.Entity == EntityEmployees {
			first = &r
			break
		}
	}
	if first == nil {
		t.Fatal("no request for the employee catalog")
	}
	gotPath, _, _ := strings.Cut(strings.TrimPrefix(first.RequestURI, onectest.Publication), "?")
	if gotPath != wantPath {
		t.Errorf("path = %s, want %s", gotPath, wantPath)
	}
	want, _ := url.ParseQuery(wantQuery)
	want.Set("$top", first.Query.Get("$top")) // page size is ours to choose
	if !equalValues(first.Query, want) {
		t.Errorf("query = %v, want %v", first.Query, want)
	}
}

func equalValues(a, b url.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func TestClient_ListEmployees_ResolvesNames(t *testing.T) {
	fake := onectest.NewServer(t)
	fake.AddEmployee(onectest.Employee{Code: "0001", Name: "Иванова  Анна Петровна", HiredOn: "2020-03-01",
		Position: "Бухгалтер", Department: "Бухгалтерия"})
	fake.AddEmployee(onectest.Employee{Code: "0002", Name: "Петров Пётр", HiredOn: "2021-04-05",
		DismissedOn: "2024-06-30", Position: "Кладовщик", Department: "Склад"})
	c := mustClient(t, fake, nil)

	got, err := c.ListEmployees(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	people := byNumber(got)
	a := people["0001"]
	if a.FullName != "Иванова Анна Петровна" || a.Position != "Бухгалтер" || a.Department != "Бухгалтерия" || a.HiredOn != date(2020, 3, 1) {
		t.Errorf("0001 = %+v", a)
	}
	p := people["0002"]
	if p.DismissedOn == nil || *p.DismissedOn != date(2024, 6, 30) || p.Position != "Кладовщик" {
		t.Errorf("0002 = %+v", p)
	}
}

// case29 is inputs/29-1c-odata-404-not-published.json.
type case29 struct {
	Cases []struct {
		Request      string          `json:"request"`
		Observed     string          `json:"observed"`
		ObservedBody json.RawMessage `json:"observed_body"`
	} `json:"cases"`
}

func TestClient_Case29NotPublished(t *testing.T) {
	var c29 case29
	mustReadJSON(t, "29-1c-odata-404-not-published.json", &c29)
	if !strings.Contains(c29.Cases[0].Observed, onectest.NotFoundText) {
		t.Fatalf("the fake's 404 text %q is not the one observed: %q", onectest.NotFoundText, c29.Cases[0].Observed)
	}

	t.Run("Publication", func(t *testing.T) {
		fake := onectest.NewServer(t)
		fake.AddEmployee(onectest.Employee{Code: "0001", Name: "Иванова Анна", HiredOn: "2020-03-01"})
		fake.SetPublished(false)
		c := mustClient(t, fake, nil)

		got, err := c.ListEmployees(t.Context())
		if !errors.Is(err, hris.ErrNotPublished) || errors.Is(err, hris.ErrNotFound) {
			t.Fatalf("ListEmployees = %d people, %v; want ErrNotPublished", len(got), err)
		}
		if !strings.Contains(err.Error(), EntityEmployees) || !strings.Contains(err.Error(), "404") {
			t.Errorf("error %q does not name the entity and the status", err)
		}
		if err := c.Check(t.Context()); !errors.Is(err, hris.ErrNotPublished) {
			t.Errorf("Check = %v, want ErrNotPublished", err)
		}
	})

	t.Run("EntityNotInComposition", func(t *testing.T) {
		fake := onectest.NewServer(t)
		fake.AddEmployee(onectest.Employee{Code: "0001", Name: "Иванова Анна", HiredOn: "2020-03-01", Position: "Бухгалтер"})
		fake.Unpublish(EntityPositions, c29.Cases[1].ObservedBody)
		c := mustClient(t, fake, nil)

		got, err := c.ListEmployees(t.Context())
		if !errors.Is(err, hris.ErrNotPublished) || got != nil {
			t.Fatalf("ListEmployees = %d people, %v; want no list and ErrNotPublished", len(got), err)
		}
		if !strings.Contains(err.Error(), EntityPositions) {
			t.Errorf("error %q does not name %s", err, EntityPositions)
		}
	})
}

func TestQuery_Case31LiteralsAndEncoding(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "31-1c-odata-guid-and-cyrillic-urls.txt"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	var getLine, utf8Header, cp1251Header string
	var filters []string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "GET "):
			getLine = strings.TrimPrefix(l, "GET ")
		case strings.HasPrefix(l, "$filter="):
			f, _, _ := strings.Cut(strings.TrimPrefix(l, "$filter="), "  ")
			filters = append(filters, strings.TrimSpace(f))
		case strings.HasPrefix(l, "UTF-8 : "):
			utf8Header = strings.TrimPrefix(strings.TrimPrefix(l, "UTF-8 : "), "Authorization: ")
		case strings.HasPrefix(l, "cp1251: "):
			cp1251Header = strings.TrimPrefix(strings.TrimPrefix(l, "cp1251: "), "Authorization: ")
		}
	}
	if getLine == "" || len(filters) != 4 || utf8Header == "" || cp1251Header == "" {
		t.Fatalf("case file not understood: %q %q %q %q", getLine, filters, utf8Header, cp1251Header)
	}
	const key = "1a2b3c4d-0001-11ef-9a01-005056a1b2c3"

	t.Run("KeyPath", func(t *testing.T) {
		got := "/zup/" + ODataPath + escapePath(EntityEmployees+"("+GUID(key)+")") + "?" + Query{}.encode()
		if got != getLine {
			t.Errorf("got  %s\nwant %s", got, getLine)
		}
	})

	t.Run("V3Literals", func(t *testing.T) {
		want := []string{
			Eq("Ref_Key", GUID(key)),
			"", // the v4 form, which we never write
			Eq("ДатаУвольнения", DateTime(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC))),
			And(Eq("DeletionMark", Bool(false)), Eq("ВАрхиве", Bool(false))),
		}
		for i, w := range want {
			if w != "" && w != filters[i] {
				t.Errorf("filter %d = %q, want %q", i, w, filters[i])
			}
		}
	})

	t.Run("ServerRefusesV4Forms", func(t *testing.T) {
		fake := onectest.NewServer(t)
		fake.SetRecords(EntityEmployees, []map[string]any{{"Ref_Key": key, "Code": "0001", "DeletionMark": false, "ВАрхиве": false}})
		c := mustClient(t, fake, nil)
		if _, _, err := get[employee](t.Context(), c, EntityEmployees, Query{Filter: filters[1]}); !errors.Is(err, hris.ErrProtocol) {
			t.Errorf("v4 bare GUID: err = %v, want ErrProtocol from HTTP 400", err)
		}
		for _, f := range []string{filters[0], filters[3]} {
			out, _, err := get[employee](t.Context(), c, EntityEmployees, Query{Filter: f})
			if err != nil || len(out) != 1 {
				t.Errorf("%s: %d records, %v; want 1", f, len(out), err)
			}
		}
		for _, r := range fake.Requests() {
			if !strings.Contains(r.RequestURI, "Catalog_%D0%A1%D0%BE%D1%82%D1%80%D1%83%D0%B4%D0%BD%D0%B8%D0%BA%D0%B8?") || strings.Contains(r.RequestURI, "%25") {
				t.Errorf("request %s is not encoded exactly once", r.RequestURI)
			}
		}
	})

	t.Run("BasicAuthCharsets", func(t *testing.T) {
		for _, tt := range []struct{ charset, want string }{{"", utf8Header}, {"windows-1251", cp1251Header}} {
			req, _ := http.NewRequest("GET", "http://127.0.0.1/", nil)
			cred := hris.Credentials{User: "АдминБит", Password: "test", Charset: tt.charset}
			if err := cred.Apply(req); err != nil {
				t.Fatal(err)
			}
			if got := req.Header.Get("Authorization"); got != tt.want {
				t.Errorf("charset %q: header %q, want %q", tt.charset, got, tt.want)
			}
		}

		fake := onectest.NewServer(t)
		fake.SetCredentials("АдминБит", "test", "windows-1251")
		utf := mustClient(t, fake, func(c *Config) { c.Credentials = hris.Credentials{User: "АдминБит", Password: "test"} })
		if err := utf.Check(t.Context()); !errors.Is(err, hris.ErrAuth) {
			t.Errorf("UTF-8 login against a cp1251 publication: %v, want ErrAuth", err)
		}
		cp := mustClient(t, fake, func(c *Config) {
			c.Credentials = hris.Credentials{User: "АдминБит", Password: "test", Charset: "windows-1251"}
		})
		if err := cp.Check(t.Context()); err != nil {
			t.Errorf("cp1251 login: %v", err)
		}
	})
}

func TestClient_Status(t *testing.T) {
	fake := onectest.NewServer(t)
	fake.AddEmployee(onectest.Employee{Code: "0001", Name: "Иванова Анна", HiredOn: "2020-03-01"})
	fake.AddEmployee(onectest.Employee{Code: "0002", Name: "Петров Пётр", HiredOn: "2020-03-01", DismissedOn: "2024-06-30"})
	fake.AddEmployee(onectest.Employee{Code: "0003", Name: "Сидоров Иван", HiredOn: "2020-03-01", DismissedOn: "2030-01-31"})
	fake.AddEmployee(onectest.Employee{Code: "0004", Name: "Ким Ен Су", HiredOn: "2020-03-01", Archived: true})
	// A duplicate of 0005 marked for deletion, listed first.
	fake.AddEmployee(onectest.Employee{Ref: onectest.Key(9, 1), Code: "0005", Name: "Дубль", HiredOn: "2020-03-01", DeletionMark: true})
	fake.AddEmployee(onectest.Employee{Ref: onectest.Key(9, 2), Code: "0005", Name: "Орлова Ольга", HiredOn: "2021-01-01"})
	c := mustClient(t, fake, nil)
	today := date(2025, 3, 1)

	tests := []struct {
		number string
		want   hris.State
	}{
		{"0001", hris.StateActive},
		{"0002", hris.StateDismissed},
		{"0003", hris.StateActive},
		{"0004", hris.StateDismissed},
		{"0005", hris.StateActive},
	}
	for _, tt := range tests {
		st, err := c.Status(t.Context(), tt.number)
		if err != nil {
			t.Errorf("Status(%s): %v", tt.number, err)
			continue
		}
		if got := st.State(today); got != tt.want {
			t.Errorf("Status(%s) = %+v: %s, want %s", tt.number, st, got, tt.want)
		}
	}
	if _, err := c.Status(t.Context(), "9999"); !errors.Is(err, hris.ErrNotFound) {
		t.Errorf("Status(9999) = %v, want ErrNotFound", err)
	}
	// A quote in the number is escaped, not an injection.
	if _, err := c.Status(t.Context(), "00' or Code ne '"); !errors.Is(err, hris.ErrNotFound) {
		t.Errorf("Status with a quote = %v, want ErrNotFound", err)
	}
}

func TestClient_Errors(t *testing.T) {
	t.Run("ServerError", func(t *testing.T) {
		fake := onectest.NewServer(t)
		fake.AddEmployee(onectest.Employee{Code: "0001", Name: "Иванова Анна", HiredOn: "2020-03-01"})
		fake.Fail(http.StatusInternalServerError,
			[]byte(`{"odata.error":{"code":"-1","message":{"lang":"ru-RU","value":"Ошибка: сотрудник Иванова Анна Петровна заблокирован"}}}`), 0)
		c := mustClient(t, fake, nil)
		_, err := c.ListEmployees(t.Context())
		if !errors.Is(err, hris.ErrUnavailable) || !hris.Retryable(err) {
			t.Fatalf("err = %v, want ErrUnavailable", err)
		}
		if strings.Contains(err.Error(), "Иванова") {
			t.Errorf("error %q carries the server's message with a name", err)
		}
	})

	t.Run("WrongPassword", func(t *testing.T) {
		fake := onectest.NewServer(t)
		c := mustClient(t, fake, func(c *Config) { c.Credentials.Password = "wrong" })
		if _, err := c.ListEmployees(t.Context()); !errors.Is(err, hris.ErrAuth) {
			t.Errorf("err = %v, want ErrAuth", err)
		}
	})

	t.Run("Timeout", func(t *testing.T) {
		fake := onectest.NewServer(t)
		fake.SetDelay(2 * time.Second)
		c := mustClient(t, fake, func(c *Config) { c.Timeout = 50 * time.Millisecond })
		_, err := c.Status(t.Context(), "0001")
		if !errors.Is(err, hris.ErrUnavailable) || !strings.Contains(err.Error(), "timeout") {
			t.Errorf("err = %v, want ErrUnavailable with a timeout", err)
		}
		if strings.Contains(err.Error(), "0001") || strings.Contains(err.Error(), "127.0.0.1") {
			t.Errorf("error %q leaks the URL", err)
		}
	})
}

func TestClient_ListEmployees_PagesBeyondAThousand(t *testing.T) {
	fake := onectest.NewServer(t)
	const n = 2345
	es := make([]onectest.Employee, n)
	for i := range es {
		es[i] = onectest.Employee{Code: numberOf(i), Name: "Сотрудник Номер " + numberOf(i), HiredOn: "2020-01-01", Department: "Отдел"}
	}
	fake.AddEmployees(es)
	c := mustClient(t, fake, func(c *Config) { c.PageSize = 1000 })

	var lastDone, lastTotal int
	ctx := hris.WithProgress(t.Context(), func(stage string, done, total int) {
		if stage == EntityEmployees {
			lastDone, lastTotal = done, total
		}
	})
	got, err := c.ListEmployees(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if people := byNumber(got); len(got) != n || len(people) != n {
		t.Errorf("got %d records, %d distinct; want %d", len(got), len(people), n)
	}
	if lastDone != n || lastTotal != n {
		t.Errorf("progress ended at %d/%d, want %d/%d", lastDone, lastTotal, n, n)
	}
	var skips []string
	for _, r := range fake.Requests() {
		if r.Entity == EntityEmployees {
			skips = append(skips, r.Query.Get("$skip"))
		}
	}
	if want := []string{"0", "1000", "2000"}; !slices.Equal(skips, want) {
		t.Errorf("$skip = %v, want %v", skips, want)
	}
}

func numberOf(i int) string {
	b := []byte("00-0000000")
	for j := len(b) - 1; i > 0; j-- {
		b[j] = byte('0' + i%10)
		i /= 10
	}
	return string(b)
}

func TestClient_Services(t *testing.T) {
	fake := onectest.NewServer(t)
	fake.AddEmployee(onectest.Employee{Code: "00-0000001", Name: "Иванова Анна Петровна", HiredOn: "2019-02-01"})
	fake.SetVacationBalance("00-0000001", onectest.VacationBalance{Days: 12.67, Kinds: []onectest.VacationKind{
		{Name: "Основной", Days: 10.67}, {Name: "Дополнительный", Days: 2}}})
	fake.SetPayslip("00-0000001", "2025-02", onectest.Payslip{Accrued: 120500.5, Withheld: 15665.07, Paid: 104835.43,
		Lines: []onectest.PayslipLine{{Kind: "accrual", Name: "Оклад по дням", Amount: 120500.5}, {Kind: "deduction", Name: "НДФЛ", Amount: 15665.07}}})
	c := mustClient(t, fake, nil)
	ctx := t.Context()

	if !c.Supports(hris.ActionPayslip) {
		t.Error("Supports(payslip) = false with the service configured")
	}
	if err := c.Check(ctx); err != nil {
		t.Errorf("Check: %v", err)
	}

	bal, err := c.VacationBalance(ctx, "00-0000001", date(2025, 3, 1))
	if err != nil {
		t.Fatalf("VacationBalance: %v", err)
	}
	if bal.Days != 12.67 || len(bal.Kinds) != 2 || bal.Kinds[1].Days != 2 || bal.On != date(2025, 3, 1) {
		t.Errorf("balance = %+v", bal)
	}

	ps, err := c.Payslip(ctx, "00-0000001", hris.Month{Year: 2025, Month: 2})
	if err != nil {
		t.Fatalf("Payslip: %v", err)
	}
	if ps.Accrued != 12050050 || ps.Withheld != 1566507 || ps.Paid != 10483543 || len(ps.Lines) != 2 {
		t.Errorf("payslip = %+v", ps)
	}
	if ps.File == nil || !bytes.HasPrefix(ps.File.Body, []byte("%PDF-")) || ps.File.ContentType != "application/pdf" {
		t.Errorf("payslip file = %+v", ps.File)
	}
	ps.File.Wipe()
	if ps.File.Body != nil {
		t.Error("Wipe left the body")
	}

	if _, err := c.Payslip(ctx, "00-0000001", hris.Month{Year: 2025, Month: 3}); !errors.Is(err, hris.ErrNotFound) {
		t.Errorf("payslip not calculated: %v, want ErrNotFound", err)
	}

	doc, err := c.Certificate(ctx, "00-0000001", hris.CertificateIncome, hris.CertificateParams{Year: 2024})
	if err != nil {
		t.Fatalf("Certificate: %v", err)
	}
	if !bytes.HasPrefix(doc.Body, []byte("%PDF-")) || doc.Name != "Справка о доходах 2024.pdf" {
		t.Errorf("certificate = %s, %q", doc.Name, doc.Body[:min(10, len(doc.Body))])
	}
	var sent CertificateRequest
	for _, r := range fake.Requests() {
		if strings.HasSuffix(r.Entity, "certificates") {
			json.Unmarshal([]byte(r.Body), &sent)
		}
	}
	if sent.Kind != "income" || sent.Year != 2024 || sent.Copies != 1 {
		t.Errorf("certificate request = %+v", sent)
	}
	if _, err := c.Certificate(ctx, "00-0000001", "visa", hris.CertificateParams{}); !errors.Is(err, hris.ErrUnsupported) {
		t.Errorf("visa certificate: %v, want ErrUnsupported", err)
	}
	if _, err := c.VacationBalance(ctx, "77-7777777", date(2025, 3, 1)); !errors.Is(err, hris.ErrNotFound) {
		t.Errorf("unknown employee: %v, want ErrNotFound", err)
	}

	fake.SetServicePublished(false)
	_, err = c.VacationBalance(ctx, "00-0000001", date(2025, 3, 1))
	if !errors.Is(err, hris.ErrNotPublished) {
		t.Errorf("service not published: %v, want ErrNotPublished", err)
	}

	off := mustClient(t, fake, func(c *Config) { c.ServicePath = "" })
	if off.Supports(hris.ActionVacationBalance) {
		t.Error("Supports(vacation) = true without the service")
	}
	if _, err := off.VacationBalance(ctx, "00-0000001", date(2025, 3, 1)); !errors.Is(err, hris.ErrUnsupported) {
		t.Errorf("without service: %v, want ErrUnsupported", err)
	}
}

func TestParseMoney(t *testing.T) {
	tests := []struct {
		in   string
		want hris.Money
		ok   bool
	}{
		{"120500.5", 12050050, true},
		{"120500.50", 12050050, true},
		{"0", 0, true},
		{"-15.07", -1507, true},
		{"", 0, true},
		{"1.005", 0, false},
		{"1e3", 0, false},
		{"12,5", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseMoney(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// TestContractDoc_SamplesDecode keeps docs/1c-http-service.md honest: its
// JSON samples decode into the replies this client reads.
func TestContractDoc_SamplesDecode(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "1c-http-service.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, part := range strings.Split(string(raw), "```json\n")[1:] {
		blocks = append(blocks, strings.SplitN(part, "```", 2)[0])
	}
	if len(blocks) < 5 {
		t.Fatalf("found %d JSON samples, want at least 5", len(blocks))
	}
	seen := map[string]bool{}
	for _, b := range blocks {
		var probe map[string]any
		if err := json.Unmarshal([]byte(b), &probe); err != nil {
			t.Errorf("sample is not JSON: %v\n%s", err, b)
			continue
		}
		switch {
		case probe["days"] != nil:
			var r VacationBalanceReply
			json.Unmarshal([]byte(b), &r)
			if d, err := r.Days.Float64(); err != nil || d != 12.67 || len(r.Kinds) != 2 {
				t.Errorf("vacation sample = %+v", r)
			}
			seen["vacation"] = true
		case probe["lines"] != nil:
			var r PayslipReply
			json.Unmarshal([]byte(b), &r)
			paid, err := ParseMoney(string(r.Paid))
			if err != nil || paid != 10483543 || len(r.Lines) != 3 || r.File == nil {
				t.Errorf("payslip sample = %+v", r)
			}
			seen["payslip"] = true
		case probe["file"] != nil:
			var r CertificateReply
			json.Unmarshal([]byte(b), &r)
			if r.Kind != "income" || r.File.ContentType != "application/pdf" {
				t.Errorf("certificate sample = %+v", r)
			}
			seen["certificate"] = true
		case probe["error"] != nil:
			var r ServiceError
			json.Unmarshal([]byte(b), &r)
			if r.Error.Code != CodeEmployeeNotFound {
				t.Errorf("error sample = %+v", r)
			}
			seen["error"] = true
		}
	}
	for _, want := range []string{"vacation", "payslip", "certificate", "error"} {
		if !seen[want] {
			t.Errorf("no %s sample in the contract", want)
		}
	}
}
