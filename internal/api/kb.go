package api

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/kb"
	"github.com/staffbot/staffbot/internal/store"
)

// kbAPI serves the knowledge base under /api/v1/kb.
type kbAPI struct {
	s  *Server
	kb *kb.Service
}

// AddKB adds the knowledge base's routes: articles (list, read, create,
// update, publish, unpublish, delete, history, restore) and the questions
// the bot could not answer. Reading needs content:read, changing
// content:write; every change is recorded in the audit log.
func (s *Server) AddKB(svc *kb.Service) {
	h := &kbAPI{s: s, kb: svc}
	m := s.mux
	read, write, art := auth.PermContentRead, auth.PermContentWrite, kb.ObjectArticle
	m.HandleFunc(auth.Route{Method: "GET", Path: "/api/v1/kb/articles", Perm: read}, h.list)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/api/v1/kb/articles", Perm: write}, h.create)
	m.HandleFunc(auth.Route{Method: "GET", Path: "/api/v1/kb/articles/{slug}", Perm: read, Object: art}, h.get)
	m.HandleFunc(auth.Route{Method: "PUT", Path: "/api/v1/kb/articles/{slug}", Perm: write, Object: art}, h.update)
	m.HandleFunc(auth.Route{Method: "DELETE", Path: "/api/v1/kb/articles/{slug}", Perm: write, Object: art}, h.delete)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/api/v1/kb/articles/{slug}/publish", Perm: write, Object: art}, h.publish(true))
	m.HandleFunc(auth.Route{Method: "POST", Path: "/api/v1/kb/articles/{slug}/unpublish", Perm: write, Object: art}, h.publish(false))
	m.HandleFunc(auth.Route{Method: "GET", Path: "/api/v1/kb/articles/{slug}/versions", Perm: read, Object: art}, h.versions)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/api/v1/kb/articles/{slug}/restore", Perm: write, Object: art}, h.restore)
	m.HandleFunc(auth.Route{Method: "GET", Path: "/api/v1/kb/gaps", Perm: read}, h.gaps)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/api/v1/kb/gaps/{id}/dismiss", Perm: write, Object: kb.ObjectGap}, h.dismissGap)
}

// KBAttachment is a file or link shown under an answer.
type KBAttachment struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// KBArticle is a knowledge-base article as the API shows it.
type KBArticle struct {
	Slug        string         `json:"slug"`
	Title       string         `json:"title"`
	Questions   []string       `json:"questions"`
	Answer      string         `json:"answer"`
	Category    string         `json:"category"`
	Tags        []string       `json:"tags"`
	Departments []string       `json:"departments"`
	Offices     []string       `json:"offices"`
	Attachments []KBAttachment `json:"attachments"`
	OwnerID     *int64         `json:"owner_id"`
	ReviewOn    *string        `json:"review_on"`
	ReviewDue   bool           `json:"review_due"`
	Published   bool           `json:"published"`
	Version     int            `json:"version"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
	UpdatedBy   string         `json:"updated_by"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func kbArticleJSON(a *store.KBArticle, today staffbot.Date) KBArticle {
	out := KBArticle{
		Slug: a.Slug, Title: a.Title, Questions: nonNil(a.Questions), Answer: a.Answer, Category: a.Category,
		Tags: nonNil(a.Tags), Departments: nonNil(a.Departments), Offices: nonNil(a.Offices),
		Attachments: []KBAttachment{}, ReviewDue: kb.ReviewDue(a, today), Published: a.Published, Version: a.Version,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, UpdatedBy: a.UpdatedBy,
	}
	for _, at := range a.Attachments {
		out.Attachments = append(out.Attachments, KBAttachment(at))
	}
	if a.OwnerID != nil {
		id := int64(*a.OwnerID)
		out.OwnerID = &id
	}
	if a.ReviewOn != nil {
		d := a.ReviewOn.String()
		out.ReviewOn = &d
	}
	return out
}

// KBArticleFields are the editable fields of an article. A field left
// out is empty: an update replaces the whole article.
type KBArticleFields struct {
	Title       string         `json:"title"`
	Questions   []string       `json:"questions"`
	Answer      string         `json:"answer"`
	Category    string         `json:"category"`
	Tags        []string       `json:"tags"`
	Departments []string       `json:"departments"`
	Offices     []string       `json:"offices"`
	Attachments []KBAttachment `json:"attachments"`
	OwnerID     *int64         `json:"owner_id"`
	ReviewOn    *string        `json:"review_on"`
	Published   bool           `json:"published"`
}

func (f KBArticleFields) input() kb.Input {
	in := kb.Input{
		Title: f.Title, Questions: f.Questions, Answer: f.Answer, Category: f.Category, Tags: f.Tags,
		Departments: f.Departments, Offices: f.Offices, Published: f.Published,
	}
	for _, at := range f.Attachments {
		in.Attachments = append(in.Attachments, store.KBAttachment(at))
	}
	if f.OwnerID != nil {
		id := staffbot.EmployeeID(*f.OwnerID)
		in.OwnerID = &id
	}
	if f.ReviewOn != nil {
		in.ReviewOn = *f.ReviewOn
	}
	return in
}

// KBArticleCreate is the body of POST /api/v1/kb/articles. Slug is
// optional: one is made from the title. GapID, when set, names the gap
// the article answers, which then leaves the list of gaps.
type KBArticleCreate struct {
	Slug  string `json:"slug"`
	GapID int64  `json:"gap_id"`
	KBArticleFields
}

// KBArticleUpdate is the body of PUT /api/v1/kb/articles/{slug}: the
// article's fields and the version they were edited from.
type KBArticleUpdate struct {
	Version int `json:"version"`
	KBArticleFields
}

// KBVersionRequest is the body of publish and unpublish (optional) and of
// restore: Version is the version to restore, CurrentVersion, when set,
// the version the client last saw. For publish and unpublish, Version
// is the version the client last saw.
type KBVersionRequest struct {
	Version        int `json:"version"`
	CurrentVersion int `json:"current_version"`
}

// KBFieldProblem names one bad field of a request.
type KBFieldProblem struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// KBInvalid is the body of a 400 answer to an article that does not
// pass the checks: every bad field is named.
type KBInvalid struct {
	Error struct {
		Code    string           `json:"code"`
		Message string           `json:"message"`
		Fields  []KBFieldProblem `json:"fields"`
	} `json:"error"`
}

// KBConflict is the body of a 409 answer: the article changed since the
// version the client sent, and Current is how it is now.
type KBConflict struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Current KBArticle `json:"current"`
}

