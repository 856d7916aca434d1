package securelink_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/securelink"
	"github.com/staffbot/staffbot/internal/store"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// fixture is a store with two companies, an employee of each who talks to
// the bot in Telegram, a secure link service on a manual clock and its
// pages served on loopback.
type fixture struct {
	t     *testing.T
	st    *store.Store
	clock *staffbot.ManualClock
	svc   *securelink.Service
	srv   *httptest.Server

	co, other *staffbot.Company
	emp       *staffbot.Employee // of co, reachable in chat 1001
	otherEmp  *staffbot.Employee // of other
}

const chatID = "1001"

func newFixture(t *testing.T, st *store.Store) *fixture {
	t.Helper()
	f := &fixture{t: t, st: st, clock: staffbot.NewManualClock(t0)}
	f.co = mustCompany(t, st, "acme")
	f.other = mustCompany(t, st, "other")
	f.emp = mustEmployee(t, st, f.co.ID, "0001")
	f.otherEmp = mustEmployee(t, st, f.other.ID, "0001")
	mustTelegramAccount(t, st, f.emp, chatID)

	f.svc = &securelink.Service{
		Store:   st,
		Clock:   f.clock,
		DataDir: filepath.Join(t.TempDir(), "securelinks"),
	}
	mux := http.NewServeMux()
	f.svc.Register(mux)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	f.svc.BaseURL = f.srv.URL
	return f
}

func mustCompany(t *testing.T, st *store.Store, slug string) *staffbot.Company {
	t.Helper()
	co := &staffbot.Company{Slug: slug, Name: "ООО " + slug, TimeZone: "Europe/Moscow"}
	if err := st.CreateCompany(t.Context(), co); err != nil {
		t.Fatalf("CreateCompany(%s): %v", slug, err)
	}
	return co
}

func mustEmployee(t *testing.T, st *store.Store, companyID staffbot.CompanyID, number string) *staffbot.Employee {
	t.Helper()
	e := &staffbot.Employee{
		CompanyID: companyID, PersonnelNumber: number, FullName: "Иванова Анна Сергеевна",
		HiredOn: staffbot.Date{Year: 2026, Month: 3, Day: 2},
	}
	if err := st.CreateEmployee(t.Context(), e, t0); err != nil {
		t.Fatalf("CreateEmployee(%s): %v", number, err)
	}
	return e
}

