package app_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/app"
	"github.com/staffbot/staffbot/internal/channel/telegram"
	"github.com/staffbot/staffbot/internal/channel/telegram/telegramtest"
	"github.com/staffbot/staffbot/internal/config"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// Load of the webhook benchmark.
const (
	benchEmployees = 1000

	// benchUsers write at once in the closed-loop run, each waiting for
	// the bot's reply before writing again.
	benchUsers = 64

	// benchConnections is how many updates the paced run POSTs at once at
	// most: the largest max_connections setWebhook allows.
	benchConnections = 100

	// benchDuplicateEvery: every so many updates is delivered twice, as
	// Telegram does when an answer is late.
	benchDuplicateEvery = 50

	// The employees work in so many departments, in benchOffices.
	benchDepartments = 20
)

var benchOffices = []string{"Москва", "Екатеринбург", "Новосибирск"}

// BenchmarkWebhook_Telegram feeds Telegram updates from many registered
// employees through the webhook to the reply at the fake Bot API, on each
// database, and reports the sustained rate and the latency from POSTing an
// update to the fake receiving its reply:
//
//	go test -run '^$' -bench Webhook -benchtime 5s ./internal/app
//
// Users64 has 64 employees writing at once, each waiting for the reply
// before writing again, so it finds the most the app sustains; Rate2000
// posts 2,000 updates a second whatever happens and shows the latency at
// that rate. Half the updates are /help, half free text; every 50th is
// delivered twice and must be answered once. The figures include the fake
// server and the posting clients, which share the CPUs with the app; see
// BenchmarkFake_SendMessage for the fake's own cost.
func BenchmarkWebhook_Telegram(b *testing.B) {
	for _, db := range benchDatabases() {
		b.Run(db+"/Users64", func(b *testing.B) { benchWebhook(b, db, 0) })
		b.Run(db+"/Rate1000", func(b *testing.B) { benchWebhook(b, db, 1000) })
		b.Run(db+"/Rate2000", func(b *testing.B) { benchWebhook(b, db, 2000) })
	}
}

