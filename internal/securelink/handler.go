package securelink

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/ratelimit"
	"github.com/staffbot/staffbot/internal/store"
)

// The audit log's names for secure links: each visit is a "secure_link.open"
// record whose after names the outcome; a new link is "secure_link.create".
const (
	AuditObject = "secure_link"
	AuditOpen   = "secure_link.open"
	AuditCreate = "secure_link.create"
)

// Outcomes of a visit, as recorded in securelink_opens and the audit log.
const (
	outcomePage        = "page"         // the page was shown
	outcomeDownload    = "download"     // the file was served; one open spent
	outcomeCodeSent    = "code_sent"    // a one-time code went to the chat
	outcomeCodeWrong   = "code_wrong"   // a wrong code was typed
	outcomeCodeStale   = "code_stale"   // a code was typed with none in force
	outcomeCodeRefused = "code_refused" // no more codes may be sent
	outcomeLocked      = "locked"       // the wrong code that locked the link
	outcomeRefused     = "refused_"     // + the state of a link that no longer works
)

const maxFormBytes = 4 << 10

const contentSecurityPolicy = "default-src 'none'; style-src %s; img-src 'self' data:; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// headers adds the security headers every response carries. No referrer
// leaves the page: its URL holds the token.
func (s *Service) headers(h http.HandlerFunc) http.Handler {
	csp := fmt.Sprintf(contentSecurityPolicy, s.style)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Robots-Tag", "noindex, nofollow")
		h(w, r)
	})
}

// pageLang is the page's language: English when asked for, Russian
// otherwise.
func pageLang(r *http.Request) locale.Lang {
	v := r.URL.Query().Get("lang")
	if r.Method == http.MethodPost {
		v = r.PostFormValue("lang")
	}
	if v == string(locale.EN) {
		return locale.EN
	}
	return locale.RU
}

// allow spends a token of the client's bucket, answering 429 when none
// is left.
func (s *Service) allow(w http.ResponseWriter, r *http.Request, l *ratelimit.Limiter, lang locale.Lang) bool {
	ok, wait := l.Allow(limitKey(r), s.now())
	if ok {
		return true
	}
	w.Header().Set("Retry-After", strconv.Itoa(max(int(math.Ceil(wait.Seconds())), 1)))
	s.render(w, r, messageView(lang, http.StatusTooManyRequests, "toomany"))
	return false
}

// lookup finds the link of a token. A token of the wrong shape, unknown,
// or of a link whose row is gone is ErrNotFound alike.
func (s *Service) lookup(ctx context.Context, token string) (staffbot.CompanyID, string, error) {
	if !validTokenShape(token) {
		return 0, "", fmt.Errorf("token shape: %w", staffbot.ErrNotFound)
	}
	hash := hashToken(token)
	companyID, err := s.Store.FindSecureLinkCompany(ctx, hash)
	return companyID, hash, err
}

// refusal names the final state a link is in or has reached by now, or ""
// while it works.
func refusal(l *store.SecureLink, now time.Time) store.SecureLinkState {
	switch {
	case l.State != store.SecureLinkActive:
		return l.State
	case !now.Before(l.ExpiresAt):
		return store.SecureLinkExpired
	case l.Opens >= l.MaxOpens:
		return store.SecureLinkUsed
	}
	return ""
}

// visit is one request's work on a link inside a transaction: it loads
// and locks the link, closes it when its time or opens have run out,
// records the visit and leaves behind what to show and which file to
// delete once the transaction commits.
type visit struct {
	s      *Service
	tx     *store.Tx
	link   *store.SecureLink
	lang   locale.Lang
	client string
	now    time.Time

	gone       store.SecureLinkState // set when the link no longer works
	deleteFile string
}

func (s *Service) inVisit(ctx context.Context, r *http.Request, lang locale.Lang, companyID staffbot.CompanyID, hash string, fn func(v *visit) error) (*visit, error) {
	client, now := clientNetwork(r), s.now()
	v := &visit{}
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		*v = visit{s: s, tx: tx, lang: lang, client: client, now: now}
		l, err := tx.FindSecureLinkForUpdate(ctx, companyID, hash)
		if err != nil {
			return err
		}
		v.link = l
		if state := refusal(l, v.now); state != "" {
			return v.close(ctx, state, outcomeRefused+string(state))
		}
		return fn(v)
	})
	if err != nil {
		return nil, err
	}
	if v.deleteFile != "" {
		s.removeFile(ctx, v.deleteFile)
	}
	if v.gone != "" {
		s.Logger.InfoContext(ctx, "Secure link refused",
			slog.Int64("company_id", int64(v.link.CompanyID)), slog.Int64("link_id", v.link.ID),
			slog.String("state", string(v.gone)))
	}
	return v, nil
}

