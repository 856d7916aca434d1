package telegramtest

import (
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// params are a request's parameters as strings; JSON objects and arrays
// keep their JSON text, as Telegram reads them from form fields.
type params map[string]string

// upload is the file part of a multipart sendDocument.
type upload struct {
	fileName, disposition string
	data                  []byte
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	slash := strings.LastIndexByte(rest, '/')
	if !ok || slash < 0 {
		writeError(w, Failure{Code: http.StatusNotFound, Description: "Not Found"})
		return
	}
	token, method := rest[:slash], rest[slash+1:]

	p, file, err := readParams(r)
	if err != nil {
		writeError(w, Failure{Code: http.StatusBadRequest, Description: "Bad Request: " + err.Error()})
		return
	}

	s.mu.Lock()
	b := s.bots[token]
	if b == nil {
		s.mu.Unlock()
		writeError(w, Failure{Code: http.StatusUnauthorized, Description: "Unauthorized"})
		return
	}
	s.calls[method]++
	if q := s.failures[method]; len(q) > 0 {
		s.failures[method] = q[1:]
		s.mu.Unlock()
		writeError(w, q[0])
		return
	}
	if method == "getUpdates" {
		s.mu.Unlock()
		s.getUpdates(w, r, b, p)
		return
	}
	defer s.mu.Unlock()

	var result any
	var fail *Failure
	switch method {
	case "getMe":
		result = map[string]any{"id": b.id, "is_bot": true, "first_name": b.username, "username": b.username}
	case "sendMessage":
		result, fail = s.sendMessage(b, p)
	case "editMessageText":
		result, fail = s.editMessageText(b, p)
	case "sendDocument":
		result, fail = s.sendDocument(b, p, file)
	case "answerCallbackQuery":
		fail = s.answerCallback(p)
		result = true
	case "setWebhook":
		fail = s.setWebhook(b, p)
		result = true
	case "deleteWebhook":
		b.webhook, b.secret = "", ""
		if p["drop_pending_updates"] == "true" {
			b.updates = nil
		}
		result = true
	default:
		fail = &Failure{Code: http.StatusNotFound, Description: "Not Found"}
	}
	if fail != nil {
		writeError(w, *fail)
		return
	}
	s.notifyLocked()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": result})
}

// getUpdates answers the queued updates with id >= offset, confirming (and
// dropping) the earlier ones, and waits up to the timeout when none are
// queued. A newer call ends the one in flight with 409, as Telegram does.
func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request, b *bot, p params) {
	offset, _ := strconv.ParseInt(p["offset"], 10, 64)
	timeout, _ := strconv.Atoi(p["timeout"])
	limit, _ := strconv.Atoi(p["limit"])
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	wait := min(time.Duration(timeout)*time.Second, s.MaxLongPoll)
	deadline := time.NewTimer(wait)
	defer deadline.Stop()

	s.mu.Lock()
	if b.webhook != "" {
		s.mu.Unlock()
		writeError(w, Failure{Code: http.StatusConflict, Description: "Conflict: can't use getUpdates " +
			"method while webhook is active; use deleteWebhook to delete the webhook first"})
		return
	}
	if b.polling != nil {
		close(b.polling)
	}
	mine := make(chan struct{})
	b.polling = mine
	defer func() {
		s.mu.Lock()
		if b.polling == mine {
			b.polling = nil
		}
		s.mu.Unlock()
	}()

	for {
		if offset > 0 {
			kept := b.updates[:0:0]
			for _, u := range b.updates {
				if u.id >= offset {
					kept = append(kept, u)
				}
			}
			b.updates = kept
		}
		if n := min(len(b.updates), limit); n > 0 {
			out := make([]json.RawMessage, n)
			for i, u := range b.updates[:n] {
				out[i] = u.raw
			}
			s.mu.Unlock()
			writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": out})
			return
		}
		changed := s.changed
		s.mu.Unlock()

		select {
		case <-changed:
		case <-mine:
			writeError(w, Failure{Code: http.StatusConflict, Description: "Conflict: terminated by " +
				"other getUpdates request; make sure that only one bot instance is running"})
			return
		case <-deadline.C:
			writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": []any{}})
			return
		case <-r.Context().Done():
			return
		}
		s.mu.Lock()
	}
}

func (s *Server) sendMessage(b *bot, p params) (any, *Failure) {
	chatID, fail := s.chatLocked(p)
	if fail != nil {
		return nil, fail
	}
	if fail := checkText(p["text"], p["parse_mode"]); fail != nil {
		return nil, fail
	}
	kb, fail := parseKeyboard(p["reply_markup"])
	if fail != nil {
		return nil, fail
	}

	m := Message{Bot: b.username, MessageID: s.nextMsgID, ChatID: chatID,
		Text: p["text"], ParseMode: p["parse_mode"], ReplyMarkup: kb}
	s.nextMsgID++
	s.sent = append(s.sent, m)
	return messageResult(b, m), nil
}

