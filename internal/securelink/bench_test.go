package securelink_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/secret"
	"github.com/staffbot/staffbot/internal/securelink"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// BenchmarkService_Download measures creating a link to a 200 KB file and
// downloading it once over loopback on SQLite: encryption and fsync, the
// page, the form check, the row lock, decryption, counting the open and
// deleting the file after the last one.
func BenchmarkService_Download(b *testing.B) {
	ctx := context.Background()
	sealer, err := secret.NewSealer(storetest.TestKey)
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), sealer)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	co := &staffbot.Company{Slug: "acme", Name: "Акме", TimeZone: "Europe/Moscow"}
	if err := st.CreateCompany(ctx, co); err != nil {
		b.Fatal(err)
	}
	emp := &staffbot.Employee{CompanyID: co.ID, PersonnelNumber: "1", FullName: "Иванов Иван", HiredOn: staffbot.DateOf(t0)}
	if err := st.CreateEmployee(ctx, emp, t0); err != nil {
		b.Fatal(err)
	}

	clock := staffbot.NewManualClock(t0)
	svc := &securelink.Service{Store: st, Clock: clock, DataDir: b.TempDir()}
	mux := http.NewServeMux()
	svc.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	svc.BaseURL = srv.URL

	data := make([]byte, 200<<10)
	rand.Read(data)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	csrfRe := regexp.MustCompile(`name="csrf" value="([^"]+)"`)

	b.ResetTimer()
	for b.Loop() {
		clock.Advance(time.Minute) // refills the per-address rate limits
		var link string
		err := st.InTx(ctx, func(tx *store.Tx) error {
			var err error
			link, err = svc.Create(ctx, tx, co.ID, emp.ID, securelink.FileSpec{Name: "a.pdf", ContentType: "application/pdf", Data: data},
				securelink.Options{MaxOpens: 1})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		page := fetch(b, client, http.MethodGet, link, nil)
		m := csrfRe.FindSubmatch(page)
		if m == nil {
			b.Fatalf("no form token in %s", page)
		}
		got := fetch(b, client, http.MethodPost, link, url.Values{"csrf": {string(m[1])}})
		if !bytes.Equal(got, data) {
			b.Fatal("downloaded bytes differ")
		}
	}
}

func fetch(b *testing.B, c *http.Client, method, link string, form url.Values) []byte {
	b.Helper()
	req, err := http.NewRequest(method, link, strings.NewReader(form.Encode()))
	if err != nil {
		b.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("%s: status %d", method, resp.StatusCode)
	}
	return body
}
