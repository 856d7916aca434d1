package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/kb"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/store"
)

// kbPages are the knowledge base's pages: the list of articles, the
// editor, an article's history, and what employees asked that the base
// did not answer.
type kbPages struct {
	s  *Server
	kb *kb.Service
}

// AddKB adds the knowledge base to the cabinet. Reading needs
// content:read; changing, content:write.
func (s *Server) AddKB(svc *kb.Service) {
	h := &kbPages{s: s, kb: svc}
	m := s.mux
	read, write, art := auth.PermContentRead, auth.PermContentWrite, kb.ObjectArticle
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/kb", Perm: read}, h.list)
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/kb/new", Perm: write}, h.newPage)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/kb/new", Perm: write}, h.create)
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/kb/articles/{slug}", Perm: read, Object: art}, h.editPage)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/kb/articles/{slug}", Perm: write, Object: art}, h.update)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/kb/articles/{slug}/publish", Perm: write, Object: art}, h.publish(true))
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/kb/articles/{slug}/unpublish", Perm: write, Object: art}, h.publish(false))
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/kb/articles/{slug}/delete", Perm: write, Object: art}, h.delete)
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/kb/articles/{slug}/history", Perm: read, Object: art}, h.history)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/kb/articles/{slug}/restore", Perm: write, Object: art}, h.restore)
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/kb/gaps", Perm: read}, h.gaps)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/kb/gaps/{id}/dismiss", Perm: write, Object: kb.ObjectGap}, h.dismiss)
}

func kbPrincipal(r *http.Request) *auth.Principal { return current(r).Principal }

func kbArticlePath(slug string) string { return "/hr/kb/articles/" + url.PathEscape(slug) }

// kbBack sends the browser to path with a message key.
func kbBack(w http.ResponseWriter, r *http.Request, path, msg string) {
	http.Redirect(w, r, path+"?"+url.Values{"m": {msg}}.Encode(), http.StatusSeeOther)
}

// kbNotice shows the message a redirect asked for.
func kbNotice(v *view, r *http.Request) {
	switch m := r.URL.Query().Get("m"); m {
	case "created", "saved", "unchanged", "published", "unpublished", "deleted", "restored", "dismissed":
		v.Notice = v.T("kb.m." + m)
	case "no_version":
		v.Error = v.T("kb.m." + m)
	}
}

// kbRow is an article in the list.
type kbRow struct {
	Slug, Title, Category string
	Questions             int
	Published             bool
	ReviewOn              string
	Due                   bool
	Updated               string
}

type kbListData struct {
	Q, Status, Category string
	Due                 bool
	Categories          []tkOption
	Rows                []kbRow
	Total, DueCount     int
	CanEdit             bool
	Filtered            bool
}

