package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// dashT0 is 09:00 in Moscow on Monday 2 March 2026.
var dashT0 = time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)

func day(s string) staffbot.Date {
	d, err := staffbot.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func mustDashCompany(t *testing.T, s *store.Store, slug string) *staffbot.Company {
	t.Helper()
	co := &staffbot.Company{Slug: slug, Name: slug, TimeZone: "Europe/Moscow"}
	if err := s.CreateCompany(t.Context(), co); err != nil {
		t.Fatalf("CreateCompany(%s): %v", slug, err)
	}
	return co
}

func mustDashEmployee(t *testing.T, s *store.Store, co *staffbot.Company, number, name, dept, office string, hired staffbot.Date) *staffbot.Employee {
	t.Helper()
	e := &staffbot.Employee{CompanyID: co.ID, PersonnelNumber: number, FullName: name, Department: dept, Office: office, HiredOn: hired}
	if err := s.CreateEmployee(t.Context(), e, dashT0); err != nil {
		t.Fatalf("CreateEmployee(%s): %v", number, err)
	}
	return e
}

// mustJoin invites the employee, binds an account of the kind and gives
// consent, as the bot does when a newcomer registers.
func mustJoin(t *testing.T, s *store.Store, co *staffbot.Company, e *staffbot.Employee, kind staffbot.ChannelKind, ext string, at time.Time) *staffbot.ChannelAccount {
	t.Helper()
	code := staffbot.NewInviteCode()
	if _, err := s.CreateInvite(t.Context(), co.ID, e.ID, staffbot.HashInviteCode(code), at, staffbot.DefaultInviteTTL); err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}
	acct := &staffbot.ChannelAccount{Kind: kind, ExternalID: ext, ChatID: ext}
	err := s.InTx(t.Context(), func(tx *store.Tx) error {
		if _, err := tx.RedeemInvite(t.Context(), co.ID, staffbot.HashInviteCode(code), acct, at, staffbot.DateOf(at)); err != nil {
			return err
		}
		return tx.GiveConsent(t.Context(), acct, staffbot.ConsentTextVersion, at)
	})
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	return acct
}

func mustSum(t *testing.T, s *store.Store, co *staffbot.Company, metric string, f store.DashFilter, byChannel bool) map[string]int64 {
	t.Helper()
	counts, err := s.SumDashCounts(t.Context(), co.ID, metric, f, byChannel)
	if err != nil {
		t.Fatalf("SumDashCounts(%s): %v", metric, err)
	}
	out := map[string]int64{}
	for _, c := range counts {
		k := c.Day
		if byChannel {
			k += "/" + c.Channel
		}
		out[k] = c.N
	}
	return out
}

func mustActivity(t *testing.T, s *store.Store, co *staffbot.Company, e *staffbot.Employee, kind staffbot.ChannelKind, today string) {
	t.Helper()
	err := s.InTx(t.Context(), func(tx *store.Tx) error {
		return tx.RecordActivity(t.Context(), co.ID, e, kind, day(today))
	})
	if err != nil {
		t.Fatalf("RecordActivity: %v", err)
	}
}

