// Package webchat is the built-in web chat: an invited employee talks to the
// company bot from a browser page that installs on a phone as a progressive
// web app. The browser's identity is a random session token in a cookie;
// the bot knows the employee's account by the token's hash.
package webchat

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/ratelimit"
	"github.com/staffbot/staffbot/internal/store"
)

// Limits of the public endpoints, per client address.
const (
	joinPerMinute = 20
	sendPerMinute = 60
)

// Limits of what a page may send.
const (
	maxTextRunes = 4000
	maxDataLen   = 256
	maxIDLen     = 64
	maxBodyBytes = 64 << 10
)

const (
	// sessionMaxAge is how long a browser stays signed in without a new
	// invite.
	sessionMaxAge = 180 * 24 * time.Hour

	// handleTimeout bounds the bot's work on one incoming message. The work
	// goes on when the page that sent it goes away.
	handleTimeout = 30 * time.Second

	// pageSize is the most messages one poll returns.
	pageSize = 100
)

// Server serves the web chat pages and their JSON API.
type Server struct {
	Store *store.Store

	// Handle passes an incoming message to the bot, exactly as the messenger
	// adapters do. It is expected to deduplicate on UpdateKey.
	Handle func(ctx context.Context, in channel.Incoming) error

	Clock  staffbot.Clock
	Logger *slog.Logger

	// SecureCookies marks the session cookie Secure and gives it the
	// __Host- prefix. Set it whenever the site is served over HTTPS.
	SecureCookies bool

	// pollTimeout is how long a poll waits for news; pollInterval is how
	// often it re-reads the store meanwhile, for messages queued by another
	// process. Zero means the defaults.
	pollTimeout  time.Duration
	pollInterval time.Duration

	once      sync.Once
	waiters   *notifier
	joinLimit *ratelimit.Limiter
	sendLimit *ratelimit.Limiter
	assets    *assets
}

// New returns a web chat server. secureCookies should be true whenever the
// site is served over HTTPS.
func New(st *store.Store, handle func(ctx context.Context, in channel.Incoming) error, clock staffbot.Clock, logger *slog.Logger, secureCookies bool) *Server {
	s := &Server{Store: st, Handle: handle, Clock: clock, Logger: logger, SecureCookies: secureCookies}
	s.init()
	return s
}

func (s *Server) init() {
	s.once.Do(func() {
		s.waiters = newNotifier()
		s.joinLimit = newLimiter(joinPerMinute, joinPerMinute)
		s.sendLimit = newLimiter(sendPerMinute, sendPerMinute)
		s.assets = loadAssets()
		s.pollTimeout = cmp.Or(s.pollTimeout, 25*time.Second)
		s.pollInterval = cmp.Or(s.pollInterval, 3*time.Second)
		if s.Clock == nil {
			s.Clock = staffbot.SystemClock{}
		}
		if s.Logger == nil {
			s.Logger = slog.New(slog.DiscardHandler)
		}
	})
}

// Register adds the web chat's routes to mux.
func (s *Server) Register(mux *http.ServeMux) {
	s.init()

	mux.Handle("GET /join/{code}", s.headers(s.handleJoinLink))
	mux.Handle("POST /join/{code}", s.headers(s.handleJoinConfirm))
	mux.Handle("GET /chat", s.headers(s.handleChat))
	mux.Handle("POST /chat/join", s.headers(s.handleJoinForm))
	mux.Handle("POST /chat/api/send", s.headers(s.handleSend))
	mux.Handle("GET /chat/api/messages", s.headers(s.handleMessages))
	mux.Handle("GET /chat/manifest.webmanifest", s.headers(s.handleManifest))
	mux.Handle("GET /chat/sw.js", s.headers(s.handleServiceWorker))
	mux.Handle("GET /chat/icon.svg", s.headers(s.handleIcon))
	mux.Handle("GET /chat/static/{name}", s.headers(s.handleStatic))
}

// Sender returns the channel.Sender the dispatcher uses for web chat
// messages.
func (s *Server) Sender() *Sender {
	s.init()
	return &Sender{waiters: s.waiters}
}

// Notify wakes the open pages of a chat, as Sender.Send does.
func (s *Server) Notify(companyID staffbot.CompanyID, chatID string) {
	s.init()
	s.waiters.notify(companyID, chatID)
}

