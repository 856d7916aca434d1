package selfservice

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/hris"
	"github.com/staffbot/staffbot/internal/securelink"
	"github.com/staffbot/staffbot/internal/store"
)

// Defaults of a Service.
const (
	DefaultPollInterval = 5 * time.Second
	DefaultWorkers      = 4
	DefaultTimeout      = 60 * time.Second

	// DraftTTL is how long a request may wait for the employee's next
	// answer; after it, a typed message is no longer taken as one.
	DraftTTL = 30 * time.Minute

	// MaxAttempts bounds how often a request is claimed again after the
	// process working on it died.
	MaxAttempts = 3

	// lease is how long a claimed request is left to one worker.
	lease = 5 * time.Minute

	// maxInvalid typed answers in a row that fit neither the question nor
	// a service end the draft, and the message goes on to the FAQ.
	maxInvalid = 2
)

// Service runs the catalogue: in the chat (Handle, called by the bot in
// its transaction) and behind it (Run, which checks submitted requests
// live and fulfils them).
type Service struct {
	Store  *store.Store
	Clock  staffbot.Clock
	Logger *slog.Logger

	// Connector opens a company's accounting-system connector; an error
	// matching staffbot.ErrNotFound means the company has none.
	Connector func(ctx context.Context, companyID staffbot.CompanyID) (hris.Connector, error)

	// Links delivers files as secure links.
	Links *securelink.Service

	// BaseURL is the cabinet's public address, for links in reminders to
	// HR.
	BaseURL string

	// FAQ, when set, may answer a typed message that names a service but
	// asks more than for it ("сколько дней отпуска положено?" is about the
	// rules, not about my balance): if it is sure of an article it sends
	// it with a button that starts the service.
	FAQ Answers

	// PollInterval is how often Run looks for requests without being
	// woken; Workers bounds fulfilments at once; Timeout bounds one
	// fulfilment's calls to the accounting system. Zero takes the
	// defaults.
	PollInterval time.Duration
	Workers      int
	Timeout      time.Duration

	once sync.Once
	wake chan struct{}

	// lastSubmit is when Handle last submitted a request, in wall-clock
	// nanoseconds; Wake acts only within wakeWindow of it.
	lastSubmit atomic.Int64

	// backfilled is set once every request HR has has its deadline.
	backfilled atomic.Bool
}

// Answers is the FAQ as the catalogue sees it.
type Answers interface {
	// AnswerIfSure answers the message with an article, adding the extra
	// button under it, when it is sure of one; it reports whether it did.
	AnswerIfSure(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee,
		acct *staffbot.ChannelAccount, in channel.Incoming, extra channel.Button) (bool, error)
}

// wakeWindow is how long after a submission Wake still makes Run look:
// long enough for the submitting transaction to commit. A request whose
// transaction took longer is found by the next poll.
const wakeWindow = 5 * time.Second

func (s *Service) init() {
	s.once.Do(func() {
		if s.Clock == nil {
			s.Clock = staffbot.SystemClock{}
		}
		if s.Logger == nil {
			s.Logger = slog.New(slog.DiscardHandler)
		}
		if s.PollInterval <= 0 {
			s.PollInterval = DefaultPollInterval
		}
		if s.Workers <= 0 {
			s.Workers = DefaultWorkers
		}
		if s.Timeout <= 0 {
			s.Timeout = DefaultTimeout
		}
		s.wake = make(chan struct{}, 1)
	})
}

// Wake makes Run look for submitted requests now. The app calls it after
// every transaction that queued a message, which includes the one that
// submits a request; it costs nothing unless Handle has submitted one in
// the last few seconds.
func (s *Service) Wake() {
	s.init()
	if time.Now().UnixNano()-s.lastSubmit.Load() > int64(wakeWindow) {
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// catalog returns the company's catalogue and connector. A company
// without a connector, or whose connector settings do not open, gets a
// nil connector: only the services HR fulfils are offered then.
func (s *Service) catalog(ctx context.Context, tx *store.Tx, companyID staffbot.CompanyID) (*Catalog, hris.Connector, error) {
	var (
		overrides []*store.CatalogOverride
		err       error
	)
	if tx != nil {
		overrides, err = tx.FindCatalogOverrides(ctx, companyID)
	} else {
		overrides, err = s.Store.FindCatalogOverrides(ctx, companyID)
	}
	if err != nil {
		return nil, nil, err
	}
	cat := NewCatalog(overrides)
	if s.Connector == nil {
		return cat, nil, nil
	}
	conn, err := s.Connector(ctx, companyID)
	switch {
	case errors.Is(err, staffbot.ErrNotFound):
		return cat, nil, nil
	case err != nil:
		s.Logger.WarnContext(ctx, "Connector not opened", slog.Int64("company_id", int64(companyID)),
			slog.String("error", err.Error()))
		return cat, nil, nil
	}
	return cat, conn, nil
}

// FindCatalog returns the company's catalogue, for the cabinet and the
// command line, and reports for each service whether the company's
// connector performs its action.
func (s *Service) FindCatalog(ctx context.Context, companyID staffbot.CompanyID) (*Catalog, map[string]bool, error) {
	s.init()
	cat, conn, err := s.catalog(ctx, nil, companyID)
	if err != nil {
		return nil, nil, err
	}
	sup := map[string]bool{}
	for _, svc := range cat.Services {
		sup[svc.Key] = supports(conn, svc)
	}
	return cat, sup, nil
}