// mustTelegramAccount binds a consented Telegram account to the employee,
// the way registration does.
func mustTelegramAccount(t *testing.T, st *store.Store, e *staffbot.Employee, chat string) {
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

// pdf is a small file with a marker that must never appear on disk.
var pdf = []byte("%PDF-1.4\n% СЕКРЕТНЫЙ-МАРКЕР зарплата 123456,78 руб.\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")

const pdfName = "Справка о доходах 2026.pdf"

func (f *fixture) mustCreate(employee *staffbot.Employee, opts securelink.Options) string {
	f.t.Helper()
	var link string
	err := f.st.InTx(f.t.Context(), func(tx *store.Tx) error {
		var err error
		link, err = f.svc.Create(f.t.Context(), tx, employee.CompanyID, employee.ID,
			securelink.FileSpec{Name: pdfName, ContentType: "application/pdf", Data: pdf}, opts)
		return err
	})
	if err != nil {
		f.t.Fatalf("Create: %v", err)
	}
	if !strings.HasPrefix(link, f.srv.URL+securelink.PathPrefix) {
		f.t.Fatalf("link %q does not start with %s", link, f.srv.URL+securelink.PathPrefix)
	}
	return link
}

// link returns the stored row of a link URL.
func (f *fixture) link(companyID staffbot.CompanyID, link string) *store.SecureLink {
	f.t.Helper()
	l, err := f.st.FindSecureLink(f.t.Context(), companyID, tokenHash(link))
	if err != nil {
		f.t.Fatalf("FindSecureLink: %v", err)
	}
	return l
}

func tokenHash(link string) string {
	token := link[strings.LastIndex(link, "/")+1:]
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// files lists the files in the service's directory.
func (f *fixture) files() []string {
	f.t.Helper()
	entries, err := os.ReadDir(f.svc.DataDir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, filepath.Join(f.svc.DataDir, e.Name()))
	}
	return out
}

// outcomes lists the recorded visits of a link.
func (f *fixture) outcomes(l *store.SecureLink) []string {
	f.t.Helper()
	opens, err := f.st.FindSecureLinkOpens(f.t.Context(), l.CompanyID, l.ID)
	if err != nil {
		f.t.Fatalf("FindSecureLinkOpens: %v", err)
	}
	var out []string
	for _, o := range opens {
		out = append(out, o.Outcome)
		if o.Client != "" && o.Client != "127.0.0.0/24" {
			f.t.Errorf("client = %q, want the /24 network 127.0.0.0/24", o.Client)
		}
	}
	return out
}

// wantAudited checks that the company's audit log holds the link's
// creation and one record per visit with the outcomes, about the employee,
// from the visitor's network only, and that the chain still verifies.
func (f *fixture) wantAudited(l *store.SecureLink, outcomes []string) {
	f.t.Helper()
	recs, err := f.st.FindAudit(f.t.Context(), l.CompanyID, store.AuditFilter{})
	if err != nil {
		f.t.Fatal(err)
	}
	id := strconv.FormatInt(l.ID, 10)
	var got []string
	created := 0
	for _, r := range recs {
		if r.ObjectType != securelink.AuditObject || r.ObjectID != id {
			continue
		}
		if r.SubjectID == nil || *r.SubjectID != l.EmployeeID {
			f.t.Errorf("%s record is about %v, want employee %d", r.Action, r.SubjectID, l.EmployeeID)
		}
		switch r.Action {
		case securelink.AuditCreate:
			created++
		case securelink.AuditOpen:
			var after struct{ Outcome string }
			if err := json.Unmarshal(r.After, &after); err != nil {
				f.t.Fatalf("open record %s: %v", r.After, err)
			}
			got = append(got, after.Outcome)
			if r.Actor.Kind != "anonymous" || r.Actor.IP != "127.0.0.0/24" {
				f.t.Errorf("open record actor = %+v, want anonymous from 127.0.0.0/24", r.Actor)
			}
		}
	}
	if created != 1 || !slices.Equal(got, outcomes) {
		f.t.Errorf("audit log: %d create record(s), visits %v; want 1 and %v", created, got, outcomes)
	}
	rep, err := f.st.VerifyAudit(f.t.Context(), l.CompanyID)
	if err != nil || !rep.OK() {
		f.t.Errorf("audit chain: %+v, %v", rep, err)
	}
}

var codeRe = regexp.MustCompile(`\b(\d{6})\b`)

// lastCode reads the one-time code from the newest message in the
// employee's chat.
func (f *fixture) lastCode() string {
	f.t.Helper()
	msgs, err := f.st.FindChatMessages(f.t.Context(), f.co.ID, staffbot.ChannelTelegram, chatID, 0, 100)
	if err != nil {
		f.t.Fatalf("FindChatMessages: %v", err)
	}
	if len(msgs) == 0 {
		f.t.Fatal("no message in the chat")
	}
	m := codeRe.FindStringSubmatch(msgs[len(msgs)-1].Message.Text)
	if m == nil {
		f.t.Fatalf("no code in %q", msgs[len(msgs)-1].Message.Text)
	}
	return m[1]
}

// visitor is a browser: it keeps cookies and does not follow redirects.
type visitor struct {
	t    *testing.T
	c    *http.Client
	csrf string
}

func newVisitor(t *testing.T) *visitor {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &visitor{t: t, c: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) text() string { return string(r.body) }

func (v *visitor) do(req *http.Request) response {
	v.t.Helper()
	resp, err := v.c.Do(req)
	if err != nil {
		v.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		v.t.Fatal(err)
	}
	if m := csrfRe.FindSubmatch(body); m != nil {
		v.csrf = string(m[1])
	}
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}

func (v *visitor) get(link string) response {
	v.t.Helper()
	req, err := http.NewRequest(http.MethodGet, link, nil)
	if err != nil {
		v.t.Fatal(err)
	}
	return v.do(req)
}

// post submits a form of the page with the visitor's form token.
func (v *visitor) post(link string, form url.Values) response {
	v.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf") == "" {
		form.Set("csrf", v.csrf)
	}
	req, err := http.NewRequest(http.MethodPost, link, strings.NewReader(form.Encode()))
	if err != nil {
		v.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return v.do(req)
}

func (v *visitor) download(link string) response {
	v.t.Helper()
	return v.post(link, nil)
}

func wantStatus(t *testing.T, what string, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s: status %d, want %d\n%s", what, r.status, want, r.text())
	}
}

func wantText(t *testing.T, what string, r response, want string) {
	t.Helper()
	if !strings.Contains(r.text(), want) {
		t.Errorf("%s: page lacks %q\n%s", what, want, r.text())
	}
}