// BenchmarkFake_SendMessage measures the fake Bot API alone, answering
// sendMessage from 32 concurrent keep-alive connections; its CPU figure
// counts the client's side too.
func BenchmarkFake_SendMessage(b *testing.B) {
	tg := telegramtest.NewServer(b)
	tg.AddBot(botToken, botUsername)
	hc := benchClient(32)
	body, err := json.Marshal(map[string]any{"chat_id": 1001, "text": "Я — HR-бот компании. " + strings.Repeat("Текст. ", 30)})
	if err != nil {
		b.Fatal(err)
	}
	endpoint := tg.URL() + "/bot" + botToken + "/sendMessage"

	b.SetParallelism(16) // 32 goroutines on two cores
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := hc.Post(endpoint, "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("sendMessage: status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/msg")
}

func benchDatabases() []string {
	dbs := []string{"SQLite"}
	if os.Getenv(storetest.EnvDatabaseURL) != "" {
		dbs = append(dbs, "Postgres")
	}
	return dbs
}

// benchWebhook runs one load: rate updates a second, or benchUsers
// writing in turn with their replies when rate is 0. A second of the same
// load first warms up connections, statement caches and the heap.
func benchWebhook(b *testing.B, db string, rate int) {
	env := newBenchEnv(b, db)
	l := startLoad(b, env, rate)

	l.phase()
	for time.Since(l.start) < time.Second {
		l.next()
	}
	if err := env.tap.wait(l.sent, 30*time.Second); err != nil {
		b.Fatal(err)
	}
	env.tap.reset()
	warm, warmTwice := l.sent, l.twice

	cpu0, load0 := cpuTime(), loadAvg()
	db0 := env.dbCPU(b)
	l.phase()
	for b.Loop() {
		l.next()
	}
	l.stop()
	if err := env.tap.wait(l.sent, 30*time.Second); err != nil {
		b.Fatal(err)
	}
	cpu, load1 := cpuTime()-cpu0, loadAvg()
	db1 := env.dbCPU(b)
	st := env.tap.stats(l.start)
	env.check(b, l.sent)

	n := l.sent - warm
	b.ReportMetric(st.rate, "updates/s")
	b.ReportMetric(ms(st.p50), "p50-ms")
	b.ReportMetric(ms(st.p99), "p99-ms")
	b.ReportMetric(ms(st.max), "max-ms")
	b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/update")
	if db0 != nil && db1 != nil {
		b.ReportMetric(float64(db1.since(db0).Microseconds())/float64(n), "db-cpu-µs/update")
	}
	b.Logf("%s: %d updates (%d delivered twice) in %v after %d to warm up; load average %s → %s",
		db, n, l.twice-warmTwice, st.span.Round(time.Millisecond), warm, load0, load1)
}

// benchLoad posts updates to a benchEnv from a pool of clients: paced at
// rate updates a second, or, when rate is 0, each client waiting for the
// reply to its update before it posts the next.
type benchLoad struct {
	b    *testing.B
	env  *benchEnv
	rate int
	jobs chan benchJob
	wg   sync.WaitGroup

	sent, twice int       // all posted so far
	start       time.Time // of the current phase
	phaseSent   int       // posted in the current phase
}

type benchJob struct {
	chat, update int64
	help, twice  bool
}

func startLoad(b *testing.B, env *benchEnv, rate int) *benchLoad {
	l := &benchLoad{b: b, env: env, rate: rate, jobs: make(chan benchJob)}
	clients := benchUsers
	if rate > 0 {
		clients = benchConnections
	}
	hc := benchClient(clients)
	for range clients {
		l.wg.Add(1)
		go l.client(hc)
	}
	return l
}

func (l *benchLoad) client(hc *http.Client) {
	defer l.wg.Done()
	var buf []byte
	var replied chan struct{}
	if l.rate == 0 {
		replied = make(chan struct{}, 1)
	}
	for j := range l.jobs {
		buf = appendUpdate(buf[:0], j.update, j.chat, j.help)
		l.env.tap.posted(j.chat, time.Now(), replied)
		for n := 1 + btoi(j.twice); n > 0; n-- {
			if err := l.env.post(hc, buf); err != nil {
				l.b.Error(err)
			}
		}
		if replied == nil {
			continue
		}
		select {
		case <-replied:
		case <-time.After(30 * time.Second):
			l.b.Errorf("chat %d: no reply in 30s", j.chat)
		}
	}
}

// phase starts counting time for pacing anew.
func (l *benchLoad) phase() {
	l.start, l.phaseSent = time.Now(), 0
}

// next hands the next update to a client, when it is due; the employees
// take turns, half asking for /help and half writing text.
func (l *benchLoad) next() {
	if l.rate > 0 {
		due := l.start.Add(time.Duration(l.phaseSent) * time.Second / time.Duration(l.rate))
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
	}
	j := benchJob{
		chat:   l.env.chats[l.sent%len(l.env.chats)],
		update: int64(500000001 + l.sent),
		help:   l.sent%2 == 0,
		twice:  l.sent%benchDuplicateEvery == benchDuplicateEvery-1,
	}
	l.jobs <- j
	l.sent++
	l.phaseSent++
	l.twice += btoi(j.twice)
}

// stop waits for the clients to finish what they were given.
func (l *benchLoad) stop() {
	close(l.jobs)
	l.wg.Wait()
}

// benchEnv is a running staffbot in webhook mode with many registered,
// consented employees, talking to a fake Bot API through a replyTap.
type benchEnv struct {
	tg      *telegramtest.Server
	app     *app.App
	tap     *replyTap
	hookURL string
	chats   []int64

	// appName is the application_name of the app's PostgreSQL sessions.
	appName string
}

func newBenchEnv(b *testing.B, db string) *benchEnv {
	b.Helper()
	env := &benchEnv{tg: telegramtest.NewServer(b)}
	env.tg.AddBot(botToken, botUsername)

	hc := app.NewHTTPClient()
	env.tap = newReplyTap(hc.Transport)
	hc.Transport = env.tap

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	cfg := config.Config{
		Addr:           "127.0.0.1:0",
		BaseURL:        "http://" + ln.Addr().String(),
		DataDir:        b.TempDir(),
		TelegramAPIURL: env.tg.URL(),
		TelegramMode:   "webhook",
		MasterKey:      hex.EncodeToString(storetest.TestKey),
		LogLevel:       "info",
		LogFormat:      "json",
		// Every update comes from loopback, faster than Telegram ever
		// sends; the benchmark measures the app, not the limit.
		TelegramWebhookLimit: "0",
	}
	if db == "Postgres" {
		cfg.DatabaseURL, env.appName = benchPostgresDSN(b)
	}
	logger := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	a, err := app.Open(b.Context(), cfg, app.Options{Logger: logger, HTTPClient: hc})
	if err != nil {
		ln.Close()
		b.Fatalf("app.Open: %v", err)
	}
	env.app = a
	b.Cleanup(func() { a.Close() })

	co := &staffbot.Company{
		Slug: "acme", Name: "Акме", TimeZone: "Europe/Moscow",
		TelegramBotUsername: botUsername, TelegramToken: botToken, TelegramWebhookSecret: hookSecret,
	}
	if err := a.Store.CreateCompany(b.Context(), co); err != nil {
		b.Fatalf("CreateCompany: %v", err)
	}
	env.chats = mustSeedEmployees(b, a.Store, co.ID, benchEmployees)
	env.hookURL = cfg.BaseURL + "/telegram/webhook/" + co.Slug

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, ln) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("Run: %v", err)
		}
	})

	deadline := time.Now().Add(10 * time.Second)
	for url, _ := env.tg.Webhook(botToken); url != env.hookURL; url, _ = env.tg.Webhook(botToken) {
		if time.Now().After(deadline) {
			b.Fatal("webhook was never set")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return env
}

// post delivers one update the way Telegram does and fails unless the app
// accepted it.
func (env *benchEnv) post(hc *http.Client, update []byte) error {
	req, err := http.NewRequest(http.MethodPost, env.hookURL, bytes.NewReader(update))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(telegram.SecretHeader, hookSecret)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("webhook answered %d", resp.StatusCode)
	}
	return nil
}

