package telegram

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot/internal/channel"
)

// Finer kinds of Bot API refusal. Each is returned wrapped in an *APIError
// together with the channel error the dispatcher acts on, so
// errors.Is(err, channel.ErrBlocked) and errors.Is(err, ErrDeactivated) can
// both hold.
var (
	// ErrDeactivated: the user deleted their Telegram account (403 "user is
	// deactivated"). It also matches channel.ErrBlocked.
	ErrDeactivated = errors.New("user is deactivated")

	// ErrNotStarted: the user never pressed Start, so the bot may not write
	// first (403 "bot can't initiate conversation with a user"). It also
	// matches channel.ErrBlocked: nothing gets through until the user writes.
	ErrNotStarted = errors.New("user has not started the bot")

	// ErrChatNotFound: the chat id is unknown to Telegram (400 "chat not
	// found"), usually a wrong stored id. It also matches channel.ErrBadRequest.
	ErrChatNotFound = errors.New("chat not found")

	// ErrParseEntities: Telegram could not parse the HTML or MarkdownV2
	// markup. It also matches channel.ErrBadRequest.
	ErrParseEntities = errors.New("cannot parse entities")

	// ErrConflict: another getUpdates call or a webhook holds the token (409).
	ErrConflict = errors.New("polling conflict")

	// ErrUnauthorized: the token is wrong or was revoked (401).
	ErrUnauthorized = errors.New("bot token rejected")

	// errNotModified: an edit with the same content; callers see nil.
	errNotModified = errors.New("message is not modified")
)

// APIError is a refusal from the Bot API: {"ok":false,"error_code":N,...}.
// It unwraps to the error kinds it matches: channel.ErrBlocked,
// channel.ErrBadRequest, *channel.RateLimitError, *channel.ChatMigratedError
// and the finer kinds of this package. A server error (5xx) matches none of
// them and may be retried.
type APIError struct {
	Method      string
	Code        int
	Description string

	// RetryAfter and MigrateToChatID come from the reply's parameters.
	RetryAfter      time.Duration
	MigrateToChatID int64

	kinds []error
}

func (e *APIError) Error() string {
	return fmt.Sprintf("telegram %s: %d %s", e.Method, e.Code, e.Description)
}

// Unwrap returns the kinds the error matches.
func (e *APIError) Unwrap() []error { return e.kinds }

// reply is the envelope of every Bot API answer.
type reply struct {
	OK          bool            `json:"ok"`
	Result      jsonRaw         `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  *replyParameter `json:"parameters"`
}

type replyParameter struct {
	RetryAfter      int   `json:"retry_after"`
	MigrateToChatID int64 `json:"migrate_to_chat_id"`
}

var retryAfterText = regexp.MustCompile(`retry after (\d+)`)

// newAPIError classifies a refusal by its code and description.
func newAPIError(method string, httpStatus int, r reply) *APIError {
	e := &APIError{Method: method, Code: r.ErrorCode, Description: r.Description}
	if e.Code == 0 {
		e.Code = httpStatus
	}
	if p := r.Parameters; p != nil {
		e.RetryAfter = time.Duration(p.RetryAfter) * time.Second
		e.MigrateToChatID = p.MigrateToChatID
	}

	desc := strings.ToLower(e.Description)
	switch {
	case e.Code == 429:
		if e.RetryAfter <= 0 {
			e.RetryAfter = time.Second
			if m := retryAfterText.FindStringSubmatch(desc); m != nil {
				if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
					e.RetryAfter = time.Duration(n) * time.Second
				}
			}
		}
		e.kinds = []error{&channel.RateLimitError{RetryAfter: e.RetryAfter}}
	case e.Code == 401:
		e.kinds = []error{ErrUnauthorized}
	case e.Code == 409:
		e.kinds = []error{ErrConflict}
	case e.MigrateToChatID != 0:
		newID := strconv.FormatInt(e.MigrateToChatID, 10)
		e.kinds = []error{&channel.ChatMigratedError{NewChatID: newID}}
	case strings.Contains(desc, "user is deactivated"):
		e.kinds = []error{channel.ErrBlocked, ErrDeactivated}
	case strings.Contains(desc, "can't initiate conversation"):
		e.kinds = []error{channel.ErrBlocked, ErrNotStarted}
	case strings.Contains(desc, "user_is_blocked"), e.Code == 403:
		// 403 covers "bot was blocked by the user", "bot was kicked from
		// the group chat" and the like: nothing more will get through.
		e.kinds = []error{channel.ErrBlocked}
	case strings.Contains(desc, "message is not modified"):
		e.kinds = []error{errNotModified}
	case strings.Contains(desc, "chat not found"):
		e.kinds = []error{channel.ErrBadRequest, ErrChatNotFound}
	case strings.Contains(desc, "can't parse entities"):
		e.kinds = []error{channel.ErrBadRequest, ErrParseEntities}
	case e.Code >= 400 && e.Code < 500:
		e.kinds = []error{channel.ErrBadRequest}
	}
	return e
}

// redactedError hides the bot token that *url.Error carries in its URL.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact returns err with every occurrence of token removed. The result
// unwraps to the cause behind a *url.Error, so context errors still match.
func redact(err error, token string) error {
	if err == nil {
		return nil
	}
	inner := err
	var ue *url.Error
	if errors.As(err, &ue) {
		inner = ue.Err
	}
	msg := err.Error()
	if token != "" {
		msg = strings.ReplaceAll(msg, token, "<token>")
	}
	return &redactedError{msg: msg, err: inner}
}
