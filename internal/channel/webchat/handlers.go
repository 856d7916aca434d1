package webchat

import (
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/store"
)

// handleJoinLink shows the page of a web invite link, /join/{code}: a
// button that posts the code back. Opening the link redeems nothing, so a
// messenger's link preview, a mail scanner or a HEAD probe cannot use up
// the single-use invite before the employee, whatever it calls itself. An
// unknown code gets the page for strangers at once.
func (s *Server) handleJoinLink(w http.ResponseWriter, r *http.Request) {
	if !s.allow(w, r, s.joinLimit) {
		return
	}
	code := r.PathValue("code")
	if _, err := s.inviteCompany(r, code); err != nil {
		s.joinFailed(w, r, err, pageStranger)
		return
	}
	s.renderPage(w, http.StatusOK, page{State: pageConfirm, Code: code})
}

// handleJoinConfirm redeems the code of an invite link when its page's
// button is pressed. Only a form from this site counts: a page elsewhere
// cannot sign a browser in to someone's invite.
func (s *Server) handleJoinConfirm(w http.ResponseWriter, r *http.Request) {
	if !s.allow(w, r, s.joinLimit) {
		return
	}
	if !sameOrigin(r) {
		s.Logger.WarnContext(r.Context(), "Cross-site web chat join refused")
		http.Error(w, "Forbidden", http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	s.join(w, r, r.PathValue("code"), pageStranger)
}

// handleJoinForm takes a code pasted into the form of /chat.
func (s *Server) handleJoinForm(w http.ResponseWriter, r *http.Request) {
	if !s.allow(w, r, s.joinLimit) {
		return
	}
	if !sameOrigin(r) {
		http.Error(w, "Forbidden", http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	s.join(w, r, codeFromInput(r.PostFormValue("code")), pageJoinFailed)
}

// join starts a new session for the company of an invite code and passes
// "/start <code>" to the bot, which redeems the code as it does for a
// Telegram deep link. Each join gets a fresh session, so a phone shared by
// two employees never shows one of them the other's chat. An unknown code
// gets the page for strangers, which tells nothing about any company.
func (s *Server) join(w http.ResponseWriter, r *http.Request, code string, unknown pageState) {
	ctx := r.Context()

	co, err := s.inviteCompany(r, code)
	if err != nil {
		s.joinFailed(w, r, err, unknown)
		return
	}

	token, chatID := newToken()
	in := channel.Incoming{
		Channel:      staffbot.ChannelWebchat,
		CompanyID:    co.ID,
		UpdateKey:    randomKey("join:"),
		ExternalID:   chatID,
		ChatID:       chatID,
		Kind:         channel.KindText,
		Text:         "/start " + code,
		LanguageCode: pageLanguage(r),
		ReceivedAt:   s.now(),
	}
	if err := s.handle(ctx, in); err != nil {
		s.Logger.ErrorContext(ctx, "Web chat join not handled",
			slog.Int64("company_id", int64(co.ID)),
			slog.String("error", err.Error()),
		)
		s.renderPage(w, http.StatusInternalServerError, page{State: pageError})
		return
	}

	s.setSession(w, co, token)
	http.Redirect(w, r, "/chat", http.StatusSeeOther)
}

// joinFailed answers a code that found no invite with the page for
// strangers (or the form again), which tells nothing about any company,
// and anything else with the error page.
func (s *Server) joinFailed(w http.ResponseWriter, r *http.Request, err error, unknown pageState) {
	if errors.Is(err, staffbot.ErrNotFound) {
		s.Logger.DebugContext(r.Context(), "Unknown web chat invite")
		s.renderPage(w, http.StatusNotFound, page{State: unknown})
		return
	}
	s.Logger.ErrorContext(r.Context(), "Web chat join failed", slog.String("error", err.Error()))
	s.renderPage(w, http.StatusInternalServerError, page{State: pageError})
}

func (s *Server) inviteCompany(r *http.Request, code string) (*staffbot.Company, error) {
	if !staffbot.ValidInviteCodeShape(code) {
		return nil, staffbot.ErrNotFound
	}
	return s.Store.FindInviteCompany(r.Context(), staffbot.HashInviteCode(code))
}

// codeFromInput takes the code out of what an employee pasted: the bare
// code, the web link or the Telegram deep link.
func codeFromInput(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "/join/"); i >= 0 {
		s = s[i+len("/join/"):]
	}
	if i := strings.LastIndex(s, "start="); i >= 0 {
		s = s[i+len("start="):]
	}
	if i := strings.IndexAny(s, "?#&/ \t\r\n"); i >= 0 {
		s = s[:i]
	}
	return s
}

// sameOrigin rejects a form or API call that a browser marks as coming
// from another site.
func sameOrigin(r *http.Request) bool {
	// Browsers that send Sec-Fetch-Site say exactly where a request came
	// from. Their Origin header may be "null" on our own pages, because
	// the pages send no referrer.
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin" || site == "none"
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	return true
}

// handleChat serves the chat page, or the invite form without a session.
func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()

	sess, err := s.readSession(ctx, r)
	if errors.Is(err, errNoSession) {
		s.renderPage(w, http.StatusOK, page{State: pageJoin})
		return
	}
	if err != nil {
		s.Logger.ErrorContext(ctx, "Web chat session not read", slog.String("error", err.Error()))
		s.renderPage(w, http.StatusInternalServerError, page{State: pageError})
		return
	}
	s.renderPage(w, http.StatusOK, page{
		State:       pageChat,
		CompanyName: sess.company.Name,
		Tag:         sess.tag(),
	})
}

type sendRequest struct {
	ID   string  `json:"id"`
	Text *string `json:"text"`
	Data *string `json:"data"`
	Lang string  `json:"lang"`
}

// handleSend passes a typed message or a button press to the bot. The page
// numbers each message itself, so a message sent twice (a double tap, a
// retry after a lost answer) is handled once by the bot's dedupe.
func (s *Server) handleSend(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()

	if !s.allow(w, r, s.sendLimit) {
		return
	}
	if !apiCall(r) || !jsonBody(r) {
		writeError(w, http.StatusForbidden, "forbidden")
		return
	}
	sess, err := s.readSession(ctx, r)
	if errors.Is(err, errNoSession) {
		writeError(w, http.StatusUnauthorized, "no_session")
		return
	}
	if err != nil {
		s.Logger.ErrorContext(ctx, "Web chat session not read", slog.String("error", err.Error()))
		writeError(w, http.StatusInternalServerError, "internal")
		return
	}

	var req sendRequest
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			writeError(w, http.StatusRequestEntityTooLarge, "too_large")
			return
		}
		writeError(w, http.StatusBadRequest, "bad_json")
		return
	}
	in, status, problem := s.incoming(sess, &req)
	if problem != "" {
		writeError(w, status, problem)
		return
	}

	if err := s.handle(ctx, in); err != nil {
		s.Logger.ErrorContext(ctx, "Web chat message not handled",
			slog.Int64("company_id", int64(sess.company.ID)),
			slog.String("error", err.Error()),
		)
		writeError(w, http.StatusInternalServerError, "internal")
		return
	}
	writeJSON(w, http.StatusAccepted, struct{}{})
}

