package webchat

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

func TestServer_Join(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("ValidCodeSetsCookieAndStarts", func(t *testing.T) {
			t.Parallel()

			f := newFixture(t, open(t), false)
			f.register()

			// The link shows a button, which posts the code back.
			w := f.do(httptest.NewRequest("GET", "/join/"+f.code, nil))
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `<form class="card" method="post" action="/join/`+f.code+`">`) ||
				!strings.Contains(w.Body.String(), `id="join"`) {
				t.Fatalf("GET the link: %d\n%s\nwant the page with the button", w.Code, w.Body)
			}
			checkSecurityHeaders(t, w)
			if len(w.Result().Cookies()) != 0 || len(f.bot.received()) != 0 {
				t.Fatal("GET the link started a session")
			}

			// The browser prefers English, but the page is in Russian, and
			// so is the bot's first message.
			r := joinPost(f.code)
			r.Header.Set("Accept-Language", "en-US,en;q=0.9")
			w = f.do(r)

			if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/chat" {
				t.Fatalf("status = %d, location %q; want 303 to /chat", w.Code, w.Header().Get("Location"))
			}
			checkSecurityHeaders(t, w)
			cookies := w.Result().Cookies()
			if len(cookies) != 1 {
				t.Fatalf("cookies = %d, want 1", len(cookies))
			}
			c := cookies[0]
			if c.Name != "staffbot_chat" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure {
				t.Errorf("cookie = %+v, want staffbot_chat, HttpOnly, Lax, Path=/, not Secure", c)
			}
			slug, token, _ := strings.Cut(c.Value, ".")
			if slug != "acme" {
				t.Errorf("cookie slug = %q, want acme", slug)
			}

			ins := f.bot.received()
			if len(ins) != 1 {
				t.Fatalf("Handle called %d times, want 1", len(ins))
			}
			in := ins[0]
			if in.Text != "/start "+f.code || in.Kind != channel.KindText || in.Channel != staffbot.ChannelWebchat {
				t.Errorf("incoming = %q %s %s, want \"/start <code>\" text webchat", in.Text, in.Kind, in.Channel)
			}
			if in.CompanyID != f.co.ID || in.LanguageCode != "ru" || in.UpdateKey == "" {
				t.Errorf("incoming company %d, language %q, key %q", in.CompanyID, in.LanguageCode, in.UpdateKey)
			}
			if want := chatIDOf(t, c); in.ExternalID != want || in.ChatID != want {
				t.Errorf("external id %q, chat id %q, want both %q", in.ExternalID, in.ChatID, want)
			}
			if strings.Contains(in.ExternalID, token) || len(in.ExternalID) != 64 {
				t.Errorf("external id %q is not a SHA-256 of the token", in.ExternalID)
			}
			if _, err := f.st.FindAccount(t.Context(), f.co.ID, staffbot.ChannelWebchat, in.ExternalID); err != nil {
				t.Errorf("account not bound: %v", err)
			}
			if strings.Contains(f.logs.String(), f.code) {
				t.Errorf("the invite code is in the log:\n%s", f.logs)
			}
		})

		t.Run("SecureCookie", func(t *testing.T) {
			t.Parallel()

			f := newFixture(t, open(t), false)
			f.srv.SecureCookies = true
			f.register()
			c := f.join(t)
			if c.Name != "__Host-staffbot_chat" || !c.Secure {
				t.Errorf("cookie %s secure=%v, want __Host-staffbot_chat, Secure", c.Name, c.Secure)
			}
		})

		// The join forms post the page's language; the bot's first message
		// (the consent) follows it, whatever the browser prefers.
		t.Run("PageLanguageForTheFirstMessage", func(t *testing.T) {
			t.Parallel()

			for _, tt := range []struct {
				lang, accept, want string
			}{
				{"en", "ru-RU,ru;q=0.9", "en"},
				{"ru", "en-US,en;q=0.9", "ru"},
				{"", "en-US,en;q=0.9", "ru"},
				{"de", "de-DE", "ru"},
			} {
				f := newFixture(t, open(t), false)
				f.register()
				r := formRequest("/join/"+f.code, url.Values{"lang": {tt.lang}})
				r.Header.Set("Sec-Fetch-Site", "same-origin")
				r.Header.Set("Accept-Language", tt.accept)
				if w := f.do(r); w.Code != http.StatusSeeOther {
					t.Fatalf("join with lang %q: status %d", tt.lang, w.Code)
				}
				if ins := f.bot.received(); len(ins) != 1 || ins[0].LanguageCode != tt.want {
					t.Errorf("join with lang %q, Accept-Language %q: incoming %+v, want language %q", tt.lang, tt.accept, ins, tt.want)
				}
			}
		})

		t.Run("JunkCodeGetsStrangerPage", func(t *testing.T) {
			t.Parallel()

			f := newFixture(t, open(t), false)
			f.register()
			for _, code := range []string{"junk", staffbot.NewInviteCode(), "..%2F..%2Fetc", strings.Repeat("a", 65)} {
				for _, r := range []*http.Request{httptest.NewRequest("GET", "/join/"+code, nil), joinPost(code)} {
					w := f.do(r)
					if w.Code != http.StatusNotFound {
						t.Errorf("%s %s: status = %d, want 404", r.Method, code, w.Code)
					}
					checkStranger(t, f, code, w)
				}
			}
			if n := len(f.bot.received()); n != 0 {
				t.Errorf("Handle called %d times, want 0", n)
			}
		})

		// Opening the link, by any client under any name and any method
		// but the page's POST, never spends the single-use invite.
		t.Run("OpeningTheLinkNeverRedeems", func(t *testing.T) {
			t.Parallel()

			f := newFixture(t, open(t), false)
			f.register()
			for _, ua := range []string{
				"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/146.0 Safari/537.36",
				"Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Version/18.0 Mobile/15E148 Safari/604.1",
				"TelegramBot (like TwitterBot)",
				"",
			} {
				for _, method := range []string{"GET", "HEAD"} {
					r := httptest.NewRequest(method, "/join/"+f.code, nil)
					r.Header.Set("User-Agent", ua)
					r.Header.Set("Sec-Fetch-Site", "none")
					if w := f.do(r); w.Code != http.StatusOK || len(w.Result().Cookies()) != 0 {
						t.Errorf("%s as %q: %d with %d cookie(s), want 200 and none", method, ua, w.Code, len(w.Result().Cookies()))
					}
				}
			}
			// A form posted from another site, or by a page of its own
			// that a browser marks cross-site, is refused.
			for _, h := range []map[string]string{{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}} {
				r := httptest.NewRequest("POST", "/join/"+f.code, nil)
				for k, v := range h {
					r.Header.Set(k, v)
				}
				if w := f.do(r); w.Code != http.StatusForbidden {
					t.Errorf("cross-site POST %v: %d, want 403", h, w.Code)
				}
			}
			if n := len(f.bot.received()); n != 0 {
				t.Fatalf("Handle called %d times, want 0", n)
			}
			// The page's own button still works: the invite, which the bot
			// redeems once, is unused.
			f.join(t)
			if ins := f.bot.received(); len(ins) != 1 || ins[0].Text != "/start "+f.code {
				t.Errorf("incoming = %+v, want one /start <code>", ins)
			}
		})

		t.Run("PastedLinkInForm", func(t *testing.T) {
			t.Parallel()

			f := newFixture(t, open(t), false)
			f.register()
			w := f.do(formRequest("/chat/join", url.Values{"code": {" https://hr.example/join/" + f.code + "\n"}}))
			if w.Code != http.StatusSeeOther {
				t.Fatalf("status = %d, want 303", w.Code)
			}
			if ins := f.bot.received(); len(ins) != 1 || ins[0].Text != "/start "+f.code {
				t.Errorf("incoming = %+v, want one /start <code>", ins)
			}

			w = f.do(formRequest("/chat/join", url.Values{"code": {staffbot.NewInviteCode()}}))
			if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "закрытый бот компании") {
				t.Errorf("unknown code: status = %d, want 404 with the stranger text", w.Code)
			}
			if strings.Contains(w.Body.String(), f.co.Name) {
				t.Error("unknown code: page names the company")
			}
		})

		t.Run("CrossSiteFormIsRefused", func(t *testing.T) {
			t.Parallel()

			f := newFixture(t, open(t), false)
			f.register()
			r := formRequest("/chat/join", url.Values{"code": {f.code}})
			r.Header.Set("Origin", "https://evil.example")
			if w := f.do(r); w.Code != http.StatusForbidden {
				t.Errorf("status = %d, want 403", w.Code)
			}
			if n := len(f.bot.received()); n != 0 {
				t.Errorf("Handle called %d times, want 0", n)
			}
		})

		t.Run("RateLimited", func(t *testing.T) {
			t.Parallel()

			f := newFixture(t, open(t), false)
			f.register()
			var last *httptest.ResponseRecorder
			for range joinPerMinute + 1 {
				last = f.do(httptest.NewRequest("GET", "/join/junk", nil))
			}
			if last.Code != http.StatusTooManyRequests || last.Header().Get("Retry-After") == "" {
				t.Errorf("status = %d, Retry-After %q; want 429 with Retry-After", last.Code, last.Header().Get("Retry-After"))
			}

			r := httptest.NewRequest("GET", "/join/junk", nil)
			r.RemoteAddr = "192.0.2.99:1234"
			if w := f.do(r); w.Code != http.StatusNotFound {
				t.Errorf("another address: status = %d, want 404", w.Code)
			}
		})
	})
}