// KBArticleVersion is one saved state of an article.
type KBArticleVersion struct {
	Version int       `json:"version"`
	SavedAt time.Time `json:"saved_at"`
	SavedBy string    `json:"saved_by"`
	Article KBArticle `json:"article"`
}

// KBGap is a group of similar questions the bot did not answer
// ("unanswered") or whose answer an employee disliked ("disliked").
type KBGap struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	ArticleSlug string    `json:"article_slug,omitempty"`
	Count       int       `json:"count"`
	Sample      string    `json:"sample"`
	FirstAt     time.Time `json:"first_at"`
	LastAt      time.Time `json:"last_at"`
}

func (h *kbAPI) today(r *http.Request) (staffbot.Date, error) {
	return h.kb.Today(r.Context(), principal(r).CompanyID)
}

// fail answers a knowledge-base error: 400 naming the bad fields, 409
// with the current article, otherwise as every API error.
func (h *kbAPI) fail(w http.ResponseWriter, r *http.Request, err error) {
	var (
		inv *kb.ValidationError
		cf  *kb.ConflictError
	)
	switch {
	case errors.As(err, &inv):
		var body KBInvalid
		body.Error.Code, body.Error.Message = "invalid", "the article has problems; see fields"
		for _, p := range inv.Problems {
			body.Error.Fields = append(body.Error.Fields, KBFieldProblem(p))
		}
		writeJSON(w, http.StatusBadRequest, body)
	case errors.As(err, &cf):
		today, terr := h.today(r)
		if terr != nil {
			h.s.serverError(w, r, terr)
			return
		}
		var body KBConflict
		body.Error.Code = "conflict"
		body.Error.Message = "the article changed since the version sent; current holds it as it is now"
		body.Current = kbArticleJSON(cf.Current, today)
		writeJSON(w, http.StatusConflict, body)
	default:
		h.s.failFor(w, r, err)
	}
}

func invalidField(w http.ResponseWriter, field, msg string) {
	var body KBInvalid
	body.Error.Code, body.Error.Message = "invalid", msg
	body.Error.Fields = []KBFieldProblem{{Field: field, Code: "format", Message: msg}}
	writeJSON(w, http.StatusBadRequest, body)
}

