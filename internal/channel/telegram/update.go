package telegram

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
)

// The parts of the Bot API Update that staffbot reads. An update carries at
// most one payload, so every payload is a pointer and may be nil.
type update struct {
	UpdateID      *int64         `json:"update_id"`
	Message       *message       `json:"message"`
	EditedMessage *message       `json:"edited_message"`
	CallbackQuery *callbackQuery `json:"callback_query"`
	MyChatMember  *memberUpdate  `json:"my_chat_member"`
}

type user struct {
	ID           int64  `json:"id"`
	IsBot        bool   `json:"is_bot"`
	LanguageCode string `json:"language_code"`
}

type chat struct {
	ID   int64  `json:"id"`
	Type string `json:"type"`
}

type message struct {
	MessageID int64  `json:"message_id"`
	From      *user  `json:"from"`
	Chat      *chat  `json:"chat"`
	Date      int64  `json:"date"`
	EditDate  int64  `json:"edit_date"`
	Text      string `json:"text"`
	Caption   string `json:"caption"`

	Photo []struct {
		FileID string `json:"file_id"`
	} `json:"photo"`
	Document *struct {
		FileID   string `json:"file_id"`
		FileName string `json:"file_name"`
	} `json:"document"`
	Contact *struct {
		PhoneNumber string `json:"phone_number"`
		UserID      int64  `json:"user_id"`
	} `json:"contact"`

	// Content staffbot does not read but answers as KindOther.
	Sticker   json.RawMessage `json:"sticker"`
	Voice     json.RawMessage `json:"voice"`
	Video     json.RawMessage `json:"video"`
	VideoNote json.RawMessage `json:"video_note"`
	Animation json.RawMessage `json:"animation"`
	Audio     json.RawMessage `json:"audio"`
	Location  json.RawMessage `json:"location"`
	Venue     json.RawMessage `json:"venue"`
	Poll      json.RawMessage `json:"poll"`
	Dice      json.RawMessage `json:"dice"`
	Story     json.RawMessage `json:"story"`

	MigrateToChatID   int64 `json:"migrate_to_chat_id"`
	MigrateFromChatID int64 `json:"migrate_from_chat_id"`
}

type callbackQuery struct {
	ID      string   `json:"id"`
	From    *user    `json:"from"`
	Message *message `json:"message"`
	Data    string   `json:"data"`
}

type memberUpdate struct {
	Chat          *chat `json:"chat"`
	From          *user `json:"from"`
	Date          int64 `json:"date"`
	NewChatMember *struct {
		Status string `json:"status"`
	} `json:"new_chat_member"`
}

// ParseUpdate turns one Bot API Update into an Incoming. Only private chats
// reach the bot as conversation; everything else comes back as KindIgnored
// with its UpdateKey, so that the caller can still confirm it:
//
//   - message: KindText (commands and "/start payload" as typed), KindFile
//     for a document or photo (Text holds the caption), KindContact for the
//     sender's own contact (a contact of someone else is KindOther, so that
//     a forwarded card cannot claim another person's phone), KindOther for
//     stickers, voice, video and the like.
//   - edited_message: KindEdited with the new text; never to be run again as
//     a command.
//   - callback_query: KindButton with Data and CallbackID; ChatID is the chat
//     of the message under which the button was (the sender's id when
//     Telegram leaves the message out). A press in a group comes back as
//     KindIgnored but keeps its CallbackID, which must still be answered.
//   - my_chat_member in a private chat: KindBlocked when the user blocked the
//     bot or deleted the chat (status "kicked"), KindResumed when they came
//     back ("member").
//   - a group upgraded to a supergroup: KindIgnored with ChatID set to the
//     old chat id and Data to the new one, from either service message; see
//     MigratedChat.
//
// ReceivedAt is the date Telegram put on the event (edit_date for edits),
// or zero when the update carries none. Malformed JSON and an update
// without update_id are errors.
func ParseUpdate(raw []byte) (channel.Incoming, error) {
	var u update
	if err := json.Unmarshal(raw, &u); err != nil {
		return channel.Incoming{}, fmt.Errorf("parse update: %w", err)
	}
	if u.UpdateID == nil {
		return channel.Incoming{}, errors.New("parse update: no update_id")
	}

	in := channel.Incoming{
		Channel:   staffbot.ChannelTelegram,
		UpdateKey: strconv.FormatInt(*u.UpdateID, 10),
		Kind:      channel.KindIgnored,
	}
	switch {
	case u.Message != nil:
		parseMessage(&in, u.Message)
	case u.EditedMessage != nil:
		parseMessage(&in, u.EditedMessage)
		if in.Kind != channel.KindIgnored {
			in.Kind, in.Text = channel.KindEdited, u.EditedMessage.Text
			if in.Text == "" {
				in.Text = u.EditedMessage.Caption
			}
			in.Data, in.Phone, in.FileID, in.FileName = "", "", "", ""
		}
	case u.CallbackQuery != nil:
		parseCallback(&in, u.CallbackQuery)
	case u.MyChatMember != nil:
		parseMember(&in, u.MyChatMember)
	}
	return in, nil
}

