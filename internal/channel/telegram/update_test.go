package telegram_test

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/channel/telegram"
	"github.com/staffbot/staffbot/internal/channel/telegram/telegramtest"
)

func mustParse(t *testing.T, raw []byte) channel.Incoming {
	t.Helper()
	in, err := telegram.ParseUpdate(raw)
	if err != nil {
		t.Fatalf("ParseUpdate: %v", err)
	}
	return in
}

// Case 01 (01-tg-edited-message-only): an update with only edited_message
// parses without a nil dereference into KindEdited, not a command to run.
func TestParseUpdate_Case01EditedMessageOnly(t *testing.T) {
	raw, err := os.ReadFile("testdata/01-tg-edited-message-only.json")
	if err != nil {
		t.Fatalf("read input: %v", err)
	}
	in := mustParse(t, raw)

	want := channel.Incoming{
		Channel:      staffbot.ChannelTelegram,
		UpdateKey:    "734001201",
		ExternalID:   "700000001",
		ChatID:       "700000001",
		Kind:         channel.KindEdited,
		Text:         "/vacation 14",
		LanguageCode: "ru",
		ReceivedAt:   in.ReceivedAt,
	}
	if in != want {
		t.Fatalf("got %+v, want %+v", in, want)
	}
	if in.ReceivedAt.Unix() != 1733299060 {
		t.Errorf("ReceivedAt = %v, want the edit date", in.ReceivedAt)
	}
}

// Case 05 (05-tg-my-chat-member-kicked): member→kicked blocks,
// kicked→member resumes.
func TestParseUpdate_Case05MyChatMember(t *testing.T) {
	var updates []json.RawMessage
	mustReadJSON(t, "testdata/05-tg-my-chat-member-kicked.json", &updates)

	want := []channel.IncomingKind{channel.KindBlocked, channel.KindResumed}
	for i, raw := range updates {
		in := mustParse(t, raw)
		if in.Kind != want[i] {
			t.Errorf("update %d: kind = %q, want %q", i, in.Kind, want[i])
		}
		if in.ExternalID != "700000012" || in.ChatID != "700000012" {
			t.Errorf("update %d: ids = %q/%q, want 700000012", i, in.ExternalID, in.ChatID)
		}
	}
}