// decodeBody reads a JSON body into v; an empty body is allowed when
// optional. A body must be application/json (415 otherwise), at most
// maxBody bytes (413), one JSON object with nothing after it and only
// the fields v has, each of its type (400 naming the field).
func decodeBody(w http.ResponseWriter, r *http.Request, v any, optional bool) bool {
	br := bufio.NewReader(http.MaxBytesReader(w, r.Body, maxBody))
	if _, err := br.Peek(1); err != nil {
		switch {
		case errors.Is(err, io.EOF) && optional:
			return true
		case errors.Is(err, io.EOF):
			badBody(w, "the request needs a JSON body", nil)
		default:
			bodyReadError(w, err)
		}
		return false
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "the body must be sent as Content-Type: application/json")
		return false
	}
	dec := json.NewDecoder(br)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		// Only white space may follow the object.
		if _, terr := dec.Token(); !errors.Is(terr, io.EOF) {
			if _, ok := errors.AsType[*http.MaxBytesError](terr); ok {
				bodyReadError(w, terr)
				return false
			}
			badBody(w, "the body must be one JSON object with nothing after it", nil)
			return false
		}
		return true
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok && jsonPath(te.Field) != "" {
		field := jsonPath(te.Field)
		msg := fmt.Sprintf("%s must be %s, not a JSON %s", field, jsonKind(te.Type), te.Value)
		badBody(w, msg, &KBFieldProblem{Field: field, Code: "type", Message: msg})
		return false
	}
	if name, ok := unknownField(err); ok {
		msg := fmt.Sprintf("%s is not a field of this request", name)
		badBody(w, msg, &KBFieldProblem{Field: name, Code: "unknown", Message: msg})
		return false
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		bodyReadError(w, err)
		return false
	}
	badBody(w, "the body must be a JSON object as the API description says", nil)
	return false
}

// bodyReadError answers a body that could not be read: 413 when it is
// too large.
func bodyReadError(w http.ResponseWriter, err error) {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body is larger than %d bytes", maxBody))
		return
	}
	badBody(w, "the body could not be read", nil)
}

// badBody answers 400 with the KBInvalid shape, naming the field when
// one is to blame.
func badBody(w http.ResponseWriter, msg string, field *KBFieldProblem) {
	var body KBInvalid
	body.Error.Code, body.Error.Message = "invalid", msg
	body.Error.Fields = []KBFieldProblem{}
	if field != nil {
		body.Error.Fields = append(body.Error.Fields, *field)
	}
	writeJSON(w, http.StatusBadRequest, body)
}

// unknownField finds the name in encoding/json's error for a field the
// request type does not have; the package has no type for it.
func unknownField(err error) (string, bool) {
	rest, ok := strings.CutPrefix(err.Error(), "json: unknown field ")
	if !ok {
		return "", false
	}
	name, uerr := strconv.Unquote(rest)
	if uerr != nil {
		return "", false
	}
	return name, true
}

// jsonPath drops from encoding/json's path of a field the names of
// embedded Go structs, which are capitalised where the API's field
// names are not: "KBArticleFields.title" is "title".
func jsonPath(field string) string {
	var keep []string
	for part := range strings.SplitSeq(field, ".") {
		if part != "" && !(part[0] >= 'A' && part[0] <= 'Z') {
			keep = append(keep, part)
		}
	}
	return strings.Join(keep, ".")
}

// jsonKind names the JSON value a Go type is read from.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a different value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "a different value"
}

// article finds the article of the path for the token, so that another
// company's article is 404 whatever the body.
func (h *kbAPI) article(w http.ResponseWriter, r *http.Request) (*store.KBArticle, bool) {
	a, err := h.kb.Get(r.Context(), principal(r), r.PathValue("slug"))
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	return a, true
}

func (h *kbAPI) writeArticle(w http.ResponseWriter, r *http.Request, status int, a *store.KBArticle) {
	today, err := h.today(r)
	if err != nil {
		h.s.serverError(w, r, err)
		return
	}
	writeJSON(w, status, kbArticleJSON(a, today))
}

// list answers GET /api/v1/kb/articles?status=published|draft&
// category=C&tag=T&review_due=true&q=text.
func (h *kbAPI) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.KBFilter{Category: q.Get("category"), Tag: q.Get("tag"), Query: q.Get("q")}
	switch q.Get("status") {
	case "":
	case "published":
		f.PublishedOnly = true
	case "draft":
		f.DraftsOnly = true
	default:
		writeError(w, http.StatusBadRequest, "invalid", "status must be published or draft")
		return
	}
	today, err := h.today(r)
	if err != nil {
		h.s.serverError(w, r, err)
		return
	}
	switch q.Get("review_due") {
	case "", "false":
	case "true":
		f.DueBy = &today
	default:
		writeError(w, http.StatusBadRequest, "invalid", "review_due must be true or false")
		return
	}
	list, err := h.kb.List(r.Context(), principal(r), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := struct {
		Data []KBArticle `json:"data"`
	}{Data: make([]KBArticle, len(list))}
	for i, a := range list {
		out.Data[i] = kbArticleJSON(a, today)
	}
	writeJSON(w, http.StatusOK, out)
}

// get answers GET /api/v1/kb/articles/{slug}.
func (h *kbAPI) get(w http.ResponseWriter, r *http.Request) {
	if a, ok := h.article(w, r); ok {
		h.writeArticle(w, r, http.StatusOK, a)
	}
}