// list shows the articles with a search, filters and a mark on those
// whose review date has come.
func (h *kbPages) list(w http.ResponseWriter, r *http.Request) {
	p := kbPrincipal(r)
	v := h.s.newView(r, "kb.title")
	kbNotice(v, r)
	q := r.URL.Query()
	d := kbListData{Q: strings.TrimSpace(q.Get("q")), Status: q.Get("status"), Category: q.Get("category"),
		Due: q.Get("due") == "1", CanEdit: p.Can(auth.PermContentWrite)}
	today, err := h.kb.Today(r.Context(), p.CompanyID)
	if err != nil {
		h.s.failFor(w, r, err)
		return
	}
	all, err := h.kb.List(r.Context(), p, store.KBFilter{})
	if err != nil {
		h.s.failFor(w, r, err)
		return
	}
	d.Total = len(all)
	cats := []string{}
	for _, a := range all {
		if kb.ReviewDue(a, today) {
			d.DueCount++
		}
		if c := strings.TrimSpace(a.Category); c != "" && !slices.ContainsFunc(cats, func(x string) bool { return strings.EqualFold(x, c) }) {
			cats = append(cats, c)
		}
	}
	slices.Sort(cats)
	d.Categories = append(d.Categories, tkOption{Value: "", Label: v.T("kb.all_categories")})
	for _, c := range cats {
		d.Categories = append(d.Categories, tkOption{Value: c, Label: c, Selected: strings.EqualFold(c, d.Category)})
	}

	f := store.KBFilter{Query: d.Q, Category: d.Category}
	switch d.Status {
	case "published":
		f.PublishedOnly = true
	case "draft":
		f.DraftsOnly = true
	default:
		d.Status = ""
	}
	if d.Due {
		f.DueBy = &today
	}
	d.Filtered = d.Q != "" || d.Status != "" || d.Category != "" || d.Due
	list := all
	if d.Filtered {
		if list, err = h.kb.List(r.Context(), p, f); err != nil {
			h.s.failFor(w, r, err)
			return
		}
	}
	loc := time.UTC
	if v.Company != nil {
		loc = v.Company.Location()
	}
	for _, a := range list {
		row := kbRow{Slug: a.Slug, Title: a.Title, Category: a.Category, Questions: len(a.Questions), Published: a.Published,
			Due: kb.ReviewDue(a, today), Updated: a.UpdatedAt.In(loc).Format("02.01.2006 15:04")}
		if a.ReviewOn != nil {
			row.ReviewOn = v.Date(a.ReviewOn)
		}
		d.Rows = append(d.Rows, row)
	}
	// Those due for review first: they are what needs doing.
	slices.SortStableFunc(d.Rows, func(a, b kbRow) int {
		switch {
		case a.Due && !b.Due:
			return -1
		case b.Due && !a.Due:
			return 1
		}
		return 0
	})
	v.Data = d
	h.s.render(w, r, http.StatusOK, "kb_list", v)
}

// kbForm is the editor's form as typed, so that nothing is lost when it
// comes back with problems.
type kbForm struct {
	Slug, Title, Questions, Answer, Category, Tags string
	Departments, Offices, Attachments, Owner       string
	ReviewOn                                       string
	Published                                      bool
	Version                                        int
	GapID                                          int64
}