func TestDashboard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("CountersCountPeopleOnce", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustDashCompany(t, s, "acme")
			anna := mustDashEmployee(t, s, co, "1", "Иванова Анна", "ИТ", "Москва", day("2026-02-01"))
			boris := mustDashEmployee(t, s, co, "2", "Борисов Борис", "Склад", "Казань", day("2026-02-01"))

			// 01:00 in Moscow on 2 March is still 1 March in UTC: the
			// counters use the company's day.
			night := time.Date(2026, 3, 1, 22, 0, 0, 0, time.UTC)
			acct := mustJoin(t, s, co, anna, staffbot.ChannelTelegram, "100", night)
			mustInvite(t, s, co.ID, anna.ID) // a re-invite is not a new invitee
			mustJoin(t, s, co, anna, staffbot.ChannelWebchat, "w-anna", dashT0)
			mustInvite(t, s, co.ID, boris.ID)

			all := store.DashFilter{From: day("2026-03-01"), To: day("2026-03-31")}
			if got, want := mustSum(t, s, co, store.MetricInvited, all, false), map[string]int64{"2026-03-02": 2}; !equalCounts(got, want) {
				t.Errorf("invited = %v, want %v", got, want)
			}
			if got, want := mustSum(t, s, co, store.MetricRegistered, all, true), map[string]int64{"2026-03-02/telegram": 1}; !equalCounts(got, want) {
				t.Errorf("registered = %v, want %v (a second messenger is not a second registration)", got, want)
			}

			mustActivity(t, s, co, anna, staffbot.ChannelTelegram, "2026-03-02")
			mustActivity(t, s, co, anna, staffbot.ChannelTelegram, "2026-03-02")
			mustActivity(t, s, co, anna, staffbot.ChannelWebchat, "2026-03-03")
			mustActivity(t, s, co, boris, staffbot.ChannelTelegram, "2026-03-03")
			mustActivity(t, s, co, anna, staffbot.ChannelTelegram, "2026-04-01")

			if got, want := mustSum(t, s, co, store.MetricActiveDay, all, false), map[string]int64{"2026-03-02": 1, "2026-03-03": 2}; !equalCounts(got, want) {
				t.Errorf("active per day = %v, want %v", got, want)
			}
			if got, want := mustSum(t, s, co, store.MetricActiveWeek, all, false), map[string]int64{"2026-03-02": 2, "2026-03-30": 1}; !equalCounts(got, want) {
				t.Errorf("active per week = %v, want %v", got, want)
			}
			april := store.DashFilter{From: day("2026-03-01"), To: day("2026-04-30")}
			if got, want := mustSum(t, s, co, store.MetricActiveMonth, april, false), map[string]int64{"2026-03-01": 2, "2026-04-01": 1}; !equalCounts(got, want) {
				t.Errorf("active per month = %v, want %v", got, want)
			}
			want := map[string]int64{"2026-03-02/telegram": 2, "2026-03-03/telegram": 1, "2026-03-03/webchat": 1}
			if got := mustSum(t, s, co, store.MetricMessagesIn, all, true); !equalCounts(got, want) {
				t.Errorf("messages in = %v, want %v", got, want)
			}

			// Outgoing messages are counted under the recipient's place.
			err := s.InTx(t.Context(), func(tx *store.Tx) error {
				if err := tx.EnqueueToAccount(t.Context(), acct, channel.Outgoing{Text: "привет"}, dashT0); err != nil {
					return err
				}
				_, err := tx.Enqueue(t.Context(), co.ID, nil, staffbot.ChannelTelegram, "-100", channel.Outgoing{Text: "всем"}, dashT0)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			it := store.DashFilter{From: all.From, To: all.To, Departments: []string{"ИТ"}}
			if got := mustSum(t, s, co, store.MetricMessagesOut, it, true); got["2026-03-02/telegram"] != 1 {
				t.Errorf("messages out to ИТ = %v, want 1 on 2026-03-02", got)
			}
			if got := mustSum(t, s, co, store.MetricMessagesOut, all, false); got["2026-03-02"] != 2 {
				t.Errorf("messages out = %v, want 2 on 2026-03-02", got)
			}

			// Filters by place, and totals before a day.
			sklad := store.DashFilter{From: all.From, To: all.To, Departments: []string{"Склад"}}
			if got := mustSum(t, s, co, store.MetricActiveDay, sklad, false); !equalCounts(got, map[string]int64{"2026-03-03": 1}) {
				t.Errorf("active in Склад = %v", got)
			}
			none := store.DashFilter{From: all.From, To: all.To, Offices: []string{store.NoMatch}}
			if got := mustSum(t, s, co, store.MetricActiveDay, none, false); len(got) != 0 {
				t.Errorf("active with no office = %v, want nothing", got)
			}
			n, err := s.TotalDashCount(t.Context(), co.ID, store.MetricInvited, store.DashFilter{}, day("2026-03-03"))
			if err != nil || n != 2 {
				t.Errorf("invited before 3 March = %d, %v; want 2", n, err)
			}
			n, err = s.TotalDashCount(t.Context(), co.ID, store.MetricInvited, store.DashFilter{}, day("2026-03-02"))
			if err != nil || n != 0 {
				t.Errorf("invited before 2 March = %d, %v; want 0", n, err)
			}

			// Another company sees none of it.
			other := mustDashCompany(t, s, "other")
			if got := mustSum(t, s, other, store.MetricActiveDay, all, false); len(got) != 0 {
				t.Errorf("another company's active = %v", got)
			}
		})

		t.Run("HeadcountAndPlaces", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustDashCompany(t, s, "acme")
			mustDashEmployee(t, s, co, "1", "А", "ИТ", "Москва", day("2025-01-01"))
			mustDashEmployee(t, s, co, "2", "Б", "ИТ", "Казань", day("2026-04-01"))
			gone := mustDashEmployee(t, s, co, "3", "В", "Склад", "Казань", day("2025-01-01"))
			dismissed := day("2026-02-01")
			gone.DismissedOn = &dismissed
			if _, err := s.UpsertEmployees(t.Context(), co.ID, []store.EmployeeImport{{Employee: *gone}}, dashT0); err != nil {
				t.Fatal(err)
			}
			n, err := s.CountHeadcount(t.Context(), co.ID, store.DashFilter{}, day("2026-03-02"))
			if err != nil || n != 1 {
				t.Errorf("headcount = %d, %v; want 1 (one not hired yet, one dismissed)", n, err)
			}
			depts, offices, err := s.Places(t.Context(), co.ID)
			if err != nil || !slices.Equal(depts, []string{"ИТ", "Склад"}) || !slices.Equal(offices, []string{"Казань", "Москва"}) {
				t.Errorf("Places = %v, %v, %v", depts, offices, err)
			}
		})

		t.Run("OnboardingStatuses", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustDashCompany(t, s, "acme")
			mk := func(n, name, hired, state string, updated time.Time) *staffbot.Employee {
				e := mustDashEmployee(t, s, co, n, name, "ИТ", "Москва", day(hired))
				if state == "" {
					return e
				}
				mustCreateRun(t, s, &store.Run{CompanyID: co.ID, EmployeeID: e.ID, Scenario: "onboarding", Step: "s1",
					State: state, StartedAt: updated, UpdatedAt: updated})
				return e
			}
			now := dashT0
			mk("1", "Готов Сергей", "2026-01-10", store.RunDone, now)
			mk("2", "Упал Сергей", "2026-02-10", store.RunFailed, now)
			mk("3", "Молчит Сергей", "2026-02-11", store.RunAsking, now.Add(-4*24*time.Hour))
			mk("4", "Думает Сергей", "2026-02-12", store.RunAsking, now.Add(-time.Hour))
			task := mk("5", "Ждёт Сергей", "2026-02-13", store.RunWaiting, now)
			mk("6", "Нет Сергей", "2026-02-14", "", now)

			run, err := s.FindRunOfEmployee(t.Context(), co.ID, task.ID, "onboarding")
			if err != nil {
				t.Fatal(err)
			}
			err = s.InTx(t.Context(), func(tx *store.Tx) error {
				if err := tx.CreateTask(t.Context(), &store.Task{CompanyID: co.ID, RunID: &run.ID, SubjectID: task.ID, Role: "mentor",
					Title: "Встреча", CreatedAt: now.Add(-100 * time.Hour)}); err != nil {
					return err
				}
				return tx.AddRunEvent(t.Context(), co.ID, run.ID, store.RunEvent{Step: "s0", Kind: store.EventMark, Name: "day1_done", At: now})
			})
			if err != nil {
				t.Fatal(err)
			}

			cohorts, err := s.OnboardingCohorts(t.Context(), co.ID, "onboarding", store.DashFilter{From: day("2026-01-01"), To: day("2026-02-28")}, now)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int64{}
			for _, c := range cohorts {
				got[c.Month+" "+c.Status] = c.N
			}
			want := map[string]int64{"2026-01 done": 1, "2026-02 stuck": 3, "2026-02 in_progress": 1, "2026-02 not_started": 1}
			if !equalCounts(got, want) {
				t.Errorf("cohorts = %v, want %v", got, want)
			}

			f := store.NewcomerFilter{Scenario: "onboarding", HiredFrom: day("2026-02-01"), Status: store.OnboardingStuck, Limit: 10}
			list, total, err := s.FindNewcomers(t.Context(), co.ID, f, now)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, n := range list {
				names = append(names, n.FullName)
			}
			if total != 3 || !slices.Equal(names, []string{"Ждёт Сергей", "Молчит Сергей", "Упал Сергей"}) {
				t.Errorf("stuck = %d %v, want 3 newest hire first", total, names)
			}
			if n := list[0]; len(n.OpenTasks) != 1 || n.OpenTasks[0].Role != "mentor" || !slices.Equal(n.Marks, []string{"day1_done"}) {
				t.Errorf("stuck on a task: tasks %v, marks %v", n.OpenTasks, n.Marks)
			}
			counts, err := s.CountNewcomers(t.Context(), co.ID, f, now)
			if err != nil || counts[store.OnboardingStuck] != 3 || counts[store.OnboardingNotStarted] != 1 || counts[store.OnboardingInProgress] != 1 {
				t.Errorf("CountNewcomers = %v, %v", counts, err)
			}

			// A scope outside the department sees nobody.
			f.Scope = store.EmployeeScope{Departments: []string{"Склад"}}
			if _, total, err := s.FindNewcomers(t.Context(), co.ID, f, now); err != nil || total != 0 {
				t.Errorf("newcomers out of scope = %d, %v", total, err)
			}

			snap, err := s.FindOnboardingSnapshot(t.Context(), co.ID, "onboarding", now, now.Add(-24*time.Hour))
			if err != nil || snap.Stuck != 3 || snap.InProgress != 1 || snap.Finished != 1 || snap.OverdueTasks != 1 {
				t.Errorf("snapshot = %+v, %v", snap, err)
			}
		})

		t.Run("SearchEmployees", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustDashCompany(t, s, "acme")
			anna := mustDashEmployee(t, s, co, "0101", "Иванова Анна Сергеевна", "ИТ", "Москва", day("2025-01-01"))
			mustDashEmployee(t, s, co, "0102", "Петров 100% Пётр", "Склад", "Москва", day("2025-01-01"))
			boris := mustDashEmployee(t, s, co, "0103", "Борисов Борис", "ИТ", "Казань", day("2025-01-01"))
			mustJoin(t, s, co, anna, staffbot.ChannelTelegram, "1", dashT0)
			mustInvite(t, s, co.ID, boris.ID)
			other := mustDashCompany(t, s, "other")
			mustDashEmployee(t, s, other, "0104", "Иванова Чужая", "ИТ", "Москва", day("2025-01-01"))

			search := func(q store.EmployeeSearch, sc store.EmployeeScope) []string {
				t.Helper()
				q.Today, q.Limit = day("2026-03-02"), 10
				list, total, err := s.SearchEmployees(t.Context(), co.ID, sc, q)
				if err != nil {
					t.Fatalf("SearchEmployees(%+v): %v", q, err)
				}
				var out []string
				for _, e := range list {
					out = append(out, e.PersonnelNumber)
				}
				if total != len(out) {
					t.Errorf("total = %d for %v", total, out)
				}
				return out
			}
			tests := []struct {
				name string
				q    store.EmployeeSearch
				sc   store.EmployeeScope
				want []string
			}{
				{"LowerCaseFindsCapitalised", store.EmployeeSearch{Query: "иванова"}, store.EmployeeScope{}, []string{"0101"}},
				{"Number", store.EmployeeSearch{Query: "0102"}, store.EmployeeScope{}, []string{"0102"}},
				{"PercentIsLiteral", store.EmployeeSearch{Query: "100%"}, store.EmployeeScope{}, []string{"0102"}},
				{"Registered", store.EmployeeSearch{Bot: store.BotRegistered}, store.EmployeeScope{}, []string{"0101"}},
				{"Invited", store.EmployeeSearch{Bot: store.BotInvited}, store.EmployeeScope{}, []string{"0103"}},
				{"None", store.EmployeeSearch{Bot: store.BotNone}, store.EmployeeScope{}, []string{"0102"}},
				{"Office", store.EmployeeSearch{Office: "Казань"}, store.EmployeeScope{}, []string{"0103"}},
				{"Scope", store.EmployeeSearch{}, store.EmployeeScope{Departments: []string{"ИТ"}}, []string{"0103", "0101"}},
			}
			for _, tt := range tests {
				if got := search(tt.q, tt.sc); !slices.Equal(got, tt.want) {
					t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
				}
			}

			bots, err := s.BotStatuses(t.Context(), co.ID, []staffbot.EmployeeID{anna.ID, boris.ID})
			if err != nil {
				t.Fatal(err)
			}
			if got := bots[anna.ID].Status(); got != store.BotRegistered || len(bots[anna.ID].Accounts) != 1 || bots[anna.ID].InviteUsedAt == nil {
				t.Errorf("Anna's status = %s %+v", got, bots[anna.ID])
			}
			if got := bots[boris.ID].Status(); got != store.BotInvited || bots[boris.ID].Invites != 1 {
				t.Errorf("Boris's status = %s %+v", got, bots[boris.ID])
			}
		})

		t.Run("SeedIsConsistent", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustDashCompany(t, s, "acme")
			steps := []string{"a", "b", "c", "d", "e", "f"}
			rep, err := s.SeedActivity(t.Context(), co.ID, store.SeedOptions{
				Today: day("2026-03-02"), Days: 120, Employees: 400, Scenario: "onboarding", Steps: steps,
				Marks: map[string]string{"b": "day1_done", "e": "month1_feedback"}, Articles: map[string]string{"vacation": "Отпуск"}, Seed: 7,
			})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Employees != 400 || rep.Accounts == 0 || rep.Questions == 0 || rep.Runs == 0 {
				t.Fatalf("seed report = %+v", rep)
			}
			all := store.DashFilter{From: day("2025-11-03"), To: day("2026-03-02")}
			var registered int64
			for _, n := range mustSum(t, s, co, store.MetricRegistered, all, false) {
				registered += n
			}
			if registered != int64(rep.Accounts) {
				t.Errorf("registered = %d, want one per account (%d)", registered, rep.Accounts)
			}
			loc := time.FixedZone("MSK", 3*3600)
			counts, err := s.FAQCounts(t.Context(), co.ID, all, loc)
			if err != nil {
				t.Fatal(err)
			}
			// The rollups of settled days and the live questions of the
			// last ones add up to the questions themselves, whole and by
			// department; so does a filter the rollups do not keep.
			now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
			starts := []staffbot.Date{all.From, day("2025-12-01"), day("2026-02-01")}
			mustSame := func(name string, f store.DashFilter) {
				t.Helper()
				rolled, err := s.FAQBucketCounts(t.Context(), co.ID, f, loc, starts, now)
				if err != nil {
					t.Fatal(err)
				}
				live, err := s.FAQCounts(t.Context(), co.ID, f, loc)
				if err != nil {
					t.Fatal(err)
				}
				var a, b int64
				for _, values := range rolled {
					for _, n := range values {
						a += n
					}
				}
				for _, c := range live {
					b += c.N
				}
				if a != b || a == 0 {
					t.Errorf("%s: %d questions from the rollups, %d from the questions", name, a, b)
				}
			}
			mustSame("all", all)
			mustSame("Склад", store.DashFilter{From: all.From, To: all.To, Departments: []string{"Склад"}})
			mustSame("Москва", store.DashFilter{From: all.From, To: all.To, Offices: []string{"Москва"}})
			mustSame("Склад in Москва", store.DashFilter{From: all.From, To: all.To, Departments: []string{"Склад"}, Offices: []string{"Москва"}})
			if err := s.RefreshFAQRollup(t.Context(), co.ID, loc, now.Add(48*time.Hour)); err != nil {
				t.Fatal(err)
			}
			mustSame("all after a second refresh", all)
			var questions int64
			for _, c := range counts {
				questions += c.N
			}
			if questions != int64(rep.Questions) {
				t.Errorf("questions counted = %d, want %d", questions, rep.Questions)
			}
			top, err := s.TopFAQArticles(t.Context(), co.ID, all, loc, 5, now)
			if err != nil || len(top) != 1 || top[0].Title != "Отпуск" {
				t.Errorf("top articles = %+v, %v", top, err)
			}
		})

		t.Run("ScenariosDigestsAndAudit", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustDashCompany(t, s, "acme")
			ctx := staffbot.WithActor(t.Context(), staffbot.Actor{Kind: staffbot.ActorUser, ID: "7", IP: "127.0.0.1"})
			if err := s.SetScenarioEnabled(ctx, co.ID, "onboarding", false, dashT0); err != nil {
				t.Fatal(err)
			}
			if err := s.SaveCompanyScenario(ctx, &store.CompanyScenario{CompanyID: co.ID, Scenario: "own", Source: "id: own", FileName: "own.yaml", Version: 2}, dashT0); err != nil {
				t.Fatal(err)
			}
			got, err := s.FindCompanyScenarios(t.Context(), co.ID)
			if err != nil || got["onboarding"].Enabled || !got["own"].Enabled || got["own"].Source != "id: own" || got["own"].UpdatedBy != "user:7" {
				t.Errorf("company scenarios = %+v, %v", got, err)
			}

			for i, want := range []bool{true, false} {
				claimed, err := s.ClaimDigest(t.Context(), co.ID, "2026-02-23", dashT0)
				if err != nil || claimed != want {
					t.Errorf("ClaimDigest #%d = %v, %v; want %v", i+1, claimed, err, want)
				}
			}
			if on, err := s.DigestEnabled(t.Context(), co.ID); err != nil || !on {
				t.Errorf("digest enabled by default = %v, %v", on, err)
			}
			if err := s.SetDigestEnabled(ctx, co.ID, false, dashT0); err != nil {
				t.Fatal(err)
			}
			if on, _ := s.DigestEnabled(t.Context(), co.ID); on {
				t.Error("digest still on")
			}
			if err := s.UpdateCompanyProfile(ctx, co.ID, "ООО Акме", "Asia/Yekaterinburg", dashT0); err != nil {
				t.Fatal(err)
			}
			if err := s.UpdateCompanyProfile(ctx, co.ID, "ООО Акме", "Mars/Olympus", dashT0); err == nil {
				t.Error("an unknown time zone was accepted")
			}

			recs, err := s.FindAuditPage(t.Context(), co.ID, store.AuditQuery{Action: "scenario.", Limit: 10})
			if err != nil || len(recs) != 2 || recs[0].Action != "scenario.upload" || recs[1].Action != "scenario.disable" {
				t.Errorf("scenario records newest first = %v, %v", recs, err)
			}
			recs, err = s.FindAuditPage(t.Context(), co.ID, store.AuditQuery{ActorKind: "user", ObjectType: "company", Limit: 10})
			if err != nil || len(recs) != 2 || recs[0].Action != "company.update" {
				t.Errorf("company records by a user = %v, %v", recs, err)
			}
			older, err := s.FindAuditPage(t.Context(), co.ID, store.AuditQuery{BeforeSeq: recs[0].Seq, Limit: 1})
			if err != nil || len(older) != 1 || older[0].Seq != recs[0].Seq-1 {
				t.Errorf("the page before seq %d = %v, %v", recs[0].Seq, older, err)
			}
		})
	})
}

func equalCounts(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
