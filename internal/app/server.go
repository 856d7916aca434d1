package app

import (
	"cmp"
	"context"
	"io"
	"net"
	"net/http"
	"time"
)

// ServerLimits bound what one connection may cost the server. Zero fields
// take the defaults (DefaultServerLimits).
type ServerLimits struct {
	// ReadHeaderTimeout is how long a client has to send a request's
	// headers.
	ReadHeaderTimeout time.Duration

	// ReadTimeout is how long a client has to send a whole request, body
	// included. A body may take longer only while it keeps coming at
	// BodyRate bytes a second on average, so that a large staff file
	// uploads over a slow line while a client trickling a few bytes is
	// cut off. Once the body is read the deadline no longer applies:
	// long-polls and event streams wait as long as they need.
	ReadTimeout time.Duration
	BodyRate    int64

	// WriteTimeout bounds each write to the client, not the whole
	// response: a page that waits for news (the web chat's long-poll, the
	// cabinet's event streams) may stay open for minutes, but a client
	// that stops reading is dropped after WriteTimeout.
	WriteTimeout time.Duration

	// IdleTimeout closes a kept-alive connection that sends nothing.
	IdleTimeout time.Duration

	// MaxHeaderBytes bounds the request line and headers.
	MaxHeaderBytes int

	// MaxBody bounds every request body; routes set tighter limits of
	// their own (forms, JSON, webhooks). It only has to admit the largest
	// upload, a staff file.
	MaxBody int64
}

// DefaultServerLimits are the limits of a server whose Options leave them
// zero.
var DefaultServerLimits = ServerLimits{
	ReadHeaderTimeout: 10 * time.Second,
	ReadTimeout:       60 * time.Second,
	BodyRate:          128 << 10,
	WriteTimeout:      30 * time.Second,
	IdleTimeout:       2 * time.Minute,
	MaxHeaderBytes:    64 << 10,
	MaxBody:           66 << 20,
}

func (l ServerLimits) withDefaults() ServerLimits {
	d := DefaultServerLimits
	l.ReadHeaderTimeout = cmp.Or(l.ReadHeaderTimeout, d.ReadHeaderTimeout)
	l.ReadTimeout = cmp.Or(l.ReadTimeout, d.ReadTimeout)
	l.BodyRate = cmp.Or(l.BodyRate, d.BodyRate)
	l.WriteTimeout = cmp.Or(l.WriteTimeout, d.WriteTimeout)
	l.IdleTimeout = cmp.Or(l.IdleTimeout, d.IdleTimeout)
	l.MaxHeaderBytes = cmp.Or(l.MaxHeaderBytes, d.MaxHeaderBytes)
	l.MaxBody = cmp.Or(l.MaxBody, d.MaxBody)
	return l
}

// newServer returns the HTTP server of Run.
func (a *App) newServer(ctx context.Context) *http.Server {
	l := a.limits
	return &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
}

// guardConn puts the per-request limits of ServerLimits on every request:
// the body's pace and size, and a deadline on each write. It must be the
// outermost handler but for the proxy middleware, so that it sees the
// server's own ResponseWriter.
func (a *App) guardConn(next http.Handler) http.Handler {
	l := a.limits
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &pacedBody{ReadCloser: r.Body, rc: rc, start: time.Now(), grace: l.ReadTimeout, rate: l.BodyRate}
			r.Body = http.MaxBytesReader(w, r.Body, l.MaxBody)
		}
		dw := &deadlineWriter{ResponseWriter: w, rc: rc, timeout: l.WriteTimeout}
		next.ServeHTTP(dw, r)
		// The server flushes what is left after the handler returns.
		dw.arm()
	})
}

// pacedBody moves the connection's read deadline as the body arrives: the
// body must be in by grace after the request started, plus a second for
// every rate bytes received.
type pacedBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	start time.Time
	grace time.Duration
	rate  int64
	read  int64
	done  bool
}

func (b *pacedBody) Read(p []byte) (int, error) {
	if b.done {
		// Past the end of the body the server reads the connection in
		// the background with no deadline; setting one again would end
		// the request when it passed.
		return b.ReadCloser.Read(p)
	}
	b.rc.SetReadDeadline(b.start.Add(b.grace + time.Duration(b.read*int64(time.Second)/b.rate)))
	n, err := b.ReadCloser.Read(p)
	b.read += int64(n)
	if err != nil {
		b.done = true
	}
	return n, err
}

// deadlineWriter gives each write to the client timeout to go through.
// Between writes a handler may wait as long as it likes.
type deadlineWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

func (w *deadlineWriter) arm() { w.rc.SetWriteDeadline(time.Now().Add(w.timeout)) }

func (w *deadlineWriter) WriteHeader(code int) {
	w.arm()
	w.ResponseWriter.WriteHeader(code)
}

func (w *deadlineWriter) Write(b []byte) (int, error) {
	w.arm()
	return w.ResponseWriter.Write(b)
}

// Flush sends what is buffered; event streams call it after each event.
func (w *deadlineWriter) Flush() {
	w.arm()
	w.rc.Flush()
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