func (f kbForm) input() kb.Input {
	lines := func(s string) []string { return strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") }
	in := kb.Input{
		Slug: f.Slug, Title: f.Title, Questions: lines(f.Questions), Answer: strings.ReplaceAll(f.Answer, "\r\n", "\n"),
		Category: f.Category, Tags: strings.Split(f.Tags, ","), Departments: lines(f.Departments), Offices: lines(f.Offices),
		OwnerNumber: f.Owner, ReviewOn: f.ReviewOn, Published: f.Published, GapID: f.GapID,
	}
	for _, l := range lines(f.Attachments) {
		if strings.TrimSpace(l) == "" {
			continue
		}
		name, link, ok := strings.Cut(l, "|")
		if !ok {
			name, link = "", l
		}
		in.Attachments = append(in.Attachments, store.KBAttachment{Name: strings.TrimSpace(name), URL: strings.TrimSpace(link)})
	}
	return in
}

func readKBForm(r *http.Request) kbForm {
	f := kbForm{
		Slug: r.PostFormValue("slug"), Title: r.PostFormValue("title"), Questions: r.PostFormValue("questions"),
		Answer: r.PostFormValue("answer"), Category: r.PostFormValue("category"), Tags: r.PostFormValue("tags"),
		Departments: r.PostFormValue("departments"), Offices: r.PostFormValue("offices"),
		Attachments: r.PostFormValue("attachments"), Owner: r.PostFormValue("owner"),
		ReviewOn: r.PostFormValue("review_on"), Published: r.PostFormValue("published") == "1",
	}
	f.Version, _ = strconv.Atoi(r.PostFormValue("version"))
	f.GapID, _ = strconv.ParseInt(r.PostFormValue("gap"), 10, 64)
	return f
}

// formOf fills the form from a stored article; owner is the personnel
// number of its owner.
func formOf(a *store.KBArticle, owner string) kbForm {
	f := kbForm{
		Slug: a.Slug, Title: a.Title, Questions: strings.Join(a.Questions, "\n"), Answer: a.Answer, Category: a.Category,
		Tags: strings.Join(a.Tags, ", "), Departments: strings.Join(a.Departments, "\n"), Offices: strings.Join(a.Offices, "\n"),
		Owner: owner, Published: a.Published, Version: a.Version,
	}
	var atts []string
	for _, at := range a.Attachments {
		atts = append(atts, at.Name+" | "+at.URL)
	}
	f.Attachments = strings.Join(atts, "\n")
	if a.ReviewOn != nil {
		f.ReviewOn = a.ReviewOn.String()
	}
	return f
}

type kbEditData struct {
	New     bool
	Form    kbForm
	Errors  map[string]string // field → message
	Article *store.KBArticle  // nil for a new one
	Owner   string            // the owner's name
	Due     bool
	Updated string
	CanEdit bool

	// Conflict lists the fields someone else changed meanwhile, with
	// their text as it is now.
	Conflict  []kbChange
	GapSample string

	// DeptHint and OfficeHint list the company's departments and
	// offices, as hints.
	DeptHint, OfficeHint string
}

// editor renders the editor page.
func (h *kbPages) editor(w http.ResponseWriter, r *http.Request, status int, d kbEditData) {
	p := kbPrincipal(r)
	v := h.s.newView(r, "kb.new")
	kbNotice(v, r)
	if d.Article != nil {
		v.Title = d.Article.Title
		today, err := h.kb.Today(r.Context(), p.CompanyID)
		if err != nil {
			h.s.failFor(w, r, err)
			return
		}
		d.Due = kb.ReviewDue(d.Article, today)
		loc := time.UTC
		if v.Company != nil {
			loc = v.Company.Location()
		}
		d.Updated = d.Article.UpdatedAt.In(loc).Format("02.01.2006 15:04")
		if d.Article.OwnerID != nil {
			names, err := h.s.auth.Store().EmployeeNames(r.Context(), p.CompanyID, []staffbot.EmployeeID{*d.Article.OwnerID})
			if err != nil {
				h.s.serverError(w, r, err)
				return
			}
			d.Owner = names[*d.Article.OwnerID]
		}
	}
	if len(d.Errors) > 0 {
		v.Error = v.T("kb.fix")
	}
	if len(d.Conflict) > 0 {
		v.Error = v.T("kb.conflict", d.Form.Version)
	}
	d.CanEdit = p.Can(auth.PermContentWrite)
	if d.CanEdit {
		depts, offices, err := h.s.auth.Store().Places(r.Context(), p.CompanyID)
		if err != nil {
			h.s.serverError(w, r, err)
			return
		}
		d.DeptHint, d.OfficeHint = strings.Join(depts, "; "), strings.Join(offices, "; ")
	}
	v.Data = d
	h.s.render(w, r, status, "kb_edit", v)
}

// problems turns a validation error into messages by field.
func kbProblems(lang locale.Lang, err error) (map[string]string, bool) {
	var inv *kb.ValidationError
	if !errors.As(err, &inv) {
		return nil, false
	}
	out := map[string]string{}
	for _, p := range inv.Problems {
		if _, ok := out[p.Field]; ok {
			continue
		}
		key := "kb.err." + p.Field + "." + p.Code
		if _, ok := texts[key]; !ok {
			key = "kb.err." + p.Code
		}
		out[p.Field] = tr(lang, key)
	}
	return out, true
}

// newPage shows an empty editor; ?gap=ID fills the sample questions with
// the question employees asked.
func (h *kbPages) newPage(w http.ResponseWriter, r *http.Request) {
	d := kbEditData{New: true}
	if id, err := strconv.ParseInt(r.URL.Query().Get("gap"), 10, 64); err == nil && id > 0 {
		g, err := h.kb.Gap(r.Context(), kbPrincipal(r), id)
		if err != nil {
			h.s.failFor(w, r, err)
			return
		}
		d.Form.GapID, d.Form.Questions, d.GapSample = g.ID, g.Sample, g.Sample
	}
	h.editor(w, r, http.StatusOK, d)
}

// create saves a new article, or shows the form again with the problems
// next to their fields and everything as typed.
func (h *kbPages) create(w http.ResponseWriter, r *http.Request) {
	form := readKBForm(r)
	a, err := h.kb.Create(r.Context(), kbPrincipal(r), form.input())
	if err != nil {
		if probs, ok := kbProblems(h.s.lang(r), err); ok {
			h.editor(w, r, http.StatusUnprocessableEntity, kbEditData{New: true, Form: form, Errors: probs})
			return
		}
		h.s.failFor(w, r, err)
		return
	}
	kbBack(w, r, kbArticlePath(a.Slug), "created")
}

// article finds the article of the path for the user: another company's
// is 404 whatever the form says.
func (h *kbPages) article(w http.ResponseWriter, r *http.Request) (*store.KBArticle, bool) {
	a, err := h.kb.Get(r.Context(), kbPrincipal(r), r.PathValue("slug"))
	if err != nil {
		h.s.failFor(w, r, err)
		return nil, false
	}
	return a, true
}

func (h *kbPages) ownerNumber(r *http.Request, a *store.KBArticle) (string, error) {
	if a.OwnerID == nil {
		return "", nil
	}
	e, err := h.s.auth.Store().FindEmployeeByID(r.Context(), a.CompanyID, *a.OwnerID)
	if errors.Is(err, staffbot.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return e.PersonnelNumber, nil
}

// editPage shows an article in the editor; without content:write it is
// read only.
func (h *kbPages) editPage(w http.ResponseWriter, r *http.Request) {
	a, ok := h.article(w, r)
	if !ok {
		return
	}
	owner, err := h.ownerNumber(r, a)
	if err != nil {
		h.s.serverError(w, r, err)
		return
	}
	h.editor(w, r, http.StatusOK, kbEditData{Form: formOf(a, owner), Article: a})
}

// update saves the editor's form as a new version. When someone saved
// the article since the form was opened, nothing is saved: the form comes
// back as typed, with what changed meanwhile, ready to be sent again over
// the current version.
func (h *kbPages) update(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.article(w, r)
	if !ok {
		return
	}
	lang := h.s.lang(r)
	form := readKBForm(r)
	form.Slug = cur.Slug
	a, err := h.kb.Update(r.Context(), kbPrincipal(r), cur.Slug, form.Version, form.input())
	var cf *kb.ConflictError
	switch {
	case errors.As(err, &cf):
		owner, err := h.ownerNumber(r, cf.Current)
		if err != nil {
			h.s.serverError(w, r, err)
			return
		}
		changes := kbDiff(lang, formOf(cf.Current, owner), form)
		form.Version = cf.Current.Version
		h.editor(w, r, http.StatusConflict, kbEditData{Form: form, Article: cf.Current, Conflict: changes})
		return
	case err != nil:
		if probs, ok := kbProblems(lang, err); ok {
			h.editor(w, r, http.StatusUnprocessableEntity, kbEditData{Form: form, Article: cur, Errors: probs})
			return
		}
		h.s.failFor(w, r, err)
		return
	}
	msg := "saved"
	if a.Version == cur.Version {
		msg = "unchanged"
	}
	kbBack(w, r, kbArticlePath(a.Slug), msg)
}

// publish publishes or unpublishes the article from its page.
func (h *kbPages) publish(published bool) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		cur, ok := h.article(w, r)
		if !ok {
			return
		}
		version, _ := strconv.Atoi(r.PostFormValue("version"))
		_, err := h.kb.SetPublished(r.Context(), kbPrincipal(r), cur.Slug, published, version)
		var cf *kb.ConflictError
		switch {
		case errors.As(err, &cf):
			kbBack(w, r, kbArticlePath(cur.Slug), "no_version")
			return
		case err != nil:
			h.s.failFor(w, r, err)
			return
		}
		msg := "unpublished"
		if published {
			msg = "published"
		}
		kbBack(w, r, kbArticlePath(cur.Slug), msg)
	}
}

