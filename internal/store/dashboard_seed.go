package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
)

// SeedOptions describe synthetic history for a company: invites,
// registrations, daily activity, onboarding runs with their milestones and
// tasks, and questions in the chat. The benchmark seeds a year for 100,000
// employees with it; the cabinet's browser tests seed the demo company.
type SeedOptions struct {
	// Today is the last day of the history, Days its length.
	Today staffbot.Date
	Days  int

	// Employees, when above zero, creates that many employees first (6%
	// of them hired during the history); otherwise the company's own are
	// used.
	Employees   int
	Departments []string
	Offices     []string

	// Scenario is the onboarding scenario; Steps its step ids in order;
	// Marks the mark names set at the steps with these ids.
	Scenario string
	Steps    []string
	Marks    map[string]string

	// Articles are knowledge-base articles (slug → title) to create and to
	// answer with; empty: the slugs art-1 … art-12 without rows.
	Articles map[string]string

	// Skip lists personnel numbers to leave alone: no invite, no account.
	Skip []string

	// Tickets is how many helpdesk tickets a registered employee opens in
	// a year, on average; zero seeds none. They go to the company's ticket
	// categories, six of which are made when it has none.
	Tickets float64

	// Requests is how many self-service requests for HR a registered
	// employee makes in a year, on average, for the services of
	// RequestServices (key → working days HR has by law, 0 for none).
	Requests        float64
	RequestServices map[string]int

	Seed uint64
}

// SeedReport counts what SeedActivity wrote.
type SeedReport struct {
	Employees, Invites, Accounts, Runs, Events, Tasks, Questions, Counters int
	Tickets, Requests                                                      int
}

// seedEmployee is what the seeder keeps of an employee.
type seedEmployee struct {
	id         staffbot.EmployeeID
	number     string
	dept       string
	office     string
	hired      staffbot.Date
	dismissed  *staffbot.Date
	manager    *staffbot.EmployeeID
	mentor     *staffbot.EmployeeID
	registered int // day index of registration, -1 if never
	channel    string
}

