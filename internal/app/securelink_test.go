package app_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/app"
	"github.com/staffbot/staffbot/internal/config"
	"github.com/staffbot/staffbot/internal/securelink"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// secureLinkLogs is a log sink the server goroutines and the test share.
type secureLinkLogs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *secureLinkLogs) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *secureLinkLogs) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestSecureLinks_Served checks the wiring: the app serves its links,
// keeps their tokens out of the request log, and its cleanup loop deletes
// an expired link's file.
func TestSecureLinks_Served(t *testing.T) {
	for _, op := range storetest.Openers() {
		t.Run(op.Name, func(t *testing.T) {
			dsn := op.DSN(t)
			if op.Name == "SQLite" {
				dsn = "sqlite://" + dsn
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			cfg := config.Config{
				Addr:           ln.Addr().String(),
				DataDir:        t.TempDir(),
				DatabaseURL:    dsn,
				BaseURL:        "http://" + ln.Addr().String(),
				TelegramAPIURL: "http://127.0.0.1:9", // no company here has a bot
				TelegramMode:   "poll",
				MasterKey:      hex.EncodeToString(storetest.TestKey),
				LogLevel:       "debug",
				LogFormat:      "json",
			}
			logs := &secureLinkLogs{}
			logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			clock := staffbot.NewManualClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
			a, err := app.Open(t.Context(), cfg, app.Options{Clock: clock, Logger: logger, Tick: time.Hour})
			if err != nil {
				ln.Close()
				t.Fatalf("app.Open: %v", err)
			}
			t.Cleanup(func() { a.Close() })

			co := &staffbot.Company{Slug: "acme", Name: "Акме", TimeZone: "Europe/Moscow"}
			if err := a.Store.CreateCompany(t.Context(), co); err != nil {
				t.Fatal(err)
			}
			emp := &staffbot.Employee{CompanyID: co.ID, PersonnelNumber: "1", FullName: "Иванов Иван", HiredOn: staffbot.DateOf(clock.Now())}
			if err := a.Store.CreateEmployee(t.Context(), emp, clock.Now()); err != nil {
				t.Fatal(err)
			}
			create := func(ttl time.Duration) string {
				var link string
				err := a.Store.InTx(t.Context(), func(tx *store.Tx) error {
					var err error
					link, err = a.SecureLinks.Create(t.Context(), tx, co.ID, emp.ID,
						securelink.FileSpec{Name: "Расчётный листок.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4 test")},
						securelink.Options{TTL: ttl})
					return err
				})
				if err != nil {
					t.Fatalf("Create: %v", err)
				}
				return link
			}
			expiring := create(time.Hour)
			live := create(48 * time.Hour)

			// The app starts its cleanup loop with a pass, which finds the
			// first link expired.
			clock.Advance(2 * time.Hour)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- a.Run(ctx, ln) }()
			t.Cleanup(func() {
				cancel()
				<-done
			})

			dir := filepath.Join(cfg.DataDir, "securelinks")
			waitSecureLinks(t, "the expired link's file to go", func() bool {
				entries, err := os.ReadDir(dir)
				return err == nil && len(entries) == 1
			})
			if got := secureLinkStatus(t, expiring); got != http.StatusGone {
				t.Errorf("expired link: status %d, want 410", got)
			}
			if got := secureLinkStatus(t, live); got != http.StatusOK {
				t.Errorf("live link: status %d, want 200", got)
			}

			token := live[strings.LastIndex(live, "/")+1:]
			waitSecureLinks(t, "the request log line", func() bool { return strings.Contains(logs.String(), `"path":"/l/{token}"`) })
			if strings.Contains(logs.String(), token) {
				t.Error("the log holds a link token")
			}
		})
	}
}

func secureLinkStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func waitSecureLinks(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if ok() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("waiting for %s: timed out", what)
}
