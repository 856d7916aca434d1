package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/hris"
	"github.com/staffbot/staffbot/internal/hris/onec"
	"github.com/staffbot/staffbot/internal/hris/rest"
	"github.com/staffbot/staffbot/internal/hris/successfactors"
	"github.com/staffbot/staffbot/internal/store"
)

// ConnectorSettings are the non-secret settings of a connector, stored as
// JSON with it. Each kind reads the fields it knows.
type ConnectorSettings struct {
	// 1C: the staffbot HTTP service root under the publication
	// ("hs/staffbot/v1"; empty: not published), the department catalog,
	// and the charset of a Cyrillic Basic login.
	ServicePath       string `json:"service_path,omitempty"`
	DepartmentCatalog string `json:"department_catalog,omitempty"`
	Charset           string `json:"charset,omitempty"`

	PageSize       int `json:"page_size,omitempty"`
	TimeoutSeconds int `json:"timeout_seconds,omitempty"`

	// REST: how the API looks.
	Mapping *rest.Mapping `json:"mapping,omitempty"`
}

// Auth kinds of a stored connector.
const (
	AuthBasic  = "basic"
	AuthBearer = "bearer"
)

// OpenConnector builds the connector a company's settings describe. It
// makes no request; hc may be nil.
func OpenConnector(c *store.Connector, hc *http.Client) (hris.Connector, error) {
	var set ConnectorSettings
	if c.Settings != "" {
		if err := json.Unmarshal([]byte(c.Settings), &set); err != nil {
			return nil, fmt.Errorf("connector settings: %v: %w", err, staffbot.ErrInvalid)
		}
	}
	cred := hris.Credentials{Charset: set.Charset}
	switch c.Auth {
	case AuthBearer:
		cred.Token = c.Secret
	default:
		cred.User, cred.Password = c.Username, c.Secret
	}
	timeout := time.Duration(set.TimeoutSeconds) * time.Second

	kind, err := hris.ParseKind(c.Kind)
	if err != nil {
		return nil, err
	}
	switch kind {
	case hris.KindOneC:
		return onec.New(onec.Config{URL: c.URL, Credentials: cred, ServicePath: set.ServicePath,
			DepartmentCatalog: set.DepartmentCatalog, PageSize: set.PageSize, Timeout: timeout, HTTPClient: hc})
	case hris.KindSuccessFactors:
		return successfactors.New(successfactors.Config{URL: c.URL, Credentials: cred, PageSize: set.PageSize,
			Timeout: timeout, HTTPClient: hc})
	default:
		if set.Mapping == nil {
			return nil, fmt.Errorf("REST connector without a mapping: %w", staffbot.ErrInvalid)
		}
		return rest.New(rest.Config{URL: c.URL, Credentials: cred, Mapping: *set.Mapping, Timeout: timeout, HTTPClient: hc})
	}
}

// Connector opens the company's connector, for the self-service actions.
// It returns an error matching staffbot.ErrNotFound when the company has
// none.
func (a *App) Connector(ctx context.Context, companyID staffbot.CompanyID) (hris.Connector, error) {
	c, err := a.Store.FindConnector(ctx, companyID)
	if err != nil {
		return nil, err
	}
	return OpenConnector(c, nil)
}

// Syncer returns an employee syncer on the app's store and clock.
func (a *App) Syncer() *hris.Syncer {
	return &hris.Syncer{Store: a.Store, Clock: a.Clock, Logger: a.logger}
}

// startHRIS runs the scheduled employee syncs until ctx ends. It looks
// for due connectors every 30 ticks (30 seconds by default).
func (a *App) startHRIS(ctx context.Context, wg *sync.WaitGroup) {
	sc := &hris.Scheduler{Syncer: a.Syncer(), Open: func(c *store.Connector) (hris.Connector, error) {
		return OpenConnector(c, nil)
	}}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(30 * a.tick)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if _, err := sc.RunDue(ctx); err != nil && ctx.Err() == nil {
				a.logger.ErrorContext(ctx, "Scheduled employee syncs not run", slog.String("error", err.Error()))
			}
		}
	}()
}
