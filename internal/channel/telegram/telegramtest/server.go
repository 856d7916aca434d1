// Package telegramtest is a fake Telegram Bot API for tests: a real HTTP
// server on 127.0.0.1 that speaks the Bot API's JSON, refuses what Telegram
// refuses (empty or too long text, broken markup, long callback data,
// unknown tokens) and records what was sent. Tests can block chats, inject
// 429s and other errors, and push updates, which go to getUpdates or, once a
// webhook is set, are POSTed to it the way Telegram does.
package telegramtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is the fake Bot API. Point a client at URL().
type Server struct {
	// MaxLongPoll caps how long getUpdates waits, whatever timeout it asks
	// for, so tests stay fast. One second unless changed.
	MaxLongPoll time.Duration

	srv *httptest.Server
	hc  *http.Client

	mu           sync.Mutex
	changed      chan struct{} // closed and replaced on every change
	bots         map[string]*bot
	nextBotID    int64
	nextUpdateID int64
	nextMsgID    int64
	sent         []Message
	docs         []Document
	callbacks    []Callback
	failures     map[string][]Failure // by method
	chatFailures map[int64]Failure
	calls        map[string]int
}

type bot struct {
	id       int64
	username string
	updates  []queued
	webhook  string
	secret   string
	polling  chan struct{} // closed to end the getUpdates in flight
}

type queued struct {
	id  int64
	raw json.RawMessage
}

// Message is a message the fake accepted, as it stands after any edits.
type Message struct {
	Bot         string // the bot's username
	MessageID   int64
	ChatID      int64
	Text        string
	ParseMode   string
	ReplyMarkup *Keyboard
	Edited      bool
}

// Keyboard is a parsed inline keyboard.
type Keyboard struct {
	InlineKeyboard [][]Button `json:"inline_keyboard"`
}

// Button is one inline keyboard button.
type Button struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data,omitempty"`
	URL          string `json:"url,omitempty"`
}

// Document is a document the fake accepted.
type Document struct {
	Bot      string
	ChatID   int64
	FileName string // as the multipart reader decodes it
	// Disposition is the raw Content-Disposition header of the file part.
	Disposition string
	Data        []byte
	URL         string // when sent by URL instead of uploaded
	Caption     string
}

// Callback is an answered callback query.
type Callback struct {
	ID   string
	Text string
}

// Failure is an error reply to inject.
type Failure struct {
	Code        int
	Description string
	Parameters  map[string]any
}

// NewServer starts a fake on 127.0.0.1 and closes it when the test ends.
func NewServer(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{
		MaxLongPoll:  time.Second,
		changed:      make(chan struct{}),
		bots:         map[string]*bot{},
		nextBotID:    7000000001,
		nextUpdateID: 100000001,
		nextMsgID:    1,
		failures:     map[string][]Failure{},
		chatFailures: map[int64]Failure{},
		calls:        map[string]int{},
		hc:           &http.Client{Timeout: 10 * time.Second},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.Close)
	return s
}

// URL is the base URL to give the client, without "/bot<token>".
func (s *Server) URL() string { return s.srv.URL }

// Close stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	for _, b := range s.bots {
		if b.polling != nil {
			close(b.polling)
			b.polling = nil
		}
	}
	s.mu.Unlock()
	s.srv.Close()
}

// AddBot registers a bot token; getMe answers with username. It returns the
// bot's user id.
func (s *Server) AddBot(token, username string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextBotID++
	s.bots[token] = &bot{id: s.nextBotID, username: username}
	return s.nextBotID
}

// Block makes every send to chatID fail as Telegram fails it for a user who
// blocked the bot.
func (s *Server) Block(chatID int64) {
	s.FailChat(chatID, http.StatusForbidden, "Forbidden: bot was blocked by the user")
}

// Unblock lets sends to chatID through again.
func (s *Server) Unblock(chatID int64) { s.FailChat(chatID, 0, "") }

// FailChat makes every send to chatID fail with code and description until
// called again with code 0.
func (s *Server) FailChat(chatID int64, code int, description string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == 0 {
		delete(s.chatFailures, chatID)
		return
	}
	s.chatFailures[chatID] = Failure{Code: code, Description: description}
}

// RateLimitNext makes the next call of method fail with 429 and
// retry_after seconds.
func (s *Server) RateLimitNext(method string, retryAfter int) {
	s.FailNext(method, http.StatusTooManyRequests,
		fmt.Sprintf("Too Many Requests: retry after %d", retryAfter),
		map[string]any{"retry_after": retryAfter})
}

// FailNext makes the next call of method (for any bot) fail with the given
// reply. Several calls queue up.
func (s *Server) FailNext(method string, code int, description string, params map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[method] = append(s.failures[method], Failure{code, description, params})
}

// Sent returns every accepted message, oldest first.
func (s *Server) Sent() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.sent...)
}

// SentTo returns the accepted messages to chatID, oldest first.
func (s *Server) SentTo(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sentToLocked(chatID)
}

func (s *Server) sentToLocked(chatID int64) []Message {
	var out []Message
	for _, m := range s.sent {
		if m.ChatID == chatID {
			out = append(out, m)
		}
	}
	return out
}

// WaitSent waits until at least n messages reached chatID, or ctx is done.
func (s *Server) WaitSent(ctx context.Context, chatID int64, n int) ([]Message, error) {
	for {
		s.mu.Lock()
		got, changed := s.sentToLocked(chatID), s.changed
		s.mu.Unlock()
		if len(got) >= n {
			return got, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return got, fmt.Errorf("wait for %d messages to %d, got %d: %w", n, chatID, len(got), ctx.Err())
		}
	}
}

// Documents returns every accepted document, oldest first.
func (s *Server) Documents() []Document {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Document(nil), s.docs...)
}

// AnsweredCallbacks returns the answered callback queries, oldest first.
func (s *Server) AnsweredCallbacks() []Callback {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Callback(nil), s.callbacks...)
}

// Webhook returns the webhook set for token, if any.
func (s *Server) Webhook(token string) (url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.bots[token]; b != nil {
		return b.webhook, b.secret
	}
	return "", ""
}

// Pending returns how many updates of token wait for getUpdates: pushed and
// not yet confirmed by a later offset.
func (s *Server) Pending(token string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.bots[token]; b != nil {
		return len(b.updates)
	}
	return 0
}

// Calls returns how many times method was called, refused calls included.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// WebhookError is returned by PushUpdate when the webhook did not answer 2xx.
type WebhookError struct {
	StatusCode int
}

func (e *WebhookError) Error() string {
	return fmt.Sprintf("webhook answered %d", e.StatusCode)
}

// PushUpdate delivers an update for the bot with token: queued for
// getUpdates, or POSTed to the webhook with the secret header when one is
// set. Webhook URLs must be on loopback.
func (s *Server) PushUpdate(token string, update json.RawMessage) error {
	var head struct {
		UpdateID int64 `json:"update_id"`
	}
	if err := json.Unmarshal(update, &head); err != nil {
		return fmt.Errorf("push update: %w", err)
	}

	s.mu.Lock()
	b := s.bots[token]
	if b == nil {
		s.mu.Unlock()
		return fmt.Errorf("push update: unknown bot")
	}
	url, secret := b.webhook, b.secret
	if url == "" {
		b.updates = append(b.updates, queued{head.UpdateID, update})
		s.notifyLocked()
	}
	s.mu.Unlock()
	if url == "" {
		return nil
	}

	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(string(update)))
	if err != nil {
		return fmt.Errorf("push update: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return fmt.Errorf("push update: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return &WebhookError{StatusCode: resp.StatusCode}
	}
	return nil
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}
