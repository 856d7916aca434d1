package delivery_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/channel/telegram"
	"github.com/staffbot/staffbot/internal/channel/telegram/telegramtest"
	"github.com/staffbot/staffbot/internal/delivery"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

const testToken = "7000001:AAtest-token"

// fixture is a dispatcher with a real store, the fake Bot API and a clock
// the test moves; DeliverOnce is called by the test, never in the
// background.
type fixture struct {
	t     *testing.T
	st    *store.Store
	tg    *telegramtest.Server
	clock *staffbot.ManualClock
	co    *staffbot.Company
	d     *delivery.Dispatcher
	obs   *observer
}

func testLogger() *slog.Logger {
	if os.Getenv("STAFFBOT_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// newFixture builds the dispatcher; wrap, when not nil, stands between the
// dispatcher and the Telegram sender.
func newFixture(t *testing.T, st *store.Store, wrap func(channel.Sender) channel.Sender) *fixture {
	t.Helper()
	tg := telegramtest.NewServer(t)
	tg.AddBot(testToken, "acme_hr_bot")
	co := &staffbot.Company{
		Slug: "acme", Name: "Акме", TimeZone: "Europe/Moscow",
		TelegramBotUsername: "acme_hr_bot", TelegramToken: testToken, TelegramWebhookSecret: "s3cr3t",
	}
	if err := st.CreateCompany(t.Context(), co); err != nil {
		t.Fatalf("CreateCompany: %v", err)
	}
	clock := staffbot.NewManualClock(time.Date(2024, 12, 4, 8, 15, 0, 0, time.UTC))

	var sender channel.Sender = telegram.NewSender(tg.URL(), nil)
	if wrap != nil {
		sender = wrap(sender)
	}
	obs := &observer{}
	return &fixture{
		t: t, st: st, tg: tg, clock: clock, co: co, obs: obs,
		d: delivery.New(st, []channel.Sender{sender}, clock, testLogger(), obs),
	}
}

// mustAccount registers a consented Telegram account whose user and chat id
// is chatID.
func (f *fixture) mustAccount(chatID int64) *staffbot.ChannelAccount {
	f.t.Helper()
	ctx, now := f.t.Context(), f.clock.Now()
	id := strconv.FormatInt(chatID, 10)
	emp := &staffbot.Employee{
		CompanyID: f.co.ID, PersonnelNumber: "N" + id, FullName: "Тестов Тест Тестович",
		HiredOn: staffbot.Date{Year: 2024, Month: 2, Day: 1},
	}
	if err := f.st.CreateEmployee(ctx, emp, now); err != nil {
		f.t.Fatalf("CreateEmployee: %v", err)
	}
	code := staffbot.NewInviteCode()
	if _, err := f.st.CreateInvite(ctx, f.co.ID, emp.ID, staffbot.HashInviteCode(code), now, staffbot.DefaultInviteTTL); err != nil {
		f.t.Fatalf("CreateInvite: %v", err)
	}
	acct := &staffbot.ChannelAccount{Kind: staffbot.ChannelTelegram, ExternalID: id, ChatID: id}
	err := f.st.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.RedeemInvite(ctx, f.co.ID, staffbot.HashInviteCode(code), acct, now, staffbot.DateOf(now)); err != nil {
			return err
		}
		return tx.GiveConsent(ctx, acct, staffbot.ConsentTextVersion, now)
	})
	if err != nil {
		f.t.Fatalf("register %s: %v", id, err)
	}
	return acct
}

// mustEnqueue queues msg for chatID as of at, bound to acct when not nil,
// and returns the outbox id.
func (f *fixture) mustEnqueue(acct *staffbot.ChannelAccount, chatID string, msg channel.Outgoing, at time.Time) int64 {
	f.t.Helper()
	var id int64
	err := f.st.InTx(f.t.Context(), func(tx *store.Tx) error {
		var acctID *int64
		if acct != nil {
			acctID = &acct.ID
		}
		var err error
		id, err = tx.Enqueue(f.t.Context(), f.co.ID, acctID, staffbot.ChannelTelegram, chatID, msg, at)
		return err
	})
	if err != nil {
		f.t.Fatalf("Enqueue: %v", err)
	}
	return id
}

