package report

import (
	"context"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/store"
)

// Digest is the weekly summary for a company's HR people: the key numbers
// of a week and what needs attention now. It holds counts only, never
// names, so it may travel by messenger and e-mail.
type Digest struct {
	CompanyID staffbot.CompanyID
	Company   string

	// Week is the Monday of the week summed up; the week ends on Sunday.
	Week staffbot.Date

	Invited, Registered  int64
	InvitedTotal         int64
	RegisteredTotal      int64
	ActiveWeek           int64
	MessagesIn           int64
	MessagesOut          int64
	Questions            int64
	Unanswered, PassedHR int64
	Onboarding           store.OnboardingSnapshot

	// TicketsOpened and TicketsResolved are the week's helpdesk tickets;
	// RequestsOpen are self-service requests HR has now, RequestsOverdue
	// those of them past their legal deadline.
	TicketsOpened, TicketsResolved int64
	RequestsOpen, RequestsOverdue  int64

	// ReviewDue counts the knowledge-base articles whose review date has
	// come by the day the digest is made.
	ReviewDue int64
}

// LastWeek returns the Monday of the week before the one holding today.
func LastWeek(today staffbot.Date) staffbot.Date {
	return store.WeekStart(today).AddDays(-7)
}

// Digest sums up the week starting on the Monday week for the company.
func (b *Builder) Digest(ctx context.Context, co *staffbot.Company, scenario string, week staffbot.Date, now time.Time) (*Digest, error) {
	loc := co.Location()
	d := &Digest{CompanyID: co.ID, Company: co.Name, Week: week}
	f := store.DashFilter{From: week, To: week.AddDays(6)}

	sum := func(metric string) (int64, error) {
		counts, err := b.Store.SumDashCounts(ctx, co.ID, metric, f, false)
		var n int64
		for _, c := range counts {
			if metric == store.MetricActiveWeek && c.Day != week.String() {
				continue
			}
			n += c.N
		}
		return n, err
	}
	var err error
	if d.Invited, err = sum(store.MetricInvited); err != nil {
		return nil, err
	}
	if d.Registered, err = sum(store.MetricRegistered); err != nil {
		return nil, err
	}
	if d.ActiveWeek, err = sum(store.MetricActiveWeek); err != nil {
		return nil, err
	}
	if d.MessagesIn, err = sum(store.MetricMessagesIn); err != nil {
		return nil, err
	}
	if d.MessagesOut, err = sum(store.MetricMessagesOut); err != nil {
		return nil, err
	}
	after := week.AddDays(7)
	if d.InvitedTotal, err = b.Store.TotalDashCount(ctx, co.ID, store.MetricInvited, f, after); err != nil {
		return nil, err
	}
	if d.RegisteredTotal, err = b.Store.TotalDashCount(ctx, co.ID, store.MetricRegistered, f, after); err != nil {
		return nil, err
	}

	questions, err := b.Store.FAQCounts(ctx, co.ID, f, loc)
	if err != nil {
		return nil, err
	}
	for _, q := range questions {
		d.Questions += q.N
		switch q.Outcome {
		case outcomeUnknown:
			d.Unanswered += q.N
		case outcomeToHR:
			d.PassedHR += q.N
		}
	}

	snap, err := b.Store.FindOnboardingSnapshot(ctx, co.ID, scenario, now, week.In(loc))
	if err != nil {
		return nil, err
	}
	d.Onboarding = *snap

	for _, on := range []string{"created", "resolved"} {
		counts, err := b.Store.CountTickets(ctx, co.ID, f, on)
		if err != nil {
			return nil, err
		}
		for _, c := range counts {
			if on == "created" {
				d.TicketsOpened += c.N
			} else {
				d.TicketsResolved += c.N
			}
		}
	}
	if d.RequestsOpen, d.RequestsOverdue, err = b.Store.ServiceQueueCounts(ctx, co.ID, store.EmployeeScope{}, now); err != nil {
		return nil, err
	}

	today := staffbot.DateOf(now.In(loc))
	due, err := b.Store.FindKBArticles(ctx, co.ID, store.KBFilter{DueBy: &today})
	if err != nil {
		return nil, err
	}
	d.ReviewDue = int64(len(due))
	return d, nil
}

// NeedsAttention reports whether anything in the digest asks HR to act.
func (d *Digest) NeedsAttention() bool {
	o := d.Onboarding
	return o.Stuck > 0 || o.OverdueTasks > 0 || o.NotJoined > 0 || d.Unanswered > 0 || d.ReviewDue > 0 ||
		d.RequestsOverdue > 0
}

// Subject is the digest's e-mail subject.
func (d *Digest) Subject(lang locale.Lang) string {
	return tr(lang, "digest.subject", d.Week.Russian(), d.Week.AddDays(6).Russian())
}

// Text renders the digest as plain text; link, when not empty, points to
// the cabinet's dashboards.
func (d *Digest) Text(lang locale.Lang, link string) string {
	var b strings.Builder
	line := func(key string, args ...any) {
		b.WriteString(tr(lang, key, args...))
		b.WriteByte('\n')
	}
	line("digest.title", d.Company)
	line("digest.week", d.Week.Russian(), d.Week.AddDays(6).Russian())
	b.WriteByte('\n')
	line("digest.invited", d.Invited)
	line("digest.registered", d.Registered, percent(float64(d.RegisteredTotal), float64(d.InvitedTotal)))
	line("digest.active", d.ActiveWeek)
	line("digest.messages", d.MessagesIn, d.MessagesOut)
	if d.Questions > 0 {
		line("digest.questions", d.Questions, percent(float64(d.Unanswered), float64(d.Questions)), d.PassedHR)
	}
	if d.TicketsOpened+d.TicketsResolved > 0 {
		line("digest.tickets", d.TicketsOpened, d.TicketsResolved)
	}
	if d.RequestsOpen > 0 {
		line("digest.requests", d.RequestsOpen)
	}
	if d.Onboarding.InProgress+d.Onboarding.Stuck+d.Onboarding.Finished > 0 {
		line("digest.onboarding", d.Onboarding.InProgress+d.Onboarding.Stuck, d.Onboarding.Finished)
	} else {
		line("digest.onboarding.0")
	}
	b.WriteByte('\n')

	if d.NeedsAttention() {
		line("digest.attention")
		o := d.Onboarding
		if o.Stuck > 0 {
			line("digest.stuck", o.Stuck)
		}
		if o.OverdueTasks > 0 {
			line("digest.tasks", o.OverdueTasks)
		}
		if o.NotJoined > 0 {
			line("digest.not_joined", o.NotJoined)
		}
		if d.Unanswered > 0 {
			line("digest.unanswered", d.Unanswered)
		}
		if d.ReviewDue > 0 {
			line("digest.review_due", d.ReviewDue)
		}
		if d.RequestsOverdue > 0 {
			line("digest.requests_overdue", d.RequestsOverdue)
		}
	} else {
		line("digest.all_good")
	}
	if link != "" {
		b.WriteByte('\n')
		line("digest.link", link)
	}
	line("digest.unsubscribe")
	return strings.TrimRight(b.String(), "\n")
}