// checkStranger checks the page for strangers: it says the bot is closed,
// names no company and leaves no session.
func checkStranger(t *testing.T, f *fixture, code string, w *httptest.ResponseRecorder) {
	t.Helper()
	body := w.Body.String()
	if !strings.Contains(body, "закрытый бот компании") || !strings.Contains(body, "приглашение у HR") {
		t.Errorf("%s: not the stranger page:\n%s", code, body)
	}
	if strings.Contains(body, f.co.Name) || strings.Contains(body, f.co.Slug) {
		t.Errorf("%s: stranger page names the company", code)
	}
	if len(w.Result().Cookies()) != 0 {
		t.Errorf("%s: stranger got a cookie", code)
	}
	checkSecurityHeaders(t, w)
}

func TestServer_Chat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()

		f := newFixture(t, open(t), false)
		f.register()

		w := f.do(httptest.NewRequest("GET", "/chat", nil))
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `action="/chat/join"`) {
			t.Errorf("without session: status = %d, want 200 with the invite form", w.Code)
		}
		checkSecurityHeaders(t, w)

		// A cookie made up for a known company is no session.
		r := httptest.NewRequest("GET", "/chat", nil)
		r.AddCookie(&http.Cookie{Name: "staffbot_chat", Value: "acme.AAAAAAAAAAAAAAAAAAAAAA"})
		w = f.do(r)
		if body := w.Body.String(); !strings.Contains(body, `action="/chat/join"`) || strings.Contains(body, f.co.Name) {
			t.Errorf("made-up cookie: want the invite form without the company name:\n%s", body)
		}

		r = httptest.NewRequest("GET", "/chat", nil)
		r.AddCookie(f.join(t))
		w = f.do(r)
		body := w.Body.String()
		if !strings.Contains(body, `data-state="chat"`) || !strings.Contains(body, f.co.Name) {
			t.Errorf("with session: want the conversation with the company name:\n%s", body)
		}

		for _, path := range []string{"/chat/manifest.webmanifest", "/chat/sw.js", "/chat/icon.svg", "/chat/static/chat.js", "/chat/static/chat.css"} {
			w := f.do(httptest.NewRequest("GET", path, nil))
			if w.Code != http.StatusOK || w.Body.Len() == 0 {
				t.Errorf("%s: status = %d, %d bytes", path, w.Code, w.Body.Len())
			}
			checkSecurityHeaders(t, w)
		}
		if w := f.do(httptest.NewRequest("GET", "/chat/static/page.html", nil)); w.Code != http.StatusNotFound {
			t.Errorf("page template served: status = %d, want 404", w.Code)
		}
	})
}