// close ends the link in state, unless it has ended already, and records
// the visit with outcome.
func (v *visit) close(ctx context.Context, state store.SecureLinkState, outcome string) error {
	v.gone = state
	if v.link.State == store.SecureLinkActive {
		if _, err := v.tx.CloseSecureLink(ctx, v.link.CompanyID, v.link.ID, state, v.now); err != nil {
			return err
		}
		v.deleteFile = v.link.StorageName
		v.link.State = state
	}
	return v.record(ctx, outcome)
}

// record writes the visit to the link's own list of visits and to the
// company's hash-chained audit log, in the visit's transaction.
func (v *visit) record(ctx context.Context, outcome string) error {
	l := v.link
	if err := v.tx.RecordSecureLinkOpen(ctx, l.CompanyID, l.ID, outcome, v.client, v.now); err != nil {
		return err
	}
	return audit.Record(ctx, v.tx, staffbot.AuditRecord{
		CompanyID: l.CompanyID, At: v.now,
		// Whoever holds the link; the record keeps their network only.
		Actor:      staffbot.Actor{Kind: auth.ActorAnonymous, IP: v.client},
		Action:     AuditOpen,
		ObjectType: AuditObject, ObjectID: strconv.FormatInt(l.ID, 10),
		SubjectID: &l.EmployeeID,
		After:     audit.JSON(map[string]any{"outcome": outcome, "opens": l.Opens, "max_opens": l.MaxOpens}),
	})
}

// handlePage shows the link: the file and a download button, or the form
// for the one-time code, or why the link no longer works. Viewing spends no
// open, so a messenger's link preview costs the employee nothing.
func (s *Service) handlePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := pageLang(r)
	if !s.allow(w, r, s.pageLimit, lang) {
		return
	}
	companyID, hash, err := s.lookup(ctx, r.PathValue("token"))
	if err != nil {
		s.fail(w, r, lang, err)
		return
	}
	v, err := s.inVisit(ctx, r, lang, companyID, hash, func(v *visit) error { return v.record(ctx, outcomePage) })
	if err != nil {
		s.fail(w, r, lang, err)
		return
	}
	if v.gone != "" {
		s.render(w, r, goneView(lang, string(v.gone)))
		return
	}
	notice := ""
	if r.URL.Query().Get("sent") == "1" {
		notice = tr(lang, "code.sent")
	}
	s.render(w, r, s.linkView(ctx, w, r, lang, v.link, notice, false))
}

// linkView is the page of a working link.
func (s *Service) linkView(ctx context.Context, w http.ResponseWriter, r *http.Request, lang locale.Lang, l *store.SecureLink, notice string, alert bool) view {
	loc := time.UTC
	if co, err := s.Store.FindCompanyByID(ctx, l.CompanyID); err == nil {
		loc = co.Location()
	}
	base := PathPrefix + r.PathValue("token")
	vw := view{
		Lang:       lang,
		Notice:     notice,
		Alert:      alert,
		Until:      tr(lang, "doc.until", localTime(l.ExpiresAt, loc)),
		OpensLeft:  tr(lang, "doc.left", l.MaxOpens-l.Opens),
		Action:     base,
		CodeAction: base + "/code",
		CSRF:       s.csrfToken(w, r),
		Personal:   tr(lang, "doc.personal"),
	}
	if !l.RequireCode {
		vw.Title = tr(lang, "doc.title")
		vw.Text = tr(lang, "doc.ready")
		vw.FileName = l.FileName
		vw.Size = humanSize(lang, l.Size)
		vw.ShowDownload = true
		return vw
	}

	// Before the code, the page tells nothing about the file.
	vw.Title = tr(lang, "code.title")
	vw.Text = tr(lang, "code.intro")
	codeLive := l.CodeHash != "" && l.CodeExpiresAt != nil && s.now().Before(*l.CodeExpiresAt)
	vw.ShowCodeInput = codeLive
	if codeLive {
		vw.Text = tr(lang, "code.enter")
	}
	vw.ShowSendCode = l.CodesSent < MaxCodesSent
	vw.SendCodeLabel = tr(lang, "code.send")
	if codeLive || l.CodesSent > 0 {
		vw.SendCodeLabel = tr(lang, "code.resend")
	}
	return vw
}

