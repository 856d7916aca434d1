// Package app builds a running staffbot from its configuration: storage,
// the scenario engine, the bot, the messenger channels, the outbox
// dispatcher and the HTTP server. The staffbot command and the end-to-end
// tests both start it through Open and Run.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/bot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/channel/telegram"
	"github.com/staffbot/staffbot/internal/channel/webchat"
	"github.com/staffbot/staffbot/internal/config"
	"github.com/staffbot/staffbot/internal/delivery"
	"github.com/staffbot/staffbot/internal/faq/faqbot"
	"github.com/staffbot/staffbot/internal/helpdesk"
	"github.com/staffbot/staffbot/internal/scenario"
	"github.com/staffbot/staffbot/internal/secret"
	"github.com/staffbot/staffbot/internal/securelink"
	"github.com/staffbot/staffbot/internal/selfservice"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/scenarios"
)

// Version is set at build time with -ldflags "-X …/internal/app.Version=…".
var Version = "dev"

// Options are the parts a caller may replace, mostly for tests.
type Options struct {
	Clock  staffbot.Clock
	Logger *slog.Logger

	// HTTPClient talks to messenger APIs.
	HTTPClient *http.Client

	// Tick is how often due scenario steps are looked for.
	Tick time.Duration

	// ServerLimits bound the HTTP server's connections; zero fields take
	// DefaultServerLimits.
	ServerLimits ServerLimits
}

// App is a running staffbot.
type App struct {
	Config     config.Config
	Store      *store.Store
	Engine     *scenario.Engine
	Bot        *bot.Bot
	Dispatcher *delivery.Dispatcher
	Clock      staffbot.Clock

	// SecureLinks delivers sensitive files as temporary links.
	SecureLinks *securelink.Service

	// Helpdesk turns employees' requests to HR into tickets.
	Helpdesk *helpdesk.Service

	// SelfService is the catalogue of HR and payroll services.
	SelfService *selfservice.Service

	logger    *slog.Logger
	limits    ServerLimits
	hc        *http.Client
	tick      time.Duration
	metrics   *metrics
	webchat   *webchat.Server
	faq       *faqbot.Responder
	handler   http.Handler
	scenarios int

	mu      sync.Mutex
	pollers map[staffbot.CompanyID]context.CancelFunc

	slugMu sync.Mutex
	slugs  map[string]*staffbot.Company // for the Telegram webhook
	slugAt time.Time
}

// slugTTL is how long the Telegram webhook reuses the companies it has
// read: under load it spares a query per update, and a new company or
// webhook secret is still accepted within a second.
const slugTTL = time.Second

// OpenStore opens and migrates the configured database; the one-shot
// commands use it without starting the server.
func OpenStore(ctx context.Context, cfg config.Config, logger *slog.Logger) (*store.Store, error) {
	// The current master key, and previous ones while a rotation finishes.
	sealer, err := secret.LoadSealer(cfg.MasterKey, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, cfg.DSN(), sealer)
	if err != nil {
		return nil, err
	}
	applied, err := st.Migrate(ctx)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	for _, name := range applied {
		logger.InfoContext(ctx, "Migration applied", slog.String("migration", name))
	}
	return st, nil
}

// Open builds an App; nothing runs until Run.
func Open(ctx context.Context, cfg config.Config, opts Options) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &App{
		Config:  cfg,
		Clock:   opts.Clock,
		logger:  opts.Logger,
		hc:      opts.HTTPClient,
		tick:    opts.Tick,
		limits:  opts.ServerLimits.withDefaults(),
		pollers: map[staffbot.CompanyID]context.CancelFunc{},
	}
	if a.Clock == nil {
		a.Clock = staffbot.SystemClock{}
	}
	if a.logger == nil {
		a.logger = slog.Default()
	}
	if a.hc == nil {
		a.hc = NewHTTPClient()
	}
	if a.tick == 0 {
		a.tick = time.Second
	}

	st, err := OpenStore(ctx, cfg, a.logger)
	if err != nil {
		return nil, err
	}
	a.Store = st

	defs, err := scenario.LoadFS(scenarios.FS)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("load scenarios: %w", err)
	}
	a.scenarios = len(defs)
	a.Engine = scenario.NewEngine(st, a.Clock, defs, a.logger)
	a.Engine.Catalog = &scenario.StoreCatalog{Store: st} // companies' own scenarios
	a.metrics = newMetrics(st)

	tgSender := telegram.NewSender(cfg.TelegramAPIURL, a.hc)
	a.webchat = webchat.New(st, a.handleIncoming, a.Clock, a.logger, isHTTPS(cfg.PublicURL()))
	a.Dispatcher = delivery.New(st, []channel.Sender{tgSender, a.webchat.Sender()}, a.Clock, a.logger, a.metrics)
	st.OnEnqueue = a.Dispatcher.Wake
	st.OnQueued = a.Dispatcher.Queue

	a.Bot = &bot.Bot{
		Store:   st,
		Engine:  a.Engine,
		Clock:   a.Clock,
		Logger:  a.logger,
		BaseURL: cfg.PublicURL(),
		Ackers:  map[staffbot.ChannelKind]bot.Acker{staffbot.ChannelTelegram: telegramAcker{api: cfg.TelegramAPIURL, hc: a.hc}},
	}
	a.faq = a.newFAQ()
	a.Bot.FAQ = a.faq
	a.SecureLinks = a.newSecureLinks()
	a.wireHelpdesk()
	a.wireSelfService()
	a.handler = a.routes()
	return a, nil
}