// delete removes the article; the form must carry its current version.
func (h *kbPages) delete(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.article(w, r)
	if !ok {
		return
	}
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	err := h.kb.Delete(r.Context(), kbPrincipal(r), cur.Slug, version)
	var cf *kb.ConflictError
	switch {
	case errors.As(err, &cf):
		kbBack(w, r, kbArticlePath(cur.Slug), "no_version")
		return
	case err != nil:
		h.s.failFor(w, r, err)
		return
	}
	kbBack(w, r, "/hr/kb", "deleted")
}

// kbVersionView is one version on the history page with what it changed.
type kbVersionView struct {
	Version int
	Saved   string
	By      string
	Current bool
	First   bool
	Changes []kbChange
}

type kbHistoryData struct {
	Article  *store.KBArticle
	Versions []kbVersionView
	CanEdit  bool
}

// history shows every version of an article, newest first, each with
// the lines it removed and added, and a button to restore it.
func (h *kbPages) history(w http.ResponseWriter, r *http.Request) {
	a, ok := h.article(w, r)
	if !ok {
		return
	}
	p := kbPrincipal(r)
	vs, err := h.kb.Versions(r.Context(), p, a.Slug)
	if err != nil {
		h.s.failFor(w, r, err)
		return
	}
	v := h.s.newView(r, "kb.history")
	kbNotice(v, r)
	v.Title = v.T("kb.history_of", a.Title)
	names, err := h.authors(r, p.CompanyID, vs)
	if err != nil {
		h.s.serverError(w, r, err)
		return
	}
	numbers := map[staffbot.EmployeeID]string{}
	owner := func(a *store.KBArticle) string {
		if a.OwnerID == nil {
			return ""
		}
		if n, ok := numbers[*a.OwnerID]; ok {
			return n
		}
		n := "#" + strconv.FormatInt(int64(*a.OwnerID), 10)
		if e, err := h.s.auth.Store().FindEmployeeByID(r.Context(), p.CompanyID, *a.OwnerID); err == nil {
			n = e.PersonnelNumber
		}
		numbers[*a.OwnerID] = n
		return n
	}
	loc := time.UTC
	if v.Company != nil {
		loc = v.Company.Location()
	}
	d := kbHistoryData{Article: a, CanEdit: p.Can(auth.PermContentWrite)}
	for i, ver := range vs {
		row := kbVersionView{Version: ver.Version, Saved: ver.SavedAt.In(loc).Format("02.01.2006 15:04"),
			By: names[ver.SavedBy], Current: ver.Version == a.Version, First: i == len(vs)-1}
		var before kbForm
		if i+1 < len(vs) {
			before = formOf(&vs[i+1].Article, owner(&vs[i+1].Article))
		}
		row.Changes = kbDiff(v.Lang, before, formOf(&vs[i].Article, owner(&vs[i].Article)))
		d.Versions = append(d.Versions, row)
	}
	v.Data = d
	h.s.render(w, r, http.StatusOK, "kb_history", v)
}

