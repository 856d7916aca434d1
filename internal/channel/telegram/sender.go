package telegram

import (
	"context"
	"errors"
	"net/http"
	"sync"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
)

// Sender delivers channel messages through each company's own bot. It
// implements channel.Sender.
type Sender struct {
	baseURL string
	hc      *http.Client

	mu      sync.Mutex
	clients map[string]*Client // by token
}

var _ channel.Sender = (*Sender)(nil)

// NewSender returns a sender calling the Bot API at baseURL; hc may be nil.
func NewSender(baseURL string, hc *http.Client) *Sender {
	return &Sender{baseURL: baseURL, hc: hc, clients: map[string]*Client{}}
}

// Kind returns staffbot.ChannelTelegram.
func (s *Sender) Kind() staffbot.ChannelKind { return staffbot.ChannelTelegram }

// Send delivers msg to chatID through the company's bot, split into as many
// messages as its length needs. Errors match channel.ErrBlocked,
// channel.ErrBadRequest, *channel.RateLimitError or
// *channel.ChatMigratedError when Telegram said so; see Client.SendMessage.
func (s *Sender) Send(ctx context.Context, co *staffbot.Company, chatID string, msg channel.Outgoing) error {
	c, err := s.Client(co)
	if err != nil {
		return err
	}
	return c.SendMessage(ctx, chatID, msg)
}

// Client returns the cached client for the company's bot token, for calls
// beyond sending such as AnswerCallbackQuery.
func (s *Sender) Client(co *staffbot.Company) (*Client, error) {
	if co == nil || co.TelegramToken == "" {
		return nil, errors.New("company has no telegram bot token")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[co.TelegramToken]
	if !ok {
		c = NewClient(s.baseURL, co.TelegramToken, s.hc)
		s.clients[co.TelegramToken] = c
	}
	return c, nil
}