// check verifies that every update was answered exactly once, with the
// right text, and that nothing is left in the outbox.
func (env *benchEnv) check(b *testing.B, sent int) {
	b.Helper()
	if n := env.tg.Calls("sendMessage"); n != sent {
		b.Errorf("sendMessage calls = %d, want %d (one per update)", n, sent)
	}
	if extra := env.tap.extraReplies(); extra != 0 {
		b.Errorf("%d replies to chats that had no update waiting", extra)
	}
	// A message is marked sent just after the fake accepted it.
	var depth int64
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if depth, err = env.app.Store.OutboxDepth(b.Context()); err != nil || depth == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil || depth != 0 {
		b.Errorf("outbox depth = %d, %v; want 0", depth, err)
	}
	msgs := env.tg.SentTo(env.chats[0])
	if len(msgs) == 0 || !strings.Contains(msgs[0].Text, "HR-бот") {
		b.Errorf("first reply to chat %d = %+v, want the help text", env.chats[0], msgs)
	}
	if sent > 1 {
		msgs = env.tg.SentTo(env.chats[1])
		if len(msgs) == 0 || !strings.Contains(msgs[0].Text, "не понял") {
			b.Errorf("first reply to chat %d = %+v, want the not-understood text", env.chats[1], msgs)
		}
	}
}