// SeedActivity writes synthetic history for the company. It is for
// benchmarks, demos and tests, never for real companies: the rows it
// writes describe no one.
func (s *Store) SeedActivity(ctx context.Context, companyID staffbot.CompanyID, o SeedOptions) (*SeedReport, error) {
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x5eed))
	rep := &SeedReport{}
	loc, err := s.seedLocation(ctx, companyID)
	if err != nil {
		return nil, err
	}
	first := o.Today.AddDays(-o.Days + 1)
	dayOf := func(i int) staffbot.Date { return first.AddDays(i) }
	at := func(i int, hour int) int64 {
		return millis(dayOf(i).In(loc).Add(time.Duration(hour)*time.Hour + time.Duration(rng.IntN(3600))*time.Second))
	}

	if o.Employees > 0 {
		if err := s.seedEmployees(ctx, companyID, o, rng, first); err != nil {
			return nil, err
		}
	}
	emps, err := s.seedLoadEmployees(ctx, companyID, o.Skip)
	if err != nil {
		return nil, err
	}
	rep.Employees = len(emps)

	counts := map[[5]string]int64{}
	count := func(metric string, day staffbot.Date, channel string, e *seedEmployee) {
		counts[[5]string{metric, day.String(), channel, e.dept, e.office}]++
	}

	// Invites and registrations: staff on board at the start get one
	// invite wave on the first day; newcomers three days before they
	// start. Most join within ten days; some need a second invite.
	var invites, accounts, consents, states [][]any
	for _, e := range emps {
		inviteDay := 0
		if e.hired.After(first.AddDays(3)) {
			inviteDay = daysFrom(first, e.hired) - 3
		}
		if inviteDay >= o.Days || (e.dismissed != nil && !dayOf(inviteDay).Before(*e.dismissed)) || rng.Float64() > 0.93 {
			e.registered = -1
			continue
		}
		invAt := at(inviteDay, 10)
		used := sql.NullInt64{}
		e.registered = -1
		if rng.Float64() < 0.85 {
			e.registered = inviteDay + rng.IntN(10)
			if e.registered >= o.Days {
				e.registered = -1
			}
		}
		reinvite := e.registered > inviteDay+7
		if e.registered >= 0 && !reinvite {
			used = sql.NullInt64{Int64: at(e.registered, 11), Valid: true}
		}
		invites = append(invites, []any{companyID, e.id, seedHash(rng), invAt, invAt + 14*86400000, used})
		count(MetricInvited, dayOf(inviteDay), "", e)
		if reinvite {
			again := at(inviteDay+7, 10)
			invites = append(invites, []any{companyID, e.id, seedHash(rng), again, again + 14*86400000,
				sql.NullInt64{Int64: at(e.registered, 11), Valid: true}})
		}
		if e.registered < 0 {
			continue
		}
		e.channel = string(staffbot.ChannelTelegram)
		if rng.Float64() < 0.3 {
			e.channel = string(staffbot.ChannelWebchat)
		}
		regAt := at(e.registered, 11)
		ext := fmt.Sprintf("seed-%d-%d", companyID, e.id)
		accounts = append(accounts, []any{companyID, e.id, e.channel, ext, ext, 0, regAt + 60000, regAt})
		consents = append(consents, []any{companyID, e.id, staffbot.ConsentTextVersion, e.channel, regAt + 60000})
		count(MetricRegistered, dayOf(e.registered), e.channel, e)
	}

	// Activity: newcomers write most in their first weeks, the rest now
	// and then. Each active day brings a few messages each way and
	// sometimes a question.
	slugs := make([]string, 0, 12)
	for slug := range o.Articles {
		slugs = append(slugs, slug)
	}
	if len(slugs) == 0 {
		for i := 1; i <= 12; i++ {
			slugs = append(slugs, fmt.Sprintf("art-%d", i))
		}
	}
	slices.Sort(slugs)
	outcomes := []struct {
		name string
		p    float64
	}{{"answered", 0.45}, {"helped", 0.2}, {"disliked", 0.05}, {"offered", 0.1}, {"unknown", 0.12}, {"to_hr", 0.08}}
	sealed, err := s.seedSealedQuestion(ctx, companyID)
	if err != nil {
		return nil, err
	}
	var questions [][]any
	for _, e := range emps {
		if e.registered < 0 {
			continue
		}
		newcomer := e.hired.After(first)
		lastDay, lastWeek, lastMonth := "", "", ""
		for i := e.registered; i < o.Days; i++ {
			d := dayOf(i)
			if e.dismissed != nil && !d.Before(*e.dismissed) {
				break
			}
			p := 0.035
			if newcomer && daysFrom(e.hired, d) < 21 {
				p = 0.45
			}
			if i == e.registered {
				p = 1
			}
			if rng.Float64() >= p {
				continue
			}
			in := 1 + rng.IntN(4)
			counts[[5]string{MetricMessagesIn, d.String(), e.channel, e.dept, e.office}] += int64(in)
			counts[[5]string{MetricMessagesOut, d.String(), e.channel, e.dept, e.office}] += int64(in + 1 + rng.IntN(3))
			count(MetricActiveDay, d, "", e)
			lastDay = d.String()
			if w := WeekStart(d).String(); w != lastWeek {
				lastWeek = w
				count(MetricActiveWeek, WeekStart(d), "", e)
			}
			if m := MonthStart(d).String(); m != lastMonth {
				lastMonth = m
				count(MetricActiveMonth, MonthStart(d), "", e)
			}
			if rng.Float64() < 0.2 {
				x, outcome := rng.Float64(), "answered"
				for _, oc := range outcomes {
					if x < oc.p {
						outcome = oc.name
						break
					}
					x -= oc.p
				}
				slug, band := slugs[rng.IntN(len(slugs))], "high"
				if outcome == "unknown" || outcome == "to_hr" {
					slug, band = "", "none"
				}
				questions = append(questions, []any{companyID, e.id, sealed, "", band, slug, 0.8, outcome, at(i, 12)})
			}
		}
		if lastDay != "" {
			states = append(states, []any{companyID, e.id, lastDay, lastWeek, lastMonth})
		}
	}

	// Broadcast-like messages without a recipient employee, now and then.
	for i := 0; i < o.Days; i += 7 {
		counts[[5]string{MetricMessagesOut, dayOf(i).String(), string(staffbot.ChannelTelegram), "", ""}] += int64(1 + rng.IntN(3))
	}

	err = s.InTx(ctx, func(tx *Tx) error {
		if err := tx.bulkInsert(ctx, "invites", "company_id, employee_id, code_hash, created_at, expires_at, used_at", invites); err != nil {
			return err
		}
		if err := tx.bulkInsert(ctx, "channel_accounts", "company_id, employee_id, kind, external_id, chat_id, blocked, consented_at, registered_at", accounts); err != nil {
			return err
		}
		if err := tx.bulkInsert(ctx, "consents", "company_id, employee_id, text_version, channel, given_at", consents); err != nil {
			return err
		}
		if err := tx.bulkInsert(ctx, "activity_state", "company_id, employee_id, last_day, last_week, last_month", states); err != nil {
			return err
		}
		if err := tx.bulkInsert(ctx, "faq_questions", "company_id, employee_id, text_sealed, terms, band, article_slug, confidence, outcome, created_at", questions); err != nil {
			return err
		}
		// Each count also goes to its department's, office's and the
		// company's sums, as bumpCount does.
		sums := map[[5]string]int64{}
		for k, n := range counts {
			metric, day, channel, dept, office := k[0], k[1], k[2], k[3], k[4]
			for _, place := range [][2]string{{dept, office}, {dept, allPlaces}, {allPlaces, office}, {allPlaces, allPlaces}} {
				sums[[5]string{metric, place[0], place[1], day, channel}] += n
			}
		}
		rows := make([][]any, 0, len(sums))
		for k, n := range sums {
			rows = append(rows, []any{companyID, k[0], k[1], k[2], k[3], k[4], n})
		}
		rep.Counters = len(rows)
		if err := tx.bulkInsert(ctx, "dash_counts", "company_id, metric, department, office, day, channel, n", rows); err != nil {
			return err
		}
		var arts [][]any
		for slug, title := range o.Articles {
			arts = append(arts, []any{companyID, slug, title, "—", 1, millis(first.In(loc)), millis(first.In(loc))})
		}
		return tx.bulkInsert(ctx, "kb_articles", "company_id, slug, title, answer, published, created_at, updated_at", arts)
	})
	if err != nil {
		return nil, fmt.Errorf("seed activity: %w", err)
	}
	rep.Invites, rep.Accounts, rep.Questions = len(invites), len(accounts), len(questions)

	if o.Scenario != "" && len(o.Steps) > 0 {
		if err := s.seedRuns(ctx, companyID, o, rng, emps, first, loc, rep); err != nil {
			return nil, err
		}
	}
	if o.Tickets > 0 {
		if err := s.seedTickets(ctx, companyID, o, rng, emps, first, loc, rep); err != nil {
			return nil, err
		}
	}
	if o.Requests > 0 && len(o.RequestServices) > 0 {
		if err := s.seedServiceRequests(ctx, companyID, o, rng, emps, first, loc, rep); err != nil {
			return nil, err
		}
	}
	// The settled days filed, as the server's report loop would have.
	if err := s.RefreshFAQRollup(ctx, companyID, loc, o.Today.In(loc).Add(12*time.Hour)); err != nil {
		return nil, err
	}
	// Fresh statistics, as a database that grew over a year would have
	// (PostgreSQL's autovacuum keeps them); without them the planner
	// takes the bulk-loaded tables for empty ones. On PostgreSQL the
	// seeded tables are also vacuumed, which marks their pages
	// all-visible as autovacuum would have, so that index-only scans read
	// the index alone.
	analyze := "ANALYZE"
	if s.dialect == Postgres {
		analyze = `VACUUM ANALYZE employees, invites, channel_accounts, consents, activity_state, faq_questions,
			faq_daily_outcomes, faq_daily_articles, dash_counts, kb_articles, scenario_runs, run_events, tasks, tickets,
			service_requests`
	}
	if _, err := s.db.ExecContext(ctx, analyze); err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	return rep, nil
}

