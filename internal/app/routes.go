package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel/telegram"
	"github.com/staffbot/staffbot/internal/securelink"
)

func (a *App) routes() http.Handler {
	mux := http.NewServeMux()

	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := a.Store.Ping(ctx); err != nil {
			a.logger.WarnContext(ctx, "Database not ready", slog.String("error", err.Error()))
			http.Error(w, "database unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.metrics.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /consent", a.consentPage)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/chat", http.StatusSeeOther)
	})

	hook := telegram.NewWebhookHandler(a.companyBySlug, a.handleIncoming, a.logger)
	hook.Limit = a.Config.WebhookLimit()
	if hook.Limit == 0 {
		hook.Limit = -1 // turned off
	}
	mux.Handle("POST /telegram/webhook/{slug}", hook)

	a.webchat.Register(mux)
	a.registerCabinet(mux)
	a.registerSecureLinks(mux)
	// Behind trusted proxies RemoteAddr becomes the real client before
	// anything reads it: rate limits, sign-in throttling, the audit log.
	return a.Config.Proxies().Middleware(a.guardConn(a.logRequests(mux)))
}

var consentTmpl = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Согласие на обработку персональных данных</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#1d2430}</style>
</head><body>
<h1>Согласие на обработку персональных данных</h1>
<p>Версия текста: {{.Version}}</p>
<p>Я, действуя свободно, своей волей и в своём интересе, даю согласие работодателю — компании, пригласившей меня в этот бот, —
на обработку моих персональных данных: фамилии, имени, отчества, табельного номера, должности, подразделения, места работы,
рабочего и мобильного телефона, адреса электронной почты, дат приёма и увольнения, идентификатора в мессенджере.</p>
<p>Цель обработки: адаптация новых сотрудников, информирование, ответы на вопросы и оказание кадровых услуг через чат-бот.
Действия с данными: сбор, запись, систематизация, накопление, хранение, уточнение, использование, обезличивание, блокирование,
удаление, уничтожение. Сведения о заработной плате, отпусках, больничных и справках в боте не хранятся.</p>
<p>Согласие действует до достижения целей обработки или до его отзыва. Отозвать согласие можно, написав в HR-службу работодателя;
после отзыва бот перестаёт обрабатывать данные, кроме случаев, предусмотренных законом (152-ФЗ «О персональных данных»).</p>
<hr><p lang="en"><strong>English summary.</strong> You consent to your employer processing your name, personnel number, position,
department, office, phone, e-mail, hire and dismissal dates and messenger id for onboarding, information and HR services through
this bot. Pay, leave, sick leave and certificates are not stored here. You may withdraw consent by writing to HR.</p>
</body></html>`))

func (a *App) consentPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	consentTmpl.Execute(w, struct{ Version string }{staffbot.ConsentTextVersion})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logRequests writes one line per request when it ends: the path without
// its query, the status and the time taken. Invite codes travel in paths
// (/join/CODE), so those paths are cut short.
func (a *App) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		b := make([]byte, 8)
		rand.Read(b)
		reqID := hex.EncodeToString(b)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}

		next.ServeHTTP(rec, r)

		path := r.URL.Path
		if len(path) > 6 && path[:6] == "/join/" {
			path = "/join/…"
		}
		path = securelink.RedactPath(path)
		level := slog.LevelDebug
		switch {
		case rec.status >= 500:
			level = slog.LevelError
		case rec.status == http.StatusForbidden:
			level = slog.LevelWarn
		case rec.status >= 400:
			level = slog.LevelInfo
		}
		a.logger.Log(r.Context(), level, "Request",
			slog.String("method", r.Method), slog.String("path", path), slog.Int("status", rec.status),
			slog.Duration("duration", time.Since(start)), slog.String("request_id", reqID))
	})
}
