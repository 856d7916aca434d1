package store_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/secret"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

func mustCreateSecureLink(t *testing.T, s *store.Store, l *store.SecureLink) *store.SecureLink {
	t.Helper()
	if l.FileKey == nil {
		l.FileKey = bytes.Repeat([]byte{7}, 32)
	}
	if l.CreatedAt.IsZero() {
		l.CreatedAt = t0
	}
	if l.ExpiresAt.IsZero() {
		l.ExpiresAt = t0.Add(24 * time.Hour)
	}
	if l.MaxOpens == 0 {
		l.MaxOpens = 3
	}
	err := s.InTx(t.Context(), func(tx *store.Tx) error { return tx.CreateSecureLink(t.Context(), l) })
	if err != nil {
		t.Fatalf("CreateSecureLink: %v", err)
	}
	return l
}

func TestSecureLinks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, open func(t *testing.T) *store.Store) {
		t.Run("RoundTripSealed", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			emp := mustCreateEmployee(t, s, co.ID, "0001")
			l := mustCreateSecureLink(t, s, &store.SecureLink{
				CompanyID: co.ID, EmployeeID: emp.ID, TokenHash: "h1", FileName: "Расчётный листок.pdf",
				ContentType: "application/pdf", Size: 10, StorageName: "f1.sbl", RequireCode: true,
			})

			got, err := s.FindSecureLink(t.Context(), co.ID, "h1")
			if err != nil {
				t.Fatalf("FindSecureLink: %v", err)
			}
			if got.ID != l.ID || got.FileName != l.FileName || !bytes.Equal(got.FileKey, l.FileKey) ||
				!got.RequireCode || got.State != store.SecureLinkActive || got.MaxOpens != 3 || !got.ExpiresAt.Equal(l.ExpiresAt) {
				t.Errorf("got %+v, want %+v", got, l)
			}
			companyID, err := s.FindSecureLinkCompany(t.Context(), "h1")
			if err != nil || companyID != co.ID {
				t.Errorf("FindSecureLinkCompany = %d, %v; want %d", companyID, err, co.ID)
			}

			var name, key string
			if err := s.DB().QueryRowContext(t.Context(), "SELECT file_name_sealed, file_key_sealed FROM secure_links").Scan(&name, &key); err != nil {
				t.Fatal(err)
			}
			// Sealed under the company's data key, not the master key.
			if strings.Contains(name, "листок") || !strings.HasPrefix(name, "v2:") || !strings.HasPrefix(key, "v2:") {
				t.Errorf("stored name %q key %q, want both sealed with a data key", name, key)
			}
			if n, _ := s.CountMasterSealed(t.Context()); len(n) != 0 {
				t.Errorf("values sealed with the master key: %v, want none", n)
			}

			// A sealed name moved to another company's link does not open.
			other := mustCreateCompany(t, s, "other")
			otherEmp := mustCreateEmployee(t, s, other.ID, "0001")
			mustCreateSecureLink(t, s, &store.SecureLink{CompanyID: other.ID, EmployeeID: otherEmp.ID, TokenHash: "h2", FileName: "x.pdf", StorageName: "f2.sbl"})
			mustExec(t, s, "UPDATE secure_links SET file_name_sealed = ? WHERE token_hash = 'h2'", name)
			if _, err := s.FindSecureLink(t.Context(), other.ID, "h2"); err == nil {
				t.Error("another company's sealed file name opened")
			}
		})

		// Links sealed with the master key before data keys still open,
		// and a rotation of the company's data key moves them.
		t.Run("LegacyLinkOpensAndRotates", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			emp := mustCreateEmployee(t, s, co.ID, "0001")
			key := bytes.Repeat([]byte{9}, 32)
			l := mustCreateSecureLink(t, s, &store.SecureLink{
				CompanyID: co.ID, EmployeeID: emp.ID, TokenHash: "h1", FileName: "Справка.pdf", StorageName: "f1.sbl", FileKey: key,
			})
			name, _ := s.Sealer().Seal("Справка 2-НДФЛ.pdf")
			sealedKey, _ := s.Sealer().Seal(base64.RawStdEncoding.EncodeToString(key))
			mustExec(t, s, "UPDATE secure_links SET file_name_sealed = ?, file_key_sealed = ? WHERE id = ?", name, sealedKey, l.ID)
			if n, _ := s.CountMasterSealed(t.Context()); n["secure_links.file_name_sealed"] != 1 || n["secure_links.file_key_sealed"] != 1 {
				t.Fatalf("CountMasterSealed = %v, want the link's two values", n)
			}

			got, err := s.FindSecureLink(t.Context(), co.ID, "h1")
			if err != nil || got.FileName != "Справка 2-НДФЛ.pdf" || !bytes.Equal(got.FileKey, key) {
				t.Fatalf("legacy link = %+v, %v", got, err)
			}

			rep, err := s.RotateDataKey(t.Context(), co.ID, 10, t0)
			if err != nil || rep.Failed != 0 {
				t.Fatalf("RotateDataKey: %+v, %v", rep, err)
			}
			if n, _ := s.CountMasterSealed(t.Context()); len(n) != 0 {
				t.Errorf("after rotation CountMasterSealed = %v, want none", n)
			}
			var rawName, rawKey string
			if err := s.DB().QueryRowContext(t.Context(), "SELECT file_name_sealed, file_key_sealed FROM secure_links").Scan(&rawName, &rawKey); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(rawName, secret.SealedWith(rep.KeyID)) || !strings.HasPrefix(rawKey, secret.SealedWith(rep.KeyID)) {
				t.Errorf("after rotation name %.30s… key %.30s…, want both under %s", rawName, rawKey, rep.KeyID)
			}
			got, err = s.FindSecureLink(t.Context(), co.ID, "h1")
			if err != nil || got.FileName != "Справка 2-НДФЛ.pdf" || !bytes.Equal(got.FileKey, key) {
				t.Errorf("link after rotation = %+v, %v", got, err)
			}
		})

		t.Run("OtherCompanyFindsNothing", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			acme := mustCreateCompany(t, s, "acme")
			other := mustCreateCompany(t, s, "other")
			emp := mustCreateEmployee(t, s, acme.ID, "0001")
			otherEmp := mustCreateEmployee(t, s, other.ID, "0001")
			mustCreateSecureLink(t, s, &store.SecureLink{CompanyID: acme.ID, EmployeeID: emp.ID, TokenHash: "h1", StorageName: "f1.sbl"})

			if _, err := s.FindSecureLink(t.Context(), other.ID, "h1"); !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("FindSecureLink as other company: %v, want ErrNotFound", err)
			}
			err := s.InTx(t.Context(), func(tx *store.Tx) error {
				_, err := tx.FindSecureLinkForUpdate(t.Context(), other.ID, "h1")
				return err
			})
			if !errors.Is(err, staffbot.ErrNotFound) {
				t.Errorf("FindSecureLinkForUpdate as other company: %v, want ErrNotFound", err)
			}
			// A link of acme for other's employee breaks the foreign key.
			err = s.InTx(t.Context(), func(tx *store.Tx) error {
				return tx.CreateSecureLink(t.Context(), &store.SecureLink{CompanyID: acme.ID, EmployeeID: otherEmp.ID,
					TokenHash: "h2", FileKey: make([]byte, 32), MaxOpens: 1, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
			})
			if err == nil {
				t.Error("a link for another company's employee was stored")
			}
		})

		t.Run("CloseWipesOnce", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			co := mustCreateCompany(t, s, "acme")
			emp := mustCreateEmployee(t, s, co.ID, "0001")
			l := mustCreateSecureLink(t, s, &store.SecureLink{CompanyID: co.ID, EmployeeID: emp.ID, TokenHash: "h1",
				FileName: "a.pdf", StorageName: "f1.sbl"})

			var first, second bool
			err := s.InTx(t.Context(), func(tx *store.Tx) error {
				var err error
				if first, err = tx.CloseSecureLink(t.Context(), co.ID, l.ID, store.SecureLinkUsed, t0); err != nil {
					return err
				}
				second, err = tx.CloseSecureLink(t.Context(), co.ID, l.ID, store.SecureLinkExpired, t0)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if !first || second {
				t.Errorf("closed %v then %v, want true then false", first, second)
			}
			got, err := s.FindSecureLink(t.Context(), co.ID, "h1")
			if err != nil {
				t.Fatal(err)
			}
			if got.State != store.SecureLinkUsed || got.FileKey != nil || got.FileName != "" || got.StorageName != "" || got.ClosedAt == nil {
				t.Errorf("closed link %+v, want used and wiped", got)
			}
		})

		t.Run("CloseExpiredAcrossCompanies", func(t *testing.T) {
			t.Parallel()
			s := open(t)
			acme := mustCreateCompany(t, s, "acme")
			other := mustCreateCompany(t, s, "other")
			a := mustCreateEmployee(t, s, acme.ID, "0001")
			o := mustCreateEmployee(t, s, other.ID, "0001")
			mustCreateSecureLink(t, s, &store.SecureLink{CompanyID: acme.ID, EmployeeID: a.ID, TokenHash: "old", StorageName: "old.sbl", ExpiresAt: t0.Add(time.Hour)})
			mustCreateSecureLink(t, s, &store.SecureLink{CompanyID: other.ID, EmployeeID: o.ID, TokenHash: "old2", StorageName: "old2.sbl", ExpiresAt: t0.Add(time.Hour)})
			mustCreateSecureLink(t, s, &store.SecureLink{CompanyID: acme.ID, EmployeeID: a.ID, TokenHash: "new", StorageName: "new.sbl", ExpiresAt: t0.Add(48 * time.Hour)})

			names, err := s.CloseExpiredSecureLinks(t.Context(), t0.Add(2*time.Hour), 10)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(names)
			if want := []string{"old.sbl", "old2.sbl"}; !slices.Equal(names, want) {
				t.Errorf("closed files %v, want %v", names, want)
			}
			live, err := s.SecureLinkStorageNames(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(live) != 1 || !live["new.sbl"] {
				t.Errorf("live files %v, want only new.sbl", live)
			}
			old, err := s.FindSecureLink(t.Context(), acme.ID, "old")
			if err != nil {
				t.Fatal(err)
			}
			opens, err := s.FindSecureLinkOpens(t.Context(), acme.ID, old.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(opens) != 1 || opens[0].Outcome != "closed_expired" {
				t.Errorf("records of the expired link %+v, want one closed_expired", opens)
			}
			if foreign, err := s.FindSecureLinkOpens(t.Context(), other.ID, old.ID); err != nil || len(foreign) != 0 {
				t.Errorf("acme's link records seen as other company: %v %v", foreign, err)
			}
		})
	})
}
