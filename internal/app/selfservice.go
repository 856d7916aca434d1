package app

import (
	"context"
	"log/slog"
	"sync"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/config"
	"github.com/staffbot/staffbot/internal/selfservice"
	"github.com/staffbot/staffbot/internal/store"
)

// wireSelfService builds the self-service catalogue, hands it to the bot
// and has every committed transaction that queued a message wake it, so a
// request submitted in the chat is checked at once.
func (a *App) wireSelfService() {
	a.SelfService = &selfservice.Service{
		Store:        a.Store,
		Clock:        a.Clock,
		Logger:       a.logger,
		Connector:    a.Connector,
		Links:        a.SecureLinks,
		BaseURL:      a.Config.PublicURL(),
		PollInterval: 5 * a.tick,
		FAQ:          a.faq,
	}
	a.Bot.Services = a.SelfService
	wake := a.Store.OnEnqueue
	a.Store.OnEnqueue = func() {
		if wake != nil {
			wake()
		}
		a.SelfService.Wake()
	}
}

// startSelfService runs the fulfilment of submitted requests until ctx
// is done.
func (a *App) startSelfService(ctx context.Context, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.SelfService.Run(ctx)
	}()
}

// SelfServiceFor returns the catalogue on a store opened without the
// server, for the command line: it opens connectors as the server does
// and delivers files by secure links in the configured data directory,
// whose messages the server's dispatcher sends.
func SelfServiceFor(cfg config.Config, st *store.Store, logger *slog.Logger) *selfservice.Service {
	a := &App{Config: cfg, Store: st, Clock: staffbot.SystemClock{}, logger: logger}
	return &selfservice.Service{Store: st, Clock: a.Clock, Logger: logger, Connector: a.Connector, Links: a.newSecureLinks(),
		BaseURL: cfg.PublicURL()}
}