func TestServer_Send(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()

		f := newFixture(t, open(t), false)
		f.register()
		cookie := f.join(t)
		chatID := chatIDOf(t, cookie)

		tests := []struct {
			name   string
			req    func() *http.Request
			status int
		}{
			{"NoCookie", func() *http.Request { return apiSend(`{"id":"1","text":"hi"}`, nil) }, http.StatusUnauthorized},
			{"NoCSRFHeader", func() *http.Request {
				r := apiSend(`{"id":"1","text":"hi"}`, cookie)
				r.Header.Del("X-Requested-With")
				return r
			}, http.StatusForbidden},
			{"NotJSON", func() *http.Request {
				r := apiSend(`{"id":"1","text":"hi"}`, cookie)
				r.Header.Set("Content-Type", "text/plain")
				return r
			}, http.StatusForbidden},
			{"CrossSite", func() *http.Request {
				r := apiSend(`{"id":"1","text":"hi"}`, cookie)
				r.Header.Set("Sec-Fetch-Site", "cross-site")
				return r
			}, http.StatusForbidden},
			{"NoID", func() *http.Request { return apiSend(`{"text":"hi"}`, cookie) }, http.StatusBadRequest},
			{"LongID", func() *http.Request {
				return apiSend(`{"id":"`+strings.Repeat("x", 65)+`","text":"hi"}`, cookie)
			}, http.StatusBadRequest},
			{"Empty", func() *http.Request { return apiSend(`{"id":"1","text":"  "}`, cookie) }, http.StatusBadRequest},
			{"TextAndData", func() *http.Request { return apiSend(`{"id":"1","text":"a","data":"b"}`, cookie) }, http.StatusBadRequest},
			{"TooLong", func() *http.Request {
				return apiSend(`{"id":"1","text":"`+strings.Repeat("я", maxTextRunes+1)+`"}`, cookie)
			}, http.StatusRequestEntityTooLarge},
			{"BadJSON", func() *http.Request { return apiSend(`{"id":`, cookie) }, http.StatusBadRequest},
		}
		for _, tt := range tests {
			if w := f.do(tt.req()); w.Code != tt.status {
				t.Errorf("%s: status = %d, want %d", tt.name, w.Code, tt.status)
			}
		}
		if n := len(f.bot.received()); n != 1 {
			t.Fatalf("refused sends reached Handle: %d calls, want 1 (the join)", n)
		}

		longest := strings.Repeat("я", maxTextRunes)
		if w := f.do(apiSend(`{"id":"m-1","text":"`+longest+`","lang":"en"}`, cookie)); w.Code != http.StatusAccepted {
			t.Fatalf("text: status = %d, want 202; %s", w.Code, w.Body)
		}
		if w := f.do(apiSend(`{"id":"m-1","text":"`+longest+`"}`, cookie)); w.Code != http.StatusAccepted {
			t.Fatalf("text again: status = %d, want 202", w.Code)
		}
		if w := f.do(apiSend(`{"id":"m-2","data":"yes"}`, cookie)); w.Code != http.StatusAccepted {
			t.Fatalf("button: status = %d, want 202", w.Code)
		}

		ins := f.bot.received()[1:]
		if len(ins) != 3 {
			t.Fatalf("Handle calls = %d, want 3", len(ins))
		}
		text, again, press := ins[0], ins[1], ins[2]
		if text.Kind != channel.KindText || text.Text != longest || text.LanguageCode != "en" {
			t.Errorf("text incoming = %s %d runes %q", text.Kind, len([]rune(text.Text)), text.LanguageCode)
		}
		if text.ChatID != chatID || text.ExternalID != chatID || text.CompanyID != f.co.ID {
			t.Errorf("text incoming is not from the session's chat")
		}
		if !strings.HasSuffix(text.UpdateKey, ":m-1") || again.UpdateKey != text.UpdateKey {
			t.Errorf("update keys %q, %q: want the same key ending in the page's id", text.UpdateKey, again.UpdateKey)
		}
		if press.Kind != channel.KindButton || press.Data != "yes" || press.UpdateKey == text.UpdateKey {
			t.Errorf("button incoming = %s %q key %q", press.Kind, press.Data, press.UpdateKey)
		}
	})
}

