package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
)

// Outcomes of outbox messages, as CountOutboxOutcomes reports them. The
// dispatcher writes the failure outcomes as the reason of a failed message:
// its error column is the outcome alone ("blocked") or the outcome, ": " and
// the messenger's own words ("invalid: … chat not found").
const (
	OutcomeDelivered    = "delivered"     // the messenger took the message
	OutcomeQueued       = "queued"        // not tried yet, or being sent
	OutcomeRetry        = "retry"         // waiting after a rate limit or a passing error
	OutcomeBlocked      = "blocked"       // the recipient blocked the bot
	OutcomeDeactivated  = "deactivated"   // the recipient deleted their messenger account
	OutcomeNotOnboarded = "not-onboarded" // the recipient never started the bot
	OutcomeInvalid      = "invalid"       // the messenger refused the message or the chat id
	OutcomeFailed       = "failed"        // given up for another reason
)

// FailureReason joins a failure outcome and its detail into the reason the
// outbox keeps.
func FailureReason(outcome, detail string) string {
	if detail == "" {
		return outcome
	}
	return outcome + ": " + detail
}

// CountOutboxOutcomes counts the company's messages queued at or after
// since by outcome, for the delivery report of a broadcast that HR sees.
// Outcomes with no message are left out.
func (s *Store) CountOutboxOutcomes(ctx context.Context, companyID staffbot.CompanyID, since time.Time) (map[string]int, error) {
	rows, err := s.query(ctx, `SELECT status, error, count(*) FROM outbox
		WHERE company_id = ? AND created_at >= ? GROUP BY status, error`, companyID, millis(since))
	if err != nil {
		return nil, fmt.Errorf("count outbox outcomes: %w", err)
	}
	defer rows.Close()

	out := map[string]int{}
	for rows.Next() {
		var status, reason string
		var n int
		if err := rows.Scan(&status, &reason, &n); err != nil {
			return nil, fmt.Errorf("count outbox outcomes: %w", err)
		}
		out[outcomeOf(status, reason)] += n
	}
	return out, rows.Err()
}

func outcomeOf(status, reason string) string {
	switch status {
	case OutboxSent:
		return OutcomeDelivered
	case OutboxPending, OutboxSending:
		if reason == "" {
			return OutcomeQueued
		}
		return OutcomeRetry
	}
	outcome, _, _ := strings.Cut(reason, ":")
	switch outcome {
	case OutcomeBlocked, OutcomeDeactivated, OutcomeNotOnboarded, OutcomeInvalid:
		return outcome
	}
	return OutcomeFailed
}
