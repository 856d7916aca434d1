package selfservice_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/hris"
	"github.com/staffbot/staffbot/internal/hris/onec"
	"github.com/staffbot/staffbot/internal/hris/onec/onectest"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/securelink"
	"github.com/staffbot/staffbot/internal/selfservice"
	"github.com/staffbot/staffbot/internal/store"
)

// t0 is Monday 2 March 2026, noon in Moscow.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const (
	chatID = "5001"
	number = "00042"
)

// fixture is a company with an employee who talks to the bot in Telegram,
// a fake 1C that knows her, secure links served on loopback, and the
// catalogue on a manual clock.
type fixture struct {
	t     testing.TB
	st    *store.Store
	clock *staffbot.ManualClock
	fake  *onectest.Server
	links *securelink.Service
	srv   *httptest.Server
	svc   *selfservice.Service

	co  *staffbot.Company
	emp *staffbot.Employee

	// noConnector makes the company one without an accounting system.
	noConnector bool
	lastMsg     int64
}

func newFixture(t testing.TB, st *store.Store) *fixture {
	t.Helper()
	f := &fixture{t: t, st: st, clock: staffbot.NewManualClock(t0), fake: onectest.NewServer(t)}
	f.fake.AddEmployee(onectest.Employee{Code: number, Name: "Иванова Анна Сергеевна", HiredOn: "2024-05-13",
		Position: "Инженер", Department: "ИТ-отдел"})

	f.co = &staffbot.Company{Slug: "acme", Name: "ООО Акме", TimeZone: "Europe/Moscow"}
	if err := st.CreateCompany(t.Context(), f.co); err != nil {
		t.Fatalf("CreateCompany: %v", err)
	}
	f.emp = &staffbot.Employee{CompanyID: f.co.ID, PersonnelNumber: number, FullName: "Иванова Анна Сергеевна",
		Department: "ИТ-отдел", HiredOn: staffbot.Date{Year: 2024, Month: 5, Day: 13}}
	if err := st.CreateEmployee(t.Context(), f.emp, t0); err != nil {
		t.Fatalf("CreateEmployee: %v", err)
	}
	mustTelegramAccount(t, st, f.emp, chatID)

	f.links = &securelink.Service{Store: st, Clock: f.clock, DataDir: filepath.Join(t.TempDir(), "securelinks")}
	mux := http.NewServeMux()
	f.links.Register(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	f.links.BaseURL = f.srv.URL

	f.svc = &selfservice.Service{Store: st, Clock: f.clock, Links: f.links, Connector: f.connector}
	return f
}

func (f *fixture) connector(ctx context.Context, companyID staffbot.CompanyID) (hris.Connector, error) {
	if f.noConnector {
		return nil, staffbot.ErrNotFound
	}
	return onec.New(onec.Config{URL: f.fake.URL(), ServicePath: onectest.ServicePath,
		Credentials: hris.Credentials{User: onectest.DefaultUser, Password: onectest.DefaultPassword}})
}

// mustTelegramAccount binds a consented Telegram account to the employee,
// the way registration does.
func mustTelegramAccount(t testing.TB, st *store.Store, e *staffbot.Employee, chat string) {
	t.Helper()
	code := staffbot.NewInviteCode()
	if _, err := st.CreateInvite(t.Context(), e.CompanyID, e.ID, staffbot.HashInviteCode(code), t0, time.Hour); err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}
	err := st.InTx(t.Context(), func(tx *store.Tx) error {
		acct := &staffbot.ChannelAccount{Kind: staffbot.ChannelTelegram, ExternalID: chat, ChatID: chat}
		if _, err := tx.RedeemInvite(t.Context(), e.CompanyID, staffbot.HashInviteCode(code), acct, t0, staffbot.DateOf(t0)); err != nil {
			return err
		}
		return tx.GiveConsent(t.Context(), acct, staffbot.ConsentTextVersion, t0)
	})
	if err != nil {
		t.Fatalf("bind account: %v", err)
	}
}

// handle passes an event to the catalogue as the bot would and returns
// whether it was taken and the messages it sent.
func (f *fixture) handle(in channel.Incoming) (bool, []channel.Outgoing) {
	f.t.Helper()
	in.Channel, in.CompanyID, in.ChatID, in.ExternalID = staffbot.ChannelTelegram, f.co.ID, chatID, chatID
	var handled bool
	err := f.st.InTx(f.t.Context(), func(tx *store.Tx) error {
		acct, err := tx.FindAccount(f.t.Context(), f.co.ID, staffbot.ChannelTelegram, chatID)
		if err != nil {
			return err
		}
		emp, err := tx.FindEmployeeByID(f.t.Context(), f.co.ID, acct.EmployeeID)
		if err != nil {
			return err
		}
		handled, err = f.svc.Handle(f.t.Context(), tx, f.co, emp, acct, in, locale.FromCode(in.LanguageCode))
		return err
	})
	if err != nil {
		f.t.Fatalf("Handle(%q %q): %v", in.Text, in.Data, err)
	}
	return handled, f.newMessages()
}