// deliverOnce runs one DeliverOnce and returns how many it claimed.
func (f *fixture) deliverOnce() int {
	f.t.Helper()
	n, err := f.d.DeliverOnce(f.t.Context())
	if err != nil {
		f.t.Fatalf("DeliverOnce: %v", err)
	}
	return n
}

// deliverAll runs DeliverOnce until nothing more is due now.
func (f *fixture) deliverAll() {
	f.t.Helper()
	for range 50 {
		if f.deliverOnce() == 0 {
			return
		}
	}
	f.t.Fatal("outbox never ran dry")
}

type outboxRow struct {
	Status, Error, ChatID string
	Attempts              int
}

func (f *fixture) row(id int64) outboxRow {
	f.t.Helper()
	var r outboxRow
	// The id is a number, so formatting it in keeps one query text for
	// both databases' placeholder styles.
	err := f.st.DB().QueryRowContext(f.t.Context(),
		fmt.Sprintf("SELECT status, error, chat_id, attempts FROM outbox WHERE id = %d", id)).
		Scan(&r.Status, &r.Error, &r.ChatID, &r.Attempts)
	if err != nil {
		f.t.Fatalf("outbox %d: %v", id, err)
	}
	return r
}

func (f *fixture) account(externalID string) *staffbot.ChannelAccount {
	f.t.Helper()
	a, err := f.st.FindAccount(f.t.Context(), f.co.ID, staffbot.ChannelTelegram, externalID)
	if err != nil {
		f.t.Fatalf("FindAccount %s: %v", externalID, err)
	}
	return a
}

func (f *fixture) outcomes(since time.Time) map[string]int {
	f.t.Helper()
	got, err := f.st.CountOutboxOutcomes(f.t.Context(), f.co.ID, since)
	if err != nil {
		f.t.Fatalf("CountOutboxOutcomes: %v", err)
	}
	return got
}

func texts(msgs []telegramtest.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Text)
	}
	return out
}

// observer records what the dispatcher reports for metrics.
type observer struct {
	mu      sync.Mutex
	sent    int
	reasons []string
}

func (o *observer) Sent(staffbot.ChannelKind) {
	o.mu.Lock()
	o.sent++
	o.mu.Unlock()
}

func (o *observer) Failed(_ staffbot.ChannelKind, reason string) {
	o.mu.Lock()
	o.reasons = append(o.reasons, reason)
	o.mu.Unlock()
}

func (o *observer) failed() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Sorted(slices.Values(o.reasons))
}

// recordedReply is a Bot API reply as the case files store them.
type recordedReply struct {
	HTTPStatus int `json:"http_status"`
	Body       struct {
		OK          bool           `json:"ok"`
		ErrorCode   int            `json:"error_code"`
		Description string         `json:"description"`
		Parameters  map[string]any `json:"parameters"`
	} `json:"body"`
}

// failure is the reply as the fake should give it, or nil for success.
func (r recordedReply) failure() *telegramtest.Failure {
	if r.Body.OK {
		return nil
	}
	return &telegramtest.Failure{Code: r.Body.ErrorCode, Description: r.Body.Description, Parameters: r.Body.Parameters}
}

func (r recordedReply) inject(tg *telegramtest.Server, method string) {
	if f := r.failure(); f != nil {
		tg.FailNext(method, f.Code, f.Description, f.Parameters)
	}
}

func mustReadJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// Case 03 (03-tg-429-retry-after-7): a 429 with retry_after 7 on a reminder
// holds the reminder and every other Telegram message of the company,
// those queued before the 429 and those queued during the pause, for at
// least 7 s; then each goes out exactly once and in order per chat.
func TestDispatcher_Case03RetryAfterHoldsQueue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		var c struct {
			Request struct {
				Method string `json:"method"`
				Params struct {
					ChatID int64  `json:"chat_id"`
					Text   string `json:"text"`
				} `json:"params"`
			} `json:"request"`
			Response recordedReply `json:"response"`
		}
		mustReadJSON(t, "testdata/03-tg-429-retry-after-7.json", &c)
		retryAfter := time.Duration(c.Response.Body.Parameters["retry_after"].(float64)) * time.Second

		f := newFixture(t, open(t), nil)
		t0 := f.clock.Now()
		anna := f.mustAccount(c.Request.Params.ChatID)
		boris := f.mustAccount(700000004)
		vera := f.mustAccount(700000005)

		// The reminder is due; a second message to the same chat waits
		// behind it; a message to another chat is queued but not due yet
		// when the 429 comes.
		reminder := f.mustEnqueue(anna, anna.ChatID, channel.Outgoing{Text: c.Request.Params.Text}, t0)
		sameChat := f.mustEnqueue(anna, anna.ChatID, channel.Outgoing{Text: "Второе сообщение"}, t0)
		queued := f.mustEnqueue(boris, boris.ChatID, channel.Outgoing{Text: "Уже в очереди"}, t0.Add(time.Second))

		c.Response.inject(f.tg, c.Request.Method)
		if n := f.deliverOnce(); n != 1 {
			t.Fatalf("first pass claimed %d messages, want only the reminder", n)
		}
		if r := f.row(reminder); r.Status != store.OutboxPending {
			t.Fatalf("reminder after 429: %+v, want pending (not lost)", r)
		}

		// A message queued during the pause must wait as well.
		during := f.mustEnqueue(vera, vera.ChatID, channel.Outgoing{Text: "Пришло во время паузы"}, f.clock.Now())

		// Another company's bot has limits of its own and is not held.
		other := &staffbot.Company{Slug: "beta", Name: "Бета", TimeZone: "Europe/Moscow",
			TelegramBotUsername: "beta_hr_bot", TelegramToken: "7000002:BBtest-token"}
		f.tg.AddBot(other.TelegramToken, other.TelegramBotUsername)
		if err := f.st.CreateCompany(t.Context(), other); err != nil {
			t.Fatal(err)
		}
		err := f.st.InTx(t.Context(), func(tx *store.Tx) error {
			_, err := tx.Enqueue(t.Context(), other.ID, nil, staffbot.ChannelTelegram, "700000099",
				channel.Outgoing{Text: "Другая компания"}, f.clock.Now())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}

		for _, step := range []time.Duration{time.Second, 3 * time.Second, retryAfter - time.Millisecond} {
			f.clock.Set(t0.Add(step))
			f.deliverAll()
			if n := f.tg.Calls("sendMessage"); n != 2 {
				t.Fatalf("at +%s: %d sendMessage calls, want the refused one and the other company's (sent: %q)",
					step, n, texts(f.tg.Sent()))
			}
		}
		if got := texts(f.tg.SentTo(700000099)); len(got) != 1 {
			t.Errorf("other company's message: sent %q, want it delivered during the pause", got)
		}

		f.clock.Set(t0.Add(retryAfter))
		f.deliverAll()
		f.clock.Set(t0.Add(2 * time.Minute))
		f.deliverAll() // nothing more may go out

		if got, want := texts(f.tg.SentTo(c.Request.Params.ChatID)), []string{c.Request.Params.Text, "Второе сообщение"}; !slices.Equal(got, want) {
			t.Errorf("chat %d got %q, want %q", c.Request.Params.ChatID, got, want)
		}
		if got := texts(f.tg.SentTo(700000004)); !slices.Equal(got, []string{"Уже в очереди"}) {
			t.Errorf("queued chat got %q", got)
		}
		if got := texts(f.tg.SentTo(700000005)); !slices.Equal(got, []string{"Пришло во время паузы"}) {
			t.Errorf("chat written during the pause got %q", got)
		}
		if n := f.tg.Calls("sendMessage"); n != 6 {
			t.Errorf("%d sendMessage calls, want 6 (one refused, five delivered once each)", n)
		}
		for _, id := range []int64{reminder, sameChat, queued, during} {
			if r := f.row(id); r.Status != store.OutboxSent || r.Error != "" {
				t.Errorf("outbox %d = %+v, want sent without error", id, r)
			}
		}
		if got := f.obs.failed(); len(got) != 0 {
			t.Errorf("rate limit reported as failures %q", got)
		}
	})
}

