package webchat

import (
	"context"
	"sync"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
)

// Sender is the web chat's channel.Sender. The outbox row of a message is
// already the chat's transcript, so delivering it means only waking the
// long polls of that chat.
type Sender struct {
	waiters *notifier
}

var _ channel.Sender = (*Sender)(nil)

// Kind returns staffbot.ChannelWebchat.
func (*Sender) Kind() staffbot.ChannelKind { return staffbot.ChannelWebchat }

// Send wakes the open pages of the chat so they fetch the new message. It
// never fails: a page that is closed reads the message when it opens.
func (x *Sender) Send(ctx context.Context, co *staffbot.Company, chatID string, msg channel.Outgoing) error {
	x.waiters.notify(co.ID, chatID)
	return nil
}

type chatKey struct {
	companyID staffbot.CompanyID
	chatID    string
}

// wakeup is one generation of waiters on a chat. Its channel is closed,
// and the generation forgotten, when the chat gets news.
type wakeup struct {
	ch chan struct{}
	n  int
}

// notifier lets long polls wait for news of their chat. It lives in this
// process only; pages served by another instance are woken by their own
// periodic re-check of the store.
type notifier struct {
	mu    sync.Mutex
	chats map[chatKey]*wakeup
}

func newNotifier() *notifier {
	return &notifier{chats: map[chatKey]*wakeup{}}
}

// wait returns a channel closed at the chat's next news, and a func to call
// when the caller stops waiting. Subscribe before reading the store, so
// that news arriving between the read and the wait is not lost.
func (n *notifier) wait(companyID staffbot.CompanyID, chatID string) (<-chan struct{}, func()) {
	k := chatKey{companyID, chatID}

	n.mu.Lock()
	w := n.chats[k]
	if w == nil {
		w = &wakeup{ch: make(chan struct{})}
		n.chats[k] = w
	}
	w.n++
	n.mu.Unlock()

	return w.ch, func() {
		n.mu.Lock()
		w.n--
		if w.n == 0 && n.chats[k] == w {
			delete(n.chats, k)
		}
		n.mu.Unlock()
	}
}

func (n *notifier) notify(companyID staffbot.CompanyID, chatID string) {
	k := chatKey{companyID, chatID}

	n.mu.Lock()
	if w := n.chats[k]; w != nil {
		close(w.ch)
		delete(n.chats, k)
	}
	n.mu.Unlock()
}
