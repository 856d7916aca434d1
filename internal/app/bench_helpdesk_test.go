package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/store"
)

// benchOperators answer at once in the reply benchmark, each on a ticket
// of their own; benchWriters open tickets at once in the chat benchmark.
const (
	benchOperators = 8
	benchWriters   = 32
)

// BenchmarkHelpdesk_ReplyToTelegram measures an operator's reply through
// the REST API until the fake Bot API has accepted the message for the
// employee: one operator at a time, and 8 operators answering at once,
// each waiting for their message to arrive before the next reply:
//
//	go test -run '^$' -bench Helpdesk -benchtime 2000x ./internal/app
func BenchmarkHelpdesk_ReplyToTelegram(b *testing.B) {
	for _, db := range benchDatabases() {
		b.Run(db+"/Operators1", func(b *testing.B) { benchReply(b, db, 1) })
		b.Run(db+"/Operators8", func(b *testing.B) { benchReply(b, db, benchOperators) })
	}
}

// BenchmarkHelpdesk_TicketsFromChat measures how many tickets a second the
// server accepts from the chat: 32 employees at once each press "Написать
// в HR", write their question and pick the category (three webhook
// updates, each answered by the bot); a ticket counts when the third
// update is accepted.
func BenchmarkHelpdesk_TicketsFromChat(b *testing.B) {
	for _, db := range benchDatabases() {
		b.Run(db, func(b *testing.B) { benchTickets(b, db) })
	}
}

// benchHelpdesk finds the bench company and opens its helpdesk as an
// owner would.
func benchHelpdesk(b *testing.B, env *benchEnv) (*staffbot.Company, *auth.Principal, []*store.TicketCategory) {
	b.Helper()
	co, err := env.app.Store.FindCompanyBySlug(b.Context(), "acme")
	if err != nil {
		b.Fatal(err)
	}
	owner := &auth.Principal{CompanyID: co.ID, Role: auth.RoleOwner}
	cats, err := env.app.Helpdesk.Categories(b.Context(), owner)
	if err != nil {
		b.Fatal(err)
	}
	return co, owner, cats
}

func benchReply(b *testing.B, db string, operators int) {
	env := newBenchEnv(b, db)
	co, _, _ := benchHelpdesk(b, env)
	svc := auth.New(env.app.Store, staffbot.SystemClock{}, auth.Options{Logger: slog.New(slog.DiscardHandler), Argon2: fastArgon})
	token, _, err := svc.CreateToken(b.Context(), nil, co.ID, auth.NewToken{Role: auth.RoleHROperator})
	if err != nil {
		b.Fatal(err)
	}

	// A ticket per operator, each from its own employee.
	ids := make([]int64, operators)
	for i := range ids {
		emp, err := env.app.Store.FindEmployeeByNumber(b.Context(), co.ID, fmt.Sprintf("%05d", i+1))
		if err != nil {
			b.Fatal(err)
		}
		err = env.app.Store.InTx(b.Context(), func(tx *store.Tx) error {
			tk, err := env.app.Helpdesk.OpenFromEscalation(b.Context(), tx, co, emp, "Вопрос про отпуск", "leave")
			if err == nil {
				ids[i] = tk.ID
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	env.app.Dispatcher.Wake()
	if err := env.tap.wait(operators, 10*time.Second); err != nil {
		b.Fatal(err)
	}
	env.tap.reset()

	base := env.hookURL[:len(env.hookURL)-len("/telegram/webhook/acme")]
	hc := benchClient(operators)
	reply := func(op, n int) {
		body, _ := json.Marshal(map[string]any{"text": fmt.Sprintf("Ответ %d: отпускные придут за три дня до отпуска.", n)})
		req, _ := http.NewRequest("POST", base+"/api/v1/tickets/"+strconv.FormatInt(ids[op], 10)+"/replies", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		replied := make(chan struct{}, 1)
		env.tap.posted(env.chats[op], time.Now(), replied)
		resp, err := hc.Do(req)
		if err != nil {
			b.Error(err)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			b.Errorf("reply: status %d", resp.StatusCode)
			return
		}
		select {
		case <-replied:
		case <-time.After(30 * time.Second):
			b.Errorf("operator %d: reply %d never reached Telegram", op, n)
		}
	}

	jobs := make(chan int)
	var wg sync.WaitGroup
	for op := range operators {
		wg.Go(func() {
			for n := range jobs {
				reply(op, n)
			}
		})
	}
	cpu0 := cpuTime()
	start := time.Now()
	n := 0
	for b.Loop() {
		jobs <- n
		n++
	}
	close(jobs)
	wg.Wait()
	st := env.tap.stats(start)
	b.ReportMetric(st.rate, "replies/s")
	b.ReportMetric(ms(st.p50), "p50-ms")
	b.ReportMetric(ms(st.p99), "p99-ms")
	b.ReportMetric(ms(st.max), "max-ms")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(n), "cpu-µs/reply")

	// Every reply is stored once and in order, on every ticket.
	var total int
	for _, id := range ids {
		msgs, err := env.app.Store.FindTicketMessages(b.Context(), co.ID, id, 0, false)
		if err != nil {
			b.Fatal(err)
		}
		for i, m := range msgs {
			if i > 0 && m.Seq <= msgs[i-1].Seq {
				b.Fatalf("ticket %d: seq %d after %d", id, m.Seq, msgs[i-1].Seq)
			}
		}
		total += len(msgs) - 1
	}
	if total != n {
		b.Errorf("replies stored = %d, want %d", total, n)
	}
}

func benchTickets(b *testing.B, db string) {
	env := newBenchEnv(b, db)
	co, _, cats := benchHelpdesk(b, env)
	var leave int64
	for _, c := range cats {
		if c.Slug == "leave" {
			leave = c.ID
		}
	}
	hc := benchClient(benchWriters)
	open := func(chat int64) {
		for _, u := range []json.RawMessage{
			env.tg.CallbackUpdate(chat, "hd:new"),
			env.tg.TextUpdate(chat, "Когда придут отпускные? Ухожу в отпуск с понедельника."),
			env.tg.CallbackUpdate(chat, "hd:cat:"+strconv.FormatInt(leave, 10)),
		} {
			if err := env.post(hc, u); err != nil {
				b.Error(err)
				return
			}
		}
	}

	// Each writer opens one ticket to warm up before the clock starts.
	jobs := make(chan int64)
	var wg, warm sync.WaitGroup
	warm.Add(benchWriters)
	for w := range benchWriters {
		wg.Go(func() {
			open(env.chats[w])
			warm.Done()
			for range jobs {
				open(env.chats[w])
			}
		})
	}
	warm.Wait()
	before, err := env.app.Store.FindTickets(b.Context(), co.ID, store.TicketFilter{})
	if err != nil {
		b.Fatal(err)
	}
	cpu0 := cpuTime()
	start := time.Now()
	n := 0
	for b.Loop() {
		jobs <- 0
		n++
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	b.ReportMetric(float64(n)/elapsed.Seconds(), "tickets/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(n), "cpu-µs/ticket")

	after, err := env.app.Store.FindTickets(b.Context(), co.ID, store.TicketFilter{})
	if err != nil {
		b.Fatal(err)
	}
	if got := len(after) - len(before); got != n {
		b.Errorf("tickets opened = %d, want %d", got, n)
	}
}