func (s *Server) editMessageText(b *bot, p params) (any, *Failure) {
	chatID, fail := s.chatLocked(p)
	if fail != nil {
		return nil, fail
	}
	if fail := checkText(p["text"], p["parse_mode"]); fail != nil {
		return nil, fail
	}
	kb, fail := parseKeyboard(p["reply_markup"])
	if fail != nil {
		return nil, fail
	}

	msgID, _ := strconv.ParseInt(p["message_id"], 10, 64)
	for i, m := range s.sent {
		if m.ChatID != chatID || m.MessageID != msgID || m.Bot != b.username {
			continue
		}
		if m.Text == p["text"] && m.ParseMode == p["parse_mode"] && sameKeyboard(m.ReplyMarkup, kb) {
			return nil, badRequest("message is not modified: specified new message content and " +
				"reply markup are exactly the same as a current content and reply markup of the message")
		}
		m.Text, m.ParseMode, m.ReplyMarkup, m.Edited = p["text"], p["parse_mode"], kb, true
		s.sent[i] = m
		return messageResult(b, m), nil
	}
	return nil, badRequest("message to edit not found")
}

func (s *Server) sendDocument(b *bot, p params, file *upload) (any, *Failure) {
	chatID, fail := s.chatLocked(p)
	if fail != nil {
		return nil, fail
	}
	d := Document{Bot: b.username, ChatID: chatID, Caption: p["caption"]}
	switch {
	case file != nil && len(file.data) == 0:
		return nil, badRequest("file must be non-empty")
	case file != nil:
		d.FileName, d.Disposition, d.Data = file.fileName, file.disposition, file.data
	case p["document"] != "":
		d.URL = p["document"]
	default:
		return nil, badRequest("there is no document in the request")
	}
	s.docs = append(s.docs, d)
	s.nextMsgID++
	return map[string]any{
		"message_id": s.nextMsgID - 1, "date": time.Now().Unix(),
		"chat":     map[string]any{"id": chatID, "type": "private"},
		"document": map[string]any{"file_name": d.FileName, "file_id": "fake-file-id"},
	}, nil
}

func (s *Server) answerCallback(p params) *Failure {
	if p["callback_query_id"] == "" {
		return badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	if utf16Len(p["text"]) > 200 {
		return badRequest("MESSAGE_TOO_LONG")
	}
	s.callbacks = append(s.callbacks, Callback{ID: p["callback_query_id"], Text: p["text"]})
	return nil
}

var secretToken = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

func (s *Server) setWebhook(b *bot, p params) *Failure {
	u := p["url"]
	if u == "" {
		b.webhook, b.secret = "", ""
		return nil
	}
	parsed, err := url.Parse(u)
	if err != nil || !isLoopback(parsed.Hostname()) {
		return badRequest("bad webhook: the fake posts only to loopback addresses")
	}
	if sec := p["secret_token"]; sec != "" && !secretToken.MatchString(sec) {
		return badRequest("bad webhook: secret token contains unallowed characters")
	}
	b.webhook, b.secret = u, p["secret_token"]
	if b.polling != nil {
		close(b.polling)
		b.polling = nil
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// chatLocked reads chat_id and applies the failures set for that chat.
func (s *Server) chatLocked(p params) (int64, *Failure) {
	id, err := strconv.ParseInt(p["chat_id"], 10, 64)
	if err != nil {
		if p["chat_id"] == "" {
			return 0, badRequest("chat_id is empty")
		}
		return 0, badRequest("chat not found")
	}
	if f, ok := s.chatFailures[id]; ok {
		return 0, &f
	}
	return id, nil
}

func messageResult(b *bot, m Message) map[string]any {
	return map[string]any{
		"message_id": m.MessageID,
		"from":       map[string]any{"id": b.id, "is_bot": true, "first_name": b.username, "username": b.username},
		"chat":       map[string]any{"id": m.ChatID, "type": "private"},
		"date":       time.Now().Unix(),
		"text":       m.Text,
	}
}

func badRequest(desc string) *Failure {
	return &Failure{Code: http.StatusBadRequest, Description: "Bad Request: " + desc}
}

// readParams reads JSON, URL-encoded and multipart bodies, plus the query.
func readParams(r *http.Request) (params, *upload, error) {
	p := params{}
	for k, v := range r.URL.Query() {
		p[k] = v[0]
	}
	ctype, mp, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ctype {
	case "application/json":
		var obj map[string]json.RawMessage
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&obj); err != nil && err != io.EOF {
			return nil, nil, err
		}
		for k, raw := range obj {
			var str string
			if json.Unmarshal(raw, &str) == nil {
				p[k] = str
			} else if string(raw) != "null" {
				p[k] = string(raw)
			}
		}
	case "multipart/form-data":
		return readMultipart(r, mp["boundary"], p)
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return nil, nil, err
		}
		for k, v := range r.PostForm {
			p[k] = v[0]
		}
	}
	return p, nil, nil
}

func readMultipart(r *http.Request, boundary string, p params) (params, *upload, error) {
	var file *upload
	mr := multipart.NewReader(r.Body, boundary)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return p, file, nil
		}
		if err != nil {
			return nil, nil, err
		}
		data, err := io.ReadAll(io.LimitReader(part, 50<<20))
		if err != nil {
			return nil, nil, err
		}
		if part.FileName() != "" {
			file = &upload{part.FileName(), part.Header.Get("Content-Disposition"), data}
			continue
		}
		p[part.FormName()] = string(data)
	}
}

func writeError(w http.ResponseWriter, f Failure) {
	body := map[string]any{"ok": false, "error_code": f.Code, "description": f.Description}
	if len(f.Parameters) > 0 {
		body["parameters"] = f.Parameters
	}
	writeJSON(w, f.Code, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