// authors names who saved each version: a cabinet user by e-mail, an API
// token by number, anything else as recorded.
func (h *kbPages) authors(r *http.Request, companyID staffbot.CompanyID, vs []store.KBArticleVersion) (map[string]string, error) {
	users, err := h.s.auth.Store().FindUsers(r.Context(), companyID)
	if err != nil {
		return nil, err
	}
	lang := h.s.lang(r)
	out := map[string]string{}
	for _, v := range vs {
		kind, id, _ := strings.Cut(v.SavedBy, ":")
		name := v.SavedBy
		switch staffbot.ActorKind(kind) {
		case staffbot.ActorUser:
			for _, u := range users {
				if strconv.FormatInt(int64(u.ID), 10) == id {
					name = u.Email
				}
			}
		case staffbot.ActorAPIToken:
			name = tr(lang, "kb.by_token", id)
		}
		out[v.SavedBy] = name
	}
	return out, nil
}

// restore makes an earlier version's text current again.
func (h *kbPages) restore(w http.ResponseWriter, r *http.Request) {
	cur, ok := h.article(w, r)
	if !ok {
		return
	}
	version, err := strconv.Atoi(r.PostFormValue("version"))
	if err != nil || version <= 0 {
		kbBack(w, r, kbArticlePath(cur.Slug)+"/history", "no_version")
		return
	}
	current, _ := strconv.Atoi(r.PostFormValue("current"))
	_, err = h.kb.Restore(r.Context(), kbPrincipal(r), cur.Slug, version, current)
	var cf *kb.ConflictError
	switch {
	case errors.As(err, &cf), errors.Is(err, staffbot.ErrNotFound):
		// A stale page, or a version that is not there: show the history
		// as it is now.
		kbBack(w, r, kbArticlePath(cur.Slug)+"/history", "no_version")
		return
	case err != nil:
		h.s.failFor(w, r, err)
		return
	}
	kbBack(w, r, kbArticlePath(cur.Slug)+"/history", "restored")
}