// create answers POST /api/v1/kb/articles.
func (h *kbAPI) create(w http.ResponseWriter, r *http.Request) {
	var body KBArticleCreate
	if !decodeBody(w, r, &body, false) {
		return
	}
	in := body.input()
	in.Slug, in.GapID = body.Slug, body.GapID
	a, err := h.kb.Create(r.Context(), principal(r), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/kb/articles/"+a.Slug)
	h.writeArticle(w, r, http.StatusCreated, a)
}

// update answers PUT /api/v1/kb/articles/{slug}: the whole article, with
// the version it was edited from; 409 when that version is stale.
func (h *kbAPI) update(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.article(w, r)
	if !ok {
		return
	}
	var body KBArticleUpdate
	if !decodeBody(w, r, &body, false) {
		return
	}
	if body.Version <= 0 {
		invalidField(w, "version", "version must be the version of the article the change was made to")
		return
	}
	a, err := h.kb.Update(r.Context(), principal(r), cur.Slug, body.Version, body.input())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeArticle(w, r, http.StatusOK, a)
}

// publish answers POST /api/v1/kb/articles/{slug}/publish and
// /unpublish; the body may name the version the client last saw.
func (h *kbAPI) publish(published bool) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		cur, ok := h.article(w, r)
		if !ok {
			return
		}
		var body KBVersionRequest
		if !decodeBody(w, r, &body, true) {
			return
		}
		a, err := h.kb.SetPublished(r.Context(), principal(r), cur.Slug, published, body.Version)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.writeArticle(w, r, http.StatusOK, a)
	}
}

// delete answers DELETE /api/v1/kb/articles/{slug}?version=N; the
// version must be the current one.
func (h *kbAPI) delete(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.article(w, r)
	if !ok {
		return
	}
	version, err := strconv.Atoi(r.URL.Query().Get("version"))
	if err != nil || version <= 0 {
		invalidField(w, "version", "the version query parameter must name the version being deleted")
		return
	}
	if err := h.kb.Delete(r.Context(), principal(r), cur.Slug, version); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// versions answers GET /api/v1/kb/articles/{slug}/versions, newest first.
func (h *kbAPI) versions(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.article(w, r)
	if !ok {
		return
	}
	vs, err := h.kb.Versions(r.Context(), principal(r), cur.Slug)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	today, err := h.today(r)
	if err != nil {
		h.s.serverError(w, r, err)
		return
	}
	out := struct {
		Data []KBArticleVersion `json:"data"`
	}{Data: make([]KBArticleVersion, len(vs))}
	for i, v := range vs {
		a := v.Article
		a.Slug, a.CreatedAt, a.UpdatedAt, a.UpdatedBy = cur.Slug, cur.CreatedAt, v.SavedAt, v.SavedBy
		out.Data[i] = KBArticleVersion{Version: v.Version, SavedAt: v.SavedAt, SavedBy: v.SavedBy, Article: kbArticleJSON(&a, today)}
	}
	writeJSON(w, http.StatusOK, out)
}

// restore answers POST /api/v1/kb/articles/{slug}/restore.
func (h *kbAPI) restore(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.article(w, r)
	if !ok {
		return
	}
	var body KBVersionRequest
	if !decodeBody(w, r, &body, false) {
		return
	}
	if body.Version <= 0 {
		invalidField(w, "version", "version must name the version to restore")
		return
	}
	a, err := h.kb.Restore(r.Context(), principal(r), cur.Slug, body.Version, body.CurrentVersion)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeArticle(w, r, http.StatusOK, a)
}

// gaps answers GET /api/v1/kb/gaps?kind=unanswered|disliked&limit=N: the
// open groups of questions, most frequent first.
func (h *kbAPI) gaps(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	kind := q.Get("kind")
	if kind != "" && kind != store.GapUnanswered && kind != store.GapDisliked {
		writeError(w, http.StatusBadRequest, "invalid", "kind must be unanswered or disliked")
		return
	}
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > kb.MaxGaps {
			writeError(w, http.StatusBadRequest, "invalid", "limit must be between 1 and 200")
			return
		}
		limit = n
	}
	gaps, err := h.kb.Gaps(r.Context(), principal(r), kind, limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := struct {
		Data []KBGap `json:"data"`
	}{Data: make([]KBGap, len(gaps))}
	for i, g := range gaps {
		out.Data[i] = KBGap{ID: g.ID, Kind: g.Kind, ArticleSlug: g.ArticleSlug, Count: g.Count, Sample: g.Sample,
			FirstAt: g.FirstAt, LastAt: g.LastAt}
	}
	writeJSON(w, http.StatusOK, out)
}

// dismissGap answers POST /api/v1/kb/gaps/{id}/dismiss: the group leaves
// the list without an article.
func (h *kbAPI) dismissGap(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusNotFound, "not_found", "no such object")
		return
	}
	if err := h.kb.DismissGap(r.Context(), principal(r), id); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
