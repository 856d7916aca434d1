package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/config"
	"github.com/staffbot/staffbot/internal/store"
)

func runInvite(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	ctx = staffbot.WithActor(ctx, audit.CLIActor()) // who created the invites, in the audit log
	var cfg config.Config
	fs := newFlags("invite", cmdHelp{
		usage: "invite --company SLUG [--employee NUMBER]… [--ttl DURATION] [flags]",
		about: `Creates a personal invite for each named employee, or for every current
employee not yet registered, and prints a tab-separated line per invite:
personnel number, name, Telegram deep link, web link. The codes are shown
once and stored only as hashes; an employee's older invites stop working.`,
		example: `staffbot invite --company acme --employee 00042 --employee 00043
staffbot invite --company acme --base-url https://hr.acme.ru > invites.tsv`,
		settings: linkSettings,
	}, &cfg, stdout, stderr)
	fs.String("company", "", "company slug (required)")
	var numbers stringList
	fs.Var(&numbers, "employee", "personnel number to invite; repeat for several (default: every current employee not yet registered)")
	ttl := fs.Duration("ttl", staffbot.DefaultInviteTTL, "how long the invites stay valid")
	st, co, err := openCompany(ctx, fs, &cfg, args, 0, "")
	if err != nil {
		return err
	}
	defer st.Close()

	invites, err := createInvites(ctx, st, co, numbers, *ttl, time.Now().UTC())
	if err != nil {
		return err
	}
	if len(invites) == 0 {
		fmt.Fprintln(stderr, "nobody to invite: every current employee is registered")
		return nil
	}
	for _, inv := range invites {
		fmt.Fprintln(stdout, inv.line(co, cfg.PublicURL()))
	}
	fmt.Fprintf(stderr, "%d invite(s), valid until %s\n", len(invites), time.Now().Add(*ttl).Format("02.01.2006 15:04"))
	return nil
}

type printedInvite struct {
	emp  *staffbot.Employee
	code string
}

func (p printedInvite) line(co *staffbot.Company, baseURL string) string {
	tg := "—"
	if co.TelegramBotUsername != "" {
		tg = "https://t.me/" + co.TelegramBotUsername + "?start=" + p.code
	}
	return fmt.Sprintf("%s\t%s\t%s\t%s/join/%s", p.emp.PersonnelNumber, p.emp.FullName, tg, baseURL, p.code)
}

// createInvites makes a fresh code for each named employee, or for every
// current employee not yet registered when no number is given. Codes are
// returned once and stored only as hashes.
func createInvites(ctx context.Context, st *store.Store, co *staffbot.Company, numbers []string, ttl time.Duration, now time.Time) ([]printedInvite, error) {
	today := staffbot.DateOf(now.In(co.Location()))
	var emps []*staffbot.Employee
	if len(numbers) == 0 {
		var err error
		if emps, err = st.FindUninvitedEmployees(ctx, co.ID, today); err != nil {
			return nil, err
		}
	} else {
		for _, n := range numbers {
			e, err := st.FindEmployeeByNumber(ctx, co.ID, n)
			if err != nil {
				return nil, fmt.Errorf("employee %s not found in %s", n, co.Slug)
			}
			if !e.Active(today) {
				return nil, fmt.Errorf("employee %s is dismissed and cannot be invited", n)
			}
			emps = append(emps, e)
		}
	}

	out := make([]printedInvite, 0, len(emps))
	for _, e := range emps {
		code := staffbot.NewInviteCode()
		if _, err := st.CreateInvite(ctx, co.ID, e.ID, staffbot.HashInviteCode(code), now, ttl); err != nil {
			return nil, err
		}
		out = append(out, printedInvite{emp: e, code: code})
	}
	return out, nil
}
