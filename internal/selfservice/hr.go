package selfservice

import (
	"context"
	"fmt"
	"slices"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/securelink"
	"github.com/staffbot/staffbot/internal/store"
)

// What HR does with the requests in its queue. Each step is audited with
// the actor of ctx (staffbot.WithActor).

// Take marks a request in HR's queue as being worked on.
func (s *Service) Take(ctx context.Context, companyID staffbot.CompanyID, id int64) error {
	return s.hrStep(ctx, companyID, id, []string{store.ServiceRequestNew}, "service_request.take",
		func(tx *store.Tx, r *store.ServiceRequest, svc *CatalogService) error {
			r.Status = store.ServiceRequestInProgress
			return nil
		})
}

// Ready tells the employee that HR has done the request: with file, as a
// secure link by the rule of the answer's class; without, to collect the
// paper original at the HR office.
func (s *Service) Ready(ctx context.Context, companyID staffbot.CompanyID, id int64, file *securelink.FileSpec) error {
	from := []string{store.ServiceRequestNew, store.ServiceRequestInProgress}
	return s.hrStep(ctx, companyID, id, from, "service_request.ready",
		func(tx *store.Tx, r *store.ServiceRequest, svc *CatalogService) error {
			lang := locale.Lang(r.Lang)
			now := s.Clock.Now()
			r.Status, r.ReadyAt = store.ServiceRequestReady, &now
			title := svc.Title.In(lang)
			if file == nil {
				return s.tell(ctx, tx, r, channel.Outgoing{Text: tr(lang, "ready.paper", r.ID, title)}, now)
			}
			if err := s.tell(ctx, tx, r, channel.Outgoing{Text: tr(lang, "ready.file", r.ID, title)}, now); err != nil {
				return err
			}
			r.Outcome = outcomeDelivered
			return s.deliverFile(ctx, tx, r, *file, svc.ClassFor(r.Answers), lang)
		})
}

// Close ends a request: done, or declined, which the employee is told.
// Its answers are wiped.
func (s *Service) Close(ctx context.Context, companyID staffbot.CompanyID, id int64, declined bool) error {
	from := []string{store.ServiceRequestNew, store.ServiceRequestInProgress, store.ServiceRequestReady}
	return s.hrStep(ctx, companyID, id, from, "service_request.close",
		func(tx *store.Tx, r *store.ServiceRequest, svc *CatalogService) error {
			now := s.Clock.Now()
			r.Status, r.ClosedAt, r.Answers = store.ServiceRequestClosed, &now, nil
			if r.Outcome == "" {
				r.Outcome = outcomeDone
			}
			if !declined {
				return nil
			}
			r.Outcome = outcomeRejected
			lang := locale.Lang(r.Lang)
			return s.tell(ctx, tx, r, channel.Outgoing{Text: tr(lang, "ready.rejected", r.ID, svc.Title.In(lang))}, now)
		})
}

// hrStep moves a request of HR's queue on, in a transaction, when its
// status is one of from.
func (s *Service) hrStep(ctx context.Context, companyID staffbot.CompanyID, id int64, from []string, action string, fn func(tx *store.Tx, r *store.ServiceRequest, svc *CatalogService) error) error {
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
		if err := fn(tx, r, svc); err != nil {
			return err
		}
		r.UpdatedAt = s.Clock.Now()
		if err := tx.UpdateServiceRequest(ctx, r); err != nil {
			return err
		}
		return s.record(ctx, tx, r, action, r.UpdatedAt)
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