// Case 04 (04-tg-broadcast-mixed-results): one broadcast to six
// employees, each answered as recorded. Every recipient's outcome is kept
// in the outbox, the three who cannot be reached are marked blocked and
// left out of the next broadcast, only the 429 is tried again, and the
// counts HR sees add up.
func TestDispatcher_Case04BroadcastMixedResults(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		var c struct {
			Text    string `json:"text"`
			Results []struct {
				ChatID int64 `json:"chat_id"`
				recordedReply
			} `json:"results"`
		}
		mustReadJSON(t, "testdata/04-tg-broadcast-mixed-results.json", &c)
		if len(c.Results) != 6 {
			t.Fatalf("case has %d recipients, want 6", len(c.Results))
		}

		script := &scriptedSender{script: map[string][]recordedReply{}, calls: map[string]int{}}
		f := newFixture(t, open(t), func(s channel.Sender) channel.Sender {
			script.Sender = s
			return script
		})
		script.tg = f.tg
		t0 := f.clock.Now()

		// Each recipient's recorded reply answers its first send.
		var accts []*staffbot.ChannelAccount
		for _, r := range c.Results {
			a := f.mustAccount(r.ChatID)
			accts = append(accts, a)
			script.script[a.ChatID] = []recordedReply{r.recordedReply}
		}
		ids := map[string]int64{}
		err := f.st.InTx(t.Context(), func(tx *store.Tx) error {
			for _, a := range accts {
				n, err := tx.EnqueueToEmployee(t.Context(), f.co.ID, a.EmployeeID, channel.Outgoing{Text: c.Text}, t0)
				if err != nil || n != 1 {
					return fmt.Errorf("enqueue to %s: %d, %v", a.ChatID, n, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range accts {
			items, err := f.st.FindChatMessages(t.Context(), f.co.ID, staffbot.ChannelTelegram, a.ChatID, 0, 10)
			if err != nil || len(items) != 1 {
				t.Fatalf("chat %s: %d queued, %v", a.ChatID, len(items), err)
			}
			ids[a.ChatID] = items[0].ID
		}

		if got := f.outcomes(t0); fmt.Sprint(got) != fmt.Sprint(map[string]int{store.OutcomeQueued: 6}) {
			t.Errorf("report before delivery = %v, want 6 queued", got)
		}

		f.deliverAll()
		rl := "700000015"
		if r := f.row(ids[rl]); r.Status != store.OutboxPending {
			t.Errorf("rate-limited recipient: %+v, want pending for a retry", r)
		}
		// Recipients whose turn came after the 429 in the same pass wait
		// with it, so at least the one is counted as a retry.
		if got := f.outcomes(t0)[store.OutcomeRetry]; got < 1 {
			t.Errorf("retry count = %d, want at least 1", got)
		}

		// Nothing is tried again before retry_after has passed.
		f.clock.Set(t0.Add(7*time.Second - time.Millisecond))
		f.deliverAll()
		if n := script.callsTo(rl); n != 1 {
			t.Errorf("rate-limited recipient tried %d times before retry_after passed, want 1", n)
		}
		f.clock.Set(t0.Add(7 * time.Second))
		f.deliverAll()
		f.clock.Set(t0.Add(time.Hour)) // past any backoff
		f.deliverAll()

		want := map[string]struct {
			status, reason string
			blocked        bool
			calls          int
		}{
			"700000011": {store.OutboxSent, "", false, 1},
			"700000012": {store.OutboxFailed, store.OutcomeBlocked, true, 1},
			"700000013": {store.OutboxFailed, store.OutcomeDeactivated, true, 1},
			"700000014": {store.OutboxFailed, store.OutcomeNotOnboarded, true, 1},
			"700000015": {store.OutboxSent, "", false, 2},
			"700000016": {store.OutboxFailed, store.OutcomeInvalid, false, 1},
		}
		for chat, w := range want {
			r := f.row(ids[chat])
			reason, _, _ := strings.Cut(r.Error, ":")
			if r.Status != w.status || reason != w.reason {
				t.Errorf("chat %s: outbox %q %q, want %q with reason %q", chat, r.Status, r.Error, w.status, w.reason)
			}
			if got := f.account(chat).Blocked; got != w.blocked {
				t.Errorf("chat %s: account blocked = %v, want %v", chat, got, w.blocked)
			}
			if got := script.callsTo(chat); got != w.calls {
				t.Errorf("chat %s: %d sends, want %d", chat, got, w.calls)
			}
		}
		if got := len(f.tg.SentTo(700000015)); got != 1 {
			t.Errorf("rate-limited recipient got %d copies, want 1", got)
		}

		report := f.outcomes(t0)
		wantReport := map[string]int{
			store.OutcomeDelivered: 2, store.OutcomeBlocked: 1, store.OutcomeDeactivated: 1,
			store.OutcomeNotOnboarded: 1, store.OutcomeInvalid: 1,
		}
		if fmt.Sprint(report) != fmt.Sprint(wantReport) {
			t.Errorf("report = %v, want %v", report, wantReport)
		}
		if got, want := f.obs.failed(), []string{"blocked", "deactivated", "invalid", "not-onboarded"}; !slices.Equal(got, want) {
			t.Errorf("failures reported to metrics %q, want the short reasons %q", got, want)
		}

		// The next broadcast leaves out the three who cannot be reached.
		err = f.st.InTx(t.Context(), func(tx *store.Tx) error {
			for _, a := range accts {
				n, err := tx.EnqueueToEmployee(t.Context(), f.co.ID, a.EmployeeID, channel.Outgoing{Text: "Второе"}, f.clock.Now())
				if err != nil {
					return err
				}
				wantN := 1
				if want[a.ChatID].blocked {
					wantN = 0
				}
				if n != wantN {
					t.Errorf("second broadcast to %s: %d queued, want %d", a.ChatID, n, wantN)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// scriptedSender answers each chat's sends with recorded replies first,
// by setting the fake's next reply right before the call; it serializes
// sends so that each reply reaches the call it was meant for.
type scriptedSender struct {
	channel.Sender
	tg *telegramtest.Server

	mu     sync.Mutex
	script map[string][]recordedReply
	calls  map[string]int
}

func (s *scriptedSender) Send(ctx context.Context, co *staffbot.Company, chatID string, msg channel.Outgoing) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[chatID]++
	if q := s.script[chatID]; len(q) > 0 {
		s.script[chatID] = q[1:]
		q[0].inject(s.tg, "sendMessage")
	}
	return s.Sender.Send(ctx, co, chatID, msg)
}

func (s *scriptedSender) callsTo(chatID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[chatID]
}

// Case 06 (06-tg-400-user-is-blocked-media-group): a 400 USER_IS_BLOCKED,
// on a text or on a document, is a block like a 403: the message is not
// retried and the account is marked blocked.
func TestDispatcher_Case06UserIsBlocked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		var c struct {
			Request struct {
				Params struct {
					ChatID int64 `json:"chat_id"`
					Media  []struct {
						Caption string `json:"caption"`
					} `json:"media"`
				} `json:"params"`
			} `json:"request"`
			Response recordedReply `json:"response"`
		}
		mustReadJSON(t, "testdata/06-tg-400-user-is-blocked-media-group.json", &c)
		if c.Response.HTTPStatus != 400 || !strings.Contains(c.Response.Body.Description, "USER_IS_BLOCKED") {
			t.Fatalf("case reply = %+v, want the 400 USER_IS_BLOCKED", c.Response)
		}

		f := newFixture(t, open(t), nil)
		text := f.mustAccount(c.Request.Params.ChatID)
		doc := f.mustAccount(700000021)
		t0 := f.clock.Now()

		c.Response.inject(f.tg, "sendMessage")
		textID := f.mustEnqueue(text, text.ChatID, channel.Outgoing{Text: c.Request.Params.Media[0].Caption}, t0)
		f.deliverAll()

		c.Response.inject(f.tg, "sendDocument")
		docID := f.mustEnqueue(doc, doc.ChatID, channel.Outgoing{
			FileURL: "http://127.0.0.1:1/files/spravka.pdf", FileName: "spravka.pdf",
		}, t0)
		f.deliverAll()

		f.clock.Set(t0.Add(time.Hour))
		f.deliverAll()
		for _, id := range []int64{textID, docID} {
			if r := f.row(id); r.Status != store.OutboxFailed || r.Error != store.OutcomeBlocked {
				t.Errorf("outbox %d = %+v, want failed as blocked", id, r)
			}
		}
		for _, a := range []*staffbot.ChannelAccount{text, doc} {
			if !f.account(a.ExternalID).Blocked {
				t.Errorf("account %s not marked blocked", a.ExternalID)
			}
		}
		if n := f.tg.Calls("sendMessage") + f.tg.Calls("sendDocument"); n != 2 {
			t.Errorf("%d send calls, want 2: a block is never retried", n)
		}
	})
}

// Case 15 (15-tg-400-migrate-to-chat-id): a 400 with migrate_to_chat_id
// moves the queued messages of the group to the new id, and the refused
// message is sent once more, to the new id, ahead of the ones queued after
// it.
func TestDispatcher_Case15MigrateToChatID(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		var c struct {
			LaterRequest struct {
				Params struct {
					ChatID int64  `json:"chat_id"`
					Text   string `json:"text"`
				} `json:"params"`
			} `json:"later_request"`
			LaterResponse recordedReply `json:"later_response"`
		}
		mustReadJSON(t, "testdata/15-tg-400-migrate-to-chat-id.json", &c)
		oldID := c.LaterRequest.Params.ChatID
		newID := int64(c.LaterResponse.Body.Parameters["migrate_to_chat_id"].(float64))

		f := newFixture(t, open(t), nil)
		t0 := f.clock.Now()
		old := strconv.FormatInt(oldID, 10)
		first := f.mustEnqueue(nil, old, channel.Outgoing{Text: c.LaterRequest.Params.Text}, t0)
		second := f.mustEnqueue(nil, old, channel.Outgoing{Text: "С Новым годом!"}, t0)

		c.LaterResponse.inject(f.tg, "sendMessage")
		f.deliverAll()
		for _, id := range []int64{first, second} {
			if r := f.row(id); r.ChatID != strconv.FormatInt(newID, 10) || r.Status != store.OutboxPending {
				t.Errorf("outbox %d after the 400 = %+v, want pending for chat %d", id, r, newID)
			}
		}

		f.clock.Set(t0.Add(time.Minute))
		f.deliverAll()
		f.clock.Set(t0.Add(time.Hour))
		f.deliverAll()
		if got, want := texts(f.tg.SentTo(newID)), []string{c.LaterRequest.Params.Text, "С Новым годом!"}; !slices.Equal(got, want) {
			t.Errorf("new chat got %q, want %q", got, want)
		}
		if got := f.tg.SentTo(oldID); len(got) != 0 {
			t.Errorf("old chat got %q", texts(got))
		}
		if n := f.tg.Calls("sendMessage"); n != 3 {
			t.Errorf("%d sendMessage calls, want 3 (the refused one, then one resend and the next message)", n)
		}
		if r := f.row(first); r.Status != store.OutboxSent {
			t.Errorf("migrated message = %+v, want sent", r)
		}
	})
}

// Case 08 (08-tg-markdownv2-unescaped): markup with dates, parentheses,
// "2-НДФЛ" and "!" goes out as the escaped HTML the case gives, and when
// Telegram cannot parse it anyway the message is sent as plain text
// instead of being dropped.
func TestDispatcher_Case08MarkupDelivered(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		var c struct {
			Request struct {
				Params struct {
					ChatID int64  `json:"chat_id"`
					Text   string `json:"text"`
				} `json:"params"`
			} `json:"request"`
			HTMLAlternative struct {
				ParseMode string `json:"parse_mode"`
				Text      string `json:"text"`
			} `json:"html_alternative"`
		}
		mustReadJSON(t, "testdata/08-tg-markdownv2-unescaped.json", &c)

		f := newFixture(t, open(t), nil)
		a := f.mustAccount(c.Request.Params.ChatID)
		msg := channel.Outgoing{Text: c.Request.Params.Text, Format: channel.FormatMarkup}
		ok := f.mustEnqueue(a, a.ChatID, msg, f.clock.Now())
		f.deliverAll()

		got := f.tg.SentTo(c.Request.Params.ChatID)
		if len(got) != 1 || got[0].Text != c.HTMLAlternative.Text || got[0].ParseMode != c.HTMLAlternative.ParseMode {
			t.Fatalf("sent %+v, want one %s message %q", got, c.HTMLAlternative.ParseMode, c.HTMLAlternative.Text)
		}

		f.tg.FailNext("sendMessage", 400, "Bad Request: can't parse entities: Unsupported start tag \"b\" at byte offset 0", nil)
		fallback := f.mustEnqueue(a, a.ChatID, msg, f.clock.Now())
		f.deliverAll()
		got = f.tg.SentTo(c.Request.Params.ChatID)
		wantPlain := "Остаток отпуска: 14 дн. на 01.07.2025 (с учётом переноса)! Справка 2-НДФЛ готова."
		if len(got) != 2 || got[1].Text != wantPlain || got[1].ParseMode != "" {
			t.Fatalf("after a parse error sent %q, want the plain %q", texts(got), wantPlain)
		}
		for _, id := range []int64{ok, fallback} {
			if r := f.row(id); r.Status != store.OutboxSent {
				t.Errorf("outbox %d = %+v, want sent", id, r)
			}
		}
	})
}

// Case 09 (09-tg-long-text-4097-emoji-boundary): a reply one code unit too
// long, with an emoji across the limit, goes out as two messages in order,
// each within 4096 UTF-16 units, the emoji whole, nothing lost or repeated.
func TestDispatcher_Case09LongTextSplit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		raw, err := os.ReadFile("testdata/09-tg-long-text-4097-emoji-boundary.txt")
		if err != nil {
			t.Fatal(err)
		}
		text := string(raw)
		if n := telegram.UTF16Len(text); n != 4098 {
			t.Fatalf("case text has %d UTF-16 units, want 4098", n)
		}

		f := newFixture(t, open(t), nil)
		a := f.mustAccount(700000001)
		id := f.mustEnqueue(a, a.ChatID, channel.Outgoing{Text: text}, f.clock.Now())
		f.deliverAll()

		got := f.tg.SentTo(700000001)
		if len(got) != 2 {
			t.Fatalf("sent %d messages, want 2", len(got))
		}
		joined := ""
		for i, m := range got {
			if n := telegram.UTF16Len(m.Text); n > telegram.MaxTextLen {
				t.Errorf("piece %d has %d UTF-16 units", i, n)
			}
			if !utf8.ValidString(m.Text) || strings.ContainsRune(m.Text, utf8.RuneError) {
				t.Errorf("piece %d has a broken character", i)
			}
			joined += m.Text
		}
		if joined != text {
			t.Errorf("pieces joined differ from the text (%d vs %d bytes)", len(joined), len(text))
		}
		if n := strings.Count(joined, "📄"); n != 1 {
			t.Errorf("emoji appears %d times, want 1", n)
		}
		if !strings.HasSuffix(got[1].Text, "!") {
			t.Errorf("second piece ends %q, want the closing \"!\"", got[1].Text[max(0, len(got[1].Text)-10):])
		}
		if r := f.row(id); r.Status != store.OutboxSent {
			t.Errorf("outbox = %+v, want sent", r)
		}
	})
}

