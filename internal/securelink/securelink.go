// Package securelink delivers sensitive files — payslips, certificates —
// as temporary links to the company's own server instead of through a
// messenger. A link works for a limited time and number of downloads and may
// ask for a one-time code sent to the employee's chat. The file lies on disk
// encrypted under a key of its own, which is sealed in the database under
// the company's data key, and both go when the link expires or is used up.
// Every visit is recorded in the company's audit log.
package securelink

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/ratelimit"
	"github.com/staffbot/staffbot/internal/store"
)

// PathPrefix starts the path of every link: BaseURL + PathPrefix + token.
const PathPrefix = "/l/"

// Defaults and bounds of Options.
const (
	DefaultTTL      = 24 * time.Hour
	DefaultMaxOpens = 3
	MaxTTL          = 30 * 24 * time.Hour
	MaxOpensLimit   = 100

	// MaxFileSize bounds a file, which is held in memory whole while it is
	// encrypted and served.
	MaxFileSize = 32 << 20
)

// Rules of the one-time code.
const (
	CodeTTL = 10 * time.Minute

	// MaxCodeFailures wrong codes lock a link for good and delete its file.
	// They count over the link's life, not per code, so asking for new
	// codes buys no more guesses.
	MaxCodeFailures = 5

	// MaxCodesSent bounds the codes one link may send to the chat, and
	// CodeResendAfter how soon a new one may follow the last.
	MaxCodesSent    = 5
	CodeResendAfter = time.Minute
)

// ErrUnreachable means the employee has no chat the bot may write to, so a
// one-time code cannot be delivered.
var ErrUnreachable = fmt.Errorf("employee has no reachable chat: %w", staffbot.ErrUnavailable)

// Service creates secure links and serves them.
type Service struct {
	Store  *store.Store
	Clock  staffbot.Clock
	Logger *slog.Logger

	// DataDir holds the encrypted files; it is created with mode 0700.
	DataDir string

	// BaseURL is the public address links start with, without a trailing
	// slash: "https://hr.example.ru".
	BaseURL string

	// SecureCookies gives the form cookie the Secure flag and the __Host-
	// prefix. Set it whenever the site is served over HTTPS.
	SecureCookies bool

	// Notify sends a message to an employee's chat within the transaction.
	// Nil means tx.EnqueueToEmployee to every account that may be written
	// to, failing with ErrUnreachable when there is none.
	Notify func(ctx context.Context, tx *store.Tx, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID, msg channel.Outgoing) error

	// CleanupInterval is how often Run closes expired links; zero means a
	// minute.
	CleanupInterval time.Duration

	once      sync.Once
	pageLimit *ratelimit.Limiter
	formLimit *ratelimit.Limiter
	style     string
}

// FileSpec is a file to deliver.
type FileSpec struct {
	Name        string // shown to the employee and offered as the download's name
	ContentType string // "application/pdf"; empty means application/octet-stream
	Data        []byte
}

// Options shape one link. Zero values take the defaults.
type Options struct {
	TTL         time.Duration // DefaultTTL when zero
	MaxOpens    int           // DefaultMaxOpens when zero
	RequireCode bool          // ask for a one-time code sent to the chat
}

// WithDefaults returns the options with zero values replaced by the
// defaults, or an error wrapping staffbot.ErrInvalid for values out of
// bounds.
func (o Options) WithDefaults() (Options, error) {
	if o.TTL == 0 {
		o.TTL = DefaultTTL
	}
	if o.MaxOpens == 0 {
		o.MaxOpens = DefaultMaxOpens
	}
	if o.TTL < time.Minute || o.TTL > MaxTTL {
		return o, fmt.Errorf("link lifetime %s: must be from a minute to %s: %w", o.TTL, MaxTTL, staffbot.ErrInvalid)
	}
	if o.MaxOpens < 1 || o.MaxOpens > MaxOpensLimit {
		return o, fmt.Errorf("link opens %d: must be from 1 to %d: %w", o.MaxOpens, MaxOpensLimit, staffbot.ErrInvalid)
	}
	return o, nil
}

func (s *Service) init() {
	s.once.Do(func() {
		if s.Clock == nil {
			s.Clock = staffbot.SystemClock{}
		}
		if s.Logger == nil {
			s.Logger = slog.New(slog.DiscardHandler)
		}
		if s.CleanupInterval == 0 {
			s.CleanupInterval = time.Minute
		}
		s.BaseURL = strings.TrimRight(s.BaseURL, "/")
		s.pageLimit = newLimiter(pagePerMinute, pagePerMinute)
		s.formLimit = newLimiter(formPerMinute, formPerMinute)
		s.style = styleHash()
	})
}