func TestServer_Messages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("RowsAfter", func(t *testing.T) {
			t.Parallel()

			f := newFixture(t, open(t), false)
			f.register()
			cookie := f.join(t)
			chatID := chatIDOf(t, cookie)

			first := mustEnqueue(t, f.st, f.co.ID, chatID, channel.Outgoing{Text: "один"})
			mustEnqueue(t, f.st, f.co.ID, "someone-else", channel.Outgoing{Text: "чужое"})
			mustEnqueue(t, f.st, f.co.ID, chatID, channel.Outgoing{
				Text:    "*два*",
				Format:  channel.FormatMarkup,
				Buttons: [][]channel.Button{{{Text: "Да", Data: "yes"}, {Text: "Сайт", URL: "https://hr.example/"}}},
			})
			mustEnqueue(t, f.st, f.co.ID, chatID, channel.Outgoing{Text: "три"})

			got := f.messages(t, cookie, first)
			if len(got.Messages) != 2 || got.Messages[0].Text != "*два*" || got.Messages[1].Text != "три" {
				t.Fatalf("messages = %+v, want два, три", got.Messages)
			}
			m := got.Messages[0]
			if m.Format != channel.FormatMarkup || len(m.Buttons) != 1 || len(m.Buttons[0]) != 2 ||
				m.Buttons[0][0].Data != "yes" || m.Buttons[0][1].URL != "https://hr.example/" {
				t.Errorf("message = %+v, want markup with two buttons", m)
			}
			if m.ID <= first || got.Messages[1].ID <= m.ID {
				t.Errorf("ids %d, %d after %d: want increasing", m.ID, got.Messages[1].ID, first)
			}
		})

		t.Run("WokenBySender", func(t *testing.T) {
			t.Parallel()

			f := newFixture(t, open(t), false)
			f.srv.pollTimeout = 20 * time.Second
			f.srv.pollInterval = time.Hour
			f.register()
			cookie := f.join(t)
			chatID := chatIDOf(t, cookie)
			last := mustEnqueue(t, f.st, f.co.ID, chatID, channel.Outgoing{Text: "старое"})

			done := make(chan messagesJSON, 1)
			go func() { done <- f.messages(t, cookie, last) }()
			waitForWaiter(t, f.srv, f.co.ID, chatID)

			msg := channel.Outgoing{Text: "новое"}
			mustEnqueue(t, f.st, f.co.ID, chatID, msg)
			start := time.Now()
			sender := f.srv.Sender()
			if sender.Kind() != staffbot.ChannelWebchat {
				t.Errorf("Kind = %s, want webchat", sender.Kind())
			}
			if err := sender.Send(t.Context(), f.co, chatID, msg); err != nil {
				t.Fatalf("Send: %v", err)
			}

			select {
			case got := <-done:
				if len(got.Messages) != 1 || got.Messages[0].Text != "новое" {
					t.Errorf("messages = %+v, want новое", got.Messages)
				}
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("poll returned %s after Send", d)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("poll not woken by Send")
			}
		})

		t.Run("TimesOutEmpty", func(t *testing.T) {
			t.Parallel()

			f := newFixture(t, open(t), false)
			f.srv.pollTimeout = 50 * time.Millisecond
			f.register()
			got := f.messages(t, f.join(t), 0)
			if len(got.Messages) != 0 || got.More {
				t.Errorf("messages = %+v, want none", got)
			}
		})

		t.Run("NoSession", func(t *testing.T) {
			t.Parallel()

			f := newFixture(t, open(t), false)
			f.register()
			if w := f.do(httptest.NewRequest("GET", "/chat/api/messages?after=0", nil)); w.Code != http.StatusUnauthorized {
				t.Errorf("status = %d, want 401", w.Code)
			}
		})
	})
}

