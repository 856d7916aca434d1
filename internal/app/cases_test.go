package app_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/channel/telegram"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// Messenger failure cases from the field, driven through the whole app
// and the fake Bot API: the webhook, the bot, the store and the outbox.

// caseRegister takes chat through "/start CODE" and consent for e, and
// returns how many messages the chat has once the outbox is drained.
func (h *harness) caseRegister(chat int64, e *staffbot.Employee) int {
	h.t.Helper()
	h.push(h.tg.TextUpdate(chat, "/start "+h.mustInvite(e)))
	ask := h.waitSent(chat, 1)[0]
	h.push(h.tg.CallbackUpdate(chat, buttonData(h.t, ask, "согласи")))
	h.waitSent(chat, 2)
	return len(h.drain(chat))
}

// caseCount counts the rows of a table, for checks that nothing was
// recorded. table is a constant of the test.
func (h *harness) caseCount(table string) int {
	h.t.Helper()
	var n int
	if err := h.store().DB().QueryRowContext(h.t.Context(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		h.t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// casePost POSTs body to the company's webhook with the given headers and
// returns the status.
func (h *harness) casePost(body []byte, header http.Header) int {
	h.t.Helper()
	status, err := h.casePostErr(body, header)
	if err != nil {
		h.t.Fatal(err)
	}
	return status
}

// casePostErr is casePost for other goroutines than the test's.
func (h *harness) casePostErr(body []byte, header http.Header) (int, error) {
	url, _ := h.tg.Webhook(botToken)
	if url == "" {
		return 0, errors.New("no webhook set")
	}
	req, err := http.NewRequestWithContext(h.t.Context(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header = header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("POST webhook: %w", err)
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// caseEnqueueToEmployee queues a message for every reachable account of e
// and returns how many accounts it went to.
func (h *harness) caseEnqueueToEmployee(e *staffbot.Employee, text string) int {
	h.t.Helper()
	var n int
	err := h.store().InTx(h.t.Context(), func(tx *store.Tx) error {
		var err error
		n, err = tx.EnqueueToEmployee(h.t.Context(), h.co.ID, e.ID, channel.Outgoing{Text: text}, h.clock.Now())
		return err
	})
	if err != nil {
		h.t.Fatalf("EnqueueToEmployee: %v", err)
	}
	h.app.Dispatcher.Wake()
	return n
}

func caseReadFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Case 05 (05-tg-my-chat-member-kicked): "member → kicked" marks the
// employee's Telegram account blocked and nothing is sent to it while it
// is; "kicked → member" opens it again and messages flow.
func TestCase05MyChatMemberBlockAndUnblock(t *testing.T) {
	for _, op := range storetest.Openers() {
		t.Run(op.Name, func(t *testing.T) {
			t.Parallel()
			var updates []json.RawMessage
			if err := json.Unmarshal(caseReadFile(t, "testdata/05-tg-my-chat-member-kicked.json"), &updates); err != nil || len(updates) != 2 {
				t.Fatalf("case 05: %d updates, %v; want 2", len(updates), err)
			}
			kicked, member := updates[0], updates[1]
			const chat = 700000012

			// A newcomer whose first day, Monday 9 December, comes while
			// the bot is blocked.
			h := newHarness(t, op, time.Date(2024, 12, 4, 11, 0, 0, 0, moscow))
			emp := h.mustEmployee("00012", "Петров Сергей Иванович", staffbot.Date{Year: 2024, Month: 12, Day: 9}, nil, nil)
			base := h.caseRegister(chat, emp)
			run, err := h.store().FindRunOfEmployee(t.Context(), h.co.ID, emp.ID, "onboarding")
			if err != nil {
				t.Fatalf("onboarding did not start: %v", err)
			}
			blocked := func() bool {
				t.Helper()
				a, err := h.store().FindAccount(t.Context(), h.co.ID, staffbot.ChannelTelegram, fmt.Sprint(chat))
				if err != nil {
					t.Fatalf("FindAccount: %v", err)
				}
				return a.Blocked
			}

			h.push(kicked)
			if !blocked() {
				t.Fatal("account not blocked after member → kicked")
			}
			if n := h.caseEnqueueToEmployee(emp, "Напоминание: подайте график отпусков"); n != 0 {
				t.Errorf("queued to %d accounts of a blocked employee, want 0", n)
			}
			// The reminder and the first day's messages come due and reach
			// nobody; the engine notes them as undelivered.
			h.advanceTo(time.Date(2024, 12, 9, 10, 0, 0, 0, moscow))
			h.settle(chat, base)
			undelivered, err := h.store().FindRunEvents(t.Context(), h.co.ID, run.ID, store.EventUndelivered)
			if err != nil || len(undelivered) == 0 {
				t.Errorf("undelivered events = %d, %v; want the steps due while blocked", len(undelivered), err)
			}

			h.push(member)
			if blocked() {
				t.Fatal("account still blocked after kicked → member")
			}
			if n := h.caseEnqueueToEmployee(emp, "С возвращением!"); n != 1 {
				t.Fatalf("queued to %d accounts after unblocking, want 1", n)
			}
			got := h.settle(chat, base+1)
			if got[base].Text != "С возвращением!" {
				t.Errorf("after unblocking got %q", got[base].Text)
			}
		})
	}
}

// Case 12 (12-tg-duplicate-update-webhook): the same update POSTed twice,
// 65 s apart, is answered 200 both times and handled once; the next update
// is handled as usual.
func TestCase12DuplicateWebhookUpdate(t *testing.T) {
	for _, op := range storetest.Openers() {
		t.Run(op.Name, func(t *testing.T) {
			t.Parallel()
			var bodies [][]byte
			sc := bufio.NewScanner(bytes.NewReader(caseReadFile(t, "testdata/12-tg-duplicate-update-webhook.jsonl")))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var line struct {
					Body json.RawMessage `json:"body"`
				}
				if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
					t.Fatal(err)
				}
				bodies = append(bodies, line.Body)
			}
			if len(bodies) != 3 {
				t.Fatalf("case 12 has %d deliveries, want 3", len(bodies))
			}
			const chat = 700000001

			h := newHarness(t, op, time.Date(2024, 12, 4, 11, 0, 0, 0, moscow))
			emp := h.mustEmployee("00001", "Иванова Анна Петровна", staffbot.Date{Year: 2019, Month: 4, Day: 1}, nil, nil)
			base := h.caseRegister(chat, emp)
			_, secret := h.tg.Webhook(botToken)
			header := http.Header{"Content-Type": {"application/json"}, telegram.SecretHeader: {secret}}
			updates := h.caseCount("inbound_updates")

			if got := h.casePost(bodies[0], header); got != http.StatusOK {
				t.Fatalf("first delivery: %d, want 200", got)
			}
			h.clock.Advance(65 * time.Second)
			if got := h.casePost(bodies[1], header); got != http.StatusOK {
				t.Fatalf("redelivery: %d, want 200 so that Telegram stops", got)
			}
			h.settle(chat, base+1)
			if n := h.caseCount("inbound_updates"); n != updates+1 {
				t.Errorf("%d updates recorded, want %d", n, updates+1)
			}

			if got := h.casePost(bodies[2], header); got != http.StatusOK {
				t.Fatalf("next update: %d, want 200", got)
			}
			h.settle(chat, base+2)

			// Redeliveries racing the first delivery still act once.
			racing := bytes.Replace(bodies[0], []byte("734001501"), []byte("734001599"), 1)
			errs := make(chan error, 5)
			for range cap(errs) {
				go func() {
					status, err := h.casePostErr(racing, header)
					if err == nil && status != http.StatusOK {
						err = fmt.Errorf("status %d, want 200", status)
					}
					errs <- err
				}()
			}
			for range cap(errs) {
				if err := <-errs; err != nil {
					t.Errorf("concurrent delivery: %v", err)
				}
			}
			h.settle(chat, base+3)
		})
	}
}

// forgedRequest is one request of an .http case file.
type forgedRequest struct {
	name   string
	header http.Header
	body   []byte
}

// readHTTPCase splits an .http file into its requests: a "# Request"
// comment, the request line, headers, a blank line and the body.
func readHTTPCase(t *testing.T, path string) []forgedRequest {
	t.Helper()
	var out []forgedRequest
	text := strings.ReplaceAll(string(caseReadFile(t, path)), "\r\n", "\n") // HTTP files use CRLF
	for _, part := range strings.Split(text, "# Request")[1:] {
		name, rest, _ := strings.Cut(part, "\n")
		head, body, ok := strings.Cut(rest, "\n\n")
		if !ok {
			t.Fatalf("%s: request %q has no body", path, name)
		}
		r := forgedRequest{name: strings.TrimSpace(name), header: http.Header{}, body: []byte(strings.TrimSpace(body))}
		for _, line := range strings.Split(head, "\n")[1:] { // after the request line
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			k = strings.TrimSpace(k)
			if k == "Host" || k == "Content-Length" {
				continue // set by the client for our own address and body
			}
			r.header.Set(k, strings.TrimSpace(v))
		}
		out = append(out, r)
	}
	if len(out) != 2 {
		t.Fatalf("%s: %d requests, want 2", path, len(out))
	}
	return out
}

// Case 13 (13-tg-webhook-forged-no-secret): an update POSTed without the
// secret header, or with a wrong one, is refused with 403 and leaves no
// trace: no update recorded, no reply queued, no account. The same body
// with the right secret is handled, so the counts do see a real update.
func TestCase13ForgedWebhookRejected(t *testing.T) {
	for _, op := range storetest.Openers() {
		t.Run(op.Name, func(t *testing.T) {
			t.Parallel()
			reqs := readHTTPCase(t, "testdata/13-tg-webhook-forged-no-secret.http")
			if reqs[0].header.Get(telegram.SecretHeader) != "" || reqs[1].header.Get(telegram.SecretHeader) == "" {
				t.Fatalf("case 13 requests = %+v, want one without and one with a secret", reqs)
			}
			const forger = 700000777

			h := newHarness(t, op, time.Date(2024, 12, 4, 11, 0, 0, 0, moscow))
			before := map[string]int{}
			for _, table := range []string{"inbound_updates", "outbox", "channel_accounts"} {
				before[table] = h.caseCount(table)
			}

			for _, r := range reqs {
				if got := h.casePost(r.body, r.header); got != http.StatusForbidden {
					t.Errorf("%s: status %d, want 403", r.name, got)
				}
			}
			time.Sleep(100 * time.Millisecond) // anything wrongly queued would go out by now
			for table, n := range before {
				if got := h.caseCount(table); got != n {
					t.Errorf("forged updates changed %s: %d rows, want %d", table, got, n)
				}
			}
			if got := h.tg.SentTo(forger); len(got) != 0 {
				t.Errorf("the forger got %q", dump(got))
			}

			// Control: the real secret gets the update handled (a stranger's
			// refusal), so the checks above would have seen it.
			_, secret := h.tg.Webhook(botToken)
			good := reqs[1].header.Clone()
			good.Set(telegram.SecretHeader, secret)
			if got := h.casePost(reqs[1].body, good); got != http.StatusOK {
				t.Fatalf("with the right secret: %d, want 200", got)
			}
			h.settle(forger, 1)
			if got := h.caseCount("inbound_updates"); got != before["inbound_updates"]+1 {
				t.Errorf("with the right secret: %d updates recorded, want %d", got, before["inbound_updates"]+1)
			}
			if _, err := h.store().FindAccount(t.Context(), h.co.ID, staffbot.ChannelTelegram, fmt.Sprint(forger)); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("forger has an account (%v)", err)
			}
		})
	}
}
