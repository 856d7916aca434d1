package securelink_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/securelink"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

func TestService(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("CreateOpenDownload", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			link := f.mustCreate(f.emp, securelink.Options{})
			v := newVisitor(t)

			page := v.get(link)
			wantStatus(t, "page", page, http.StatusOK)
			wantText(t, "page", page, pdfName)
			wantText(t, "page", page, "Осталось скачиваний: 3")
			wantText(t, "page", page, "Ссылка действует до 03.03.2026 12:00") // 24 h later, Moscow time
			if got := page.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("page Cache-Control = %q, want no-store", got)
			}
			if got := page.header.Get("Referrer-Policy"); got != "no-referrer" {
				t.Errorf("page Referrer-Policy = %q, want no-referrer", got)
			}

			got := v.download(link)
			wantStatus(t, "download", got, http.StatusOK)
			if !bytes.Equal(got.body, pdf) {
				t.Errorf("downloaded %d bytes %q, want the %d bytes stored", len(got.body), got.body, len(pdf))
			}
			wantHeaders := map[string]string{
				"Content-Type":           "application/pdf",
				"Cache-Control":          "no-store",
				"X-Content-Type-Options": "nosniff",
				"Content-Disposition": `attachment; filename="Spravka o dokhodakh 2026.pdf"; ` +
					`filename*=UTF-8''%D0%A1%D0%BF%D1%80%D0%B0%D0%B2%D0%BA%D0%B0%20%D0%BE%20%D0%B4%D0%BE%D1%85%D0%BE%D0%B4%D0%B0%D1%85%202026.pdf`,
			}
			for k, want := range wantHeaders {
				if got := got.header.Get(k); got != want {
					t.Errorf("download %s = %q, want %q", k, got, want)
				}
			}

			l := f.link(f.co.ID, link)
			if l.Opens != 1 || l.State != store.SecureLinkActive {
				t.Errorf("after one download: opens %d state %s, want 1 active", l.Opens, l.State)
			}
			if got, want := f.outcomes(l), []string{"page", "download"}; !slices.Equal(got, want) {
				t.Errorf("recorded visits %v, want %v", got, want)
			}
		})

		t.Run("MaxOpensEnforced", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			link := f.mustCreate(f.emp, securelink.Options{MaxOpens: 2})
			v := newVisitor(t)
			v.get(link)

			for i := range 2 {
				got := v.download(link)
				wantStatus(t, "download", got, http.StatusOK)
				if !bytes.Equal(got.body, pdf) {
					t.Fatalf("download %d: bytes differ", i+1)
				}
			}
			// The last allowed open deleted the file at once.
			if files := f.files(); len(files) != 0 {
				t.Errorf("files left after the last open: %v", files)
			}

			refused := v.download(link)
			wantStatus(t, "download past the limit", refused, http.StatusGone)
			wantText(t, "download past the limit", refused, "Ссылка уже использована")
			if bytes.Contains(refused.body, pdf[:8]) {
				t.Error("the refusal carries the file")
			}
			page := v.get(link + "?lang=en")
			wantStatus(t, "page past the limit", page, http.StatusGone)
			wantText(t, "page past the limit", page, "This link has already been used")

			f.wantWiped(link, store.SecureLinkUsed)
			want := []string{"page", "download", "download", "refused_used", "refused_used"}
			if got := f.outcomes(f.link(f.co.ID, link)); !slices.Equal(got, want) {
				t.Errorf("recorded visits %v, want %v", got, want)
			}
			f.wantAudited(f.link(f.co.ID, link), want)
		})

		t.Run("ConcurrentDownloadsSpendEachOpenOnce", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			link := f.mustCreate(f.emp, securelink.Options{MaxOpens: 3})
			v := newVisitor(t)
			v.get(link)

			const tries = 8
			statuses := make(chan int, tries)
			var wg sync.WaitGroup
			for range tries {
				wg.Go(func() {
					got := v.download(link)
					if got.status == http.StatusOK && !bytes.Equal(got.body, pdf) {
						t.Error("a download served other bytes")
					}
					statuses <- got.status
				})
			}
			wg.Wait()
			close(statuses)
			count := map[int]int{}
			for st := range statuses {
				count[st]++
			}
			if count[http.StatusOK] != 3 || count[http.StatusGone] != tries-3 {
				t.Errorf("statuses %v, want 3 × 200 and %d × 410", count, tries-3)
			}
			f.wantWiped(link, store.SecureLinkUsed)
		})

		t.Run("ExpiryDeletesFileAndKey", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			link := f.mustCreate(f.emp, securelink.Options{TTL: 2 * time.Hour})
			v := newVisitor(t)
			wantStatus(t, "page", v.get(link), http.StatusOK)

			f.clock.Advance(2 * time.Hour)
			got := v.download(link)
			wantStatus(t, "download after expiry", got, http.StatusGone)
			wantText(t, "download after expiry", got, "Ссылка истекла")
			if files := f.files(); len(files) != 0 {
				t.Errorf("files left after expiry: %v", files)
			}
			f.wantWiped(link, store.SecureLinkExpired)
			wantStatus(t, "page after expiry", v.get(link), http.StatusGone)
		})

		t.Run("CleanupClosesExpiredLinks", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			old := f.mustCreate(f.emp, securelink.Options{TTL: time.Hour})
			fresh := f.mustCreate(f.emp, securelink.Options{TTL: 48 * time.Hour})

			f.clock.Advance(25 * time.Hour)
			n, err := f.svc.Cleanup(t.Context())
			if err != nil {
				t.Fatalf("Cleanup: %v", err)
			}
			if n != 1 {
				t.Errorf("Cleanup closed %d links, want 1", n)
			}
			f.wantWiped(old, store.SecureLinkExpired)
			if files := f.files(); len(files) != 1 {
				t.Errorf("files after cleanup: %v, want only the fresh link's", files)
			}
			v := newVisitor(t)
			wantText(t, "expired page", v.get(old), "Ссылка истекла")
			wantStatus(t, "fresh link", v.get(fresh), http.StatusOK)
			if got := v.download(fresh); !bytes.Equal(got.body, pdf) {
				t.Errorf("fresh link: status %d, bytes differ", got.status)
			}
		})

		t.Run("CodeSentToChatThenDownload", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			link := f.mustCreate(f.emp, securelink.Options{RequireCode: true})
			v := newVisitor(t)

			page := v.get(link)
			wantStatus(t, "page", page, http.StatusOK)
			wantText(t, "page", page, "Отправить код")
			if strings.Contains(page.text(), pdfName) {
				t.Error("the page names the file before the code")
			}
			noCode := v.download(link)
			wantStatus(t, "download without a code", noCode, http.StatusForbidden)
			wantText(t, "download without a code", noCode, "Запросите новый")

			sent := v.post(link+"/code", nil)
			wantStatus(t, "send code", sent, http.StatusSeeOther)
			code := f.lastCode()
			page = v.get(link + "?sent=1")
			wantText(t, "page with code field", page, `id="code"`)
			wantText(t, "page with code field", page, "Код отправлен в чат")

			l := f.link(f.co.ID, link)
			if l.CodeHash == "" || strings.Contains(l.CodeHash, code) {
				t.Errorf("stored code hash %q: empty or holds the code", l.CodeHash)
			}

			wrong := "000000"
			if code == wrong {
				wrong = "111111"
			}
			bad := v.post(link, url.Values{"code": {wrong}})
			wantStatus(t, "wrong code", bad, http.StatusForbidden)
			wantText(t, "wrong code", bad, "Неверный код. Осталось попыток: 4.")

			got := v.post(link, url.Values{"code": {code[:3] + " " + code[3:]}})
			wantStatus(t, "right code", got, http.StatusOK)
			if !bytes.Equal(got.body, pdf) {
				t.Error("downloaded bytes differ")
			}

			// One code, one download.
			again := v.post(link, url.Values{"code": {code}})
			wantStatus(t, "code used twice", again, http.StatusForbidden)
			wantText(t, "code used twice", again, "Запросите новый")

			if got, want := f.outcomes(f.link(f.co.ID, link)), []string{
				"page", "code_stale", "code_sent", "page", "code_wrong", "download", "code_stale",
			}; !slices.Equal(got, want) {
				t.Errorf("recorded visits %v, want %v", got, want)
			}
		})

		t.Run("WrongCodesLock", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			link := f.mustCreate(f.emp, securelink.Options{RequireCode: true})
			v := newVisitor(t)
			v.get(link)
			v.post(link+"/code", nil)
			code := f.lastCode()
			wrong := "000000"
			if code == wrong {
				wrong = "111111"
			}

			for i := 1; i < securelink.MaxCodeFailures; i++ {
				wantStatus(t, "wrong code", v.post(link, url.Values{"code": {wrong}}), http.StatusForbidden)
			}
			locked := v.post(link, url.Values{"code": {wrong}})
			wantStatus(t, "last wrong code", locked, http.StatusGone)
			wantText(t, "last wrong code", locked, "Ссылка заблокирована")

			right := v.post(link, url.Values{"code": {code}})
			wantStatus(t, "right code after the lock", right, http.StatusGone)
			if bytes.Equal(right.body, pdf) {
				t.Error("the locked link served the file")
			}
			f.wantWiped(link, store.SecureLinkLocked)
			if files := f.files(); len(files) != 0 {
				t.Errorf("files left after the lock: %v", files)
			}
			want := []string{"page", "code_sent"}
			for range securelink.MaxCodeFailures - 1 {
				want = append(want, "code_wrong")
			}
			f.wantAudited(f.link(f.co.ID, link), append(want, "locked", "refused_locked"))
		})

		t.Run("NewCodesWaitAndRunOut", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			link := f.mustCreate(f.emp, securelink.Options{RequireCode: true})
			v := newVisitor(t)
			v.get(link)

			wantStatus(t, "first code", v.post(link+"/code", nil), http.StatusSeeOther)
			wait := v.post(link+"/code", nil)
			wantText(t, "second code at once", wait, "Новый можно запросить через минуту")
			for i := 1; i < securelink.MaxCodesSent; i++ {
				f.clock.Advance(securelink.CodeResendAfter)
				wantStatus(t, "next code", v.post(link+"/code", nil), http.StatusSeeOther)
			}
			f.clock.Advance(securelink.CodeResendAfter)
			limit := v.post(link+"/code", nil)
			wantText(t, "code past the limit", limit, "больше нельзя отправить код")

			msgs, err := f.st.FindChatMessages(t.Context(), f.co.ID, staffbot.ChannelTelegram, chatID, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != securelink.MaxCodesSent {
				t.Errorf("%d code messages in the chat, want %d", len(msgs), securelink.MaxCodesSent)
			}
		})

		t.Run("UnknownOrForeignTokenIsNotFound", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			link := f.mustCreate(f.emp, securelink.Options{})
			v := newVisitor(t)

			random := make([]byte, 24)
			rand.Read(random)
			for _, path := range []string{
				securelink.PathPrefix + base64.RawURLEncoding.EncodeToString(random),
				securelink.PathPrefix + "short",
				securelink.PathPrefix + strings.Repeat("%27", 20),
			} {
				got := v.get(f.srv.URL + path)
				wantStatus(t, path, got, http.StatusNotFound)
				wantText(t, path, got, "Ссылка не найдена")
				if strings.Contains(got.text(), pdfName) || strings.Contains(got.text(), f.co.Name) {
					t.Errorf("%s: the 404 page tells about a file or company", path)
				}
				v.get(link) // for a form token
				wantStatus(t, path+" POST", v.download(f.srv.URL+path), http.StatusNotFound)
			}

			// The link is the first company's: looked up as the other's it
			// does not exist.
			_, err := f.st.FindSecureLink(t.Context(), f.other.ID, tokenHash(link))
			if !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("FindSecureLink as another company: %v, want ErrNotFound", err)
			}
			// A link cannot be made for another company's employee.
			err = f.st.InTx(t.Context(), func(tx *store.Tx) error {
				_, err := f.svc.Create(t.Context(), tx, f.co.ID, f.otherEmp.ID, securelink.FileSpec{Name: "x.pdf", Data: pdf}, securelink.Options{})
				return err
			})
			if err == nil {
				t.Error("Create for another company's employee succeeded")
			}
		})

		t.Run("DiskAndDatabaseHoldNoPlaintext", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			link := f.mustCreate(f.emp, securelink.Options{RequireCode: true})

			files := f.files()
			if len(files) != 1 {
				t.Fatalf("files on disk: %v, want 1", files)
			}
			raw, err := os.ReadFile(files[0])
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range [][]byte{pdf, []byte("СЕКРЕТНЫЙ-МАРКЕР"), []byte("%PDF"), []byte("123456,78")} {
				if bytes.Contains(raw, secret) {
					t.Errorf("the file on disk holds %q in the clear", secret)
				}
			}
			if info, err := os.Stat(files[0]); err != nil || info.Mode().Perm() != 0o600 {
				t.Errorf("file mode %v (%v), want 0600", info.Mode().Perm(), err)
			}

			var name, key, hash string
			err = f.st.DB().QueryRowContext(t.Context(), "SELECT file_name_sealed, file_key_sealed, token_hash FROM secure_links").Scan(&name, &key, &hash)
			if err != nil {
				t.Fatal(err)
			}
			token := link[strings.LastIndex(link, "/")+1:]
			if strings.Contains(name, "Справка") || hash == token || strings.Contains(hash, token) {
				t.Errorf("row keeps the file name or token in the clear: name %q hash %q", name, hash)
			}
			// Both under the company's data key, which a company key
			// rotation replaces, not directly under the master key.
			if !strings.HasPrefix(key, "v2:") || !strings.HasPrefix(name, "v2:") {
				t.Errorf("file key %.20q… and name %.20q… are not sealed with the company's data key", key, name)
			}
			// Tampering with the sealed file is caught, not served.
			raw[len(raw)-1] ^= 1
			if err := os.WriteFile(files[0], raw, 0o600); err != nil {
				t.Fatal(err)
			}
			v := newVisitor(t)
			v.get(link)
			v.post(link+"/code", nil)
			got := v.post(link, url.Values{"code": {f.lastCode()}})
			wantStatus(t, "tampered file", got, http.StatusInternalServerError)
		})

		t.Run("FormsNeedTheirToken", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			link := f.mustCreate(f.emp, securelink.Options{})

			stranger := newVisitor(t)
			wantStatus(t, "POST without a cookie", stranger.post(link, url.Values{"csrf": {"x"}}), http.StatusForbidden)

			v := newVisitor(t)
			v.get(link)
			wantStatus(t, "POST with a wrong token", v.post(link, url.Values{"csrf": {strings.Repeat("A", 32)}}), http.StatusForbidden)

			req, _ := http.NewRequest(http.MethodPost, link, strings.NewReader(url.Values{"csrf": {v.csrf}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			wantStatus(t, "cross-site POST", v.do(req), http.StatusForbidden)

			if l := f.link(f.co.ID, link); l.Opens != 0 {
				t.Errorf("opens = %d after refused forms, want 0", l.Opens)
			}
		})

		t.Run("UnreachableEmployeeGetsNoCode", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			link := f.mustCreate(f.otherEmp, securelink.Options{RequireCode: true})
			v := newVisitor(t)
			v.get(link)
			got := v.post(link+"/code", nil)
			wantStatus(t, "send code", got, http.StatusServiceUnavailable)
			wantText(t, "send code", got, "бот не может написать вам")
			if l := f.link(f.other.ID, link); l.CodesSent != 0 || l.CodeHash != "" {
				t.Errorf("codes sent %d hash %q, want none kept", l.CodesSent, l.CodeHash)
			}
		})

		t.Run("DeliverSendsTheLink", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			var link string
			err := f.st.InTx(t.Context(), func(tx *store.Tx) error {
				var err error
				link, err = f.svc.Deliver(t.Context(), tx, f.co.ID, f.emp.ID,
					securelink.FileSpec{Name: pdfName, ContentType: "application/pdf", Data: pdf},
					securelink.Options{RequireCode: true}, locale.RU)
				return err
			})
			if err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			msgs, err := f.st.FindChatMessages(t.Context(), f.co.ID, staffbot.ChannelTelegram, chatID, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != 1 {
				t.Fatalf("%d messages, want 1", len(msgs))
			}
			text := msgs[0].Message.Text
			for _, want := range []string{link, "1 день", "3 раз", "одноразовый код", pdfName} {
				if !strings.Contains(text, want) {
					t.Errorf("message %q lacks %q", text, want)
				}
			}
		})

		t.Run("OrphanFilesSwept", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			live := f.mustCreate(f.emp, securelink.Options{TTL: 48 * time.Hour})
			rollback := errors.New("roll back")
			err := f.st.InTx(t.Context(), func(tx *store.Tx) error {
				if _, err := f.svc.Create(t.Context(), tx, f.co.ID, f.emp.ID, securelink.FileSpec{Name: "a.pdf", Data: pdf}, securelink.Options{}); err != nil {
					return err
				}
				return rollback
			})
			if !errors.Is(err, rollback) {
				t.Fatalf("InTx: %v", err)
			}
			if n := len(f.files()); n != 2 {
				t.Fatalf("%d files, want 2 (live and rolled back)", n)
			}
			if _, err := f.svc.Cleanup(t.Context()); err != nil {
				t.Fatal(err)
			}
			if n := len(f.files()); n != 2 {
				t.Errorf("%d files after cleaning young files, want 2", n)
			}

			old := time.Now().Add(-2 * securelink.OrphanAge)
			for _, p := range f.files() {
				if err := os.Chtimes(p, old, old); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := f.svc.Cleanup(t.Context()); err != nil {
				t.Fatal(err)
			}
			if n := len(f.files()); n != 1 {
				t.Errorf("%d files after sweeping, want 1 (the live link's)", n)
			}
			if got := newVisitor(t).get(live); got.status != http.StatusOK {
				t.Errorf("live link after the sweep: status %d", got.status)
			}
			v := newVisitor(t)
			v.get(live)
			if got := v.download(live); !bytes.Equal(got.body, pdf) {
				t.Errorf("live link after the sweep: status %d, bytes differ", got.status)
			}
		})

		t.Run("PagesAreRateLimited", func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, open(t))
			v := newVisitor(t)
			unknown := f.srv.URL + securelink.PathPrefix + "x"
			limited := 0
			for range 40 {
				if v.get(unknown).status == http.StatusTooManyRequests {
					limited++
				}
			}
			if limited != 10 {
				t.Errorf("%d of 40 requests in a minute refused, want 10", limited)
			}
			f.clock.Advance(time.Minute)
			wantStatus(t, "a minute later", v.get(unknown), http.StatusNotFound)
		})
	})
}

