package helpdesk

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/calendar"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/store"
)

// transition moves a locked ticket to status to, keeping its timers
// right: waiting for the employee and resolved pause the resolution
// timer, and going back to open moves its due time on by the working time
// spent paused. It adds an event to the conversation and reports whether
// anything changed. tk is updated in memory; the caller writes it.
func (s *Service) transition(
	ctx context.Context, tx *store.Tx, cal *calendar.Calendar, tk *store.Ticket,
	to store.TicketStatus, actor staffbot.Actor, now time.Time,
) (bool, error) {
	from := tk.Status
	if from == to {
		return false, nil
	}
	if to == store.TicketNew {
		return false, fmt.Errorf("a ticket cannot become new again: %w", staffbot.ErrInvalid)
	}

	paused := to == store.TicketWaiting || to == store.TicketResolved || to == store.TicketClosed
	switch {
	case paused && tk.PausedSince == nil:
		tk.PausedSince = &now
	case !paused && tk.PausedSince != nil:
		if tk.ResolutionDueAt != nil && tk.ResolutionBreachedAt == nil {
			due := cal.Add(*tk.ResolutionDueAt, cal.Between(*tk.PausedSince, now))
			tk.ResolutionDueAt = &due
		}
		tk.PausedSince = nil
	}

	switch to {
	case store.TicketResolved:
		tk.ResolvedAt, tk.ClosedAt = &now, nil
		tk.ResolutionSecs = workSecs(cal, tk.CreatedAt, now)
	case store.TicketClosed:
		tk.ClosedAt = &now
		if tk.ResolvedAt == nil {
			tk.ResolvedAt = &now
			tk.ResolutionSecs = workSecs(cal, tk.CreatedAt, now)
		}
	case store.TicketOpen, store.TicketWaiting:
		tk.ResolvedAt, tk.ClosedAt, tk.ResolutionSecs = nil, nil, nil
	}
	tk.Status, tk.UpdatedAt = to, now
	if err := s.event(ctx, tx, tk, actor, "status", string(from)+"→"+string(to), now); err != nil {
		return false, err
	}
	return true, nil
}

// workSecs is the working time from a to b on the calendar, in seconds,
// as the dashboards read first-response and resolution times.
func workSecs(cal *calendar.Calendar, a, b time.Time) *int64 {
	n := int64(cal.Between(a, b) / time.Second)
	return &n
}

// statusNotice is what the employee is told when their ticket moves from
// one status to another; the zero message when nothing.
func statusNotice(tk *store.Ticket, from store.TicketStatus, lang locale.Lang) channel.Outgoing {
	switch tk.Status {
	case store.TicketOpen:
		if from == store.TicketResolved || from == store.TicketClosed {
			return channel.Outgoing{Text: t(lang, "status.reopened", tk.Number)}
		}
		if from == store.TicketNew {
			return channel.Outgoing{Text: t(lang, "status.open", tk.Number)}
		}
	case store.TicketWaiting:
		return channel.Outgoing{Text: t(lang, "status.waiting", tk.Number),
			Buttons: [][]channel.Button{{{Text: t(lang, "btn.reply"), Data: dataReply + strconv.FormatInt(tk.ID, 10)}}}}
	case store.TicketResolved:
		return ratingQuestion(tk, lang)
	case store.TicketClosed:
		if tk.Rating == nil && from != store.TicketResolved {
			return ratingQuestion(tk, lang)
		}
		return channel.Outgoing{Text: t(lang, "status.closed", tk.Number)}
	}
	return channel.Outgoing{}
}

// ratingQuestion asks for a rating of 1 to 5, with a way back to open
// while the ticket is only resolved.
func ratingQuestion(tk *store.Ticket, lang locale.Lang) channel.Outgoing {
	id := strconv.FormatInt(tk.ID, 10)
	row := make([]channel.Button, 5)
	for i := range row {
		n := strconv.Itoa(i + 1)
		row[i] = channel.Button{Text: n, Data: dataRate + id + ":" + n}
	}
	msg := channel.Outgoing{Text: t(lang, "status.resolved", tk.Number), Buttons: [][]channel.Button{row}}
	if tk.Status == store.TicketClosed {
		msg.Text = t(lang, "status.closed_rate", tk.Number)
	} else {
		msg.Buttons = append(msg.Buttons, []channel.Button{{Text: t(lang, "btn.reopen"), Data: dataReopen + id}})
	}
	return msg
}