// handleSendCode sends a new one-time code to the employee's chat and
// brings the visitor back to the page, now with the code field.
func (s *Service) handleSendCode(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	lang := pageLang(r)
	if !s.allow(w, r, s.formLimit, lang) {
		return
	}
	if !s.checkForm(r) {
		s.render(w, r, messageView(lang, http.StatusForbidden, "stale"))
		return
	}
	companyID, hash, err := s.lookup(ctx, r.PathValue("token"))
	if err != nil {
		s.fail(w, r, lang, err)
		return
	}

	var notice string
	v, err := s.inVisit(ctx, r, lang, companyID, hash, func(v *visit) error {
		l := v.link
		switch {
		case !l.RequireCode:
			return nil
		case l.CodesSent >= MaxCodesSent:
			notice = "code.limit"
			return v.record(ctx, outcomeCodeRefused)
		case l.CodeHash != "" && l.CodeSentAt != nil && v.now.Sub(*l.CodeSentAt) < CodeResendAfter:
			notice = "code.wait"
			return nil
		}

		code := newCode()
		expires := v.now.Add(CodeTTL)
		sent := v.now
		l.CodeHash = hashCode(l.FileKey, l.ID, code)
		l.CodeExpiresAt, l.CodeSentAt = &expires, &sent
		l.CodesSent++
		if err := v.tx.UpdateSecureLinkUse(ctx, l); err != nil {
			return err
		}
		if err := s.notify(ctx, v.tx, l.CompanyID, l.EmployeeID, CodeMessage(lang, code)); err != nil {
			return fmt.Errorf("send code: %w", err)
		}
		return v.record(ctx, outcomeCodeSent)
	})
	switch {
	case errors.Is(err, ErrUnreachable):
		s.Logger.WarnContext(ctx, "Secure link code not sent", slog.Int64("company_id", int64(companyID)),
			slog.String("error", err.Error()))
		s.renderCodePage(ctx, w, r, lang, companyID, hash, "code.unreachable")
		return
	case err != nil:
		s.fail(w, r, lang, err)
		return
	case v.gone != "":
		s.render(w, r, goneView(lang, string(v.gone)))
		return
	case notice != "":
		s.render(w, r, s.linkView(ctx, w, r, lang, v.link, tr(lang, notice), true))
		return
	}

	q := url.Values{"lang": {string(lang)}}
	if v.link.RequireCode {
		q.Set("sent", "1")
	}
	http.Redirect(w, r, PathPrefix+r.PathValue("token")+"?"+q.Encode(), http.StatusSeeOther)
}

// renderCodePage shows the link's page with a refusal notice, reading the
// link again because the transaction that would have changed it rolled
// back.
func (s *Service) renderCodePage(ctx context.Context, w http.ResponseWriter, r *http.Request, lang locale.Lang, companyID staffbot.CompanyID, hash, notice string) {
	l, err := s.Store.FindSecureLink(ctx, companyID, hash)
	if err != nil {
		s.fail(w, r, lang, err)
		return
	}
	vw := s.linkView(ctx, w, r, lang, l, tr(lang, notice), true)
	vw.Status = http.StatusServiceUnavailable
	s.render(w, r, vw)
}

// handleDownload serves the file: after the one-time code when the link
// asks for one. Each download spends an open; the last one closes the
// link and deletes the file before the bytes go out.
func (s *Service) handleDownload(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	lang := pageLang(r)
	if !s.allow(w, r, s.formLimit, lang) {
		return
	}
	if !s.checkForm(r) {
		s.render(w, r, messageView(lang, http.StatusForbidden, "stale"))
		return
	}
	companyID, hash, err := s.lookup(ctx, r.PathValue("token"))
	if err != nil {
		s.fail(w, r, lang, err)
		return
	}

	var (
		data   []byte
		notice string
	)
	typed := r.PostFormValue("code")
	v, err := s.inVisit(ctx, r, lang, companyID, hash, func(v *visit) error {
		l := v.link
		if l.RequireCode {
			var err error
			if notice, err = v.checkCode(ctx, typed); err != nil || notice != "" || v.gone != "" {
				return err
			}
		}

		file, err := s.readFile(l.StorageName, l.FileKey)
		if errors.Is(err, fs.ErrNotExist) {
			// The file was lost from disk; the link can never work again.
			s.Logger.ErrorContext(ctx, "Secure link file missing",
				slog.Int64("company_id", int64(l.CompanyID)), slog.Int64("link_id", l.ID))
			return v.close(ctx, store.SecureLinkExpired, outcomeRefused+"missing")
		}
		if err != nil {
			return fmt.Errorf("read file of secure link %d: %w", l.ID, err)
		}
		data = file

		l.Opens++
		if err := v.tx.UpdateSecureLinkUse(ctx, l); err != nil {
			return err
		}
		if err := v.record(ctx, outcomeDownload); err != nil {
			return err
		}
		if l.Opens >= l.MaxOpens {
			if _, err := v.tx.CloseSecureLink(ctx, l.CompanyID, l.ID, store.SecureLinkUsed, v.now); err != nil {
				return err
			}
			v.deleteFile = l.StorageName
		}
		return nil
	})
	switch {
	case err != nil:
		s.fail(w, r, lang, err)
		return
	case v.gone != "":
		s.render(w, r, goneView(lang, string(v.gone)))
		return
	case notice != "":
		vw := s.linkView(ctx, w, r, lang, v.link, notice, true)
		vw.Status = http.StatusForbidden
		s.render(w, r, vw)
		return
	}

	s.Logger.InfoContext(ctx, "Secure link downloaded",
		slog.Int64("company_id", int64(v.link.CompanyID)), slog.Int64("link_id", v.link.ID),
		slog.Int("opens", v.link.Opens), slog.Int("max_opens", v.link.MaxOpens))
	serveFile(w, v.link.FileName, v.link.ContentType, data)
}

