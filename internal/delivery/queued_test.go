package delivery

import (
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// claimQueued leases by id what this process queued once it knows how far
// the chat has been delivered, one message per chat at a time, and leaves
// the rest to the scan.
func TestDispatcher_ClaimQueued(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Parallel()
		st := open(t)
		ctx := t.Context()
		co := &staffbot.Company{Slug: "acme", Name: "Акме", TimeZone: "Europe/Moscow"}
		if err := st.CreateCompany(ctx, co); err != nil {
			t.Fatal(err)
		}
		clock := staffbot.NewManualClock(time.Date(2024, 12, 4, 8, 15, 0, 0, time.UTC))
		d := New(st, nil, clock, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
		st.OnQueued = d.Queue
		enqueue := func(chat, text string) int64 {
			t.Helper()
			var id int64
			err := st.InTx(ctx, func(tx *store.Tx) error {
				var err error
				id, err = tx.Enqueue(ctx, co.ID, nil, staffbot.ChannelTelegram, chat, channel.Outgoing{Text: text}, clock.Now())
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		claim := func(wantRest bool) []*store.OutboxItem {
			t.Helper()
			items, rest, err := d.claimQueued(ctx, claimBatch)
			if err != nil {
				t.Fatal(err)
			}
			if rest != wantRest {
				t.Errorf("claimQueued left messages for the scan: %v, want %v", rest, wantRest)
			}
			d.leased(items)
			return items
		}
		deliver := func(items ...*store.OutboxItem) {
			t.Helper()
			var ids []int64
			for _, it := range items {
				ids = append(ids, it.ID)
			}
			if err := st.MarkOutboxSentAll(ctx, ids, clock.Now()); err != nil {
				t.Fatal(err)
			}
			d.settle(items...)
		}
		ids := func(items []*store.OutboxItem) []int64 {
			var out []int64
			for _, it := range items {
				out = append(out, it.ID)
			}
			return out
		}

		// A chat the dispatcher has not delivered to is the scan's.
		first := enqueue("7", "first")
		if got := claim(true); len(got) != 0 {
			t.Fatalf("claimQueued of an unknown chat = %v, want none", ids(got))
		}
		scanned, err := st.ClaimOutbox(ctx, clock.Now(), lease, claimBatch)
		if err != nil || !slices.Equal(ids(scanned), []int64{first}) {
			t.Fatalf("scan = %v, %v; want [%d]", ids(scanned), err, first)
		}
		d.leased(scanned)
		deliver(scanned...)

		// After it, one message at a time, by id.
		second, third := enqueue("7", "second"), enqueue("7", "third")
		got := claim(false)
		if !slices.Equal(ids(got), []int64{second}) {
			t.Fatalf("claimQueued = %v, want [%d]", ids(got), second)
		}
		if again := claim(false); len(again) != 0 {
			t.Fatalf("claimQueued while %d is being sent = %v, want none", second, ids(again))
		}
		deliver(got...)
		if got := claim(false); !slices.Equal(ids(got), []int64{third}) {
			t.Fatalf("claimQueued = %v, want [%d]", ids(got), third)
		}

		// A message that waits too long is left to the scan.
		d.qmu.Lock()
		d.queued[first+1000] = queuedMsg{key: chatKey{co.ID, staffbot.ChannelTelegram, "7"}, since: time.Now().Add(-2 * queuedTTL)}
		d.qmu.Unlock()
		claim(false)
		d.qmu.Lock()
		_, kept := d.queued[first+1000]
		d.qmu.Unlock()
		if kept {
			t.Error("a message queued long ago is still tried by id")
		}
	})
}