// incoming checks a send request and turns it into an Incoming, or says
// which status and error code to answer.
func (s *Server) incoming(sess *session, req *sendRequest) (channel.Incoming, int, string) {
	if req.ID == "" || len(req.ID) > maxIDLen || !printableASCII(req.ID) {
		return channel.Incoming{}, http.StatusBadRequest, "bad_id"
	}
	in := channel.Incoming{
		Channel:    staffbot.ChannelWebchat,
		CompanyID:  sess.company.ID,
		ExternalID: sess.chatID,
		ChatID:     sess.chatID,
		ReceivedAt: s.now(),

		// The key is scoped to the session, so that one page cannot spend
		// the ids of another.
		UpdateKey: "web:" + sess.chatID[:16] + ":" + req.ID,
	}
	if req.Lang == "ru" || req.Lang == "en" {
		in.LanguageCode = req.Lang
	}

	switch {
	case req.Text != nil && req.Data == nil:
		text := strings.TrimSpace(*req.Text)
		if !utf8.ValidString(text) {
			return in, http.StatusBadRequest, "bad_text"
		}
		if utf8.RuneCountInString(text) > maxTextRunes {
			return in, http.StatusRequestEntityTooLarge, "text_too_long"
		}
		if text == "" {
			return in, http.StatusBadRequest, "empty_text"
		}
		in.Kind, in.Text = channel.KindText, text
	case req.Data != nil && req.Text == nil:
		if *req.Data == "" || len(*req.Data) > maxDataLen || !utf8.ValidString(*req.Data) {
			return in, http.StatusBadRequest, "bad_data"
		}
		in.Kind, in.Data = channel.KindButton, *req.Data
	default:
		return in, http.StatusBadRequest, "text_or_data"
	}
	return in, 0, ""
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// apiCall is the CSRF guard of the JSON API: a cross-site form cannot set a
// custom header, and a cross-site fetch that sets one needs a preflight we
// never grant.
func apiCall(r *http.Request) bool {
	return r.Header.Get("X-Requested-With") == "staffbot" && sameOrigin(r)
}

func jsonBody(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

type messageJSON struct {
	ID       int64              `json:"id"`
	Text     string             `json:"text"`
	Format   channel.Format     `json:"format"`
	Buttons  [][]channel.Button `json:"buttons"`
	FileURL  string             `json:"file_url,omitempty"`
	FileName string             `json:"file_name,omitempty"`
}

type messagesJSON struct {
	Messages []messageJSON `json:"messages"`

	// More says that the page should ask again at once: the answer was cut
	// at pageSize.
	More bool `json:"more"`
}

// handleMessages returns the bot's messages in the chat after a given id.
// When there are none yet it waits, up to pollTimeout, for the chat to be
// woken by Sender.Send or Notify, and re-reads the store every
// pollInterval in case the message was queued by another process.
func (s *Server) handleMessages(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()

	sess, err := s.readSession(ctx, r)
	if errors.Is(err, errNoSession) {
		writeError(w, http.StatusUnauthorized, "no_session")
		return
	}
	if err != nil {
		s.Logger.ErrorContext(ctx, "Web chat session not read", slog.String("error", err.Error()))
		writeError(w, http.StatusInternalServerError, "internal")
		return
	}
	var after int64
	if v := r.URL.Query().Get("after"); v != "" {
		after, err = strconv.ParseInt(v, 10, 64)
		if err != nil || after < 0 {
			writeError(w, http.StatusBadRequest, "bad_after")
			return
		}
	}

	deadline := time.NewTimer(s.pollTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(s.pollInterval)
	defer tick.Stop()

	for last := false; ; {
		woken, done := s.waiters.wait(sess.company.ID, sess.chatID)
		items, err := s.Store.FindChatMessages(ctx, sess.company.ID, staffbot.ChannelWebchat, sess.chatID, after, pageSize+1)
		if err != nil {
			done()
			if ctx.Err() != nil {
				return
			}
			s.Logger.ErrorContext(ctx, "Web chat messages not read",
				slog.Int64("company_id", int64(sess.company.ID)),
				slog.String("error", err.Error()),
			)
			writeError(w, http.StatusInternalServerError, "internal")
			return
		}
		if len(items) > 0 || last {
			done()
			writeJSON(w, http.StatusOK, transcript(items))
			return
		}

		select {
		case <-woken:
		case <-tick.C:
		case <-deadline.C:
			last = true
		case <-ctx.Done():
			done()
			return
		}
		done()
	}
}

func transcript(items []*store.OutboxItem) messagesJSON {
	out := messagesJSON{Messages: []messageJSON{}}
	if len(items) > pageSize {
		items, out.More = items[:pageSize], true
	}
	for _, it := range items {
		m := messageJSON{
			ID:       it.ID,
			Text:     it.Message.Text,
			Format:   it.Message.Format,
			Buttons:  it.Message.Buttons,
			FileURL:  it.Message.FileURL,
			FileName: it.Message.FileName,
		}
		if m.Buttons == nil {
			m.Buttons = [][]channel.Button{}
		}
		out.Messages = append(out.Messages, m)
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code string) {
	writeJSON(w, status, map[string]string{"error": code})
}
