package selfservice_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/hris/onec/onectest"
	"github.com/staffbot/staffbot/internal/secret"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// The cost of a live request on loopback, against the fake 1C, on SQLite:
//
//   - Chat is the bot's part in its transaction: match the message,
//     record the request, queue the "requesting…" note.
//   - ConnectorCalls is what the accounting system is asked: the status
//     (two OData reads) and the balance (one HTTP-service call).
//   - Fulfil is everything after the chat's transaction: the claim, the
//     checks, the calls, the encrypted file, the link and the audit
//     record, in the transaction that delivers it.
//   - Request is the whole of it, as an employee waits for it less the
//     messenger's own delivery.
func BenchmarkLiveRequest(b *testing.B) {
	f := benchFixture(b)
	f.fake.SetVacationBalance(number, onectest.VacationBalance{Days: 23.67})

	b.Run("Chat", func(b *testing.B) {
		for b.Loop() {
			if handled, _ := f.say("сколько у меня отпуска"); !handled {
				b.Fatal("not taken")
			}
		}
		b.StopTimer()
		// Nobody waits for these; the next benchmarks claim their own.
		if _, err := f.st.DB().ExecContext(b.Context(), "UPDATE service_requests SET status = 'closed'"); err != nil {
			b.Fatal(err)
		}
	})
	b.Run("ConnectorCalls", func(b *testing.B) {
		conn, err := f.connector(b.Context(), f.co.ID)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := conn.Status(b.Context(), number); err != nil {
				b.Fatal(err)
			}
			if _, err := conn.VacationBalance(b.Context(), number, staffbot.DateOf(t0)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Fulfil", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			f.say("сколько у меня отпуска")
			b.StartTimer()
			if n, err := f.svc.RunDue(b.Context()); err != nil || n != 1 {
				b.Fatalf("RunDue = %d, %v", n, err)
			}
		}
	})
	b.Run("Request", func(b *testing.B) {
		for b.Loop() {
			f.say("сколько у меня отпуска")
			if n, err := f.svc.RunDue(b.Context()); err != nil || n != 1 {
				b.Fatalf("RunDue = %d, %v", n, err)
			}
		}
	})
}

func benchFixture(b *testing.B) *fixture {
	b.Helper()
	sealer, err := secret.NewSealer(storetest.TestKey)
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "staffbot.db"), sealer)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	return newFixture(b, st)
}
