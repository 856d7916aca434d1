package telegram

import (
	"fmt"

	"github.com/staffbot/staffbot/internal/channel"
)

// MaxCallbackData is the most bytes Telegram takes in a button's
// callback_data. Bytes, not characters: 32 Cyrillic letters fill it.
const MaxCallbackData = 64

type inlineKeyboard struct {
	InlineKeyboard [][]inlineButton `json:"inline_keyboard"`
}

type inlineButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data,omitempty"`
	URL          string `json:"url,omitempty"`
}

// keyboard turns button rows into an inline keyboard, or nil when there are
// no buttons. A button needs a text and exactly one of Data and URL.
func keyboard(rows [][]channel.Button) (*inlineKeyboard, error) {
	var kb inlineKeyboard
	for r, row := range rows {
		var out []inlineButton
		for c, b := range row {
			switch {
			case b.Text == "":
				return nil, fmt.Errorf("button %d.%d: no text: %w", r+1, c+1, channel.ErrBadRequest)
			case (b.Data == "") == (b.URL == ""):
				return nil, fmt.Errorf("button %d.%d: want data or url: %w", r+1, c+1, channel.ErrBadRequest)
			case len(b.Data) > MaxCallbackData:
				return nil, fmt.Errorf("button %d.%d: callback data of %d bytes, max %d: %w",
					r+1, c+1, len(b.Data), MaxCallbackData, channel.ErrBadRequest)
			}
			out = append(out, inlineButton{Text: b.Text, CallbackData: b.Data, URL: b.URL})
		}
		if len(out) > 0 {
			kb.InlineKeyboard = append(kb.InlineKeyboard, out)
		}
	}
	if len(kb.InlineKeyboard) == 0 {
		return nil, nil
	}
	return &kb, nil
}