// MigratedChat reports whether in tells that a group moved to a new chat id
// (a supergroup upgrade), and the old and new ids. The caller replaces the
// stored old id with the new one.
func MigratedChat(in channel.Incoming) (oldID, newID string, ok bool) {
	if in.Channel != staffbot.ChannelTelegram || in.Kind != channel.KindIgnored ||
		in.Data == "" || in.CallbackID != "" || in.ChatID == "" {
		return "", "", false
	}
	return in.ChatID, in.Data, true
}

func parseMessage(in *channel.Incoming, m *message) {
	setUser(in, m.From)
	if m.Chat != nil {
		in.ChatID = strconv.FormatInt(m.Chat.ID, 10)
	}
	in.ReceivedAt = unixTime(max(m.Date, m.EditDate))

	switch {
	case m.MigrateToChatID != 0:
		in.Data = strconv.FormatInt(m.MigrateToChatID, 10)
		return
	case m.MigrateFromChatID != 0:
		in.ChatID, in.Data = strconv.FormatInt(m.MigrateFromChatID, 10), in.ChatID
		return
	case m.Chat == nil || m.Chat.Type != "private" || m.From == nil || m.From.IsBot:
		return
	}

	switch {
	case m.Text != "":
		in.Kind, in.Text = channel.KindText, m.Text
	case m.Document != nil:
		in.Kind, in.Text = channel.KindFile, m.Caption
		in.FileID, in.FileName = m.Document.FileID, m.Document.FileName
	case len(m.Photo) > 0:
		// Sizes come smallest first; the last is the original.
		in.Kind, in.Text = channel.KindFile, m.Caption
		in.FileID = m.Photo[len(m.Photo)-1].FileID
	case m.Contact != nil && m.Contact.UserID == m.From.ID:
		in.Kind, in.Phone = channel.KindContact, m.Contact.PhoneNumber
	case m.Contact != nil || present(m.Sticker, m.Voice, m.Video, m.VideoNote, m.Animation,
		m.Audio, m.Location, m.Venue, m.Poll, m.Dice, m.Story):
		in.Kind = channel.KindOther
	}
}

func parseCallback(in *channel.Incoming, q *callbackQuery) {
	setUser(in, q.From)
	in.CallbackID, in.Data = q.ID, q.Data
	in.ChatID = in.ExternalID
	if q.Message != nil && q.Message.Chat != nil {
		in.ChatID = strconv.FormatInt(q.Message.Chat.ID, 10)
		if q.Message.Chat.Type != "private" {
			return
		}
	}
	if q.From != nil {
		in.Kind = channel.KindButton
	}
}

func parseMember(in *channel.Incoming, m *memberUpdate) {
	setUser(in, m.From)
	in.ReceivedAt = unixTime(m.Date)
	if m.Chat == nil || m.Chat.Type != "private" || m.NewChatMember == nil {
		return
	}
	in.ChatID = strconv.FormatInt(m.Chat.ID, 10)
	switch m.NewChatMember.Status {
	case "kicked":
		in.Kind = channel.KindBlocked
	case "member":
		in.Kind = channel.KindResumed
	}
}

func setUser(in *channel.Incoming, u *user) {
	if u == nil {
		return
	}
	in.ExternalID = strconv.FormatInt(u.ID, 10)
	in.LanguageCode = u.LanguageCode
}

func unixTime(sec int64) time.Time {
	if sec <= 0 {
		return time.Time{}
	}
	return time.Unix(sec, 0).UTC()
}

// present reports whether any of the raw fields holds a value.
func present(fields ...json.RawMessage) bool {
	for _, f := range fields {
		if len(f) > 0 && !bytes.Equal(f, []byte("null")) {
			return true
		}
	}
	return false
}
