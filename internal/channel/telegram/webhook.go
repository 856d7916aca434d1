package telegram

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
)

// MaxWebhookBody is the largest update body the webhook reads.
const MaxWebhookBody = 1 << 20

// SecretHeader carries the webhook secret on every delivery from Telegram.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// WebhookHandler receives updates that Telegram POSTs for each company. The
// caller registers it for "POST /telegram/webhook/{slug}".
type WebhookHandler struct {
	lookup func(ctx context.Context, slug string) (*staffbot.Company, error)
	handle func(ctx context.Context, in channel.Incoming) error
	logger *slog.Logger
}

// NewWebhookHandler returns a handler that finds the company by the {slug}
// path value, checks the secret header against its TelegramWebhookSecret and
// passes the parsed update to handle, with CompanyID set.
//
// lookup returns an error matching staffbot.ErrNotFound for an unknown slug
// (answered 404). handle should store the update and return quickly:
// Telegram re-sends an update that is not answered within about a minute,
// and one that gets a 5xx; the caller's duplicate guard on UpdateKey makes
// such redelivery safe. A malformed body is logged and answered 200, since
// sending it again would not help.
func NewWebhookHandler(
	lookup func(ctx context.Context, slug string) (*staffbot.Company, error),
	handle func(ctx context.Context, in channel.Incoming) error,
	logger *slog.Logger,
) *WebhookHandler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &WebhookHandler{lookup: lookup, handle: handle, logger: logger}
}

// ServeHTTP handles one delivery.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	slug := r.PathValue("slug")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}

	co, err := h.lookup(ctx, slug)
	switch {
	case errors.Is(err, staffbot.ErrNotFound) || (err == nil && co == nil):
		http.NotFound(w, r)
		return
	case err != nil:
		h.logger.ErrorContext(ctx, "Webhook company lookup failed",
			slog.String("slug", slug), slog.String("error", err.Error()))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}

	if !secretMatches(r.Header.Get(SecretHeader), co.TelegramWebhookSecret) {
		h.logger.WarnContext(ctx, "Webhook rejected",
			slog.String("slug", slug),
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

// secretMatches compares in constant time; hashing first hides the length
// too. An empty configured secret matches nothing.
func secretMatches(got, want string) bool {
	if want == "" {
		return false
	}
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}
