package telegramtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot/internal/channel/telegram/telegramtest"
)

const token = "100001:AAfake"

func call(t *testing.T, srv *telegramtest.Server, tok, method string, params map[string]any) (int, map[string]any) {
	t.Helper()
	body, err := json.Marshal(params)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	resp, err := http.Post(srv.URL()+"/bot"+tok+"/"+method, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode reply: %v", err)
	}
	return resp.StatusCode, out
}

func TestServer_Validation(t *testing.T) {
	long := strings.Repeat("я", 4095) + "📄"
	tests := []struct {
		name   string
		tok    string
		params map[string]any
		code   int
		desc   string
	}{
		{"OK", token, map[string]any{"chat_id": 1, "text": "Привет"}, 200, ""},
		{"UnknownToken", "1:nope", map[string]any{"chat_id": 1, "text": "x"}, 401, "Unauthorized"},
		{"EmptyText", token, map[string]any{"chat_id": 1, "text": ""}, 400, "Bad Request: message text is empty"},
		{"TooLong", token, map[string]any{"chat_id": 1, "text": long}, 400, "Bad Request: message is too long"},
		{"MaxLength", token, map[string]any{"chat_id": 1, "text": strings.Repeat("я", 4094) + "📄"}, 200, ""},
		{"LongMarkupShortText", token, map[string]any{"chat_id": 1, "parse_mode": "HTML",
			"text": "<b>" + strings.Repeat("&amp;", 4000) + "</b>"}, 200, ""},
		{"BadHTML", token, map[string]any{"chat_id": 1, "parse_mode": "HTML", "text": "<b>жирный"}, 400,
			"Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""},
		{"UnknownTag", token, map[string]any{"chat_id": 1, "parse_mode": "HTML", "text": "a <br> b"}, 400,
			"Bad Request: can't parse entities: Unsupported start tag \"br\" at byte offset 2"},
		{"RawAmpersand", token, map[string]any{"chat_id": 1, "parse_mode": "HTML", "text": "a & b"}, 400,
			"Bad Request: can't parse entities: Unsupported HTML entity at byte offset 2"},
		{"MarkdownV2Reserved", token, map[string]any{"chat_id": 1, "parse_mode": "MarkdownV2", "text": "Итого: 3.5"}, 400,
			"Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'"},
		{"CallbackData65", token, map[string]any{"chat_id": 1, "text": "x", "reply_markup": map[string]any{
			"inline_keyboard": [][]map[string]any{{{"text": "A", "callback_data": strings.Repeat("a", 65)}}}}},
			400, "Bad Request: BUTTON_DATA_INVALID"},
		{"CallbackData64", token, map[string]any{"chat_id": 1, "text": "x", "reply_markup": map[string]any{
			"inline_keyboard": [][]map[string]any{{{"text": "A", "callback_data": strings.Repeat("ж", 32)}}}}},
			200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := telegramtest.NewServer(t)
			srv.AddBot(token, "fake_bot")
			code, out := call(t, srv, tt.tok, "sendMessage", tt.params)
			if code != tt.code {
				t.Fatalf("status = %d (%v), want %d", code, out, tt.code)
			}
			if tt.desc != "" && out["description"] != tt.desc {
				t.Fatalf("description = %q, want %q", out["description"], tt.desc)
			}
			if code == 200 && len(srv.Sent()) != 1 || code != 200 && len(srv.Sent()) != 0 {
				t.Fatalf("recorded %d messages", len(srv.Sent()))
			}
		})
	}
}

func TestServer_GetUpdatesOffset(t *testing.T) {
	srv := telegramtest.NewServer(t)
	srv.AddBot(token, "fake_bot")
	first, second := srv.TextUpdate(1, "a"), srv.TextUpdate(1, "b")
	srv.PushUpdate(token, first)
	srv.PushUpdate(token, second)

	var head struct {
		UpdateID int64 `json:"update_id"`
	}
	json.Unmarshal(first, &head)

	_, out := call(t, srv, token, "getUpdates", map[string]any{"offset": head.UpdateID + 1, "timeout": 0})
	if got := out["result"].([]any); len(got) != 1 {
		t.Fatalf("got %d updates, want 1", len(got))
	}
	if n := srv.Pending(token); n != 1 {
		t.Fatalf("pending = %d, want 1 (the first is confirmed)", n)
	}
}

func TestServer_LongPollWakesOnUpdate(t *testing.T) {
	srv := telegramtest.NewServer(t)
	srv.MaxLongPoll = 5 * time.Second
	srv.AddBot(token, "fake_bot")
	go func() {
		time.Sleep(100 * time.Millisecond)
		srv.PushUpdate(token, srv.TextUpdate(1, "a"))
	}()
	start := time.Now()
	_, out := call(t, srv, token, "getUpdates", map[string]any{"timeout": 25})
	if got := out["result"].([]any); len(got) != 1 || time.Since(start) > 3*time.Second {
		t.Fatalf("got %d updates after %s, want 1 soon", len(got), time.Since(start))
	}
}

func TestServer_FailNextAndWaitSent(t *testing.T) {
	srv := telegramtest.NewServer(t)
	srv.AddBot(token, "fake_bot")
	srv.FailNext("sendMessage", 400, "Bad Request: group chat was upgraded to a supergroup chat",
		map[string]any{"migrate_to_chat_id": int64(-1002987654321)})

	code, out := call(t, srv, token, "sendMessage", map[string]any{"chat_id": -4012345678, "text": "x"})
	params, _ := out["parameters"].(map[string]any)
	if code != 400 || params["migrate_to_chat_id"] != float64(-1002987654321) {
		t.Fatalf("got %d %v, want 400 with migrate_to_chat_id", code, out)
	}

	go http.Post(srv.URL()+"/bot"+token+"/sendMessage", "application/json",
		strings.NewReader(`{"chat_id": 5, "text": "x"}`))
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if got, err := srv.WaitSent(ctx, 5, 1); err != nil || len(got) != 1 {
		t.Fatalf("WaitSent = %d, %v; want 1 message", len(got), err)
	}
}

func TestServer_SetWebhookOnlyLoopback(t *testing.T) {
	srv := telegramtest.NewServer(t)
	srv.AddBot(token, "fake_bot")
	code, _ := call(t, srv, token, "setWebhook", map[string]any{"url": "https://bot.example/hook"})
	if code != 400 {
		t.Fatalf("status = %d, want 400 for a non-loopback webhook", code)
	}
	code, _ = call(t, srv, token, "setWebhook", map[string]any{"url": "http://127.0.0.1:9/hook", "secret_token": "bad:secret"})
	if code != 400 {
		t.Fatalf("status = %d, want 400 for a secret with ':'", code)
	}
}
