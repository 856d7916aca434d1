package rest_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/hris"
	"github.com/staffbot/staffbot/internal/hris/rest"
	"github.com/staffbot/staffbot/internal/hris/rest/resttest"
)

func mustClient(t *testing.T, fake *resttest.Server, m rest.Mapping) *rest.Client {
	t.Helper()
	c, err := rest.New(rest.Config{URL: fake.URL(), Credentials: hris.Credentials{Token: resttest.Token}, Mapping: m, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func fill(fake *resttest.Server, n int) {
	for i := range n {
		fake.Put(resttest.Employee{Number: fmt.Sprintf("T%04d", i), Last: "Иванова", First: "Анна", Title: "Инженер",
			Dept: "ИТ", Email: "a@acme.example", Hired: "2020-01-15", Active: true, Boss: "T0000", Vacation: 14.5, HasPayslip: true})
	}
}

func TestClient_ListEmployees(t *testing.T) {
	for _, tt := range []struct {
		name    string
		mapping rest.Mapping
	}{
		{"PageNumbers", resttest.Mapping()},
		{"NextLink", resttest.MappingNext()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := resttest.NewServer(t)
			fill(fake, 123)
			fake.Put(resttest.Employee{Number: "T0001", Last: "Петров", First: "Пётр", Hired: "2019-05-06", Fired: "31.01.2025", Active: true})
			fake.Put(resttest.Employee{Number: "T0002", Last: "Сидоров", First: "Иван", Hired: "2019-05-06", Active: false})
			c := mustClient(t, fake, tt.mapping)

			got, err := c.ListEmployees(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			// The fake caps pages at 50 although 100 are asked: a short
			// page must not end the list.
			if len(got) != 123 {
				t.Fatalf("got %d people, want 123", len(got))
			}
			p := map[string]hris.Person{}
			for _, x := range got {
				p[x.PersonnelNumber] = x
			}
			a := p["T0005"]
			if a.FullName != "Иванова Анна" || a.Position != "Инженер" || a.Department != "ИТ" || a.ManagerNumber != "T0000" ||
				a.HiredOn.String() != "2020-01-15" || a.DismissedOn != nil || a.Excluded != "" {
				t.Errorf("T0005 = %+v", a)
			}
			if d := p["T0001"].DismissedOn; d == nil || d.String() != "2025-01-31" {
				t.Errorf("T0001 dismissed %v, want 2025-01-31", d)
			}
			if p["T0002"].Excluded != hris.ExcludedInactive {
				t.Errorf("T0002 = %+v, want inactive", p["T0002"])
			}
		})
	}
}

func TestClient_StatusAndServices(t *testing.T) {
	fake := resttest.NewServer(t)
	fill(fake, 3)
	fake.Put(resttest.Employee{Number: "T0009", Last: "Петров", First: "Пётр", Hired: "2019-05-06", Fired: "31.01.2025", Active: true})
	c := mustClient(t, fake, resttest.Mapping())
	ctx := t.Context()
	today := staffbot.Date{Year: 2025, Month: 3, Day: 1}

	if st, err := c.Status(ctx, "T0001"); err != nil || st.State(today) != hris.StateActive {
		t.Errorf("Status(T0001) = %+v, %v", st, err)
	}
	if st, err := c.Status(ctx, "T0009"); err != nil || st.State(today) != hris.StateDismissed {
		t.Errorf("Status(T0009) = %+v, %v", st, err)
	}
	if _, err := c.Status(ctx, "T7777"); !errors.Is(err, hris.ErrNotFound) {
		t.Errorf("Status(T7777) = %v, want ErrNotFound", err)
	}

	bal, err := c.VacationBalance(ctx, "T0001", today)
	if err != nil || bal.Days != 14.5 {
		t.Errorf("VacationBalance = %+v, %v", bal, err)
	}
	ps, err := c.Payslip(ctx, "T0001", hris.Month{Year: 2025, Month: 2})
	if err != nil || ps.File == nil || !bytes.HasPrefix(ps.File.Body, []byte("%PDF-")) {
		t.Fatalf("Payslip = %+v, %v", ps, err)
	}
	if _, err := c.Payslip(ctx, "T0009", hris.Month{Year: 2025, Month: 2}); !errors.Is(err, hris.ErrNotFound) {
		t.Errorf("missing payslip: %v, want ErrNotFound", err)
	}
	doc, err := c.Certificate(ctx, "T0001", hris.CertificateIncome, hris.CertificateParams{Year: 2024, Purpose: "по месту требования"})
	if err != nil || !bytes.HasPrefix(doc.Body, []byte("%PDF-")) || doc.ContentType != "application/pdf" {
		t.Fatalf("Certificate = %+v, %v", doc, err)
	}
	last := fake.Requests()[len(fake.Requests())-1]
	if want := "/api/v1/employees/T0001/certificates/income?year=2024&purpose=%D0%BF%D0%BE%20%D0%BC%D0%B5%D1%81%D1%82%D1%83%20%D1%82%D1%80%D0%B5%D0%B1%D0%BE%D0%B2%D0%B0%D0%BD%D0%B8%D1%8F"; last != want {
		t.Errorf("certificate request %s, want %s", last, want)
	}

	// Without a status endpoint the list is scanned.
	m := resttest.Mapping()
	m.Status, m.Payslip = nil, nil
	scan := mustClient(t, fake, m)
	if st, err := scan.Status(ctx, "T0009"); err != nil || st.DismissedOn == nil {
		t.Errorf("scanning Status = %+v, %v", st, err)
	}
	if scan.Supports(hris.ActionPayslip) {
		t.Error("Supports(payslip) without an endpoint")
	}
}

func TestClient_Errors(t *testing.T) {
	fake := resttest.NewServer(t)
	fill(fake, 3)
	c := mustClient(t, fake, resttest.Mapping())

	fake.Fail(http.StatusServiceUnavailable)
	if _, err := c.ListEmployees(t.Context()); !errors.Is(err, hris.ErrUnavailable) {
		t.Errorf("503: %v, want ErrUnavailable", err)
	}
	fake.Fail(0)

	bad, _ := rest.New(rest.Config{URL: fake.URL(), Credentials: hris.Credentials{Token: "wrong"}, Mapping: resttest.Mapping()})
	if err := bad.Check(t.Context()); !errors.Is(err, hris.ErrAuth) {
		t.Errorf("wrong token: %v, want ErrAuth", err)
	}

	m := resttest.Mapping()
	m.Employees.URL = "{base}/staff?page={page}"
	if _, err := mustClient(t, fake, m).ListEmployees(t.Context()); !errors.Is(err, hris.ErrNotPublished) {
		t.Errorf("wrong list URL: %v, want ErrNotPublished", err)
	}

	m = resttest.Mapping()
	m.Employees.Items = "items"
	if _, err := mustClient(t, fake, m).ListEmployees(t.Context()); !errors.Is(err, hris.ErrProtocol) {
		t.Errorf("wrong items path: %v, want ErrProtocol", err)
	}
}

func TestParseMapping(t *testing.T) {
	good := `{"employees":{"url":"{base}/e?page={page}","items":"data"},
		"fields":{"personnel_number":"id","full_name":"name","hired_on":"start"}}`
	if _, err := rest.ParseMapping([]byte(good)); err != nil {
		t.Errorf("good mapping: %v", err)
	}

	tests := []struct {
		json, want string
	}{
		{`{"employees":{"items":"data"},"fields":{"personnel_number":"id","full_name":"n"}}`, "employees.url is required"},
		{`{"employees":{"url":"{base}/e?p={pg}"},"fields":{"personnel_number":"id","full_name":"n"}}`, "unknown placeholder {pg}"},
		{`{"employees":{"url":"{base}/e"},"fields":{"full_name":"n"}}`, "fields.personnel_number is required"},
		{`{"employees":{"url":"{base}/e"},"fields":{"personnel_number":"id"}}`, "fields.full_name or fields.last_name"},
		{`{"employees":{"url":"{base}/e"},"fields":{"personnel_number":"id","full_name":"n"},"vacation_balance":{"url":"{base}/v/{number}"}}`, "vacation_balance.days is required"},
		{`{"employees":{"url":"{base}/e"},"fields":{"personnel_number":"id","full_name":"n"},"status":{"url":"{base}/s/{month}"}}`, "status.url: unknown placeholder {month}"},
		{`{"employees":{"url":"{base}/e"},"fields":{"personnel_number":"id","fullname":"n"}}`, "unknown field"},
	}
	for _, tt := range tests {
		_, err := rest.ParseMapping([]byte(tt.json))
		if !errors.Is(err, staffbot.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseMapping(%s) = %v, want %q", tt.json, err, tt.want)
		}
	}
}
