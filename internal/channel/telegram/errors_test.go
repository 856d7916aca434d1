package telegram_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/channel/telegram"
)

// replayServer answers every Bot API call with one recorded reply and keeps
// the request bodies.
type replayServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
}

func newReplay(t *testing.T, status int, body json.RawMessage) *replayServer {
	t.Helper()
	rs := &replayServer{}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rs.mu.Lock()
		rs.bodies = append(rs.bodies, string(b))
		rs.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(rs.Close)
	return rs
}

// recorded is a request and reply as the case files store them.
type recorded struct {
	Response struct {
		HTTPStatus int             `json:"http_status"`
		Body       json.RawMessage `json:"body"`
	} `json:"response"`
}

// deliveryStatus maps a send error to the per-recipient status of case 04,
// using only the error kinds the package returns.
func deliveryStatus(err error) string {
	var rl *channel.RateLimitError
	switch {
	case err == nil:
		return "delivered"
	case errors.As(err, &rl):
		return "retry"
	case errors.Is(err, telegram.ErrDeactivated):
		return "deactivated"
	case errors.Is(err, telegram.ErrNotStarted):
		return "not-onboarded"
	case errors.Is(err, channel.ErrBlocked):
		return "blocked"
	case errors.Is(err, channel.ErrBadRequest):
		return "invalid"
	}
	return "error"
}

// Case 04 (04-tg-broadcast-mixed-results): each recorded reply classifies
// into its own per-recipient status, and only the 429 asks for a retry.
func TestCase04_BroadcastMixedResults(t *testing.T) {
	var c struct {
		Text    string `json:"text"`
		Results []struct {
			ChatID     int64           `json:"chat_id"`
			HTTPStatus int             `json:"http_status"`
			Body       json.RawMessage `json:"body"`
		} `json:"results"`
	}
	mustReadJSON(t, "testdata/04-tg-broadcast-mixed-results.json", &c)

	want := []string{"delivered", "blocked", "deactivated", "not-onboarded", "retry", "invalid"}
	if len(c.Results) != len(want) {
		t.Fatalf("case has %d results, want %d", len(c.Results), len(want))
	}
	for i, res := range c.Results {
		rs := newReplay(t, res.HTTPStatus, res.Body)
		client := telegram.NewClient(rs.URL, "123:token", nil)
		err := client.SendMessage(t.Context(), jsonInt(res.ChatID), channel.Outgoing{Text: c.Text})
		if got := deliveryStatus(err); got != want[i] {
			t.Errorf("chat %d: status = %q (err %v), want %q", res.ChatID, got, err, want[i])
		}
		var rl *channel.RateLimitError
		if errors.As(err, &rl) && rl.RetryAfter != 7*time.Second {
			t.Errorf("chat %d: retry after %s, want 7s", res.ChatID, rl.RetryAfter)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name, file string
		check      func(error) bool
	}{
		{"03-tg-429-retry-after-7", "testdata/03-tg-429-retry-after-7.json", func(err error) bool {
			var rl *channel.RateLimitError
			return errors.As(err, &rl) && rl.RetryAfter == 7*time.Second
		}},
		{"06-tg-400-user-is-blocked-media-group", "testdata/06-tg-400-user-is-blocked-media-group.json",
			func(err error) bool {
				return errors.Is(err, channel.ErrBlocked) && !errors.Is(err, channel.ErrBadRequest)
			}},
		{"07-tg-400-message-not-modified", "testdata/07-tg-400-message-not-modified.json",
			func(err error) bool { return err == nil }},
		{"08-tg-markdownv2-unescaped", "testdata/08-tg-markdownv2-unescaped.json", func(err error) bool {
			return errors.Is(err, telegram.ErrParseEntities) && errors.Is(err, channel.ErrBadRequest)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec recorded
			mustReadJSON(t, tt.file, &rec)
			rs := newReplay(t, rec.Response.HTTPStatus, rec.Response.Body)
			client := telegram.NewClient(rs.URL, "123:token", nil)

			err := client.EditMessageText(t.Context(), "700000001", 5520, channel.Outgoing{Text: "x"})
			if !tt.check(err) {
				t.Fatalf("EditMessageText: unexpected error %v", err)
			}
		})
	}
}

// Case 15 (15-tg-400-migrate-to-chat-id): the later 400 names the new chat.
func TestCase15_MigrateError(t *testing.T) {
	var c struct {
		LaterResponse struct {
			HTTPStatus int             `json:"http_status"`
			Body       json.RawMessage `json:"body"`
		} `json:"later_response"`
	}
	mustReadJSON(t, "testdata/15-tg-400-migrate-to-chat-id.json", &c)
	rs := newReplay(t, c.LaterResponse.HTTPStatus, c.LaterResponse.Body)
	client := telegram.NewClient(rs.URL, "123:token", nil)

	err := client.SendMessage(t.Context(), "-4012345678", channel.Outgoing{Text: "Изменён график работы на 31.12"})
	var mig *channel.ChatMigratedError
	if !errors.As(err, &mig) {
		t.Fatalf("err = %v, want ChatMigratedError", err)
	}
	if mig.NewChatID != "-1002987654321" {
		t.Fatalf("new chat id = %q, want %q", mig.NewChatID, "-1002987654321")
	}
}

func TestClassify_Codes(t *testing.T) {
	tests := []struct {
		status int
		body   string
		want   string
	}{
		{403, `{"ok":false,"error_code":403,"description":"Forbidden: bot was kicked from the group chat"}`, "blocked"},
		{400, `{"ok":false,"error_code":400,"description":"Bad Request: message is too long"}`, "invalid"},
		{400, `{"ok":false,"error_code":400,"description":"Bad Request: BUTTON_DATA_INVALID"}`, "invalid"},
		{429, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3"}`, "retry"},
		{500, `{"ok":false,"error_code":500,"description":"Internal Server Error"}`, "error"},
		{502, `<html>Bad Gateway</html>`, "error"},
	}
	for _, tt := range tests {
		rs := newReplay(t, tt.status, json.RawMessage(tt.body))
		client := telegram.NewClient(rs.URL, "123:token", nil)
		err := client.SendMessage(t.Context(), "1", channel.Outgoing{Text: "x"})
		if got := deliveryStatus(err); got != tt.want {
			t.Errorf("%d %s: status = %q (err %v), want %q", tt.status, tt.body, got, err, tt.want)
		}
	}
}

func TestClient_TokenNotInErrors(t *testing.T) {
	const token = "123456:SECRET-token_value"

	rs := newReplay(t, 200, json.RawMessage(`{"ok":true}`))
	url := rs.URL
	rs.Close() // nothing listens there now

	client := telegram.NewClient(url, token, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	err := client.SendMessage(ctx, "1", channel.Outgoing{Text: "x"})
	if err == nil {
		t.Fatal("SendMessage to a closed server: got nil error")
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("error leaks the token: %v", err)
	}
	if errors.Is(err, channel.ErrBlocked) || errors.Is(err, channel.ErrBadRequest) {
		t.Fatalf("network error %v classified as final, want retryable", err)
	}

	cctx, ccancel := context.WithCancel(t.Context())
	ccancel()
	if err := client.SendMessage(cctx, "1", channel.Outgoing{Text: "x"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled send: err = %v, want context.Canceled", err)
	}
}

func mustUnmarshal(t *testing.T, raw []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode: %v", err)
	}
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
