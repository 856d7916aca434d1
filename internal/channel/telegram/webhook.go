package telegram

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/clientip"
	"github.com/staffbot/staffbot/internal/ratelimit"
)

// MaxWebhookBody is the largest update body the webhook reads.
const MaxWebhookBody = 1 << 20

// SecretHeader carries the webhook secret on every delivery from Telegram.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// Limits of the webhook per client network. Telegram delivers from a few
// addresses over at most 100 connections per bot; DefaultWebhookLimit is
// about what the whole server handles on two cores, far above what a
// company's bot receives, and its ten seconds' burst absorbs a backlog
// after an outage, so a real flood is not turned away (and Telegram
// delivers again what was not answered 200). Refused
// deliveries — an unknown company or a wrong secret, which Telegram never
// sends — are allowed RefusedPerMinute; past that the address is answered
// 429 before anything is looked up.
const (
	DefaultWebhookLimit = 1000
	RefusedPerMinute    = 30
)

// WebhookHandler receives updates that Telegram POSTs for each company. The
// caller registers it for "POST /telegram/webhook/{slug}".
type WebhookHandler struct {
	// Limit is the deliveries a second one client network may make, ten
	// seconds' worth at once; 0 means DefaultWebhookLimit and a negative
	// value no limit. Set it before the first request.
	Limit int

	// Clock is the rate limits' time; nil means the system clock.
	Clock staffbot.Clock

	lookup func(ctx context.Context, slug string) (*staffbot.Company, error)
	handle func(ctx context.Context, in channel.Incoming) error
	logger *slog.Logger

	once    sync.Once
	rate    *ratelimit.Limiter // nil without a limit
	refused *ratelimit.Limiter

	// decoy is the secret an unknown company's delivery is compared with,
	// so that it costs what a known company's does.
	decoy string
}

// NewWebhookHandler returns a handler that finds the company by the {slug}
// path value, checks the secret header against its TelegramWebhookSecret and
// passes the parsed update to handle, with CompanyID set.
//
// lookup returns an error matching staffbot.ErrNotFound for an unknown
// slug. An unknown company and a wrong or missing secret get the same
// answer, 403, after the same work: whoever probes the address learns
// nothing about which companies exist. lookup should cost the same for
// both too. handle should store the update and return quickly: Telegram
// re-sends an update that is not answered within about a minute, and one
// that gets a 5xx or a 429; the caller's duplicate guard on UpdateKey
// makes such redelivery safe. A malformed body is logged and answered
// 200, since sending it again would not help.
func NewWebhookHandler(
	lookup func(ctx context.Context, slug string) (*staffbot.Company, error),
	handle func(ctx context.Context, in channel.Incoming) error,
	logger *slog.Logger,
) *WebhookHandler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	b := make([]byte, 32)
	rand.Read(b)
	return &WebhookHandler{lookup: lookup, handle: handle, logger: logger, decoy: hex.EncodeToString(b)}
}

func (h *WebhookHandler) init() {
	h.once.Do(func() {
		if h.Clock == nil {
			h.Clock = staffbot.SystemClock{}
		}
		limit := cmp.Or(h.Limit, DefaultWebhookLimit)
		if limit > 0 {
			h.rate = ratelimit.New(limit, time.Second, 10*limit)
		}
		h.refused = ratelimit.New(RefusedPerMinute, time.Minute, RefusedPerMinute)
	})
}

// ServeHTTP handles one delivery.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.init()
	ctx := r.Context()
	slug := r.PathValue("slug")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}

	// An address that keeps getting refused is turned away before the
	// lookup; so is one over the limit.
	client, now := clientip.Network(clientip.PeerAddr(r)), h.Clock.Now()
	if ok, wait := h.refused.Check(client, now); !ok {
		h.tooMany(ctx, w, wait, "refused")
		return
	}
	if h.rate != nil {
		if ok, wait := h.rate.Allow(client, now); !ok {
			h.tooMany(ctx, w, wait, "limit")
			return
		}
	}

	co, err := h.lookup(ctx, slug)
	known := err == nil && co != nil
	if err != nil && !errors.Is(err, staffbot.ErrNotFound) {
		h.logger.ErrorContext(ctx, "Webhook company lookup failed",
			slog.String("slug", logSlug(slug)), slog.String("error", err.Error()))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	// A company without a secret takes no webhook; it is compared like
	// an unknown one.
	want, open := h.decoy, false
	if known && co.TelegramWebhookSecret != "" {
		want, open = co.TelegramWebhookSecret, true
	}
	if !secretMatches(r.Header.Get(SecretHeader), want) || !open {
		h.refused.Allow(client, now)
		h.logger.WarnContext(ctx, "Webhook rejected",
			slog.String("slug", logSlug(slug)),
			slog.Bool("company_known", known),
			slog.Bool("secret_present", r.Header.Get(SecretHeader) != ""))
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.logger.WarnContext(ctx, "Webhook body too large",
				slog.Int64("company_id", int64(co.ID)))
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}

	in, err := ParseUpdate(body)
	if err != nil {
		h.logger.WarnContext(ctx, "Webhook update malformed",
			slog.Int64("company_id", int64(co.ID)), slog.String("error", err.Error()))
		w.WriteHeader(http.StatusOK)
		return
	}
	in.CompanyID = co.ID
	if in.ReceivedAt.IsZero() {
		in.ReceivedAt = time.Now().UTC()
	}

	if err := h.handle(ctx, in); err != nil {
		h.logger.ErrorContext(ctx, "Webhook update failed",
			slog.Int64("company_id", int64(co.ID)),
			slog.String("update_id", in.UpdateKey),
			slog.String("error", err.Error()))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h.logger.DebugContext(ctx, "Webhook update received",
		slog.Int64("company_id", int64(co.ID)),
		slog.String("update_id", in.UpdateKey),
		slog.String("kind", string(in.Kind)))
	w.WriteHeader(http.StatusOK)
}

// tooMany answers 429 with Retry-After; Telegram delivers again, later,
// what it could not deliver.
func (h *WebhookHandler) tooMany(ctx context.Context, w http.ResponseWriter, wait time.Duration, why string) {
	h.logger.DebugContext(ctx, "Webhook throttled", slog.String("reason", why))
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	http.Error(w, "too many requests", http.StatusTooManyRequests)
}

// logSlug cuts a slug for a log line; an unknown one is whatever the
// caller typed.
func logSlug(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// secretMatches compares in constant time; hashing first hides the length
// too. An empty configured secret matches nothing.
func secretMatches(got, want string) bool {
	if want == "" {
		return false
	}
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}