func (s *Service) now() time.Time { return s.Clock.Now() }

// URL returns the public address of the link with the given token.
func (s *Service) URL(token string) string {
	s.init()
	return s.BaseURL + PathPrefix + token
}

// Create stores file encrypted and returns the URL of a new link to it for
// the employee. The link is saved in tx, so it exists only if tx commits;
// the file is written at once, and a file whose transaction rolled back is
// swept from disk by Cleanup an hour later.
func (s *Service) Create(ctx context.Context, tx *store.Tx, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID, file FileSpec, opts Options) (string, error) {
	s.init()
	opts, err := opts.WithDefaults()
	if err != nil {
		return "", err
	}
	if len(file.Data) > MaxFileSize {
		return "", fmt.Errorf("file of %d bytes: larger than %d: %w", len(file.Data), MaxFileSize, staffbot.ErrInvalid)
	}

	key := randomBytes(fileKeySize)
	storageName, err := s.writeFile(key, file.Data)
	if err != nil {
		return "", fmt.Errorf("store file: %w", err)
	}

	token, tokenHash := newToken()
	now := s.now()
	l := &store.SecureLink{
		CompanyID:   companyID,
		EmployeeID:  employeeID,
		TokenHash:   tokenHash,
		FileName:    cleanFileName(file.Name),
		ContentType: cleanContentType(file.ContentType),
		Size:        int64(len(file.Data)),
		StorageName: storageName,
		FileKey:     key,
		RequireCode: opts.RequireCode,
		MaxOpens:    opts.MaxOpens,
		CreatedAt:   now,
		ExpiresAt:   now.Add(opts.TTL),
	}
	if err := tx.CreateSecureLink(ctx, l); err != nil {
		s.removeFile(ctx, storageName)
		return "", err
	}
	// The file's name is the employee's business; the record says only
	// what kind of file and on what terms. The actor is the context's.
	err = audit.Record(ctx, tx, staffbot.AuditRecord{
		CompanyID: companyID, At: now, Action: AuditCreate,
		ObjectType: AuditObject, ObjectID: strconv.FormatInt(l.ID, 10), SubjectID: &l.EmployeeID,
		After: audit.JSON(map[string]any{"content_type": l.ContentType, "size": l.Size, "max_opens": l.MaxOpens,
			"expires_at": l.ExpiresAt.UTC().Format(time.RFC3339), "require_code": l.RequireCode}),
	})
	if err != nil {
		s.removeFile(ctx, storageName)
		return "", err
	}

	s.Logger.InfoContext(ctx, "Secure link created",
		slog.Int64("company_id", int64(companyID)), slog.Int64("employee_id", int64(employeeID)),
		slog.Int64("link_id", l.ID), slog.Bool("require_code", opts.RequireCode))
	return s.URL(token), nil
}

// Deliver creates a link as Create does and sends it to the employee's chat
// in the same transaction, with a note of how long it works and whether it
// will ask for a code.
func (s *Service) Deliver(ctx context.Context, tx *store.Tx, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID, file FileSpec, opts Options, lang locale.Lang) (string, error) {
	url, err := s.Create(ctx, tx, companyID, employeeID, file, opts)
	if err != nil {
		return "", err
	}
	if err := s.notify(ctx, tx, companyID, employeeID, LinkMessage(lang, cleanFileName(file.Name), url, opts)); err != nil {
		return "", fmt.Errorf("send link: %w", err)
	}
	return url, nil
}

func (s *Service) notify(ctx context.Context, tx *store.Tx, companyID staffbot.CompanyID, employeeID staffbot.EmployeeID, msg channel.Outgoing) error {
	if s.Notify != nil {
		return s.Notify(ctx, tx, companyID, employeeID, msg)
	}
	n, err := tx.EnqueueToEmployee(ctx, companyID, employeeID, msg, s.now())
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrUnreachable
	}
	return nil
}

// Register adds the link pages to mux.
func (s *Service) Register(mux *http.ServeMux) {
	s.init()
	mux.Handle("GET "+PathPrefix+"{token}", s.headers(s.handlePage))
	mux.Handle("POST "+PathPrefix+"{token}", s.headers(s.handleDownload))
	mux.Handle("POST "+PathPrefix+"{token}/code", s.headers(s.handleSendCode))
}

// RedactPath returns a request path fit for a log line: the token of a link
// works as a password, so it is replaced.
func RedactPath(path string) string {
	rest, ok := strings.CutPrefix(path, PathPrefix)
	if !ok {
		return path
	}
	if _, tail, ok := strings.Cut(rest, "/"); ok {
		return PathPrefix + "{token}/" + tail
	}
	return PathPrefix + "{token}"
}