// wantWiped checks that a closed link keeps no key, name, file or code.
func (f *fixture) wantWiped(link string, state store.SecureLinkState) {
	f.t.Helper()
	l := f.link(f.co.ID, link)
	if l.State != state || l.ClosedAt == nil {
		f.t.Errorf("state %s closed %v, want %s and closed", l.State, l.ClosedAt, state)
	}
	if l.FileKey != nil || l.FileName != "" || l.StorageName != "" || l.CodeHash != "" {
		f.t.Errorf("closed link keeps key %x name %q storage %q code %q", l.FileKey, l.FileName, l.StorageName, l.CodeHash)
	}
	var key, name string
	err := f.st.DB().QueryRowContext(f.t.Context(), "SELECT file_key_sealed, file_name_sealed FROM secure_links WHERE id = "+
		strconv.FormatInt(l.ID, 10)).Scan(&key, &name)
	if err != nil {
		f.t.Fatal(err)
	}
	if key != "" || name != "" {
		f.t.Errorf("row keeps sealed key %q name %q", key, name)
	}
}

func TestLinkMessage(t *testing.T) {
	tests := []struct {
		lang  locale.Lang
		url   string
		opts  securelink.Options
		want  []string
		noBtn bool
	}{
		{locale.RU, "https://hr.example.ru/l/abc", securelink.Options{}, []string{"1 день", "3 раз", "«a.pdf»"}, false},
		{locale.RU, "http://127.0.0.1/l/abc", securelink.Options{TTL: 2 * time.Hour, MaxOpens: 1, RequireCode: true}, []string{"2 часа", "1 раза", "одноразовый код"}, true},
		{locale.EN, "https://hr.example.ru/l/abc", securelink.Options{TTL: 30 * time.Minute, MaxOpens: 5}, []string{"30 minutes", "5 times"}, false},
	}
	for _, tt := range tests {
		msg := securelink.LinkMessage(tt.lang, "a.pdf", tt.url, tt.opts)
		for _, w := range append(tt.want, tt.url) {
			if !strings.Contains(msg.Text, w) {
				t.Errorf("LinkMessage(%s, %v) = %q, lacks %q", tt.lang, tt.opts, msg.Text, w)
			}
		}
		hasBtn := len(msg.Buttons) == 1 && msg.Buttons[0][0].URL == tt.url
		if hasBtn == tt.noBtn {
			t.Errorf("LinkMessage(%s): button %v, want %v", tt.url, hasBtn, !tt.noBtn)
		}
	}
	if got := securelink.CodeMessage(locale.EN, "012345"); !strings.Contains(got.Text, "012345") {
		t.Errorf("CodeMessage = %q, lacks the code", got.Text)
	}
}

func TestRedactPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/l/abcdef", "/l/{token}"},
		{"/l/abcdef/code", "/l/{token}/code"},
		{"/chat", "/chat"},
	}
	for _, tt := range tests {
		if got := securelink.RedactPath(tt.in); got != tt.want {
			t.Errorf("RedactPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestOptions_WithDefaults(t *testing.T) {
	got, err := securelink.Options{}.WithDefaults()
	if err != nil || got.TTL != 24*time.Hour || got.MaxOpens != 3 {
		t.Errorf("defaults = %+v, %v; want 24h and 3 opens", got, err)
	}
	for _, bad := range []securelink.Options{{TTL: -time.Hour}, {TTL: 31 * 24 * time.Hour}, {MaxOpens: -1}, {MaxOpens: 101}} {
		if _, err := bad.WithDefaults(); !errors.Is(err, staffbot.ErrInvalid) {
			t.Errorf("WithDefaults(%+v) = %v, want ErrInvalid", bad, err)
		}
	}
}