// A message for a channel without a sender is given up at once and
// counted as failed, not left to block its chat.
func TestDispatcher_NoSenderFails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		f := newFixture(t, open(t), nil)
		var id int64
		err := f.st.InTx(t.Context(), func(tx *store.Tx) error {
			var err error
			id, err = tx.Enqueue(t.Context(), f.co.ID, nil, staffbot.ChannelKind("pigeon"), "1", channel.Outgoing{Text: "Привет"}, f.clock.Now())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		f.deliverAll()
		if r := f.row(id); r.Status != store.OutboxFailed || !strings.HasPrefix(r.Error, store.OutcomeFailed+": ") {
			t.Errorf("outbox = %+v, want failed with the reason", r)
		}
		if got := f.outcomes(f.clock.Now().Add(-time.Minute)); got[store.OutcomeFailed] != 1 || len(got) != 1 {
			t.Errorf("report = %v, want one failed", got)
		}
	})
}

// The running dispatcher hears of the messages this process queues and
// leases them by id: they go out at once, in order per chat, each once,
// and a message held back for later still holds back the rest of its
// chat.
func TestDispatcher_RunSendsQueuedInOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		st := open(t)
		f := newFixture(t, st, nil)
		st.OnQueued = f.d.Queue
		st.OnEnqueue = f.d.Wake
		anna, boris := f.mustAccount(700000011), f.mustAccount(700000012)

		ctx, cancel := context.WithCancel(t.Context())
		stopped := make(chan struct{})
		go func() { f.d.Run(ctx); close(stopped) }()
		defer func() { cancel(); <-stopped }()

		waitFor := func(chatID int64, want []string) {
			t.Helper()
			deadline := time.Now().Add(10 * time.Second)
			for got := texts(f.tg.SentTo(chatID)); !slices.Equal(got, want); got = texts(f.tg.SentTo(chatID)) {
				if time.Now().After(deadline) || len(got) > len(want) {
					t.Fatalf("chat %d got %q, want %q", chatID, got, want)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}

		// The first message of a chat is found by the scan; the ones after
		// it by id, as fast as they are queued, one transaction each.
		now := f.clock.Now()
		f.mustEnqueue(anna, anna.ChatID, channel.Outgoing{Text: "Первое"}, now)
		waitFor(700000011, []string{"Первое"})
		var want []string
		for i := range 10 {
			text := fmt.Sprintf("Сообщение %d", i+1)
			want = append(want, text)
			f.mustEnqueue(anna, anna.ChatID, channel.Outgoing{Text: text}, now)
			f.mustEnqueue(boris, boris.ChatID, channel.Outgoing{Text: text}, now)
		}
		waitFor(700000011, append([]string{"Первое"}, want...))
		waitFor(700000012, want)

		// A message due in an hour holds back the one queued after it,
		// however it is looked for: by id, or by the scan that runs every
		// half second.
		f.mustEnqueue(anna, anna.ChatID, channel.Outgoing{Text: "Через час"}, now.Add(time.Hour))
		f.mustEnqueue(anna, anna.ChatID, channel.Outgoing{Text: "После"}, now)
		time.Sleep(1500 * time.Millisecond)
		if got := texts(f.tg.SentTo(700000011)); len(got) != 11 {
			t.Fatalf("chat got %q before the held message was due, want nothing new", got[min(len(got), 11):])
		}
		f.clock.Set(now.Add(time.Hour))
		f.d.Wake()
		waitFor(700000011, append(append([]string{"Первое"}, want...), "Через час", "После"))
		if n := f.tg.Calls("sendMessage"); n != 23 {
			t.Errorf("%d sendMessage calls, want 23, each message once", n)
		}
	})
}
