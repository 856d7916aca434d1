package app

import (
	"github.com/staffbot/staffbot/internal/api"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/kb"
	"github.com/staffbot/staffbot/internal/web"
)

// kbInCabinet adds the knowledge base's editor to the cabinet and its
// routes to the REST API. Both change articles through one service that
// records every change in the audit log; the bot sees a change at its
// next question, when the knowledge base's revision has moved.
func (a *App) kbInCabinet(cab *web.Server, rest *api.Server) {
	svc := &kb.Service{Store: a.Store, Clock: a.Clock, Auditor: &audit.Recorder{Store: a.Store, Clock: a.Clock}}
	cab.AddKB(svc)
	rest.AddKB(svc)
}
