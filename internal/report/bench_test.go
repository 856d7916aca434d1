package report_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/report"
	"github.com/staffbot/staffbot/internal/secret"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// The benchmark company: a year of activity for 100,000 employees, seeded
// once per database and process. STAFFBOT_BENCH_EMPLOYEES changes the
// size, for a quick run.
const benchDays = 365

func benchEmployees() int {
	if n, err := strconv.Atoi(os.Getenv("STAFFBOT_BENCH_EMPLOYEES")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

type benchDB struct {
	once sync.Once
	st   *store.Store
	co   *staffbot.Company
	err  error
}

var benchDBs = map[string]*benchDB{"SQLite": {}, "Postgres": {}}

// benchCleanup closes and removes the benchmark databases when the tests
// end, last opened first.
var benchCleanup []func()

func TestMain(m *testing.M) {
	code := m.Run()
	for i := len(benchCleanup) - 1; i >= 0; i-- {
		benchCleanup[i]()
	}
	os.Exit(code)
}

// openBenchStore opens a store that lives as long as the process: the
// seed is too large to repeat per benchmark.
func openBenchStore(name string) (*store.Store, error) {
	sealer, err := secret.NewSealer(storetest.TestKey)
	if err != nil {
		return nil, err
	}
	// STAFFBOT_BENCH_KEEP keeps the seeded databases (an SQLite file in
	// the temporary directory, a PostgreSQL schema bench_keep) for the
	// next run, which then skips seeding.
	keep := os.Getenv("STAFFBOT_BENCH_KEEP") != ""
	dsn := ""
	switch name {
	case "SQLite":
		dir := filepath.Join(os.TempDir(), "staffbot-bench-keep")
		if !keep {
			var err error
			if dir, err = os.MkdirTemp("", "staffbot-bench-"); err != nil {
				return nil, err
			}
			benchCleanup = append(benchCleanup, func() { os.RemoveAll(dir) })
		} else if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		dsn = filepath.Join(dir, "bench.db")
	default:
		base := os.Getenv(storetest.EnvDatabaseURL)
		b := make([]byte, 6)
		rand.Read(b)
		schema := "bench_" + hex.EncodeToString(b)
		if keep {
			schema = "bench_keep"
		}
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return nil, err
		}
		defer admin.Close()
		if _, err := admin.Exec("CREATE SCHEMA IF NOT EXISTS " + schema); err != nil {
			return nil, err
		}
		if !keep {
			benchCleanup = append(benchCleanup, func() {
				if admin, err := sql.Open("pgx", base); err == nil {
					admin.Exec("DROP SCHEMA " + schema + " CASCADE")
					admin.Close()
				}
			})
		}
		u, err := url.Parse(base)
		if err != nil {
			return nil, err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		dsn = u.String()
	}
	st, err := store.Open(context.Background(), dsn, sealer)
	if err != nil {
		return nil, err
	}
	_, err = st.Migrate(context.Background())
	return st, err
}

var benchToday = date("2026-03-02")

func seedBench(b *testing.B, name string) (*store.Store, *staffbot.Company) {
	b.Helper()
	db := benchDBs[name]
	db.once.Do(func() {
		start := time.Now()
		st, err := openBenchStore(name)
		if err != nil {
			db.err = err
			return
		}
		benchCleanup = append(benchCleanup, func() { st.Close() })
		if co, err := st.FindCompanyBySlug(context.Background(), "bench"); err == nil {
			db.st, db.co = st, co
			return
		}
		co := &staffbot.Company{Slug: "bench", Name: "Бенчмарк", TimeZone: "Europe/Moscow"}
		if db.err = st.CreateCompany(context.Background(), co); db.err != nil {
			return
		}
		steps := make([]string, 50)
		marks := map[string]string{}
		for i := range steps {
			steps[i] = "s" + strconv.Itoa(i)
			if i%8 == 7 {
				marks[steps[i]] = "mark" + strconv.Itoa(i)
			}
		}
		rep, err := st.SeedActivity(context.Background(), co.ID, store.SeedOptions{
			Today: benchToday, Days: benchDays, Employees: benchEmployees(), Scenario: "onboarding", Steps: steps, Marks: marks, Seed: 1,
			Departments: []string{"Продажи", "Склад", "ИТ", "Бухгалтерия", "HR", "Производство", "Логистика", "Юристы",
				"Закупки", "Маркетинг", "Сервис", "Охрана", "Колл-центр", "Качество", "Финансы", "Администрация"},
			Offices: []string{"Москва", "Санкт-Петербург", "Екатеринбург", "Новосибирск", "Казань", "Самара", "Ростов-на-Дону", "Краснодар"},
			// A ticket and a request for HR per employee and year.
			Tickets: 1, Requests: 1, RequestServices: map[string]int{"employment_certificate": 3, "income_certificate": 3,
				"work_record_copy": 3, "visa_certificate": 3, "vacation_application": 0, "personal_data_change": 0},
		})
		if err != nil {
			db.err = err
			return
		}
		db.st, db.co = st, co
		b.Logf("%s: seeded %d employees, %d invites, %d accounts, %d questions, %d runs, %d run events, %d tasks, %d counter rows, %d tickets, %d requests in %s",
			name, rep.Employees, rep.Invites, rep.Accounts, rep.Questions, rep.Runs, rep.Events, rep.Tasks, rep.Counters,
			rep.Tickets, rep.Requests, time.Since(start).Round(time.Second))
	})
	if db.err != nil {
		b.Fatalf("seed %s: %v", name, db.err)
	}
	return db.st, db.co
}

func benchDatabases(b *testing.B) []string {
	names := []string{"SQLite"}
	if os.Getenv(storetest.EnvDatabaseURL) != "" {
		names = append(names, "Postgres")
	}
	return names
}

// BenchmarkDashboard times each chart's queries over a year of activity
// of 100,000 employees (and about 80,000 helpdesk tickets): with the
// dashboard's own default period, over the whole year, and for one
// department over the year.
func BenchmarkDashboard(b *testing.B) {
	for _, name := range benchDatabases(b) {
		b.Run(name, func(b *testing.B) {
			st, co := seedBench(b, name)
			builder := report.Builder{Store: st}
			base := report.Query{CompanyID: co.ID, Location: co.Location(), To: benchToday, Scenario: "onboarding",
				Lang: locale.RU, Now: benchToday.In(co.Location()).Add(12 * time.Hour)}
			for _, d := range report.Dashboards {
				for _, id := range d.Charts {
					days := 30
					if d.ID == "onboarding" {
						days = 180
					}
					variants := []struct {
						name string
						q    func(report.Query) report.Query
					}{
						{strconv.Itoa(days) + "d", func(q report.Query) report.Query { q.From = q.To.AddDays(-days + 1); return q }},
						{"365d", func(q report.Query) report.Query { q.From = q.To.AddDays(-364); return q }},
						{"365d-dept", func(q report.Query) report.Query {
							q.From, q.Departments = q.To.AddDays(-364), []string{"Склад"}
							return q
						}},
					}
					for _, v := range variants {
						q := v.q(base)
						b.Run(id+"/"+v.name, func(b *testing.B) {
							for b.Loop() {
								if _, err := builder.Chart(b.Context(), id, q); err != nil {
									b.Fatal(err)
								}
							}
						})
					}
				}
			}
		})
	}
}

// BenchmarkCabinetQueries times the store queries behind the list pages
// and the digest on the same company.
func BenchmarkCabinetQueries(b *testing.B) {
	for _, name := range benchDatabases(b) {
		b.Run(name, func(b *testing.B) {
			st, co := seedBench(b, name)
			now := benchToday.In(co.Location()).Add(12 * time.Hour)
			ctx := context.Background()
			recent := store.NewcomerFilter{Scenario: "onboarding", HiredFrom: benchToday.AddDays(-120), HiredTo: benchToday.AddDays(60), Limit: 50}
			cases := []struct {
				name string
				fn   func() error
			}{
				{"employees/page1", func() error {
					_, _, err := st.SearchEmployees(ctx, co.ID, store.EmployeeScope{}, store.EmployeeSearch{Current: true, Today: benchToday, Limit: 50})
					return err
				}},
				{"employees/search", func() error {
					_, _, err := st.SearchEmployees(ctx, co.ID, store.EmployeeScope{}, store.EmployeeSearch{Query: "смирнова анна", Current: true, Today: benchToday, Limit: 50})
					return err
				}},
				{"employees/not-joined", func() error {
					_, _, err := st.SearchEmployees(ctx, co.ID, store.EmployeeScope{}, store.EmployeeSearch{Bot: store.BotInvited, Current: true, Today: benchToday, Limit: 50})
					return err
				}},
				{"newcomers/list", func() error {
					_, _, err := st.FindNewcomers(ctx, co.ID, recent, now)
					return err
				}},
				{"newcomers/stuck", func() error {
					f := recent
					f.Status = store.OnboardingStuck
					_, _, err := st.FindNewcomers(ctx, co.ID, f, now)
					return err
				}},
				{"newcomers/counts", func() error {
					_, err := st.CountNewcomers(ctx, co.ID, recent, now)
					return err
				}},
				{"places", func() error {
					_, _, err := st.Places(ctx, co.ID)
					return err
				}},
				{"requests/open", func() error {
					_, err := st.FindServiceQueue(ctx, co.ID, store.ServiceQueueFilter{Status: store.ServiceQueueOpen, Fulfilment: store.FulfilHR, Limit: 101})
					return err
				}},
				{"requests/all", func() error {
					_, err := st.FindServiceQueue(ctx, co.ID, store.ServiceQueueFilter{Fulfilment: store.FulfilHR, Limit: 101})
					return err
				}},
				{"requests/overdue", func() error {
					_, err := st.FindServiceQueue(ctx, co.ID, store.ServiceQueueFilter{Status: store.ServiceQueueOpen, Fulfilment: store.FulfilHR,
						Overdue: true, Now: now, Limit: 101})
					return err
				}},
				{"requests/service-dept", func() error {
					_, err := st.FindServiceQueue(ctx, co.ID, store.ServiceQueueFilter{Scope: store.EmployeeScope{Departments: []string{"Склад"}},
						Fulfilment: store.FulfilHR, Service: "income_certificate", Limit: 101})
					return err
				}},
				{"requests/counts", func() error {
					_, _, err := st.ServiceQueueCounts(ctx, co.ID, store.EmployeeScope{}, now)
					return err
				}},
				{"requests/to-warn", func() error {
					_, err := st.FindServiceRequestsToWarn(ctx, now, 100)
					return err
				}},
				{"digest", func() error {
					_, err := (&report.Builder{Store: st}).Digest(ctx, co, "onboarding", report.LastWeek(benchToday), now)
					return err
				}},
			}
			for _, c := range cases {
				b.Run(c.name, func(b *testing.B) {
					for b.Loop() {
						if err := c.fn(); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}

// BenchmarkHelpdeskQueries times each store query behind the helpdesk
// charts on its own, over the year and for one department over the
// year: the goal is under 100 ms a query.
func BenchmarkHelpdeskQueries(b *testing.B) {
	for _, name := range benchDatabases(b) {
		b.Run(name, func(b *testing.B) {
			st, co := seedBench(b, name)
			ctx := context.Background()
			loc := co.Location()
			year := store.DashFilter{From: benchToday.AddDays(-364), To: benchToday}
			dept := year
			dept.Departments = []string{"Склад"}
			for _, f := range []struct {
				name string
				f    store.DashFilter
			}{{"365d", year}, {"365d-dept", dept}} {
				queries := []struct {
					name string
					fn   func() error
				}{
					{"opened", func() error { _, err := st.CountTickets(ctx, co.ID, f.f, "created"); return err }},
					{"resolved", func() error { _, err := st.CountTickets(ctx, co.ID, f.f, "resolved"); return err }},
					{"active", func() error { _, err := st.CountActiveTickets(ctx, co.ID, f.f); return err }},
					{"first_response_times", func() error { _, err := st.TicketTimes(ctx, co.ID, f.f, "first_response"); return err }},
					{"resolution_times", func() error { _, err := st.TicketTimes(ctx, co.ID, f.f, "resolution"); return err }},
					{"first_response_on_time", func() error {
						_, _, err := st.TicketsOnTime(ctx, co.ID, f.f, "first_response")
						return err
					}},
					{"resolution_on_time", func() error { _, _, err := st.TicketsOnTime(ctx, co.ID, f.f, "resolution"); return err }},
					{"first_response_breaches", func() error {
						_, err := st.TicketBreaches(ctx, co.ID, f.f, loc, "first_response")
						return err
					}},
					{"resolution_breaches", func() error {
						_, err := st.TicketBreaches(ctx, co.ID, f.f, loc, "resolution")
						return err
					}},
					{"ratings", func() error { _, err := st.TicketRatings(ctx, co.ID, f.f); return err }},
				}
				for _, q := range queries {
					b.Run(q.name+"/"+f.name, func(b *testing.B) {
						for b.Loop() {
							if err := q.fn(); err != nil {
								b.Fatal(err)
							}
						}
					})
				}
			}
		})
	}
}
