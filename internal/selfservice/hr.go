package selfservice

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/securelink"
	"github.com/staffbot/staffbot/internal/store"
)

// What HR does with the requests in its queue, from the command line or
// the cabinet. Each step is audited with the actor of ctx
// (staffbot.WithActor) and recorded in the request's history.

// Take marks a request in HR's queue as being worked on, by the cabinet
// user of ctx when there is one.
func (s *Service) Take(ctx context.Context, companyID staffbot.CompanyID, id int64) error {
	return s.hrStep(ctx, companyID, id, []string{store.ServiceRequestNew}, "service_request.take",
		func(tx *store.Tx, r *store.ServiceRequest, svc *CatalogService, now time.Time) error {
			r.Status = store.ServiceRequestInProgress
			if a, ok := staffbot.ActorFrom(ctx); ok && a.Kind == staffbot.ActorUser {
				if n, err := strconv.ParseInt(a.ID, 10, 64); err == nil {
					u := store.UserID(n)
					r.TakenBy = &u
				}
			}
			return s.event(ctx, tx, r, store.ServiceEventTaken, "", now)
		})
}

// Ready tells the employee that HR has done the request: with file, as a
// secure link by the rule of the answer's class; without, to collect the
// paper original at the HR office.
func (s *Service) Ready(ctx context.Context, companyID staffbot.CompanyID, id int64, file *securelink.FileSpec) error {
	return s.ReadyWithNote(ctx, companyID, id, file, "")
}

// ReadyWithNote is Ready with HR's note kept in the request's history.
func (s *Service) ReadyWithNote(ctx context.Context, companyID staffbot.CompanyID, id int64, file *securelink.FileSpec, note string) error {
	from := []string{store.ServiceRequestNew, store.ServiceRequestInProgress}
	return s.hrStep(ctx, companyID, id, from, "service_request.ready",
		func(tx *store.Tx, r *store.ServiceRequest, svc *CatalogService, now time.Time) error {
			return s.ready(ctx, tx, r, svc, file, note, now)
		})
}

// ready makes a request ready, in tx; see Ready.
func (s *Service) ready(ctx context.Context, tx *store.Tx, r *store.ServiceRequest, svc *CatalogService, file *securelink.FileSpec, note string, now time.Time) error {
	lang := locale.Lang(r.Lang)
	r.Status, r.ReadyAt, r.WarnAt = store.ServiceRequestReady, &now, nil
	title := svc.Title.In(lang)
	if file == nil {
		if err := s.event(ctx, tx, r, store.ServiceEventReady, note, now); err != nil {
			return err
		}
		return s.tell(ctx, tx, r, channel.Outgoing{Text: tr(lang, "ready.paper", r.ID, title)}, now)
	}
	// An employee the bot cannot reach makes deliverFile fail, and the
	// transaction, notice included, is rolled back.
	if err := s.tell(ctx, tx, r, channel.Outgoing{Text: tr(lang, "ready.file", r.ID, title)}, now); err != nil {
		return err
	}
	if err := s.deliverFile(ctx, tx, r, *file, svc.ClassFor(r.Answers), lang); err != nil {
		return err
	}
	r.Outcome = outcomeDelivered
	return s.event(ctx, tx, r, store.ServiceEventFile, note, now)
}

// Close ends a request: done, or declined, which the employee is told.
// Its answers are wiped.
func (s *Service) Close(ctx context.Context, companyID staffbot.CompanyID, id int64, declined bool) error {
	if declined {
		return s.Reject(ctx, companyID, id, "")
	}
	return s.Done(ctx, companyID, id, "")
}

// Done closes a request as done, with HR's note kept in its history.
// Its answers are wiped.
func (s *Service) Done(ctx context.Context, companyID staffbot.CompanyID, id int64, note string) error {
	from := []string{store.ServiceRequestNew, store.ServiceRequestInProgress, store.ServiceRequestReady}
	return s.hrStep(ctx, companyID, id, from, "service_request.close",
		func(tx *store.Tx, r *store.ServiceRequest, svc *CatalogService, now time.Time) error {
			r.Status, r.ClosedAt, r.Answers, r.WarnAt = store.ServiceRequestClosed, &now, nil, nil
			if r.Outcome == "" {
				r.Outcome = outcomeDone
			}
			return s.event(ctx, tx, r, store.ServiceEventDone, note, now)
		})
}

