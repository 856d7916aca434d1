package telegramtest

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Builders of realistic updates from a private chat, with update ids that
// grow by one per update. The sender's name is a made-up "Тест Тестов".

func (s *Server) nextUpdate() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextUpdateID++
	return s.nextUpdateID - 1
}

func (s *Server) nextMessage() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextMsgID++
	return s.nextMsgID - 1
}

func from(id int64) map[string]any {
	return map[string]any{
		"id": id, "is_bot": false, "first_name": "Тест", "last_name": "Тестов", "language_code": "ru",
	}
}

func privateChat(id int64) map[string]any {
	return map[string]any{"id": id, "first_name": "Тест", "last_name": "Тестов", "type": "private"}
}

func (s *Server) message(fromID int64, fields map[string]any) map[string]any {
	m := map[string]any{
		"message_id": s.nextMessage(),
		"from":       from(fromID),
		"chat":       privateChat(fromID),
		"date":       time.Now().Unix(),
	}
	for k, v := range fields {
		m[k] = v
	}
	return m
}

func (s *Server) update(payload string, v any) json.RawMessage {
	raw, err := json.Marshal(map[string]any{"update_id": s.nextUpdate(), payload: v})
	if err != nil {
		panic(err) // maps of plain values always marshal
	}
	return raw
}

func textFields(text string) map[string]any {
	f := map[string]any{"text": text}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		f["entities"] = []any{map[string]any{"offset": 0, "length": utf16Len(cmd), "type": "bot_command"}}
	}
	return f
}

// TextUpdate is a message typed by user fromID in the private chat; a
// leading command gets its bot_command entity.
func (s *Server) TextUpdate(fromID int64, text string) json.RawMessage {
	return s.update("message", s.message(fromID, textFields(text)))
}

// EditedTextUpdate is an edit of an earlier message to text.
func (s *Server) EditedTextUpdate(fromID int64, text string) json.RawMessage {
	m := s.message(fromID, textFields(text))
	m["edit_date"] = time.Now().Unix()
	return s.update("edited_message", m)
}

// CallbackUpdate is a press on an inline button with data, under a message
// the bot sent to the private chat.
func (s *Server) CallbackUpdate(fromID int64, data string) json.RawMessage {
	msg := s.message(fromID, map[string]any{"text": "…"})
	msg["from"] = map[string]any{"id": 7000000000, "is_bot": true, "first_name": "Bot"}
	id := s.nextUpdate()
	raw, _ := json.Marshal(map[string]any{
		"update_id": id,
		"callback_query": map[string]any{
			"id":            "cbq" + itoa(id),
			"from":          from(fromID),
			"message":       msg,
			"chat_instance": "-" + itoa(fromID),
			"data":          data,
		},
	})
	return raw
}

// MyChatMemberUpdate is the bot's status change in the private chat with
// fromID: "member" to "kicked" when the user blocks the bot, the reverse
// when they unblock it.
func (s *Server) MyChatMemberUpdate(fromID int64, oldStatus, newStatus string) json.RawMessage {
	botUser := map[string]any{"id": 7000000000, "is_bot": true, "first_name": "Bot", "username": "fake_bot"}
	return s.update("my_chat_member", map[string]any{
		"chat":            privateChat(fromID),
		"from":            from(fromID),
		"date":            time.Now().Unix(),
		"old_chat_member": map[string]any{"user": botUser, "status": oldStatus},
		"new_chat_member": map[string]any{"user": botUser, "status": newStatus},
	})
}

// ContactUpdate is the user sharing their own phone number.
func (s *Server) ContactUpdate(fromID int64, phone string) json.RawMessage {
	return s.update("message", s.message(fromID, map[string]any{
		"contact": map[string]any{"phone_number": phone, "first_name": "Тест", "user_id": fromID},
	}))
}

// DocumentUpdate is the user sending a file named fileName.
func (s *Server) DocumentUpdate(fromID int64, fileName string) json.RawMessage {
	return s.update("message", s.message(fromID, map[string]any{
		"document": map[string]any{
			"file_name": fileName, "mime_type": "application/pdf",
			"file_id": "BQACAgIAAxkBAAI" + itoa(fromID), "file_unique_id": "AgAD" + itoa(fromID), "file_size": 1024,
		},
	}))
}

// GroupTextUpdate is a message in a group chat, which the bot ignores.
func (s *Server) GroupTextUpdate(chatID, fromID int64, text string) json.RawMessage {
	return s.update("message", s.message(fromID, map[string]any{
		"text": text,
		"chat": map[string]any{"id": chatID, "title": "Группа", "type": "group"},
	}))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