// RedactPath returns a request path fit for a log line: the invite code of
// a /join link is replaced, since it works as a password until used.
func RedactPath(path string) string {
	if strings.HasPrefix(path, "/join/") {
		return "/join/{code}"
	}
	return path
}

const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; manifest-src 'self'; worker-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// headers adds the security headers every web chat response carries. No
// referrer ever leaves: the /join URL holds the invite code.
func (s *Server) headers(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cache-Control", "no-store")
		h(w, r)
	})
}

func (s *Server) now() time.Time { return s.Clock.Now() }

// session is a browser signed in to one company's chat.
type session struct {
	company *staffbot.Company

	// chatID is the hex SHA-256 of the token: the account's ExternalID and
	// ChatID alike.
	chatID string
}

var errNoSession = errors.New("no session")

func (s *Server) cookieName() string {
	if s.SecureCookies {
		return "__Host-staffbot_chat"
	}
	return "staffbot_chat"
}

// newToken returns a fresh session token and its hash.
func newToken() (token, chatID string) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b), hashToken(b)
}

func decodeToken(token string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, err
	}
	if len(raw) != 16 {
		return nil, errors.New("session token of wrong length")
	}
	return raw, nil
}

func hashToken(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func (s *Server) setSession(w http.ResponseWriter, co *staffbot.Company, token string) {
	http.SetCookie(w, &http.Cookie{
		Name:     s.cookieName(),
		Value:    co.Slug + "." + token,
		Path:     "/",
		MaxAge:   int(sessionMaxAge / time.Second),
		HttpOnly: true,
		Secure:   s.SecureCookies,
		SameSite: http.SameSiteLaxMode,
	})
}

// readSession finds the company and chat of the request's cookie. A cookie
// that names a company but was never issued is refused as well: its chat
// has neither an account nor a single message from the bot.
func (s *Server) readSession(ctx context.Context, r *http.Request) (*session, error) {
	c, err := r.Cookie(s.cookieName())
	if err != nil {
		return nil, errNoSession
	}
	slug, token, ok := strings.Cut(c.Value, ".")
	if !ok {
		return nil, errNoSession
	}
	raw, err := decodeToken(token)
	if err != nil {
		return nil, errNoSession
	}

	co, err := s.Store.FindCompanyBySlug(ctx, slug)
	if errors.Is(err, staffbot.ErrNotFound) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("find session company: %w", err)
	}
	sess := &session{company: co, chatID: hashToken(raw)}

	_, err = s.Store.FindAccount(ctx, co.ID, staffbot.ChannelWebchat, sess.chatID)
	if err == nil {
		return sess, nil
	}
	if !errors.Is(err, staffbot.ErrNotFound) {
		return nil, fmt.Errorf("find session account: %w", err)
	}
	msgs, err := s.Store.FindChatMessages(ctx, co.ID, staffbot.ChannelWebchat, sess.chatID, 0, 1)
	if err != nil {
		return nil, fmt.Errorf("find session messages: %w", err)
	}
	if len(msgs) == 0 {
		return nil, errNoSession
	}
	return sess, nil
}

// tag names the chat in the page's local storage without revealing the
// account's id.
func (sess *session) tag() string {
	sum := sha256.Sum256([]byte("webchat-tag:" + sess.chatID))
	return hex.EncodeToString(sum[:8])
}

// handle passes one message to the bot and wakes the chat's pages, since
// the bot's reply is usually queued by the time Handle returns.
func (s *Server) handle(ctx context.Context, in channel.Incoming) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handleTimeout)
	defer cancel()

	err := s.Handle(ctx, in)
	s.waiters.notify(in.CompanyID, in.ChatID)
	return err
}

// randomKey returns a unique update key for an event the page did not
// number itself.
func randomKey(prefix string) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return prefix + hex.EncodeToString(b)
}

// pageLanguage returns the language the page is shown in, which its join
// forms post: Russian unless the employee switched the page to English.
// The browser's Accept-Language is not asked: the page does not follow it,
// and the bot's first message must speak the page's language, as every
// later one does (the page sends it with each message).
func pageLanguage(r *http.Request) string {
	if r.PostFormValue("lang") == "en" {
		return "en"
	}
	return "ru"
}