// mustSeedEmployees creates n employees in several departments and
// offices, with Telegram accounts that have given consent, half of them
// with an onboarding run waiting for a later step and half with the run
// done, and returns their chat ids.
func mustSeedEmployees(b *testing.B, st *store.Store, co staffbot.CompanyID, n int) []int64 {
	b.Helper()
	ctx := b.Context()
	now := time.Now()
	ms := now.UnixMilli()
	due := now.Add(30 * 24 * time.Hour).UnixMilli()
	q := func(query string) string { return benchRebind(st.Dialect(), query) }

	tx, err := st.DB().BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	chats := make([]int64, n)
	for i := range n {
		chat := int64(800000001 + i)
		chats[i] = chat
		var emp int64
		err := tx.QueryRowContext(ctx, q(`INSERT INTO employees (company_id, personnel_number, full_name,
			position, department, office, hired_on, created_at, updated_at)
			VALUES (?, ?, ?, 'Инженер', ?, ?, '2026-01-12', ?, ?) RETURNING id`),
			co, fmt.Sprintf("%05d", i+1), fmt.Sprintf("Сотрудник Номер %d", i+1),
			fmt.Sprintf("Отдел %d", i%benchDepartments), benchOffices[i%len(benchOffices)], ms, ms).Scan(&emp)
		if err != nil {
			b.Fatalf("insert employee: %v", err)
		}
		ext := strconv.FormatInt(chat, 10)
		_, err = tx.ExecContext(ctx, q(`INSERT INTO channel_accounts (company_id, employee_id, kind, external_id,
			chat_id, blocked, consented_at, registered_at) VALUES (?, ?, 'telegram', ?, ?, 0, ?, ?)`),
			co, emp, ext, ext, ms, ms)
		if err != nil {
			b.Fatalf("insert account: %v", err)
		}
		_, err = tx.ExecContext(ctx, q(`INSERT INTO consents (company_id, employee_id, text_version, channel, given_at)
			VALUES (?, ?, ?, 'telegram', ?)`), co, emp, staffbot.ConsentTextVersion, ms)
		if err != nil {
			b.Fatalf("insert consent: %v", err)
		}
		state, dueAt := store.RunWaiting, sql.NullInt64{Int64: due, Valid: true}
		if i%2 == 1 {
			state, dueAt = store.RunDone, sql.NullInt64{}
		}
		_, err = tx.ExecContext(ctx, q(`INSERT INTO scenario_runs (company_id, employee_id, scenario, version, step,
			state, due_at, vars, started_at, updated_at) VALUES (?, ?, 'onboarding', 1, 'd1_welcome', ?, ?, '{}', ?, ?)`),
			co, emp, state, dueAt, ms, ms)
		if err != nil {
			b.Fatalf("insert run: %v", err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	// A database in service has statistics of its tables; without them
	// PostgreSQL plans for the empty tables it saw before the seed.
	if st.Dialect() == store.Postgres {
		if _, err := st.DB().ExecContext(ctx, "ANALYZE employees, channel_accounts, consents, scenario_runs"); err != nil {
			b.Fatal(err)
		}
	}
	return chats
}

// replyTap sits between the app and the fake Bot API and notes when each
// sendMessage has been accepted, matching it to the oldest update of its
// chat still waiting for a reply.
type replyTap struct {
	base http.RoundTripper

	mu       sync.Mutex
	pending  map[int64][]waiting
	lat      []time.Duration
	replied  int
	extra    int
	last     time.Time
	progress chan struct{}
}

func newReplyTap(base http.RoundTripper) *replyTap {
	if base == nil {
		base = http.DefaultTransport
	}
	return &replyTap{base: base, pending: map[int64][]waiting{}, progress: make(chan struct{}, 1)}
}

// waiting is an update that has no reply yet.
type waiting struct {
	at      time.Time
	replied chan<- struct{} // told of the reply, when not nil
}

// posted notes an update to chat sent at at; replied, if not nil, is told
// when its reply comes.
func (t *replyTap) posted(chat int64, at time.Time, replied chan<- struct{}) {
	t.mu.Lock()
	t.pending[chat] = append(t.pending[chat], waiting{at, replied})
	t.mu.Unlock()
}

func (t *replyTap) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(req.URL.Path, "/sendMessage") || req.Body == nil {
		return t.base.RoundTrip(req)
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	at := time.Now()

	var p struct {
		ChatID json.Number `json:"chat_id"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return resp, nil
	}
	chat, _ := p.ChatID.Int64()
	t.mu.Lock()
	if q := t.pending[chat]; len(q) > 0 {
		t.lat = append(t.lat, at.Sub(q[0].at))
		t.pending[chat] = q[1:]
		if q[0].replied != nil {
			q[0].replied <- struct{}{}
		}
	} else {
		t.extra++
	}
	t.replied++
	t.last = at
	t.mu.Unlock()
	select {
	case t.progress <- struct{}{}:
	default:
	}
	return resp, nil
}

// wait waits until n replies arrived, giving up after quiet passes with
// none.
func (t *replyTap) wait(n int, quiet time.Duration) error {
	for {
		t.mu.Lock()
		got := t.replied
		t.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-t.progress:
		case <-time.After(quiet):
			return fmt.Errorf("%d replies of %d after %v without progress", got, n, quiet)
		}
	}
}

// reset forgets the latencies measured so far.
func (t *replyTap) reset() {
	t.mu.Lock()
	t.lat = t.lat[:0]
	t.mu.Unlock()
}

func (t *replyTap) extraReplies() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.extra
}

type tapStats struct {
	rate          float64
	span          time.Duration
	p50, p99, max time.Duration
}

func (t *replyTap) stats(start time.Time) tapStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	lat := slices.Clone(t.lat)
	slices.Sort(lat)
	st := tapStats{span: t.last.Sub(start)}
	if len(lat) == 0 {
		return st
	}
	st.rate = float64(len(lat)) / st.span.Seconds()
	st.p50 = lat[len(lat)/2]
	st.p99 = lat[len(lat)*99/100]
	st.max = lat[len(lat)-1]
	return st
}

// appendUpdate writes a private-chat text update as Telegram sends it.
func appendUpdate(buf []byte, updateID, chat int64, help bool) []byte {
	buf = append(buf, `{"update_id":`...)
	buf = strconv.AppendInt(buf, updateID, 10)
	buf = append(buf, `,"message":{"message_id":`...)
	buf = strconv.AppendInt(buf, updateID%1000000, 10)
	buf = append(buf, `,"from":{"id":`...)
	buf = strconv.AppendInt(buf, chat, 10)
	buf = append(buf, `,"is_bot":false,"first_name":"Тест","last_name":"Тестов","language_code":"ru"},"chat":{"id":`...)
	buf = strconv.AppendInt(buf, chat, 10)
	buf = append(buf, `,"first_name":"Тест","last_name":"Тестов","type":"private"},"date":`...)
	buf = strconv.AppendInt(buf, time.Now().Unix(), 10)
	if help {
		return append(buf, `,"text":"/help","entities":[{"offset":0,"length":5,"type":"bot_command"}]}}`...)
	}
	return append(buf, `,"text":"Добрый день! Подскажите, где получить пропуск?"}}`...)
}

func benchClient(conns int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = conns
	tr.MaxIdleConnsPerHost = conns
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// benchPostgresDSN is storetest.PostgresDSN for a benchmark: a schema of
// its own, dropped at the end. The sessions are named after the schema,
// which it also returns.
func benchPostgresDSN(b *testing.B) (string, string) {
	b.Helper()
	base := os.Getenv(storetest.EnvDatabaseURL)
	r := make([]byte, 6)
	rand.Read(r)
	schema := "b_" + hex.EncodeToString(r)

	admin, err := sql.Open("pgx", base)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		b.Fatal(err)
	}
	b.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		b.Fatal(err)
	}
	v := u.Query()
	v.Set("search_path", schema)
	v.Set("application_name", schema)
	u.RawQuery = v.Encode()
	return u.String(), schema
}

// dbTimes is the CPU time of each PostgreSQL server process serving the
// app, by process id.
type dbTimes map[int]time.Duration

// dbCPU reads the CPU time of the server processes serving the app, when
// the server runs on this machine and their /proc entries can be read;
// otherwise nil, and the benchmark leaves db-cpu-µs/update out.
func (env *benchEnv) dbCPU(b *testing.B) dbTimes {
	if env.appName == "" {
		return nil
	}
	rows, err := env.app.Store.DB().QueryContext(b.Context(),
		"SELECT pid FROM pg_stat_activity WHERE application_name = $1", env.appName)
	if err != nil {
		return nil
	}
	defer rows.Close()
	t := dbTimes{}
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			return nil
		}
		cpu, ok := procCPU(pid)
		if !ok {
			return nil
		}
		t[pid] = cpu
	}
	if rows.Err() != nil || len(t) == 0 {
		return nil
	}
	return t
}

// since is the CPU the processes used after t0; one started meanwhile
// counts in full.
func (t dbTimes) since(t0 dbTimes) time.Duration {
	var d time.Duration
	for pid, cpu := range t {
		d += cpu - t0[pid]
	}
	return d
}

// procCPU reads a process's user and system time from /proc/PID/stat.
func procCPU(pid int) (time.Duration, bool) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The fields after the command name, which is in parentheses: state
	// first, then utime and stime as the 12th and 13th, in clock ticks.
	s := string(raw)
	i := strings.LastIndex(s, ") ")
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+2:])
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	return time.Duration(utime+stime) * tick, true
}

func benchRebind(d store.Dialect, query string) string {
	if d != store.Postgres {
		return query
	}
	var sb strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			sb.WriteString("$" + strconv.Itoa(n))
			continue
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// cpuTime is the CPU this process has used, user and system: the app, the
// fake and the posting clients together.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadAvg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func btoi(v bool) int {
	if v {
		return 1
	}
	return 0
}
