package app_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/app"
	"github.com/staffbot/staffbot/internal/selfservice"
	"github.com/staffbot/staffbot/internal/store"
)

// isoRequestObjects gives the tenant a certificate request in HR's
// queue, whose answers must never show up for another company.
func isoRequestObjects(t *testing.T, a *app.App, tn *isoTenant, emp *staffbot.Employee) {
	t.Helper()
	ctx := t.Context()
	purpose := "Секретная цель " + tn.co.Slug
	now := time.Now()
	r := &store.ServiceRequest{CompanyID: tn.co.ID, EmployeeID: emp.ID, ServiceKey: selfservice.KeyEmploymentCert,
		Fulfilment: store.FulfilHR, Status: store.ServiceRequestNew, Answers: map[string]string{"purpose": purpose},
		CreatedAt: now, UpdatedAt: now, SubmittedAt: &now}
	if err := a.Store.InTx(ctx, func(tx *store.Tx) error { return tx.CreateServiceRequest(ctx, r) }); err != nil {
		t.Fatalf("service request: %v", err)
	}
	tn.objects["service_request"] = strconv.FormatInt(r.ID, 10)
	tn.markers = append(tn.markers, purpose)
}