// seedRuns gives every registered newcomer an onboarding run as far along
// as their days since hire, with a few stuck in each way HR sees.
func (s *Store) seedRuns(ctx context.Context, companyID staffbot.CompanyID, o SeedOptions, rng *rand.Rand,
	emps []*seedEmployee, first staffbot.Date, loc *time.Location, rep *SeedReport) error {
	now := o.Today.In(loc).Add(12 * time.Hour)
	var runs [][]any
	type plan struct {
		e     *seedEmployee
		step  int
		state string
		stuck string
	}
	var plans []plan
	for _, e := range emps {
		if e.registered < 0 || !e.hired.After(first.AddDays(-90)) {
			continue
		}
		days := daysFrom(e.hired, o.Today)
		step := min(len(o.Steps)-1, max(0, (days+3)*len(o.Steps)/97))
		p := plan{e: e, step: step, state: RunWaiting}
		// One in every twenty runs under way is stuck in each way HR
		// sees: a failed step, a question left unanswered, a task left
		// open.
		switch k := len(plans) % 20; {
		case days >= 93:
			p.state, p.step = RunDone, len(o.Steps)-1
		case k == 3:
			p.state, p.stuck = RunFailed, "failed"
		case k == 8:
			p.state, p.stuck = RunAsking, "question"
		case k == 13:
			p.stuck = "task"
		}
		started := millis(e.hired.AddDays(-3).In(loc).Add(10 * time.Hour))
		if started > millis(now) {
			started = millis(now.Add(-time.Hour))
		}
		updated := millis(now.Add(-time.Duration(rng.IntN(48)) * time.Hour))
		due := sql.NullInt64{}
		switch {
		case p.stuck == "question":
			updated = millis(now.Add(-StuckAfter - time.Duration(1+rng.IntN(96))*time.Hour))
		case p.state == RunWaiting:
			due = sql.NullInt64{Int64: millis(now.Add(time.Duration(24+rng.IntN(24*6)) * time.Hour)), Valid: true}
		}
		runs = append(runs, []any{companyID, e.id, o.Scenario, 1, o.Steps[p.step], p.state, due, "{}", started, updated})
		plans = append(plans, p)
	}
	err := s.InTx(ctx, func(tx *Tx) error {
		return tx.bulkInsert(ctx, "scenario_runs", "company_id, employee_id, scenario, version, step, state, due_at, vars, started_at, updated_at", runs)
	})
	if err != nil {
		return err
	}
	rep.Runs = len(runs)

	ids := map[staffbot.EmployeeID]int64{}
	rows, err := s.query(ctx, "SELECT employee_id, id FROM scenario_runs WHERE company_id = ? AND scenario = ?", companyID, o.Scenario)
	if err != nil {
		return err
	}
	for rows.Next() {
		var (
			emp staffbot.EmployeeID
			id  int64
		)
		if err := rows.Scan(&emp, &id); err != nil {
			rows.Close()
			return err
		}
		ids[emp] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	var events, tasks [][]any
	for _, p := range plans {
		runID := ids[p.e.id]
		start := millis(p.e.hired.AddDays(-3).In(loc).Add(10 * time.Hour))
		events = append(events, []any{companyID, runID, o.Steps[0], EventStarted, "version", "1", start})
		last := p.step
		if p.state == RunDone {
			last = len(o.Steps)
		}
		for i := 0; i < last; i++ {
			if name := o.Marks[o.Steps[i]]; name != "" {
				events = append(events, []any{companyID, runID, o.Steps[i], EventMark, name, "yes",
					start + int64(i)*86400000*93/int64(len(o.Steps))})
			}
		}
		// The mentor's task from the first week: done, or open and, for a
		// run stuck on it, overdue.
		if last > len(o.Steps)/3 || p.stuck == "task" {
			created := millis(p.e.hired.AddDays(4).In(loc).Add(15 * time.Hour))
			if p.stuck == "task" {
				created = millis(now.Add(-StuckAfter - time.Duration(1+rng.IntN(72))*time.Hour))
			}
			status, done := TaskDone, sql.NullInt64{Int64: created + 86400000, Valid: true}
			if p.stuck == "task" {
				status, done = TaskOpen, sql.NullInt64{}
			}
			var mentor sql.NullInt64
			for _, who := range []*staffbot.EmployeeID{p.e.mentor, p.e.manager} {
				if who != nil && !mentor.Valid {
					mentor = sql.NullInt64{Int64: int64(*who), Valid: true}
				}
			}
			tasks = append(tasks, []any{companyID, runID, o.Steps[min(len(o.Steps)-1, len(o.Steps)/3)], p.e.id, mentor, "mentor",
				"Провести встречу по итогам первой недели", status, created, done})
		}
		if p.stuck == "failed" {
			events = append(events, []any{companyID, runID, o.Steps[p.step], EventFailed, "", "step failed", millis(now.Add(-30 * time.Hour))})
		}
	}
	err = s.InTx(ctx, func(tx *Tx) error {
		if err := tx.bulkInsert(ctx, "run_events", "company_id, run_id, step, kind, name, value, at", events); err != nil {
			return err
		}
		return tx.bulkInsert(ctx, "tasks", "company_id, run_id, step, subject_id, assignee_id, role, title, status, created_at, done_at", tasks)
	})
	rep.Events, rep.Tasks = len(events), len(tasks)
	return err
}

// seedEmployees creates o.Employees employees, a manager per department.
func (s *Store) seedEmployees(ctx context.Context, companyID staffbot.CompanyID, o SeedOptions, rng *rand.Rand, first staffbot.Date) error {
	depts, offices := o.Departments, o.Offices
	if len(depts) == 0 {
		depts = []string{"Продажи", "Склад", "ИТ-отдел", "Бухгалтерия", "HR", "Производство", "Логистика", "Юридический отдел"}
	}
	if len(offices) == 0 {
		offices = []string{"Москва", "Санкт-Петербург", "Екатеринбург", "Новосибирск"}
	}
	now := millis(time.Now())
	var rows [][]any
	for i := 0; i < o.Employees; i++ {
		hired := first.AddDays(-rng.IntN(5 * 365))
		if rng.Float64() < 0.06 {
			hired = first.AddDays(rng.IntN(o.Days + 30))
		}
		var dismissed sql.NullString
		if rng.Float64() < 0.04 {
			d := first.AddDays(rng.IntN(o.Days))
			if d.After(hired) {
				dismissed = sql.NullString{String: d.String(), Valid: true}
			}
		}
		rows = append(rows, []any{companyID, fmt.Sprintf("S%06d", i+1), seedName(rng),
			seedPositions[rng.IntN(len(seedPositions))], depts[rng.IntN(len(depts))], offices[rng.IntN(len(offices))],
			hired.String(), dismissed, now, now})
	}
	err := s.InTx(ctx, func(tx *Tx) error {
		return tx.bulkInsert(ctx, "employees",
			"company_id, personnel_number, full_name, position, department, office, hired_on, dismissed_on, created_at, updated_at", rows)
	})
	if err != nil {
		return err
	}
	// The first employee of each department manages the others.
	return s.InTx(ctx, func(tx *Tx) error {
		for _, d := range depts {
			var boss sql.NullInt64
			if err := tx.queryRow(ctx, "SELECT min(id) FROM employees WHERE company_id = ? AND department = ?", companyID, d).Scan(&boss); err != nil {
				return err
			}
			if !boss.Valid {
				continue
			}
			_, err := tx.exec(ctx, "UPDATE employees SET manager_id = ? WHERE company_id = ? AND department = ? AND id <> ? AND manager_id IS NULL",
				boss.Int64, companyID, d, boss.Int64)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) seedLoadEmployees(ctx context.Context, companyID staffbot.CompanyID, skip []string) ([]*seedEmployee, error) {
	rows, err := s.query(ctx, `SELECT id, personnel_number, department, office, hired_on, dismissed_on, manager_id, mentor_id FROM employees
		WHERE company_id = ? ORDER BY id`, companyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*seedEmployee
	for rows.Next() {
		var (
			e         seedEmployee
			hired     string
			dismissed sql.NullString
			manager   sql.NullInt64
			mentor    sql.NullInt64
		)
		if err := rows.Scan(&e.id, &e.number, &e.dept, &e.office, &hired, &dismissed, &manager, &mentor); err != nil {
			return nil, err
		}
		if containsString(skip, e.number) {
			continue
		}
		if e.hired, err = staffbot.ParseDate(hired); err != nil {
			return nil, err
		}
		if dismissed.Valid {
			d, err := staffbot.ParseDate(dismissed.String)
			if err != nil {
				return nil, err
			}
			e.dismissed = &d
		}
		if manager.Valid {
			id := staffbot.EmployeeID(manager.Int64)
			e.manager = &id
		}
		if mentor.Valid {
			id := staffbot.EmployeeID(mentor.Int64)
			e.mentor = &id
		}
		out = append(out, &e)
	}
	return out, rows.Err()
}

func (s *Store) seedLocation(ctx context.Context, companyID staffbot.CompanyID) (*time.Location, error) {
	var tz string
	if err := s.queryRow(ctx, "SELECT time_zone FROM companies WHERE id = ?", companyID).Scan(&tz); err != nil {
		return nil, notFound(err, fmt.Sprintf("company %d", companyID))
	}
	co := staffbot.Company{TimeZone: tz}
	return co.Location(), nil
}

// seedSealedQuestion seals one placeholder text that every seeded question
// shares.
func (s *Store) seedSealedQuestion(ctx context.Context, companyID staffbot.CompanyID) (string, error) {
	var sealed string
	err := s.InTx(ctx, func(tx *Tx) error {
		var err error
		sealed, err = tx.SealValue(ctx, companyID, fieldFAQQuestion, "Вопрос из демонстрационных данных")
		return err
	})
	return sealed, err
}

// Parts of synthetic names: surnames with their feminine forms, given
// names and patronymics.
var (
	seedSurnames = [][2]string{{"Смирнов", "Смирнова"}, {"Кузнецов", "Кузнецова"}, {"Попов", "Попова"}, {"Васильев", "Васильева"},
		{"Соколов", "Соколова"}, {"Михайлов", "Михайлова"}, {"Новиков", "Новикова"}, {"Фёдоров", "Фёдорова"}, {"Морозов", "Морозова"},
		{"Волков", "Волкова"}, {"Алексеев", "Алексеева"}, {"Лебедев", "Лебедева"}, {"Семёнов", "Семёнова"}, {"Егоров", "Егорова"},
		{"Павлов", "Павлова"}, {"Козлов", "Козлова"}, {"Степанов", "Степанова"}, {"Николаев", "Николаева"}, {"Орлов", "Орлова"},
		{"Андреев", "Андреева"}, {"Макаров", "Макарова"}, {"Никитин", "Никитина"}, {"Захаров", "Захарова"}, {"Зайцев", "Зайцева"}}
	seedMen         = []string{"Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Артём", "Илья", "Кирилл", "Михаил", "Никита", "Иван"}
	seedWomen       = []string{"Анна", "Мария", "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Екатерина", "Светлана", "Юлия", "Дарья", "Алина"}
	seedPatronymics = [][2]string{{"Александрович", "Александровна"}, {"Сергеевич", "Сергеевна"}, {"Андреевич", "Андреевна"},
		{"Викторович", "Викторовна"}, {"Игоревич", "Игоревна"}, {"Олегович", "Олеговна"}, {"Павлович", "Павловна"}, {"Юрьевич", "Юрьевна"}}
	seedPositions = []string{"Специалист", "Менеджер", "Инженер", "Аналитик", "Кладовщик", "Бухгалтер", "Оператор", "Ведущий специалист"}
)

func seedName(rng *rand.Rand) string {
	g := rng.IntN(2)
	given := seedMen[rng.IntN(len(seedMen))]
	if g == 1 {
		given = seedWomen[rng.IntN(len(seedWomen))]
	}
	return seedSurnames[rng.IntN(len(seedSurnames))][g] + " " + given + " " + seedPatronymics[rng.IntN(len(seedPatronymics))][g]
}

func seedHash(rng *rand.Rand) string {
	return fmt.Sprintf("seed%016x%016x", rng.Uint64(), rng.Uint64())
}

func daysFrom(a, b staffbot.Date) int {
	return int(b.In(time.UTC).Sub(a.In(time.UTC)).Hours() / 24)
}

// bulkInsert writes rows with multi-row INSERTs, bypassing the statement
// cache; each row has one value per column.
func (t *Tx) bulkInsert(ctx context.Context, table, columns string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	ncol := len(strings.Split(columns, ","))
	per := max(1, 30000/ncol)
	one := "(" + placeholders(ncol) + ")"
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + columns + ") VALUES ")
		args := make([]any, 0, (end-start)*ncol)
		for i, r := range rows[start:end] {
			if len(r) != ncol {
				return fmt.Errorf("bug: %s row has %d values for %d columns", table, len(r), ncol)
			}
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(one)
			args = append(args, r...)
		}
		if _, err := t.tx.ExecContext(ctx, t.s.rebind(b.String()), args...); err != nil {
			return fmt.Errorf("insert %s: %w", table, err)
		}
	}
	return nil
}
