package telegram_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/channel/telegram"
	"github.com/staffbot/staffbot/internal/channel/telegram/telegramtest"
)

const testToken = "100001:AAtest-token"

func newFake(t *testing.T) (*telegramtest.Server, *telegram.Sender, *staffbot.Company) {
	t.Helper()
	srv := telegramtest.NewServer(t)
	srv.AddBot(testToken, "acme_hr_bot")
	co := &staffbot.Company{ID: 1, Slug: "acme", TelegramToken: testToken, TelegramWebhookSecret: "stfb_test_secret_0001"}
	return srv, telegram.NewSender(srv.URL(), nil), co
}

func TestSender_Send(t *testing.T) {
	srv, s, co := newFake(t)
	msg := channel.Outgoing{
		Text:   "Заявка *№ 12* принята. Подробнее: [портал](https://hr.example/t/12) <скоро>",
		Format: channel.FormatMarkup,
		Buttons: [][]channel.Button{
			{{Text: "Да", Data: "yes"}, {Text: "Нет", Data: "no"}},
			{{Text: "Портал", URL: "https://hr.example"}},
		},
	}
	if err := s.Send(t.Context(), co, "700000001", msg); err != nil {
		t.Fatalf("Send: %v", err)
	}

	got := srv.SentTo(700000001)
	if len(got) != 1 {
		t.Fatalf("got %d messages, want 1", len(got))
	}
	m := got[0]
	wantText := `Заявка <b>№ 12</b> принята. Подробнее: <a href="https://hr.example/t/12">портал</a> &lt;скоро&gt;`
	if m.Text != wantText || m.ParseMode != "HTML" {
		t.Errorf("text, mode = %q, %q; want %q, HTML", m.Text, m.ParseMode, wantText)
	}
	kb := m.ReplyMarkup
	if kb == nil || len(kb.InlineKeyboard) != 2 || kb.InlineKeyboard[0][1].CallbackData != "no" ||
		kb.InlineKeyboard[1][0].URL != "https://hr.example" {
		t.Errorf("keyboard = %+v, want two rows with data and url buttons", kb)
	}
}

