package demo

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/faq"
	"github.com/staffbot/staffbot/internal/helpdesk"
	"github.com/staffbot/staffbot/internal/scenario"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/scenarios"
)

// HistoryDays is how far back the demo's history goes.
const HistoryDays = 28

//go:embed kb.json
var kbJSON []byte

// History counts what seedHistory wrote.
type History struct {
	Articles, Newcomers, Invites, Accounts, ActiveDays, MessagesIn, MessagesOut int
	Questions, Runs, Tasks, Tickets, ServiceRequests                            int
}

// newcomers are the demo's synthetic hires of the last weeks: they make
// the onboarding dashboard's cohort. Nobody real.
var newcomers = []struct {
	number, name, position, department string
	hiredAgo                           int // days before today
}{
	{"00501", "Орлов Максим Игоревич", "Менеджер по продажам", "Отдел продаж", 26},
	{"00502", "Белова Ксения Романовна", "Бухгалтер", "Бухгалтерия", 22},
	{"00503", "Соколов Артём Денисович", "Кладовщик", "Склад", 17},
	{"00504", "Морозова Алина Сергеевна", "Тестировщик", "ИТ-отдел", 12},
	{"00505", "Волков Егор Павлович", "Водитель-экспедитор", "Склад", 8},
	{"00506", "Зайцева Полина Олеговна", "Специалист по подбору", "HR-служба", 4},
}

// unanswerable are questions the demo knowledge base has no article for.
var unanswerable = []string{
	"Можно ли привести собаку в офис?",
	"Когда корпоратив в этом году?",
	"Где взять пропуск на парковку для гостя?",
	"Будет ли у нас спортзал?",
	"Как поменять место в опенспейсе?",
}

// SeedHistory gives the demo company, just created by Ensure, a few weeks
// of history for its dashboards (see seedHistory). The newcomer, her
// mentor and her manager are left for the visitor to invite.
func SeedHistory(ctx context.Context, st *store.Store, co *staffbot.Company, now time.Time) (*History, error) {
	return seedHistory(ctx, st, co, now, NewcomerNumber, MentorNumber, ManagerNumber)
}