// NewHTTPClient returns the client that talks to messenger APIs when
// Options.HTTPClient is nil. It keeps enough idle connections for the
// dispatcher's parallel sends; the default two per host would make most
// sends open a new connection.
func NewHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 256
	tr.MaxIdleConnsPerHost = 64
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

// companyBySlug finds a company for the Telegram webhook. Every company is
// read at once, at most slugTTL ago, so that a known and an unknown slug
// cost the same: a map lookup, and now and then one query that does not
// depend on the slug. The result is shared and must not be changed.
func (a *App) companyBySlug(ctx context.Context, slug string) (*staffbot.Company, error) {
	a.slugMu.Lock()
	defer a.slugMu.Unlock()
	if a.slugs == nil || time.Since(a.slugAt) >= slugTTL {
		cos, err := a.Store.FindCompanies(ctx)
		if err != nil {
			return nil, err
		}
		a.slugs = make(map[string]*staffbot.Company, len(cos))
		for _, co := range cos {
			a.slugs[co.Slug] = co
		}
		a.slugAt = time.Now()
	}
	co, ok := a.slugs[slug]
	if !ok {
		return nil, fmt.Errorf("company %q: %w", slug, staffbot.ErrNotFound)
	}
	return co, nil
}

// Handler returns the HTTP handler, for tests that serve it themselves.
func (a *App) Handler() http.Handler { return a.handler }

// handleIncoming is where every channel hands its events to the bot.
func (a *App) handleIncoming(ctx context.Context, in channel.Incoming) error {
	if in.ReceivedAt.IsZero() {
		in.ReceivedAt = a.Clock.Now()
	}
	a.metrics.messagesIn.WithLabelValues(string(in.Channel)).Inc()
	if oldID, newID, ok := telegram.MigratedChat(in); ok {
		// A group moved to a supergroup; queued messages follow it.
		return a.Store.UpdateChatID(ctx, in.CompanyID, in.Channel, oldID, newID)
	}
	err := a.Bot.Handle(ctx, in)
	if err != nil {
		a.metrics.errors.WithLabelValues("handle").Inc()
		a.logger.ErrorContext(ctx, "Update not handled", slog.Int64("company_id", int64(in.CompanyID)),
			slog.String("channel", string(in.Channel)), slog.String("update_id", in.UpdateKey),
			slog.String("error", err.Error()))
	}
	return err
}

// Run serves HTTP on ln and runs the background work until ctx is done.
func (a *App) Run(ctx context.Context, ln net.Listener) error {
	srv := a.newServer(ctx)

	var wg sync.WaitGroup
	bg, stop := context.WithCancel(ctx)
	defer stop()

	wg.Add(2)
	go func() { defer wg.Done(); a.Dispatcher.Run(bg) }()
	go func() { defer wg.Done(); a.schedule(bg) }()
	a.startSecureLinks(bg, &wg)
	a.startHelpdesk(bg, &wg)
	a.startSelfService(bg, &wg)
	a.startHRIS(bg, &wg)
	a.startRetention(bg, &wg)
	a.startReports(bg, &wg)

	if err := a.startTelegram(bg, &wg); err != nil {
		a.logger.ErrorContext(ctx, "Telegram not started", slog.String("error", err.Error()))
	}

	a.logger.InfoContext(ctx, "Staffbot started",
		slog.String("version", Version), slog.String("addr", ln.Addr().String()),
		slog.String("base_url", a.Config.PublicURL()), slog.String("database", string(a.Store.Dialect())),
		slog.String("data_dir", a.Config.DataDir), slog.Int("scenarios", a.scenarios),
		slog.String("trusted_proxies", a.Config.Proxies().String()))

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	srv.Shutdown(shutCtx)
	stop()
	wg.Wait()
	a.logger.InfoContext(shutCtx, "Staffbot stopped")
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Close releases the database.
func (a *App) Close() error { return a.Store.Close() }

// schedule advances scenario runs as their time comes and prunes old
// duplicate-detection records and sign-in failures.
func (a *App) schedule(ctx context.Context) {
	t := time.NewTicker(a.tick)
	defer t.Stop()
	lastPrune := time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := a.Store.FlushCounts(ctx); err != nil && ctx.Err() == nil {
			a.logger.WarnContext(ctx, "Dashboard counters not written", slog.String("error", err.Error()))
		}
		if _, err := a.Engine.RunDue(ctx); err != nil && ctx.Err() == nil {
			a.metrics.errors.WithLabelValues("scheduler").Inc()
			a.logger.ErrorContext(ctx, "Scenario steps not run", slog.String("error", err.Error()))
		}
		if now := a.Clock.Now(); now.Sub(lastPrune) > time.Hour {
			lastPrune = now
			if _, err := a.Store.PruneSeenUpdates(ctx, now.Add(-7*24*time.Hour)); err != nil && ctx.Err() == nil {
				a.logger.WarnContext(ctx, "Update log not pruned", slog.String("error", err.Error()))
			}
			horizon := auth.DefaultThrottling().Horizon()
			if _, err := a.Store.PruneAllLoginCounters(ctx, now.Add(-horizon), now); err != nil && ctx.Err() == nil {
				a.logger.WarnContext(ctx, "Sign-in failures not pruned", slog.String("error", err.Error()))
			}
		}
	}
}

// RunDue advances due scenario steps now and delivers what they queued;
// tests call it after moving the clock.
func (a *App) RunDue(ctx context.Context) error {
	if _, err := a.Engine.RunDue(ctx); err != nil {
		return err
	}
	a.Dispatcher.Wake()
	return nil
}

func isHTTPS(u string) bool { return len(u) > 8 && u[:8] == "https://" }