// kbGapRow is a group of questions on the gaps page.
type kbGapRow struct {
	ID       int64
	Sample   string
	Count    int
	LastSeen string
	Slug     string // the disliked article
	Title    string
}

type kbGapsData struct {
	Unanswered, Disliked []kbGapRow
	CanEdit              bool
}

// gaps shows what employees ask that the base does not answer, and the
// answers they disliked, most frequent first.
func (h *kbPages) gaps(w http.ResponseWriter, r *http.Request) {
	p := kbPrincipal(r)
	v := h.s.newView(r, "kb.gaps")
	kbNotice(v, r)
	list, err := h.kb.Gaps(r.Context(), p, "", kb.MaxGaps)
	if err != nil {
		h.s.failFor(w, r, err)
		return
	}
	arts, err := h.kb.List(r.Context(), p, store.KBFilter{})
	if err != nil {
		h.s.failFor(w, r, err)
		return
	}
	titles := map[string]string{}
	for _, a := range arts {
		titles[a.Slug] = a.Title
	}
	loc := time.UTC
	if v.Company != nil {
		loc = v.Company.Location()
	}
	d := kbGapsData{CanEdit: p.Can(auth.PermContentWrite)}
	for _, g := range list {
		row := kbGapRow{ID: g.ID, Sample: g.Sample, Count: g.Count, LastSeen: g.LastAt.In(loc).Format("02.01.2006 15:04")}
		if g.Kind == store.GapDisliked {
			row.Slug, row.Title = g.ArticleSlug, titles[g.ArticleSlug]
			if row.Title == "" {
				row.Title = g.ArticleSlug
			}
			d.Disliked = append(d.Disliked, row)
			continue
		}
		d.Unanswered = append(d.Unanswered, row)
	}
	v.Data = d
	h.s.render(w, r, http.StatusOK, "kb_gaps", v)
}

// dismiss takes a group off the list without an article.
func (h *kbPages) dismiss(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.s.fail(w, r, http.StatusNotFound)
		return
	}
	if err := h.kb.DismissGap(r.Context(), kbPrincipal(r), id); err != nil {
		h.s.failFor(w, r, err)
		return
	}
	kbBack(w, r, "/hr/kb/gaps", "dismissed")
}