// seedHistory writes HistoryDays of plausible activity for the demo
// company through the store functions the product itself uses: the
// knowledge base, a few newcomers, invites and registrations on both
// channels, messages both ways, questions in the chat with their
// outcomes, onboarding runs with their marks and mentors' tasks, tickets
// with ratings and self-service requests. It is deterministic for a given
// now (a seeded generator), apart from the secret invite codes, and runs
// once, when the company is created. The people skipped (the newcomer and
// her mentor and manager the demo invites) are left for the visitor.
func seedHistory(ctx context.Context, st *store.Store, co *staffbot.Company, now time.Time, skip ...string) (*History, error) {
	h := &History{}
	loc := co.Location()
	today := staffbot.DateOf(now.In(loc))
	first := today.AddDays(-HistoryDays)
	rng := rand.New(rand.NewPCG(20261204, uint64(first.Year*10000+int(first.Month)*100+first.Day)))
	at := func(d staffbot.Date, hour int) time.Time {
		t := d.In(loc).Add(time.Duration(hour)*time.Hour + time.Duration(rng.IntN(3600))*time.Second)
		if limit := now.Add(-time.Minute); t.After(limit) {
			return limit
		}
		return t
	}

	// The knowledge base, published, as 'staffbot kb import' writes it.
	file, err := faq.ReadFile(bytes.NewReader(kbJSON))
	if err != nil {
		return nil, fmt.Errorf("demo knowledge base: %w", err)
	}
	arts := make([]*store.KBArticle, 0, len(file))
	for _, fa := range file {
		arts = append(arts, &store.KBArticle{Slug: fa.ID, Title: fa.Title, Questions: fa.Questions, Answer: fa.Answer,
			Tags: fa.Tags, Category: fa.Category, Published: !fa.Draft})
	}
	if _, err := st.ImportKB(ctx, co.ID, arts, "demo", first.In(loc)); err != nil {
		return nil, fmt.Errorf("demo knowledge base: %w", err)
	}
	h.Articles = len(arts)

	// Newcomers of the last weeks, as a staff import creates them.
	in := make([]store.EmployeeImport, 0, len(newcomers))
	for _, n := range newcomers {
		in = append(in, store.EmployeeImport{Employee: staffbot.Employee{PersonnelNumber: n.number, FullName: n.name,
			Position: n.position, Department: n.department, Office: "Москва, Лесная 5", HiredOn: today.AddDays(-n.hiredAgo)},
			MentorNumber: MentorNumber})
	}
	if _, err := st.UpsertEmployees(ctx, co.ID, in, first.In(loc)); err != nil {
		return nil, fmt.Errorf("demo newcomers: %w", err)
	}
	h.Newcomers = len(in)

	all, err := st.FindEmployees(ctx, co.ID, store.EmployeeFilter{})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(all, func(a, b *staffbot.Employee) int { return strings.Compare(a.PersonnelNumber, b.PersonnelNumber) })
	var people []*registered
	for _, e := range all {
		if slices.Contains(skip, e.PersonnelNumber) || !e.Active(first) && e.HiredOn.Before(first) {
			continue
		}
		if e.HiredOn.After(today) {
			continue
		}
		people = append(people, &registered{e: e, newcomer: !e.HiredOn.Before(first)})
	}

	// Invites: a wave on the first day for the staff, three days before
	// the first day for newcomers; most register within a week, on
	// Telegram or in the web chat.
	for i, m := range people {
		inviteDay := first
		if m.newcomer {
			if inviteDay = m.e.HiredOn.AddDays(-3); inviteDay.Before(first) {
				inviteDay = first
			}
		}
		code := staffbot.NewInviteCode()
		invAt := at(inviteDay, 10)
		if _, err := st.CreateInvite(ctx, co.ID, m.e.ID, staffbot.HashInviteCode(code), invAt, staffbot.DefaultInviteTTL); err != nil {
			return nil, err
		}
		h.Invites++
		if rng.Float64() > 0.85 && !m.newcomer {
			continue // has not joined yet
		}
		m.regDay = inviteDay.AddDays(rng.IntN(7))
		if m.regDay.After(today) {
			m.regDay = today
		}
		regAt := at(m.regDay, 11)
		if regAt.Before(invAt) {
			regAt = invAt.Add(time.Minute)
		}
		kind, ext := staffbot.ChannelTelegram, fmt.Sprintf("demo-tg-%d", i+1)
		if rng.Float64() < 0.35 {
			kind, ext = staffbot.ChannelWebchat, fmt.Sprintf("demo-web-%016x", rng.Uint64())
		}
		m.acct = &staffbot.ChannelAccount{Kind: kind, ExternalID: ext, ChatID: ext}
		err := st.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.RedeemInvite(ctx, co.ID, staffbot.HashInviteCode(code), m.acct, regAt, m.regDay); err != nil {
				return err
			}
			return tx.GiveConsent(ctx, m.acct, staffbot.ConsentTextVersion, regAt.Add(time.Minute))
		})
		if err != nil {
			return nil, fmt.Errorf("demo registration: %w", err)
		}
		h.Accounts++
	}

	// Every day: who writes to the bot, the replies, and now and then a
	// question for the knowledge base.
	outcomes := []struct {
		name string
		p    float64
	}{{store.FAQAnswered, 0.45}, {store.FAQHelped, 0.2}, {store.FAQDisliked, 0.05}, {store.FAQOffered, 0.1}, {store.FAQUnknown, 0.12}, {store.FAQToHR, 0.08}}
	replies := []string{"Готово!", "Спасибо, записал.", "Вот что я нашёл:", "Напомню завтра утром."}
	for d := first; !d.After(today); d = d.AddDays(1) {
		var sent []int64
		err := st.InTx(ctx, func(tx *store.Tx) error {
			sent = sent[:0]
			for _, m := range people {
				if m.acct == nil || d.Before(m.regDay) {
					continue
				}
				p := 0.08
				if m.newcomer && d.Before(m.e.HiredOn.AddDays(21)) {
					p = 0.5
				}
				if d == m.regDay {
					p = 1
				}
				if rng.Float64() >= p {
					continue
				}
				h.ActiveDays++
				when := at(d, 9+rng.IntN(9))
				for range 1 + rng.IntN(3) {
					if err := tx.RecordActivity(ctx, co.ID, m.e, m.acct.Kind, d); err != nil {
						return err
					}
					h.MessagesIn++
				}
				for range 2 + rng.IntN(3) {
					id, err := tx.Enqueue(ctx, co.ID, &m.acct.ID, m.acct.Kind, m.acct.ChatID,
						channel.Outgoing{Text: replies[rng.IntN(len(replies))]}, when)
					if err != nil {
						return err
					}
					sent = append(sent, id)
					h.MessagesOut++
				}
				if rng.Float64() >= 0.3 {
					continue
				}
				x, outcome := rng.Float64(), store.FAQAnswered
				for _, oc := range outcomes {
					if x < oc.p {
						outcome = oc.name
						break
					}
					x -= oc.p
				}
				q := &store.FAQQuestion{CompanyID: co.ID, EmployeeID: m.e.ID, Outcome: outcome, CreatedAt: when}
				if outcome == store.FAQUnknown || outcome == store.FAQToHR {
					q.Text, q.Band = unanswerable[rng.IntN(len(unanswerable))], "none"
				} else {
					a := arts[rng.IntN(len(arts))]
					q.ArticleSlug, q.Band, q.Confidence = a.Slug, "high", 0.7+0.3*rng.Float64()
					if len(a.Questions) > 0 {
						q.Text = a.Questions[rng.IntN(len(a.Questions))]
					} else {
						q.Text = a.Title
					}
				}
				q.Terms = strings.Fields(strings.ToLower(strings.Trim(q.Text, "?!. ")))
				if err := tx.CreateFAQQuestion(ctx, q); err != nil {
					return err
				}
				// As the bot does: a question it could not answer is a gap
				// of the knowledge base, for the cabinet's page of them.
				if q.Band == "none" {
					if _, err := tx.RecordFAQGap(ctx, q, store.GapUnanswered, when); err != nil {
						return err
					}
				}
				h.Questions++
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("demo activity on %s: %w", d, err)
		}
		// Delivered long ago: the dispatcher has nothing to send.
		if err := st.MarkOutboxSentAll(ctx, sent, at(d, 18)); err != nil {
			return nil, err
		}
	}

	if err := seedOnboarding(ctx, st, co, now, people, h); err != nil {
		return nil, err
	}
	if err := seedHelpdesk(ctx, st, co, now, rng, people, h); err != nil {
		return nil, err
	}

	// The settled days filed and the counters written, as the server's
	// report loop would have done.
	if err := st.RefreshFAQRollup(ctx, co.ID, loc, now); err != nil {
		return nil, err
	}
	if err := st.FlushCounts(ctx); err != nil {
		return nil, err
	}
	return h, nil
}

// registered is an employee of the history, with the account they
// registered (nil: not yet) and the day.
type registered struct {
	e        *staffbot.Employee
	acct     *staffbot.ChannelAccount
	regDay   staffbot.Date
	newcomer bool
}

// seedOnboarding gives each registered newcomer an onboarding run as far
// along as their days since the invite, with the marks of the steps passed
// and the mentor's task of the first week: one run waits for an answer too
// long, so that HR sees a stuck newcomer. No run is due, so the demo sends
// them nothing.
func seedOnboarding(ctx context.Context, st *store.Store, co *staffbot.Company, now time.Time, people []*registered, h *History) error {
	defs, err := scenario.LoadFS(scenarios.FS)
	if err != nil {
		return err
	}
	var def *scenario.Scenario
	for _, d := range defs {
		if d.ID == "onboarding" {
			def = d
		}
	}
	if def == nil || len(def.Steps) == 0 {
		return fmt.Errorf("demo: no shipped onboarding scenario")
	}
	mentor, err := st.FindEmployeeByNumber(ctx, co.ID, MentorNumber)
	if err != nil {
		return err
	}
	loc := co.Location()
	today := staffbot.DateOf(now.In(loc))
	stuck := false
	for _, p := range people {
		if !p.newcomer || p.acct == nil {
			continue
		}
		start := p.e.HiredOn.AddDays(-3).In(loc).Add(10 * time.Hour)
		days := int(now.Sub(start).Hours() / 24)
		// The scenario runs about three months; these are in its first one.
		step := min(len(def.Steps)-2, max(0, days*len(def.Steps)/97))
		r := &store.Run{CompanyID: co.ID, EmployeeID: p.e.ID, Scenario: def.ID, Version: def.Version,
			Step: def.Steps[step].ID, State: store.RunAsking, StartedAt: start, UpdatedAt: now.Add(-2 * time.Hour)}
		if !stuck && days > 10 {
			// Asked days ago, no answer since: the dashboard's stuck list.
			stuck = true
			r.UpdatedAt = now.Add(-store.StuckAfter - 20*time.Hour)
		}
		err := st.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.CreateRun(ctx, r); err != nil {
				return err
			}
			if err := tx.AddRunEvent(ctx, co.ID, r.ID, store.RunEvent{Step: def.Steps[0].ID, Kind: store.EventStarted,
				Name: "version", Value: fmt.Sprint(def.Version), At: start}); err != nil {
				return err
			}
			for i := 0; i < step; i++ {
				if m := def.Steps[i].Mark; m != nil {
					ev := store.RunEvent{Step: def.Steps[i].ID, Kind: store.EventMark, Name: m.Name, Value: m.Value,
						At: start.Add(time.Duration(i) * now.Sub(start) / time.Duration(step+1))}
					if err := tx.AddRunEvent(ctx, co.ID, r.ID, ev); err != nil {
						return err
					}
				}
			}
			if today.Before(p.e.HiredOn.AddDays(1)) {
				return nil
			}
			// The mentor's meeting in the first week: done once the week is over.
			task := &store.Task{CompanyID: co.ID, RunID: &r.ID, Step: def.Steps[step/2].ID, SubjectID: p.e.ID,
				AssigneeID: &mentor.ID, Role: "mentor", Title: "Провести встречу по итогам первой недели",
				Status: store.TaskOpen, CreatedAt: p.e.HiredOn.In(loc).Add(15 * time.Hour)}
			if err := tx.CreateTask(ctx, task); err != nil {
				return err
			}
			h.Tasks++
			if today.After(p.e.HiredOn.AddDays(7)) {
				_, err := tx.CompleteTask(ctx, co.ID, task.ID, p.e.HiredOn.AddDays(6).In(loc).Add(17*time.Hour))
				return err
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("demo onboarding: %w", err)
		}
		h.Runs++
	}
	return nil
}

// seedHelpdesk opens a few tickets, most answered, resolved and rated, and
// a few self-service requests in each state.
func seedHelpdesk(ctx context.Context, st *store.Store, co *staffbot.Company, now time.Time, rng *rand.Rand, people []*registered, h *History) error {
	cats, err := st.FindTicketCategories(ctx, co.ID)
	if err != nil {
		return err
	}
	if len(cats) == 0 {
		err := st.InTx(ctx, func(tx *store.Tx) error {
			for i, c := range helpdesk.DefaultCategories {
				c.CompanyID, c.Position, c.AssignMode = co.ID, i+1, store.AssignRoundRobin
				if _, err := tx.CreateTicketCategory(ctx, &c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if cats, err = st.FindTicketCategories(ctx, co.ID); err != nil {
			return err
		}
	}
	bySlug := map[string]int64{}
	for _, c := range cats {
		bySlug[c.Slug] = c.ID
	}
	tickets := []struct {
		category, subject, reply string
		daysAgo, rating          int // rating 0: not rated
		status                   store.TicketStatus
	}{
		{"pay", "Не пришла премия за квартал", "Премия будет в зарплате 10-го числа, приказ подписан.", 20, 5, store.TicketClosed},
		{"docs", "Нужна справка с места работы для банка", "Справка готова, забрать можно в отделе кадров.", 16, 4, store.TicketClosed},
		{"access", "Не работает VPN из дома", "Перевыпустили сертификат, попробуйте снова.", 11, 3, store.TicketClosed},
		{"leave", "Можно ли перенести отпуск на август?", "Да, согласуйте с руководителем и подайте заявление.", 6, 5, store.TicketResolved},
		{"other", "Где получить новый пропуск?", "", 1, 0, store.TicketOpen},
	}
	var regs []*registered
	for _, p := range people {
		if p.acct != nil {
			regs = append(regs, p)
		}
	}
	if len(regs) == 0 {
		return nil
	}
	for i, tk := range tickets {
		p := regs[(i*7)%len(regs)]
		created := now.Add(-time.Duration(tk.daysAgo)*24*time.Hour - time.Duration(rng.IntN(6))*time.Hour)
		category, ok := bySlug[tk.category]
		if !ok {
			category = cats[len(cats)-1].ID // a company that renamed the defaults
		}
		t := &store.Ticket{CompanyID: co.ID, EmployeeID: p.e.ID, CategoryID: category, Subject: tk.subject,
			Status: store.TicketNew, Source: "chat", Channel: p.acct.Kind, AccountID: &p.acct.ID, CreatedAt: created}
		err := st.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateTicket(ctx, t); err != nil {
				return err
			}
			if _, err := tx.AppendTicketMessage(ctx, &store.TicketMessage{CompanyID: co.ID, TicketID: t.ID, Kind: store.MessageEmployee,
				AuthorKind: string(staffbot.ActorEmployee), AuthorID: fmt.Sprint(p.e.ID), Body: tk.subject, CreatedAt: created}); err != nil {
				return err
			}
			if tk.reply == "" {
				return nil
			}
			replied := created.Add(time.Duration(1+rng.IntN(3)) * time.Hour)
			if _, err := tx.AppendTicketMessage(ctx, &store.TicketMessage{CompanyID: co.ID, TicketID: t.ID, Kind: store.MessageReply,
				AuthorKind: string(staffbot.ActorUser), AuthorID: "hr@demo.local", Body: tk.reply, CreatedAt: replied}); err != nil {
				return err
			}
			t.Status, t.FirstResponseAt, t.UpdatedAt = tk.status, &replied, replied
			resolved := replied.Add(time.Hour)
			t.ResolvedAt = &resolved
			if tk.status == store.TicketClosed {
				closed := resolved.Add(24 * time.Hour)
				t.ClosedAt, t.UpdatedAt = &closed, closed
			}
			if tk.rating > 0 {
				rating, rated := tk.rating, resolved.Add(30*time.Minute)
				t.Rating, t.RatedAt = &rating, &rated
			}
			return tx.UpdateTicket(ctx, t)
		})
		if err != nil {
			return fmt.Errorf("demo ticket: %w", err)
		}
		h.Tickets++
	}

	requests := []struct {
		key, fulfil, status, outcome string
		daysAgo                      int
	}{
		{"vacation_balance", store.FulfilAuto, store.ServiceRequestClosed, "delivered", 18},
		{"employment_certificate", store.FulfilHR, store.ServiceRequestClosed, "delivered", 13},
		{"payslip", store.FulfilAuto, store.ServiceRequestClosed, "delivered", 9},
		{"income_certificate", store.FulfilHR, store.ServiceRequestReady, "", 3},
		{"employment_certificate", store.FulfilHR, store.ServiceRequestNew, "", 1},
	}
	for i, rq := range requests {
		p := regs[(i*5+3)%len(regs)]
		created := now.Add(-time.Duration(rq.daysAgo)*24*time.Hour - time.Duration(rng.IntN(6))*time.Hour)
		submitted := created.Add(2 * time.Minute)
		r := &store.ServiceRequest{CompanyID: co.ID, EmployeeID: p.e.ID, AccountID: &p.acct.ID, ServiceKey: rq.key,
			Fulfilment: rq.fulfil, Status: rq.status, Outcome: rq.outcome, Lang: "ru", CreatedAt: created, UpdatedAt: submitted,
			SubmittedAt: &submitted}
		if rq.status != store.ServiceRequestNew {
			ready := submitted.Add(time.Duration(1+rng.IntN(20)) * time.Hour)
			r.ReadyAt, r.UpdatedAt = &ready, ready
			if rq.status == store.ServiceRequestClosed {
				r.ClosedAt = &ready
			}
		}
		if err := st.InTx(ctx, func(tx *store.Tx) error { return tx.CreateServiceRequest(ctx, r) }); err != nil {
			return fmt.Errorf("demo service request: %w", err)
		}
		h.ServiceRequests++
	}
	return nil
}