// Reject declines a request and tells the employee in the chat, with the
// reason when there is one. Its answers are wiped.
func (s *Service) Reject(ctx context.Context, companyID staffbot.CompanyID, id int64, reason string) error {
	from := []string{store.ServiceRequestNew, store.ServiceRequestInProgress, store.ServiceRequestReady}
	reason = strings.TrimSpace(reason)
	return s.hrStep(ctx, companyID, id, from, "service_request.reject",
		func(tx *store.Tx, r *store.ServiceRequest, svc *CatalogService, now time.Time) error {
			r.Status, r.ClosedAt, r.Answers, r.WarnAt = store.ServiceRequestClosed, &now, nil, nil
			r.Outcome = outcomeRejected
			if err := s.event(ctx, tx, r, store.ServiceEventRejected, reason, now); err != nil {
				return err
			}
			lang := locale.Lang(r.Lang)
			text := tr(lang, "ready.rejected", r.ID, svc.Title.In(lang))
			if reason != "" {
				text = tr(lang, "ready.rejected_reason", r.ID, svc.Title.In(lang), reason)
			}
			return s.tell(ctx, tx, r, channel.Outgoing{Text: text}, now)
		})
}

// hrStep moves a request of HR's queue on, in a transaction, when its
// status is one of from; a request in another status is a conflict.
func (s *Service) hrStep(ctx context.Context, companyID staffbot.CompanyID, id int64, from []string, action string,
	fn func(tx *store.Tx, r *store.ServiceRequest, svc *CatalogService, now time.Time) error) error {
	s.init()
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		r, err := tx.FindServiceRequest(ctx, companyID, id)
		if err != nil {
			return err
		}
		if r.Fulfilment != store.FulfilHR || !slices.Contains(from, r.Status) {
			return fmt.Errorf("request %d is %s (%s): %w", id, r.Status, r.Fulfilment, staffbot.ErrConflict)
		}
		overrides, err := tx.FindCatalogOverrides(ctx, companyID)
		if err != nil {
			return err
		}
		svc := NewCatalog(overrides).Find(r.ServiceKey)
		if svc == nil {
			return fmt.Errorf("request %d: unknown service %q: %w", id, r.ServiceKey, staffbot.ErrInvalid)
		}
		now := s.Clock.Now()
		if err := fn(tx, r, svc, now); err != nil {
			return err
		}
		r.UpdatedAt = now
		if err := tx.UpdateServiceRequest(ctx, r); err != nil {
			return err
		}
		return s.record(ctx, tx, r, action, now)
	})
}

// SetEnabled turns a service on or off for a company, keeping the rest of
// the company's changes to it.
func (s *Service) SetEnabled(ctx context.Context, companyID staffbot.CompanyID, key string, on bool) error {
	s.init()
	if NewCatalog(nil).Find(key) == nil {
		return fmt.Errorf("service %q: not in the catalogue: %w", key, staffbot.ErrNotFound)
	}
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		overrides, err := tx.FindCatalogOverrides(ctx, companyID)
		if err != nil {
			return err
		}
		o := &store.CatalogOverride{CompanyID: companyID, ServiceKey: key}
		for _, existing := range overrides {
			if existing.ServiceKey == key {
				o = existing
			}
		}
		o.Enabled = &on
		now := s.Clock.Now()
		if err := tx.SaveCatalogOverride(ctx, o, now); err != nil {
			return err
		}
		action := "catalog_service.disable"
		if on {
			action = "catalog_service.enable"
		}
		return tx.AppendAudit(ctx, &staffbot.AuditRecord{
			CompanyID: companyID, At: now, Action: action, ObjectType: "catalog_service", ObjectID: key,
		})
	})
}

// statusLabel says where a request stands, for the employee.
func statusLabel(lang locale.Lang, r *store.ServiceRequest) string {
	if r.Status != store.ServiceRequestClosed {
		return tr(lang, "status."+r.Status)
	}
	switch r.Outcome {
	case outcomeDelivered, outcomeDone:
		return Text{"выполнена", "done"}.In(lang)
	case outcomeRejected, outcomeRefusedDismissed, outcomeRefusedNotFound, outcomeRefusedRights:
		return Text{"отклонена", "declined"}.In(lang)
	case outcomeCancelled:
		return Text{"отменена", "cancelled"}.In(lang)
	}
	return Text{"не выполнена", "not completed"}.In(lang)
}