// checkCode checks the typed code and uses it up. It returns the notice
// to show when the code is refused, and locks the link on the last wrong
// code allowed.
func (v *visit) checkCode(ctx context.Context, typed string) (string, error) {
	l := v.link
	code := codeFromInput(typed)
	live := l.CodeHash != "" && l.CodeExpiresAt != nil && v.now.Before(*l.CodeExpiresAt)
	switch {
	case !live:
		return tr(v.lang, "code.stale"), v.record(ctx, outcomeCodeStale)
	case code == "":
		return tr(v.lang, "code.shape"), nil
	case !codeMatches(l.FileKey, l.ID, code, l.CodeHash):
		l.CodeFailures++
		if l.CodeFailures >= MaxCodeFailures {
			v.s.Logger.WarnContext(ctx, "Secure link locked by wrong codes",
				slog.Int64("company_id", int64(l.CompanyID)), slog.Int64("link_id", l.ID))
			return "", v.close(ctx, store.SecureLinkLocked, outcomeLocked)
		}
		if err := v.tx.UpdateSecureLinkUse(ctx, l); err != nil {
			return "", err
		}
		return tr(v.lang, "code.wrong", MaxCodeFailures-l.CodeFailures), v.record(ctx, outcomeCodeWrong)
	}
	// One code, one download.
	l.CodeHash, l.CodeExpiresAt = "", nil
	return "", nil
}

// serveFile sends the file as an attachment under its own name, Cyrillic
// included, with a plain ASCII name for clients that know no better.
func serveFile(w http.ResponseWriter, name, contentType string, data []byte) {
	hd := w.Header()
	hd.Set("Content-Type", contentType)
	hd.Set("Content-Disposition", contentDisposition(name))
	hd.Set("Content-Length", strconv.Itoa(len(data)))
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	w.Write(data)
}

// fail answers a request that could not be served: 404 for an unknown
// link, 500 for anything else, which is logged.
func (s *Service) fail(w http.ResponseWriter, r *http.Request, lang locale.Lang, err error) {
	if errors.Is(err, staffbot.ErrNotFound) {
		s.render(w, r, goneView(lang, "notfound"))
		return
	}
	s.Logger.ErrorContext(r.Context(), "Secure link request failed", slog.String("error", err.Error()))
	s.render(w, r, messageView(lang, http.StatusInternalServerError, "error"))
}

// csrfToken returns the browser's form token, setting the cookie that
// carries it when the request came without one. The forms echo it back; a
// page on another site can neither read the cookie nor, with SameSite,
// make the browser send it.
func (s *Service) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(s.cookieName()); err == nil && validTokenShape(c.Value) {
		return c.Value
	}
	token, _ := newToken()
	http.SetCookie(w, &http.Cookie{
		Name:     s.cookieName(),
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		Secure:   s.SecureCookies,
		SameSite: http.SameSiteStrictMode,
	})
	return token
}

func (s *Service) cookieName() string {
	if s.SecureCookies {
		return "__Host-staffbot_link"
	}
	return "staffbot_link"
}

// checkForm accepts a form only from this site, carrying the cookie's
// token.
func (s *Service) checkForm(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	// With Referrer-Policy no-referrer, Chromium sends "Origin: null" on
	// the page's own forms; Sec-Fetch-Site and the cookie still hold.
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	c, err := r.Cookie(s.cookieName())
	if err != nil || !validTokenShape(c.Value) {
		return false
	}
	form := r.PostFormValue("csrf")
	return subtle.ConstantTimeCompare([]byte(form), []byte(c.Value)) == 1
}

// contentDisposition writes an attachment header with both the RFC 6266
// UTF-8 name and an ASCII fallback.
func contentDisposition(name string) string {
	return `attachment; filename="` + asciiName(name) + `"; filename*=UTF-8''` + encodeRFC5987(name)
}

func encodeRFC5987(s string) string {
	const attrChars = "!#$&+-.^_`|~"
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte(attrChars, c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
