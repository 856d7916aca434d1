package app

import (
	"context"
	"net/http"
	"path/filepath"
	"sync"

	"github.com/staffbot/staffbot/internal/securelink"
)

// secureLinkDir is the folder of the data directory that holds the
// encrypted files behind secure links.
const secureLinkDir = "securelinks"

func (a *App) newSecureLinks() *securelink.Service {
	return &securelink.Service{
		Store:         a.Store,
		Clock:         a.Clock,
		Logger:        a.logger,
		DataDir:       filepath.Join(a.Config.DataDir, secureLinkDir),
		BaseURL:       a.Config.PublicURL(),
		SecureCookies: isHTTPS(a.Config.PublicURL()),
	}
}

// registerSecureLinks serves the secure link pages.
func (a *App) registerSecureLinks(mux *http.ServeMux) {
	a.SecureLinks.Register(mux)
}

// startSecureLinks runs the loop that deletes expired links and their
// files until ctx is done.
func (a *App) startSecureLinks(ctx context.Context, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.SecureLinks.Run(ctx)
	}()
}