func (f *fixture) say(text string) (bool, []channel.Outgoing) {
	f.t.Helper()
	return f.handle(channel.Incoming{Kind: channel.KindText, Text: text})
}

func (f *fixture) press(data string) []channel.Outgoing {
	f.t.Helper()
	handled, msgs := f.handle(channel.Incoming{Kind: channel.KindButton, Data: data})
	if !handled {
		f.t.Fatalf("button %q not taken", data)
	}
	return msgs
}

// run fulfils what is waiting and returns the messages that went out.
func (f *fixture) run() []channel.Outgoing {
	f.t.Helper()
	if _, err := f.svc.RunDue(f.t.Context()); err != nil {
		f.t.Fatalf("RunDue: %v", err)
	}
	return f.newMessages()
}

func (f *fixture) newMessages() []channel.Outgoing {
	f.t.Helper()
	items, err := f.st.FindChatMessages(f.t.Context(), f.co.ID, staffbot.ChannelTelegram, chatID, f.lastMsg, 100)
	if err != nil {
		f.t.Fatalf("FindChatMessages: %v", err)
	}
	var out []channel.Outgoing
	for _, it := range items {
		out = append(out, it.Message)
		f.lastMsg = it.ID
	}
	return out
}

// request returns the employee's latest request.
func (f *fixture) request() *store.ServiceRequest {
	f.t.Helper()
	list, err := f.st.FindServiceRequests(f.t.Context(), f.co.ID, store.ServiceRequestFilter{EmployeeID: f.emp.ID, Limit: 1})
	if err != nil || len(list) == 0 {
		f.t.Fatalf("FindServiceRequests = %d, %v", len(list), err)
	}
	return list[0]
}

func (f *fixture) mustOverride(o *store.CatalogOverride) {
	f.t.Helper()
	o.CompanyID = f.co.ID
	err := f.st.InTx(f.t.Context(), func(tx *store.Tx) error { return tx.SaveCatalogOverride(f.t.Context(), o, t0) })
	if err != nil {
		f.t.Fatalf("SaveCatalogOverride: %v", err)
	}
}

// button finds the data of the button whose label contains label.
func button(t *testing.T, m channel.Outgoing, label string) string {
	t.Helper()
	for _, row := range m.Buttons {
		for _, b := range row {
			if strings.Contains(strings.ToLower(b.Text), strings.ToLower(label)) && b.Data != "" {
				return b.Data
			}
		}
	}
	t.Fatalf("no button %q in %q (%v)", label, m.Text, m.Buttons)
	return ""
}

func hasButton(m channel.Outgoing, label string) bool {
	for _, row := range m.Buttons {
		for _, b := range row {
			if strings.Contains(b.Text, label) {
				return true
			}
		}
	}
	return false
}

func texts(msgs []channel.Outgoing) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString(m.Text)
		b.WriteString("\n---\n")
	}
	return b.String()
}

// wantOne checks that exactly one message went out and that it says want.
func wantOne(t *testing.T, what string, msgs []channel.Outgoing, want string) channel.Outgoing {
	t.Helper()
	if len(msgs) != 1 {
		t.Fatalf("%s: %d messages, want 1:\n%s", what, len(msgs), texts(msgs))
	}
	if !strings.Contains(msgs[0].Text, want) {
		t.Fatalf("%s: %q, want it to say %q", what, msgs[0].Text, want)
	}
	return msgs[0]
}

var linkRe = regexp.MustCompile(`http://\S+/l/[A-Za-z0-9_-]+`)

func linkIn(t *testing.T, m channel.Outgoing) string {
	t.Helper()
	l := linkRe.FindString(m.Text)
	if l == "" {
		t.Fatalf("no link in %q", m.Text)
	}
	return l
}

var (
	csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	codeRe = regexp.MustCompile(`\b(\d{6})\b`)
)

// open downloads a link's file as a phone's browser would: the page, then
// the form. When the link asks for a one-time code, it has one sent to the
// chat and types it.
func (f *fixture) open(link string) (int, string) {
	t := f.t
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(target string, form url.Values) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}

	resp, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRe.FindSubmatch(page)
	if m == nil {
		return resp.StatusCode, string(page)
	}
	form := url.Values{"csrf": {string(m[1])}}
	if strings.Contains(string(page), "/code") {
		if status, body := post(link+"/code", form); status != http.StatusSeeOther {
			t.Fatalf("send code: status %d\n%s", status, body)
		}
		msgs := f.newMessages()
		if len(msgs) == 0 {
			t.Fatal("no code came to the chat")
		}
		code := codeRe.FindStringSubmatch(msgs[len(msgs)-1].Text)
		if code == nil {
			t.Fatalf("no code in %q", msgs[len(msgs)-1].Text)
		}
		form.Set("code", code[1])
	}
	return post(link, form)
}

func isNotFound(err error) bool { return errors.Is(err, staffbot.ErrNotFound) }