func TestSender_SendPlain(t *testing.T) {
	srv, s, co := newFake(t)
	if err := s.Send(t.Context(), co, "700000001", channel.Outgoing{Text: "1 < 2 & *так и есть*"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	m := srv.SentTo(700000001)[0]
	if m.Text != "1 < 2 & *так и есть*" || m.ParseMode != "" {
		t.Fatalf("text, mode = %q, %q; want the text as typed and no parse mode", m.Text, m.ParseMode)
	}
}

// Case 09 end to end: the long answer arrives as two messages, buttons
// under the second only.
func TestSender_Case09LongText(t *testing.T) {
	srv, s, co := newFake(t)
	raw, err := os.ReadFile("testdata/09-tg-long-text-4097-emoji-boundary.txt")
	if err != nil {
		t.Fatalf("read input: %v", err)
	}
	msg := channel.Outgoing{Text: string(raw), Format: channel.FormatMarkup,
		Buttons: [][]channel.Button{{{Text: "Ок", Data: "ok"}}}}
	if err := s.Send(t.Context(), co, "700000001", msg); err != nil {
		t.Fatalf("Send: %v", err)
	}

	got := srv.SentTo(700000001)
	if len(got) != 2 {
		t.Fatalf("got %d messages, want 2", len(got))
	}
	if got[0].ReplyMarkup != nil || got[1].ReplyMarkup == nil {
		t.Errorf("buttons on pieces: %v, %v; want on the last only", got[0].ReplyMarkup != nil, got[1].ReplyMarkup != nil)
	}
	checkPieces(t, telegram.EscapeHTML(string(raw)), []string{got[0].Text, got[1].Text}, telegram.MaxTextLen)
}

// Case 03 (03-tg-429-retry-after-7): the 429 surfaces as RateLimitError of
// 7 s; sending again after it delivers the reminder exactly once.
func TestSender_Case03RateLimit(t *testing.T) {
	srv, s, co := newFake(t)
	var c struct {
		Request struct {
			Params struct {
				Text string `json:"text"`
			} `json:"params"`
		} `json:"request"`
		Response struct {
			Body struct {
				Parameters struct {
					RetryAfter int `json:"retry_after"`
				} `json:"parameters"`
			} `json:"body"`
		} `json:"response"`
	}
	mustReadJSON(t, "testdata/03-tg-429-retry-after-7.json", &c)
	srv.RateLimitNext("sendMessage", c.Response.Body.Parameters.RetryAfter)

	msg := channel.Outgoing{Text: c.Request.Params.Text}
	err := s.Send(t.Context(), co, "700000003", msg)
	var rl *channel.RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second {
		t.Fatalf("err = %v, want RateLimitError of 7s", err)
	}
	if n := len(srv.SentTo(700000003)); n != 0 {
		t.Fatalf("%d messages arrived during the limit, want 0", n)
	}

	if err := s.Send(t.Context(), co, "700000003", msg); err != nil {
		t.Fatalf("Send after the limit: %v", err)
	}
	if got := srv.SentTo(700000003); len(got) != 1 || got[0].Text != c.Request.Params.Text {
		t.Fatalf("got %d messages, want the reminder once", len(got))
	}
}

func TestSender_Blocked(t *testing.T) {
	srv, s, co := newFake(t)
	srv.Block(700000012)

	err := s.Send(t.Context(), co, "700000012", channel.Outgoing{Text: "Привет"})
	if !errors.Is(err, channel.ErrBlocked) {
		t.Fatalf("err = %v, want ErrBlocked", err)
	}
	srv.Unblock(700000012)
	if err := s.Send(t.Context(), co, "700000012", channel.Outgoing{Text: "Привет"}); err != nil {
		t.Fatalf("Send after unblock: %v", err)
	}
}

// Case 04 against the fake: the same statuses as the recorded replies.
func TestSender_Case04Broadcast(t *testing.T) {
	srv, s, co := newFake(t)
	srv.Block(700000012)
	srv.FailChat(700000013, http.StatusForbidden, "Forbidden: user is deactivated")
	srv.FailChat(700000014, http.StatusForbidden, "Forbidden: bot can't initiate conversation with a user")
	srv.FailChat(700000016, http.StatusBadRequest, "Bad Request: chat not found")

	want := map[string]string{
		"700000011": "delivered", "700000012": "blocked", "700000013": "deactivated",
		"700000014": "not-onboarded", "700000016": "invalid",
	}
	msg := channel.Outgoing{Text: "Уважаемые коллеги! С 20.12 открыт приём заявлений на материальную помощь."}
	for chatID, status := range want {
		if got := deliveryStatus(s.Send(t.Context(), co, chatID, msg)); got != status {
			t.Errorf("chat %s: status = %q, want %q", chatID, got, status)
		}
	}
	if n := len(srv.Sent()); n != 1 {
		t.Errorf("%d messages delivered, want 1", n)
	}
}

// Case 08 (08-tg-markdownv2-unescaped): the fake refuses the unescaped
// MarkdownV2 request as Telegram did and takes the escaped text; our
// sender, when Telegram cannot parse its HTML, resends once as plain text.
func TestSender_Case08ParseEntitiesFallback(t *testing.T) {
	srv, s, co := newFake(t)
	c := readCase08(t)

	// The raw MarkdownV2 requests bypass the client, which sends HTML.
	status, body := postJSON(t, srv.URL()+"/bot"+testToken+"/sendMessage",
		map[string]any{"chat_id": 700000001, "parse_mode": "MarkdownV2", "text": c.Request.Params.Text})
	if status != 400 || !strings.Contains(body, "Character '.' is reserved") {
		t.Fatalf("unescaped MarkdownV2: %d %s, want 400 reserved character", status, body)
	}
	status, body = postJSON(t, srv.URL()+"/bot"+testToken+"/sendMessage",
		map[string]any{"chat_id": 700000001, "parse_mode": "MarkdownV2", "text": c.CorrectlyEscapedText})
	if status != 200 {
		t.Fatalf("escaped MarkdownV2: %d %s, want 200", status, body)
	}

	srv.FailNext("sendMessage", 400, "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"", nil)
	msg := channel.Outgoing{Text: c.Request.Params.Text, Format: channel.FormatMarkup}
	if err := s.Send(t.Context(), co, "700000002", msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := srv.SentTo(700000002)
	want := "Остаток отпуска: 14 дн. на 01.07.2025 (с учётом переноса)! Справка 2-НДФЛ готова."
	if len(got) != 1 || got[0].Text != want || got[0].ParseMode != "" {
		t.Fatalf("got %+v, want one plain message %q", got, want)
	}
	if n := srv.Calls("sendMessage"); n != 4 {
		t.Errorf("sendMessage calls = %d, want 4 (two raw, one refused, one plain)", n)
	}
}

func TestSender_RejectsLongCallbackData(t *testing.T) {
	srv, s, co := newFake(t)
	data := strings.Repeat("д", 33) // 66 bytes
	msg := channel.Outgoing{Text: "Выберите", Buttons: [][]channel.Button{{{Text: "A", Data: data}}}}

	err := s.Send(t.Context(), co, "700000001", msg)
	if !errors.Is(err, channel.ErrBadRequest) {
		t.Fatalf("err = %v, want ErrBadRequest", err)
	}
	if n := srv.Calls("sendMessage"); n != 0 {
		t.Fatalf("sendMessage called %d times, want 0", n)
	}
}

func TestSender_NoToken(t *testing.T) {
	_, s, _ := newFake(t)
	if err := s.Send(t.Context(), &staffbot.Company{ID: 2}, "1", channel.Outgoing{Text: "x"}); err == nil {
		t.Fatal("Send without a token: got nil error")
	}
}

// Case 18 (18-tg-senddocument-cyrillic-filename): the file part carries the
// Cyrillic name as raw UTF-8 in filename="...".
func TestClient_Case18CyrillicFileName(t *testing.T) {
	srv, _, _ := newFake(t)
	raw, err := os.ReadFile("testdata/18-tg-senddocument-cyrillic-filename.http")
	if err != nil {
		t.Fatalf("read input: %v", err)
	}
	const name = "Справка_2-НДФЛ_Иванова_А_П_2024.pdf"
	goodHeader := `Content-Disposition: form-data; name="document"; filename="` + name + `"`
	if !strings.Contains(string(raw), goodHeader) {
		t.Fatalf("input lacks the good header")
	}

	client := telegram.NewClient(srv.URL(), testToken, nil)
	pdf := []byte("%PDF-1.4 test")
	if err := client.SendDocument(t.Context(), "700000001", name, bytes.NewReader(pdf), "Справка готова"); err != nil {
		t.Fatalf("SendDocument: %v", err)
	}

	docs := srv.Documents()
	if len(docs) != 1 {
		t.Fatalf("got %d documents, want 1", len(docs))
	}
	d := docs[0]
	if d.FileName != name || !bytes.Equal(d.Data, pdf) || d.Caption != "Справка готова" {
		t.Errorf("document = %q, %q, %q; want %q with the content and caption", d.FileName, d.Data, d.Caption, name)
	}
	wantDisp := strings.TrimPrefix(goodHeader, "Content-Disposition: ")
	if d.Disposition != wantDisp {
		t.Errorf("Content-Disposition = %q, want %q", d.Disposition, wantDisp)
	}
	if strings.Contains(d.Disposition, "filename*") || strings.Contains(d.Disposition, "%D0") {
		t.Errorf("Content-Disposition uses the RFC 2231 form: %q", d.Disposition)
	}
}

// Case 07 against the fake: an edit to the same content succeeds and the
// keyboard stays.
func TestClient_Case07EditNotModified(t *testing.T) {
	srv, s, co := newFake(t)
	msg := channel.Outgoing{Text: "Остаток отпуска на 04.12.2024: 17 дней",
		Buttons: [][]channel.Button{{{Text: "Обновить остаток", Data: "bal:refresh"}}}}
	if err := s.Send(t.Context(), co, "700000001", msg); err != nil {
		t.Fatalf("Send: %v", err)
	}
	sent := srv.SentTo(700000001)[0]

	client := telegram.NewClient(srv.URL(), testToken, nil)
	if err := client.EditMessageText(t.Context(), "700000001", sent.MessageID, msg); err != nil {
		t.Fatalf("EditMessageText with the same content: %v", err)
	}
	after := srv.SentTo(700000001)[0]
	if after.Edited || after.ReplyMarkup == nil {
		t.Fatalf("message after the edit = %+v, want unchanged with its keyboard", after)
	}

	msg.Text = "Остаток отпуска на 05.12.2024: 16 дней"
	if err := client.EditMessageText(t.Context(), "700000001", sent.MessageID, msg); err != nil {
		t.Fatalf("EditMessageText: %v", err)
	}
	if after := srv.SentTo(700000001)[0]; after.Text != msg.Text || !after.Edited {
		t.Fatalf("message = %+v, want the new text", after)
	}
}

func TestClient_Methods(t *testing.T) {
	srv, _, _ := newFake(t)
	ctx := t.Context()
	client := telegram.NewClient(srv.URL(), testToken, nil)

	me, err := client.GetMe(ctx)
	if err != nil || me.Username != "acme_hr_bot" || !me.IsBot {
		t.Fatalf("GetMe = %+v, %v; want acme_hr_bot", me, err)
	}
	if err := client.AnswerCallbackQuery(ctx, "cbq1", "Принято"); err != nil {
		t.Fatalf("AnswerCallbackQuery: %v", err)
	}
	if got := srv.AnsweredCallbacks(); len(got) != 1 || got[0].ID != "cbq1" || got[0].Text != "Принято" {
		t.Fatalf("answered = %+v, want cbq1", got)
	}
	if err := client.SetWebhook(ctx, "http://127.0.0.1:1/telegram/webhook/acme", "sec_1", nil); err != nil {
		t.Fatalf("SetWebhook: %v", err)
	}
	if url, sec := srv.Webhook(testToken); url == "" || sec != "sec_1" {
		t.Fatalf("webhook = %q, %q", url, sec)
	}
	if _, err := client.GetUpdates(ctx, 0, 0, nil); !errors.Is(err, telegram.ErrConflict) {
		t.Fatalf("GetUpdates with a webhook: err = %v, want ErrConflict", err)
	}
	if err := client.DeleteWebhook(ctx); err != nil {
		t.Fatalf("DeleteWebhook: %v", err)
	}
	if _, err := client.GetUpdates(ctx, 0, 0, nil); err != nil {
		t.Fatalf("GetUpdates: %v", err)
	}

	bad := telegram.NewClient(srv.URL(), "999:wrong", nil)
	if _, err := bad.GetMe(ctx); !errors.Is(err, telegram.ErrUnauthorized) {
		t.Fatalf("GetMe with a wrong token: err = %v, want ErrUnauthorized", err)
	}
}

func postJSON(t *testing.T, url string, v any) (int, string) {
	t.Helper()
	body, err := jsonMarshal(v)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.String()
}
