package webchat

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/store"
)

// testBot stands in for the real bot: it records what it is handed,
// redeems "/start <code>" as the bot does, and with echo set answers
// every message through the outbox.
type testBot struct {
	st   *store.Store
	echo bool

	mu  sync.Mutex
	ins []channel.Incoming
}

func (b *testBot) handle(ctx context.Context, in channel.Incoming) error {
	b.mu.Lock()
	b.ins = append(b.ins, in)
	b.mu.Unlock()

	now := time.Now()
	return b.st.InTx(ctx, func(tx *store.Tx) error {
		first, err := tx.MarkUpdateSeen(ctx, in.CompanyID, in.Channel, in.UpdateKey, now)
		if err != nil || !first {
			return err
		}

		var reply channel.Outgoing
		switch {
		case in.Kind == channel.KindText && strings.HasPrefix(in.Text, "/start "):
			code := strings.TrimPrefix(in.Text, "/start ")
			acct := &staffbot.ChannelAccount{Kind: in.Channel, ExternalID: in.ExternalID, ChatID: in.ChatID}
			_, err := tx.RedeemInvite(ctx, in.CompanyID, staffbot.HashInviteCode(code), acct, now, staffbot.DateOf(now))
			if err != nil {
				return err
			}
			reply = channel.Outgoing{
				Text:   "*Добро пожаловать*, это _эхо_-бот. <img src=x onerror=alert(1)> [Справка](/chat?from=(greeting))",
				Format: channel.FormatMarkup,
				Buttons: [][]channel.Button{{
					{Text: "Да", Data: "yes"},
					{Text: "Нет", Data: "no"},
				}},
			}
		case in.Kind == channel.KindButton:
			reply = channel.Outgoing{Text: "Вы нажали: " + in.Data}
		default:
			reply = channel.Outgoing{Text: "Эхо: " + in.Text}
		}
		if !b.echo {
			return nil
		}
		_, err = tx.Enqueue(ctx, in.CompanyID, nil, in.Channel, in.ChatID, reply, now)
		return err
	})
}

func (b *testBot) received() []channel.Incoming {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]channel.Incoming(nil), b.ins...)
}

// fixture is a company with one invited employee and a web chat server.
type fixture struct {
	st   *store.Store
	co   *staffbot.Company
	code string
	bot  *testBot
	srv  *Server
	mux  *http.ServeMux
	logs *bytes.Buffer
}

func newFixture(t *testing.T, st *store.Store, echo bool) *fixture {
	t.Helper()

	f := &fixture{st: st, bot: &testBot{st: st, echo: echo}, logs: &bytes.Buffer{}}
	f.co = mustCreateCompany(t, st, "acme", "ООО Ромашка")
	f.code = mustCreateInvite(t, st, f.co.ID, "0001")
	f.srv = &Server{
		Store:  st,
		Handle: f.bot.handle,
		Clock:  staffbot.SystemClock{},
		Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: f.logs}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	return f
}

// register builds the routes once the test has tuned the server.
func (f *fixture) register() *http.ServeMux {
	f.mux = http.NewServeMux()
	f.srv.Register(f.mux)
	return f.mux
}

func (f *fixture) do(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, r)
	return w
}

// join presses the button of the invite link's page and returns the
// session cookie.
func (f *fixture) join(t *testing.T) *http.Cookie {
	t.Helper()
	w := f.do(joinPost(f.code))
	if w.Code != http.StatusSeeOther {
		t.Fatalf("join: status = %d, want 303; body %s", w.Code, w.Body)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == f.srv.cookieName() {
			return c
		}
	}
	t.Fatal("join: no session cookie")
	return nil
}

func mustCreateCompany(t *testing.T, st *store.Store, slug, name string) *staffbot.Company {
	t.Helper()
	co := &staffbot.Company{Slug: slug, Name: name}
	if err := st.CreateCompany(t.Context(), co); err != nil {
		t.Fatalf("CreateCompany: %v", err)
	}
	return co
}

func mustCreateInvite(t *testing.T, st *store.Store, companyID staffbot.CompanyID, number string) string {
	t.Helper()
	now := time.Now()
	emp := &staffbot.Employee{
		CompanyID:       companyID,
		PersonnelNumber: number,
		FullName:        "Иванова Анна Сергеевна",
		HiredOn:         staffbot.DateOf(now),
	}
	if err := st.CreateEmployee(t.Context(), emp, now); err != nil {
		t.Fatalf("CreateEmployee: %v", err)
	}
	code := staffbot.NewInviteCode()
	if _, err := st.CreateInvite(t.Context(), companyID, emp.ID, staffbot.HashInviteCode(code), now, staffbot.DefaultInviteTTL); err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}
	return code
}

func mustEnqueue(t *testing.T, st *store.Store, companyID staffbot.CompanyID, chatID string, msg channel.Outgoing) int64 {
	t.Helper()
	var id int64
	err := st.InTx(t.Context(), func(tx *store.Tx) error {
		var err error
		id, err = tx.Enqueue(t.Context(), companyID, nil, staffbot.ChannelWebchat, chatID, msg, time.Now())
		return err
	})
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	return id
}

// chatIDOf returns the chat id a session cookie stands for.
func chatIDOf(t *testing.T, c *http.Cookie) string {
	t.Helper()
	_, token, _ := strings.Cut(c.Value, ".")
	raw, err := decodeToken(token)
	if err != nil {
		t.Fatalf("cookie token: %v", err)
	}
	return hashToken(raw)
}

func apiSend(body string, cookie *http.Cookie) *http.Request {
	r := httptest.NewRequest("POST", "/chat/api/send", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Requested-With", "staffbot")
	if cookie != nil {
		r.AddCookie(cookie)
	}
	return r
}

// joinPost is the form of an invite link's page, as a browser posts it
// from the page itself.
func joinPost(code string) *http.Request {
	r := httptest.NewRequest("POST", "/join/"+code, nil)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	return r
}

func formRequest(path string, form url.Values) *http.Request {
	r := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
