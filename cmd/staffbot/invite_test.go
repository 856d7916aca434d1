package main

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/store"
)

const testBaseURL = "https://hr.north-wind.example"

// printedLine is one line of "staffbot invite".
type printedLine struct {
	number, name, telegram, web, code string
}

// parseInvites reads the lines of "staffbot invite": number, name, the
// Telegram deep link or "—", and the web link, separated by tabs.
func parseInvites(t *testing.T, out, bot string) []printedLine {
	t.Helper()
	var lines []printedLine
	for _, s := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		f := strings.Split(s, "\t")
		if len(f) != 4 {
			t.Fatalf("invite line %q has %d fields, want 4", s, len(f))
		}
		l := printedLine{number: f[0], name: f[1], telegram: f[2], web: f[3]}
		code, ok := strings.CutPrefix(l.web, testBaseURL+"/join/")
		if !ok {
			t.Fatalf("web link %q is not under %s/join/", l.web, testBaseURL)
		}
		l.code = code
		wantTG := "—"
		if bot != "" {
			wantTG = "https://t.me/" + bot + "?start=" + code
		}
		if l.telegram != wantTG {
			t.Errorf("%s: Telegram link %q, want %q", l.number, l.telegram, wantTG)
		}
		lines = append(lines, l)
	}
	return lines
}

// TestInvite_All: with no number, every current employee not yet
// registered gets a line with a fresh code of at least 64 bits, and each
// code registers exactly once.
func TestInvite_All(t *testing.T) {
	eachDatabase(t, func(t *testing.T, c *cli) {
		t.Setenv("STAFFBOT_BASE_URL", testBaseURL)
		c.mustRun("company", "create", "--slug", "acme", "--name", "Акме", "--telegram-token", testBotToken)
		c.mustRun("import", "employees", "--company", "acme", employees1C)
		co := c.company("acme")
		today := staffbot.DateOf(time.Now().In(co.Location()))

		current := map[string]*staffbot.Employee{}
		for _, e := range c.employees("acme") {
			if e.Active(today) {
				current[e.PersonnelNumber] = e
			}
		}
		if len(current) == 0 || len(current) == 50 {
			t.Fatalf("%d current employees; the sample should have some dismissed", len(current))
		}

		r := c.mustRun("invite", "--company", "acme")
		lines := parseInvites(t, r.stdout, testBotUsername)
		if len(lines) != len(current) {
			t.Errorf("%d invite lines, want one per current employee (%d)", len(lines), len(current))
		}
		codes := map[string]bool{}
		for _, l := range lines {
			e := current[l.number]
			if e == nil {
				t.Errorf("invited %s, who is not a current employee", l.number)
				continue
			}
			if l.name != e.FullName {
				t.Errorf("%s: name %q, want %q", l.number, l.name, e.FullName)
			}
			raw, err := base64.RawURLEncoding.DecodeString(l.code)
			if err != nil || len(raw)*8 < 64 || !staffbot.ValidInviteCodeShape(l.code) {
				t.Errorf("%s: code %q is not a deep-link-safe code of 64+ bits (%d bits, %v)", l.number, l.code, len(raw)*8, err)
			}
			if codes[l.code] {
				t.Errorf("code %q printed twice", l.code)
			}
			codes[l.code] = true
		}
		if !strings.Contains(r.stderr, strconv.Itoa(len(lines))+" invite(s)") {
			t.Errorf("stderr lacks the count: %q", r.stderr)
		}

		// A code works once, in the company it was made for.
		l := lines[0]
		emp := mustRedeem(t, c, co.ID, l.code, "web-1")
		if emp.PersonnelNumber != l.number {
			t.Errorf("code of %s registered %s", l.number, emp.PersonnelNumber)
		}
		if _, err := redeem(t, c, co.ID, l.code, "web-2"); !store.IsNotFoundOrExpired(err) {
			t.Errorf("second use of a code: %v, want not found or expired", err)
		}

		// The registered employee is left out next time; the others get
		// new codes, and their old ones stop working.
		again := parseInvites(t, c.mustRun("invite", "--company", "acme").stdout, testBotUsername)
		if len(again) != len(lines)-1 {
			t.Errorf("second invite: %d lines, want %d", len(again), len(lines)-1)
		}
		for _, a := range again {
			if a.number == l.number {
				t.Errorf("registered employee %s invited again", a.number)
			}
			if codes[a.code] {
				t.Errorf("%s: the second invite repeated a code", a.number)
			}
		}
		if _, err := redeem(t, c, co.ID, lines[1].code, "web-3"); !store.IsNotFoundOrExpired(err) {
			t.Errorf("an older code still works after a new invite: %v", err)
		}
		mustRedeem(t, c, co.ID, again[0].code, "web-3")
	})
}

// TestInvite_Employees: --employee invites the named people only, works
// without a Telegram bot, and refuses a dismissed or unknown employee.
func TestInvite_Employees(t *testing.T) {
	eachDatabase(t, func(t *testing.T, c *cli) {
		t.Setenv("STAFFBOT_BASE_URL", testBaseURL)
		c.mustRun("company", "create", "--slug", "acme")
		c.mustRun("import", "employees", "--company", "acme", employees1C)

		r := c.mustRun("invite", "--company", "acme", "--employee", "00001", "--employee", "00004")
		lines := parseInvites(t, r.stdout, "")
		if len(lines) != 2 || lines[0].number != "00001" || lines[1].number != "00004" {
			t.Fatalf("invite --employee 00001 --employee 00004:\n%s", r.stdout)
		}
		if lines[0].name != "Иванов Егор Андреевич" {
			t.Errorf("00001 name = %q", lines[0].name)
		}

		// 00149 left on 30.09.2025.
		for _, tt := range []struct{ number, want string }{
			{"00149", "dismissed"},
			{"99999", "not found"},
		} {
			r := c.run("invite", "--company", "acme", "--employee", tt.number)
			if r.code != 1 || !strings.Contains(r.stderr, tt.want) || r.stdout != "" {
				t.Errorf("invite --employee %s: %s; want exit 1, %q and no links", tt.number, r, tt.want)
			}
		}
		// One bad number spoils the lot: no codes are made for the others.
		r = c.run("invite", "--company", "acme", "--employee", "00002", "--employee", "00149")
		if r.code != 1 || r.stdout != "" {
			t.Errorf("invite with a dismissed employee among others: %s", r)
		}
		if r := c.run("invite", "--company", "nope"); r.code != 1 || !strings.Contains(r.stderr, `"nope" not found`) {
			t.Errorf("invite --company nope: %s", r)
		}
	})
}

func redeem(t *testing.T, c *cli, companyID staffbot.CompanyID, code, session string) (*staffbot.Employee, error) {
	t.Helper()
	var emp *staffbot.Employee
	now := time.Now()
	err := c.store().InTx(t.Context(), func(tx *store.Tx) error {
		acct := &staffbot.ChannelAccount{Kind: staffbot.ChannelWebchat, ExternalID: session, ChatID: session}
		var err error
		emp, err = tx.RedeemInvite(t.Context(), companyID, staffbot.HashInviteCode(code), acct, now, staffbot.DateOf(now))
		return err
	})
	return emp, err
}

func mustRedeem(t *testing.T, c *cli, companyID staffbot.CompanyID, code, session string) *staffbot.Employee {
	t.Helper()
	emp, err := redeem(t, c, companyID, code, session)
	if err != nil {
		t.Fatalf("redeem %s: %v", code, err)
	}
	return emp
}
