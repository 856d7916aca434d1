package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

func TestStore_InTx(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("QueuedTransactionsKeepTheirOwnOutcome", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			testQueuedTransactions(t, s, co.ID)
		})

		t.Run("CancelledBeforeItsTurnIsNotRun", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			ran := false
			err := s.InTx(ctx, func(tx *store.Tx) error {
				ran = true
				return nil
			})
			if !errors.Is(err, context.Canceled) || ran {
				t.Errorf("InTx with a cancelled context = %v, ran = %v; want context.Canceled, not run", err, ran)
			}
		})
	})
}

// testQueuedTransactions holds the writer with one transaction while
// others queue up behind it, so that on SQLite they run in one batch: the
// failing and the panicking ones must leave nothing behind, and the rest
// must all commit.
func testQueuedTransactions(t *testing.T, s *store.Store, co staffbot.CompanyID) {
	enqueue := func(tx *store.Tx, chat string) error {
		_, err := tx.Enqueue(t.Context(), co, nil, staffbot.ChannelTelegram, chat, channel.Outgoing{Text: chat}, t0)
		return err
	}
	errRefused := errors.New("refused")
	started, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		err := s.InTx(t.Context(), func(tx *store.Tx) error {
			close(started)
			<-release
			return enqueue(tx, "first")
		})
		if err != nil {
			t.Errorf("first: %v", err)
		}
	}()
	<-started

	const n = 30
	errs := make([]error, n)
	panics := make([]any, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { panics[i] = recover() }()
			errs[i] = s.InTx(t.Context(), func(tx *store.Tx) error {
				if err := enqueue(tx, fmt.Sprint(i)); err != nil {
					return err
				}
				switch i % 3 {
				case 1:
					return errRefused
				case 2:
					panic(fmt.Sprint("panic ", i))
				}
				return nil
			})
		}()
	}
	time.Sleep(100 * time.Millisecond) // they queue behind the first
	close(release)
	wg.Wait()

	for i := range n {
		var want error
		if i%3 == 1 {
			want = errRefused
		}
		if !errors.Is(errs[i], want) && !(want == nil && errs[i] == nil) {
			t.Errorf("transaction %d: err = %v, want %v", i, errs[i], want)
		}
		if wantPanic := i%3 == 2; (panics[i] != nil) != wantPanic {
			t.Errorf("transaction %d: panic = %v, want one: %v", i, panics[i], wantPanic)
		}
		msgs, err := s.FindChatMessages(t.Context(), co, staffbot.ChannelTelegram, fmt.Sprint(i), 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(msgs), btoi(i%3 == 0); got != want {
			t.Errorf("transaction %d left %d messages, want %d", i, got, want)
		}
	}
	if msgs, err := s.FindChatMessages(t.Context(), co, staffbot.ChannelTelegram, "first", 0, 10); err != nil || len(msgs) != 1 {
		t.Errorf("first transaction left %d messages, %v; want 1", len(msgs), err)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
