package hris

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// Error is a connector failure with what HR needs to fix it: the step, the
// kind, the HTTP status and the system's error code. The system's own
// message text is left out on purpose, since 1C and SAP messages may quote
// the employee's name.
type Error struct {
	Kind   error  // one of the Err… kinds of this package
	Op     string // the step, such as "list Catalog_Сотрудники"
	Status int    // HTTP status, 0 when there was no answer
	Code   string // the system's error code, when it sent one
	Cause  string // transport cause without the URL: "timeout", "connection refused"
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	b.WriteString(e.Kind.Error())
	var details []string
	if e.Status != 0 {
		details = append(details, fmt.Sprintf("HTTP %d", e.Status))
	}
	if e.Code != "" {
		details = append(details, "code "+e.Code)
	}
	if e.Cause != "" {
		details = append(details, e.Cause)
	}
	if len(details) > 0 {
		b.WriteString(" (" + strings.Join(details, ", ") + ")")
	}
	return b.String()
}

// Unwrap returns the kind, so errors.Is(err, ErrUnavailable) works.
func (e *Error) Unwrap() error { return e.Kind }

// KindName returns a short stable name for err's kind, for storing and
// counting: "unavailable", "not_published", "auth", "not_found",
// "unsupported", "protocol", or "other".
func KindName(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrUnavailable):
		return "unavailable"
	case errors.Is(err, ErrNotPublished):
		return "not_published"
	case errors.Is(err, ErrAuth):
		return "auth"
	case errors.Is(err, ErrNotFound):
		return "not_found"
	case errors.Is(err, ErrUnsupported):
		return "unsupported"
	case errors.Is(err, ErrProtocol):
		return "protocol"
	case errors.Is(err, ErrTooManyMissing):
		return "too_many_missing"
	}
	return "other"
}

// Retryable reports whether trying again later may succeed without anyone
// changing settings: timeouts and 5xx.
func Retryable(err error) bool { return errors.Is(err, ErrUnavailable) }

// StatusError classifies an HTTP error status: 401 and 403 are ErrAuth,
// 404 is ErrNotPublished (callers that asked for one record turn it into
// ErrNotFound), 408, 429 and 5xx are ErrUnavailable, anything else means
// the request was not understood (ErrProtocol).
func StatusError(op string, status int, code string) *Error {
	e := &Error{Op: op, Status: status, Code: code}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e.Kind = ErrAuth
	case status == http.StatusNotFound:
		e.Kind = ErrNotPublished
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500:
		e.Kind = ErrUnavailable
	default:
		e.Kind = ErrProtocol
	}
	return e
}

// ProtocolError reports an answer that could not be read.
func ProtocolError(op, what string) *Error {
	return &Error{Kind: ErrProtocol, Op: op, Cause: what}
}

// Credentials authenticate requests: HTTP Basic with User and Password, or
// a bearer Token.
type Credentials struct {
	User     string
	Password string
	Token    string

	// Charset encodes a Basic user name and password: "utf-8" (the
	// default) or "windows-1251", which some 1C publications expect for
	// Cyrillic logins. An ASCII service login avoids the question.
	Charset string
}

// Apply sets the Authorization header.
func (c Credentials) Apply(req *http.Request) error {
	switch {
	case c.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.Token)
	case c.User != "":
		h, err := c.basic()
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", h)
	}
	return nil
}

func (c Credentials) basic() (string, error) {
	raw := c.User + ":" + c.Password
	switch strings.ToLower(c.Charset) {
	case "", "utf-8", "utf8":
	case "windows-1251", "cp1251":
		enc, err := charmap.Windows1251.NewEncoder().String(raw)
		if err != nil {
			return "", fmt.Errorf("encode login as windows-1251: %w", ErrProtocol)
		}
		raw = enc
	default:
		return "", fmt.Errorf("login charset %q: use utf-8 or windows-1251: %w", c.Charset, ErrProtocol)
	}
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(raw)), nil
}

// Response is an HTTP answer read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// MaxBody caps what one answer may weigh: a page of a staff list or a
// certificate PDF in base64.
const MaxBody = 64 << 20

// Do sends req with credentials and reads the whole answer. Transport
// failures (timeouts, refused connections) come back as ErrUnavailable
// with the URL left out, since query strings may hold personnel numbers.
// The status is not checked.
func Do(ctx context.Context, hc *http.Client, req *http.Request, cred Credentials, op string) (*Response, error) {
	if err := cred.Apply(req); err != nil {
		return nil, err
	}
	resp, err := hc.Do(req.WithContext(ctx))
	if err != nil {
		return nil, transportError(ctx, op, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return nil, transportError(ctx, op, err)
	}
	if len(body) > MaxBody {
		return nil, ProtocolError(op, fmt.Sprintf("answer larger than %d MB", MaxBody>>20))
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

func transportError(ctx context.Context, op string, err error) error {
	e := &Error{Kind: ErrUnavailable, Op: op}
	var ne net.Error
	var ue *url.Error
	switch {
	case ctx.Err() != nil:
		e.Cause = ctx.Err().Error()
	case errors.As(err, &ne) && ne.Timeout():
		e.Cause = "timeout"
	case errors.As(err, &ue):
		e.Cause = ue.Err.Error()
	default:
		e.Cause = err.Error()
	}
	return e
}

// SameOrigin reports whether next has the scheme and host of base. A
// paging link to another host is not followed, so credentials never leave
// for a server the company did not configure.
func SameOrigin(base, next *url.URL) bool {
	return strings.EqualFold(base.Scheme, next.Scheme) && strings.EqualFold(base.Host, next.Host)
}

// EscapePath percent-encodes one segment of an OData URL path: non-ASCII
// names as UTF-8 bytes, once; the punctuation of a key such as
// (guid'…') stays as it is.
func EscapePath(s string) string { return escape(s, "-_.~'()$,:=@!*+;&") }

// EscapeQuery percent-encodes a query option value, keeping OData's
// punctuation readable; '&', '=', '+', '#' and spaces are encoded (a space
// as %20, never +).
func EscapeQuery(s string) string { return escape(s, "-_.~'()$,:@!*/;") }

// EncodeQuery writes options in the order given, keys as they are (so $
// stays literal) and values through EscapeQuery.
func EncodeQuery(kv ...string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, kv[i]+"="+EscapeQuery(kv[i+1]))
	}
	return strings.Join(parts, "&")
}

func escape(s, keep string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) * 2)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
