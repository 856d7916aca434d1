package app

import (
	"net/http"

	"github.com/staffbot/staffbot/internal/api"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/web"
)

// cabinet builds the HR cabinet and the REST API over one auth service.
func (a *App) cabinet() (*web.Server, *api.Server) {
	// Sign-ins, 2FA changes, user and token changes and every read of an
	// employee record go to the audit log.
	rec := &audit.Recorder{Store: a.Store, Clock: a.Clock}
	svc := auth.New(a.Store, a.Clock, auth.Options{Logger: a.logger, Auditor: rec})
	cab := web.New(web.Config{Auth: svc, Clock: a.Clock, Logger: a.logger, BaseURL: a.Config.PublicURL(),
		Pages: web.Pages{Engine: a.Engine, TelegramAPIURL: a.Config.TelegramAPIURL, HTTPClient: a.hc, SendMail: a.sendMail()}})
	rest := api.New(api.Config{Auth: svc, Clock: a.Clock, Logger: a.logger})
	a.ticketsInCabinet(cab, rest)
	a.kbInCabinet(cab, rest)
	if a.SelfService != nil {
		cab.AddServiceRequests(a.SelfService)
	}
	return cab, rest
}

// registerCabinet serves the HR cabinet under /hr/ and the REST API under
// /api/v1/.
func (a *App) registerCabinet(mux *http.ServeMux) {
	cab, rest := a.cabinet()
	cab.Register(mux)
	rest.Register(mux)
}

// CabinetRoutes returns the route tables of the HR cabinet and the REST
// API, built the same way the server builds them, for tests that walk
// every route.
func (a *App) CabinetRoutes() []auth.Route {
	cab, rest := a.cabinet()
	return append(cab.Routes(), rest.Routes()...)
}
