package hris_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/hris"
	"github.com/staffbot/staffbot/internal/hris/onec"
	"github.com/staffbot/staffbot/internal/hris/onec/onectest"
	"github.com/staffbot/staffbot/internal/secret"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// benchStore opens a fresh migrated store for a benchmark: an SQLite file,
// or a PostgreSQL schema of its own (storetest's helpers take *testing.T).
func benchStore(b *testing.B, db string) *store.Store {
	b.Helper()
	dsn := filepath.Join(b.TempDir(), "staffbot.db")
	if db == "Postgres" {
		base := os.Getenv(storetest.EnvDatabaseURL)
		raw := make([]byte, 6)
		rand.Read(raw)
		schema := "b_" + hex.EncodeToString(raw)
		admin, err := sql.Open("pgx", base)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { admin.Exec("DROP SCHEMA " + schema + " CASCADE"); admin.Close() })
		u, _ := url.Parse(base)
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		dsn = u.String()
	}
	sealer, err := secret.NewSealer(storetest.TestKey)
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(context.Background(), dsn, sealer)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	return st
}

func benchDatabases() []string {
	dbs := []string{"SQLite"}
	if os.Getenv(storetest.EnvDatabaseURL) != "" {
		dbs = append(dbs, "Postgres")
	}
	return dbs
}

func benchCompany(b *testing.B, st *store.Store) (*staffbot.Company, *store.Connector) {
	b.Helper()
	co := &staffbot.Company{Slug: "acme"}
	if err := st.CreateCompany(context.Background(), co); err != nil {
		b.Fatal(err)
	}
	c := &store.Connector{CompanyID: co.ID, Kind: "1c", URL: "http://127.0.0.1/zup", SyncEvery: time.Hour}
	if _, err := st.SaveConnector(context.Background(), c, time.Now()); err != nil {
		b.Fatal(err)
	}
	return co, c
}

func fillOneC(fake *onectest.Server, n int) {
	es := make([]onectest.Employee, n)
	for i := range es {
		es[i] = onectest.Employee{
			Code:       fmt.Sprintf("00-%07d", i),
			Name:       fmt.Sprintf("Сотрудникова Анна Петровна %d", i),
			HiredOn:    "2020-03-01",
			Position:   fmt.Sprintf("Должность %d", i%50),
			Department: fmt.Sprintf("Отдел %d", i%20),
		}
		if i%100 == 0 {
			es[i].DismissedOn = "2024-06-30"
		}
	}
	fake.AddEmployees(es)
}

// BenchmarkSync_OneC10000 syncs 10,000 employees from the fake 1C over
// loopback: Create into an empty company, Unchanged when all are known.
func BenchmarkSync_OneC10000(b *testing.B) {
	const n = 10_000
	fake := onectest.NewServer(b)
	fillOneC(fake, n)
	conn, err := onec.New(onec.Config{URL: fake.URL(), Credentials: hris.Credentials{User: onectest.DefaultUser, Password: onectest.DefaultPassword}})
	if err != nil {
		b.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)

	for _, db := range benchDatabases() {
		b.Run(db+"/Create", func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				st := benchStore(b, db)
				co, c := benchCompany(b, st)
				syncer := &hris.Syncer{Store: st, Logger: logger}
				b.StartTimer()
				res, err := syncer.Sync(context.Background(), co, c, conn, hris.TriggerManual)
				if err != nil || res.Run.Created != n-n/100 {
					b.Fatalf("Sync = %+v, %v", res.Run, err)
				}
			}
		})
		b.Run(db+"/Unchanged", func(b *testing.B) {
			st := benchStore(b, db)
			co, c := benchCompany(b, st)
			syncer := &hris.Syncer{Store: st, Logger: logger}
			if _, err := syncer.Sync(context.Background(), co, c, conn, hris.TriggerManual); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				res, err := syncer.Sync(context.Background(), co, c, conn, hris.TriggerManual)
				if err != nil || res.Run.Unchanged != n-n/100 {
					b.Fatalf("Sync = %+v, %v", res.Run, err)
				}
			}
		})
	}
}

// BenchmarkStatus_OneC measures a live status check against the fake 1C on
// loopback: two HTTP round trips. The fake scans its records linearly, so
// the 10,000 case includes that scan; the 10 case is the protocol cost.
func BenchmarkStatus_OneC(b *testing.B) {
	for _, n := range []int{10, 10_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			fake := onectest.NewServer(b)
			fillOneC(fake, n)
			conn, err := onec.New(onec.Config{URL: fake.URL(), Credentials: hris.Credentials{User: onectest.DefaultUser, Password: onectest.DefaultPassword}})
			if err != nil {
				b.Fatal(err)
			}
			number := fmt.Sprintf("00-%07d", n/2+1)
			b.ResetTimer()
			for range b.N {
				if _, err := conn.Status(context.Background(), number); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
