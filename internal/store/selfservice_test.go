package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

func mustCreateServiceRequest(t *testing.T, s *store.Store, r *store.ServiceRequest) *store.ServiceRequest {
	t.Helper()
	if r.CreatedAt.IsZero() {
		r.CreatedAt, r.UpdatedAt = t0, t0
	}
	if r.ServiceKey == "" {
		r.ServiceKey = "payslip"
	}
	err := s.InTx(t.Context(), func(tx *store.Tx) error { return tx.CreateServiceRequest(t.Context(), r) })
	if err != nil {
		t.Fatalf("CreateServiceRequest: %v", err)
	}
	return r
}

func TestServiceRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("RoundTripSealed", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			emp := mustCreateEmployee(t, s, co.ID, "0001")
			acct := int64(77)
			r := mustCreateServiceRequest(t, s, &store.ServiceRequest{
				CompanyID: co.ID, EmployeeID: emp.ID, AccountID: &acct, Status: store.ServiceRequestDraft, Lang: "en",
				Step: 1, Answers: map[string]string{"purpose": "во Францию, по месту требования"},
			})

			got, err := s.FindServiceRequest(t.Context(), co.ID, r.ID)
			if err != nil {
				t.Fatalf("FindServiceRequest: %v", err)
			}
			if got.Answers["purpose"] != r.Answers["purpose"] || got.Step != 1 || got.Lang != "en" ||
				got.AccountID == nil || *got.AccountID != 77 || got.Status != store.ServiceRequestDraft ||
				!got.CreatedAt.Equal(t0) || got.SubmittedAt != nil {
				t.Errorf("got %+v, want %+v", got, r)
			}
			var sealed string
			if err := s.DB().QueryRowContext(t.Context(), "SELECT answers_sealed FROM service_requests").Scan(&sealed); err != nil {
				t.Fatal(err)
			}
			if sealed == "" || strings.Contains(sealed, "Франц") {
				t.Errorf("stored answers %q, want them sealed", sealed)
			}
		})

		t.Run("UpdateAndDrafts", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			emp := mustCreateEmployee(t, s, co.ID, "0001")
			old := mustCreateServiceRequest(t, s, &store.ServiceRequest{CompanyID: co.ID, EmployeeID: emp.ID,
				Status: store.ServiceRequestDraft})
			last := mustCreateServiceRequest(t, s, &store.ServiceRequest{CompanyID: co.ID, EmployeeID: emp.ID,
				Status: store.ServiceRequestDraft, Answers: map[string]string{"month": "2026-02"}})

			err := s.InTx(t.Context(), func(tx *store.Tx) error {
				d, err := tx.FindDraftServiceRequest(t.Context(), co.ID, emp.ID)
				if err != nil {
					return err
				}
				if d.ID != last.ID {
					t.Errorf("draft %d, want the latest %d", d.ID, last.ID)
				}
				n, err := tx.CloseServiceDrafts(t.Context(), co.ID, emp.ID, t0.Add(time.Minute))
				if n != 2 {
					t.Errorf("closed %d drafts, want 2", n)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.FindServiceRequest(t.Context(), co.ID, last.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != store.ServiceRequestClosed || got.Outcome != "abandoned" || len(got.Answers) != 0 || got.ClosedAt == nil {
				t.Errorf("closed draft %+v, want closed, abandoned, answers wiped", got)
			}

			got, _ = s.FindServiceRequest(t.Context(), co.ID, old.ID)
			sub := t0.Add(2 * time.Minute)
			got.Status, got.Fulfilment, got.SubmittedAt, got.UpdatedAt = store.ServiceRequestNew, store.FulfilHR, &sub, sub
			got.Error = "status not checked"
			if err := s.InTx(t.Context(), func(tx *store.Tx) error { return tx.UpdateServiceRequest(t.Context(), got) }); err != nil {
				t.Fatalf("UpdateServiceRequest: %v", err)
			}
			list, err := s.FindServiceRequests(t.Context(), co.ID, store.ServiceRequestFilter{Status: store.ServiceRequestNew})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 1 || list[0].ID != old.ID || list[0].Fulfilment != store.FulfilHR || list[0].Error != got.Error ||
				!list[0].SubmittedAt.Equal(sub) {
				t.Errorf("new requests %+v, want the updated one", list)
			}
			err = s.InTx(t.Context(), func(tx *store.Tx) error {
				_, err := tx.FindDraftServiceRequest(t.Context(), co.ID, emp.ID)
				return err
			})
			if !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("draft after closing: %v, want ErrNotFound", err)
			}
		})

		t.Run("ClaimOnceUntilLeaseRunsOut", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			acme := mustCreateCompany(t, s, "acme")
			other := mustCreateCompany(t, s, "other")
			e1 := mustCreateEmployee(t, s, acme.ID, "0001")
			e2 := mustCreateEmployee(t, s, other.ID, "0001")
			a := mustCreateServiceRequest(t, s, &store.ServiceRequest{CompanyID: acme.ID, EmployeeID: e1.ID,
				Status: store.ServiceRequestSubmitted, Fulfilment: store.FulfilAuto})
			b := mustCreateServiceRequest(t, s, &store.ServiceRequest{CompanyID: other.ID, EmployeeID: e2.ID,
				Status: store.ServiceRequestSubmitted, Fulfilment: store.FulfilHR})
			// Neither a draft, nor HR's own work (no lease), nor HR's queue is claimed.
			mustCreateServiceRequest(t, s, &store.ServiceRequest{CompanyID: acme.ID, EmployeeID: e1.ID,
				Status: store.ServiceRequestDraft})
			mustCreateServiceRequest(t, s, &store.ServiceRequest{CompanyID: acme.ID, EmployeeID: e1.ID,
				Status: store.ServiceRequestInProgress, Fulfilment: store.FulfilHR})
			mustCreateServiceRequest(t, s, &store.ServiceRequest{CompanyID: acme.ID, EmployeeID: e1.ID,
				Status: store.ServiceRequestNew, Fulfilment: store.FulfilHR})

			got, err := s.ClaimServiceRequests(t.Context(), t0, time.Minute, 10)
			if err != nil {
				t.Fatalf("ClaimServiceRequests: %v", err)
			}
			if len(got) != 2 || got[0].ID != a.ID || got[1].ID != b.ID {
				t.Fatalf("claimed %+v, want requests %d and %d", got, a.ID, b.ID)
			}
			for _, r := range got {
				if r.Status != store.ServiceRequestInProgress || r.Attempts != 1 || r.LeaseUntil == nil ||
					!r.LeaseUntil.Equal(t0.Add(time.Minute)) {
					t.Errorf("claimed %+v, want in progress, one attempt, leased a minute", r)
				}
			}
			if again, err := s.ClaimServiceRequests(t.Context(), t0.Add(30*time.Second), time.Minute, 10); err != nil || len(again) != 0 {
				t.Errorf("claim within the lease = %d requests, %v; want none", len(again), err)
			}
			again, err := s.ClaimServiceRequests(t.Context(), t0.Add(2*time.Minute), time.Minute, 10)
			if err != nil || len(again) != 2 || again[0].Attempts != 2 {
				t.Errorf("claim after the lease = %+v, %v; want both again, second attempt", again, err)
			}
		})

		t.Run("OtherCompanyFindsNothing", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			acme := mustCreateCompany(t, s, "acme")
			other := mustCreateCompany(t, s, "other")
			emp := mustCreateEmployee(t, s, acme.ID, "0001")
			r := mustCreateServiceRequest(t, s, &store.ServiceRequest{CompanyID: acme.ID, EmployeeID: emp.ID,
				Status: store.ServiceRequestNew, Answers: map[string]string{"year": "2025"}})

			if _, err := s.FindServiceRequest(t.Context(), other.ID, r.ID); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("FindServiceRequest of another company: %v, want ErrNotFound", err)
			}
			if list, err := s.FindServiceRequests(t.Context(), other.ID, store.ServiceRequestFilter{}); err != nil || len(list) != 0 {
				t.Errorf("FindServiceRequests of another company = %d, %v; want none", len(list), err)
			}
			r.CompanyID = other.ID
			err := s.InTx(t.Context(), func(tx *store.Tx) error { return tx.UpdateServiceRequest(t.Context(), r) })
			if !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("UpdateServiceRequest as another company: %v, want ErrNotFound", err)
			}
		})

		t.Run("ExpireDrafts", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			emp := mustCreateEmployee(t, s, co.ID, "0001")
			stale := mustCreateServiceRequest(t, s, &store.ServiceRequest{CompanyID: co.ID, EmployeeID: emp.ID,
				Status: store.ServiceRequestDraft})
			fresh := mustCreateServiceRequest(t, s, &store.ServiceRequest{CompanyID: co.ID, EmployeeID: emp.ID,
				Status: store.ServiceRequestDraft, CreatedAt: t0.Add(time.Hour), UpdatedAt: t0.Add(time.Hour)})

			n, err := s.ExpireServiceDrafts(t.Context(), t0.Add(30*time.Minute), t0.Add(time.Hour))
			if err != nil || n != 1 {
				t.Fatalf("ExpireServiceDrafts = %d, %v; want 1", n, err)
			}
			if got, _ := s.FindServiceRequest(t.Context(), co.ID, stale.ID); got.Status != store.ServiceRequestClosed {
				t.Errorf("stale draft is %s, want closed", got.Status)
			}
			if got, _ := s.FindServiceRequest(t.Context(), co.ID, fresh.ID); got.Status != store.ServiceRequestDraft {
				t.Errorf("fresh draft is %s, want draft", got.Status)
			}
		})

		t.Run("CatalogOverrides", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			acme := mustCreateCompany(t, s, "acme")
			other := mustCreateCompany(t, s, "other")
			off := false
			o := &store.CatalogOverride{CompanyID: acme.ID, ServiceKey: "payslip", Enabled: &off, TitleRU: "Расчётка",
				Departments: []string{"Склад", "ИТ-отдел"}, ChatChannels: []staffbot.ChannelKind{staffbot.ChannelWebchat}}
			save := func(o *store.CatalogOverride) {
				t.Helper()
				if err := s.InTx(t.Context(), func(tx *store.Tx) error { return tx.SaveCatalogOverride(t.Context(), o, t0) }); err != nil {
					t.Fatalf("SaveCatalogOverride: %v", err)
				}
			}
			save(o)
			save(&store.CatalogOverride{CompanyID: acme.ID, ServiceKey: "visa_certificate"})

			got, err := s.FindCatalogOverrides(t.Context(), acme.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0].ServiceKey != "payslip" || got[0].Enabled == nil || *got[0].Enabled ||
				got[0].TitleRU != "Расчётка" || len(got[0].Departments) != 2 || got[0].Departments[1] != "ИТ-отдел" ||
				len(got[0].ChatChannels) != 1 || got[0].ChatChannels[0] != staffbot.ChannelWebchat ||
				got[1].Enabled != nil {
				t.Errorf("overrides %+v %+v", got[0], got[1])
			}

			on := true
			o.Enabled, o.Departments = &on, nil
			save(o)
			got, _ = s.FindCatalogOverrides(t.Context(), acme.ID)
			if len(got) != 2 || !*got[0].Enabled || len(got[0].Departments) != 0 {
				t.Errorf("after the update %+v, want enabled with no departments", got[0])
			}
			if list, err := s.FindCatalogOverrides(t.Context(), other.ID); err != nil || len(list) != 0 {
				t.Errorf("another company's overrides = %d, %v; want none", len(list), err)
			}
		})
	})
}