// Case 12 (12-tg-duplicate-update-webhook): a redelivery has the same
// UpdateKey, the next update another one.
func TestParseUpdate_Case12SameUpdateKey(t *testing.T) {
	f, err := os.Open("testdata/12-tg-duplicate-update-webhook.jsonl")
	if err != nil {
		t.Fatalf("open input: %v", err)
	}
	defer f.Close()

	var keys []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line struct {
			Body json.RawMessage `json:"body"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("decode line: %v", err)
		}
		keys = append(keys, mustParse(t, line.Body).UpdateKey)
	}
	want := []string{"734001501", "734001501", "734001502"}
	if len(keys) != len(want) || keys[0] != want[0] || keys[1] != want[1] || keys[2] != want[2] {
		t.Fatalf("keys = %v, want %v", keys, want)
	}
}

// Case 15 (15-tg-400-migrate-to-chat-id): both service messages tell the
// old and the new chat id.
func TestParseUpdate_Case15Migration(t *testing.T) {
	var c struct {
		ServiceUpdates []json.RawMessage `json:"service_updates"`
	}
	mustReadJSON(t, "testdata/15-tg-400-migrate-to-chat-id.json", &c)

	for i, raw := range c.ServiceUpdates {
		in := mustParse(t, raw)
		if in.Kind != channel.KindIgnored {
			t.Errorf("update %d: kind = %q, want ignored", i, in.Kind)
		}
		oldID, newID, ok := telegram.MigratedChat(in)
		if !ok || oldID != "-4012345678" || newID != "-1002987654321" {
			t.Errorf("update %d: MigratedChat = %q, %q, %v; want -4012345678, -1002987654321, true",
				i, oldID, newID, ok)
		}
	}
}

func TestParseUpdate_Kinds(t *testing.T) {
	srv := telegramtest.NewServer(t)
	const user = 700000001

	tests := []struct {
		name string
		raw  []byte
		want channel.Incoming
	}{
		{"Text", srv.TextUpdate(user, "Привет"),
			channel.Incoming{Kind: channel.KindText, Text: "Привет", ExternalID: "700000001", ChatID: "700000001"}},
		{"StartPayload", srv.TextUpdate(user, "/start inv_AbC-123"),
			channel.Incoming{Kind: channel.KindText, Text: "/start inv_AbC-123", ExternalID: "700000001", ChatID: "700000001"}},
		{"Edited", srv.EditedTextUpdate(user, "/vacation 15"),
			channel.Incoming{Kind: channel.KindEdited, Text: "/vacation 15", ExternalID: "700000001", ChatID: "700000001"}},
		{"Button", srv.CallbackUpdate(user, "bal:refresh"),
			channel.Incoming{Kind: channel.KindButton, Data: "bal:refresh", ExternalID: "700000001", ChatID: "700000001"}},
		{"Contact", srv.ContactUpdate(user, "+79123456789"),
			channel.Incoming{Kind: channel.KindContact, Phone: "+79123456789", ExternalID: "700000001", ChatID: "700000001"}},
		{"Document", srv.DocumentUpdate(user, "заявление.pdf"),
			channel.Incoming{Kind: channel.KindFile, FileName: "заявление.pdf", ExternalID: "700000001", ChatID: "700000001"}},
		{"Blocked", srv.MyChatMemberUpdate(user, "member", "kicked"),
			channel.Incoming{Kind: channel.KindBlocked, ExternalID: "700000001", ChatID: "700000001"}},
		{"Group", srv.GroupTextUpdate(-4012345678, user, "/vacation 14"),
			channel.Incoming{Kind: channel.KindIgnored, ExternalID: "700000001", ChatID: "-4012345678"}},
		{"Sticker", []byte(`{"update_id":5,"message":{"message_id":1,"from":{"id":1,"is_bot":false,"first_name":"A"},` +
			`"chat":{"id":1,"type":"private"},"date":1,"sticker":{"file_id":"x"}}}`),
			channel.Incoming{Kind: channel.KindOther, ExternalID: "1", ChatID: "1"}},
		{"ForeignContact", []byte(`{"update_id":6,"message":{"message_id":1,"from":{"id":1,"is_bot":false,"first_name":"A"},` +
			`"chat":{"id":1,"type":"private"},"date":1,"contact":{"phone_number":"+70000000000","user_id":2}}}`),
			channel.Incoming{Kind: channel.KindOther, ExternalID: "1", ChatID: "1"}},
		{"InaccessibleMessageButton", []byte(`{"update_id":7,"callback_query":{"id":"q1","from":{"id":1,"is_bot":false,` +
			`"first_name":"A"},"message":{"message_id":9,"chat":{"id":1,"type":"private"},"date":0},"data":"d"}}`),
			channel.Incoming{Kind: channel.KindButton, Data: "d", ExternalID: "1", ChatID: "1"}},
		{"ChannelPost", []byte(`{"update_id":8,"channel_post":{"message_id":1,"chat":{"id":-100,"type":"channel"},"date":1,"text":"x"}}`),
			channel.Incoming{Kind: channel.KindIgnored}},
		{"Unknown", []byte(`{"update_id":9,"message_reaction":{}}`), channel.Incoming{Kind: channel.KindIgnored}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := mustParse(t, tt.raw)
			if in.Channel != staffbot.ChannelTelegram || in.UpdateKey == "" {
				t.Fatalf("channel, key = %q, %q; want telegram and a key", in.Channel, in.UpdateKey)
			}
			got := channel.Incoming{Kind: in.Kind, Text: in.Text, Data: in.Data, Phone: in.Phone,
				FileName: in.FileName, ExternalID: in.ExternalID, ChatID: in.ChatID}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			if in.Kind == channel.KindButton && in.CallbackID == "" {
				t.Error("button without CallbackID")
			}
			if _, _, ok := telegram.MigratedChat(in); ok {
				t.Error("MigratedChat reports a migration")
			}
		})
	}
}

func TestParseUpdate_Malformed(t *testing.T) {
	for _, raw := range []string{``, `{`, `[]`, `{"message":{}}`, `{"update_id":"x"}`, `{"update_id":1,"message":{"chat":"x"}}`} {
		if _, err := telegram.ParseUpdate([]byte(raw)); err == nil {
			t.Errorf("ParseUpdate(%q): got nil error", raw)
		}
	}
}