func TestLimiter(t *testing.T) {
	l := newLimiter(60, 2)
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	client := clientPrefix(httptest.NewRequest("GET", "/", nil))

	for i := range 2 {
		if ok, _ := l.Allow(client, now); !ok {
			t.Fatalf("take %d refused within the burst", i)
		}
	}
	ok, wait := l.Allow(client, now)
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("take over the burst = %v, wait %s; want refused, wait up to 1s", ok, wait)
	}
	if ok, _ := l.Allow(client, now.Add(time.Second)); !ok {
		t.Error("take after a second refused")
	}
}

func TestClientPrefix(t *testing.T) {
	tests := []struct {
		addr, want string
	}{
		{"192.0.2.1:5000", "192.0.2.1/32"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"[::ffff:192.0.2.1]:80", "192.0.2.1/32"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.addr
		if got := clientPrefix(r).String(); got != tt.want {
			t.Errorf("clientPrefix(%q) = %s, want %s", tt.addr, got, tt.want)
		}
	}
}

func TestCodeFromInput(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"  abcDEF0123456789_-  ", "abcDEF0123456789_-"},
		{"https://hr.example/join/abcDEF0123456789?x=1", "abcDEF0123456789"},
		{"https://t.me/acme_bot?start=abcDEF0123456789", "abcDEF0123456789"},
	}
	for _, tt := range tests {
		if got := codeFromInput(tt.in); got != tt.want {
			t.Errorf("codeFromInput(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactPath(t *testing.T) {
	if got := RedactPath("/join/abcDEF0123456789"); got != "/join/{code}" {
		t.Errorf("RedactPath = %q", got)
	}
	if got := RedactPath("/chat"); got != "/chat" {
		t.Errorf("RedactPath(/chat) = %q", got)
	}
}

func (f *fixture) messages(t *testing.T, cookie *http.Cookie, after int64) messagesJSON {
	r := httptest.NewRequest("GET", "/chat/api/messages?after="+itoa(after), nil)
	r.AddCookie(cookie)
	w := f.do(r)
	var got messagesJSON
	if w.Code != http.StatusOK {
		t.Errorf("messages: status = %d, want 200; %s", w.Code, w.Body)
		return got
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Errorf("messages: %v", err)
	}
	return got
}

// waitForWaiter returns once a long poll of the chat is waiting.
func waitForWaiter(t *testing.T, s *Server, companyID staffbot.CompanyID, chatID string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		s.waiters.mu.Lock()
		_, ok := s.waiters.chats[chatKey{companyID, chatID}]
		s.waiters.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no poll is waiting")
}

func checkSecurityHeaders(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	h := w.Header()
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("nosniff %q, referrer %q", h.Get("X-Content-Type-Options"), h.Get("Referrer-Policy"))
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
