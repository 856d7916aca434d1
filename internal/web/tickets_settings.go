package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/calendar"
	"github.com/staffbot/staffbot/internal/helpdesk"
	"github.com/staffbot/staffbot/internal/store"
)

type tkRepliesData struct {
	Replies  []*store.SavedReply
	CanWrite bool
}

func (h *ticketPages) repliesPage(w http.ResponseWriter, r *http.Request) {
	h.renderReplies(w, r, http.StatusOK, "")
}

func (h *ticketPages) renderReplies(w http.ResponseWriter, r *http.Request, status int, errKey string) {
	p := tkPrincipal(r)
	list, err := h.hd.SavedReplies(r.Context(), p)
	if err != nil {
		h.s.failFor(w, r, err)
		return
	}
	v := h.s.newView(r, "replies.title")
	if errKey != "" {
		v.Error = v.T(errKey)
	}
	if r.URL.Query().Get("m") == "saved" {
		v.Notice = v.T("tickets.changed")
	}
	v.Data = tkRepliesData{Replies: list, CanWrite: p.Can(auth.PermTicketsWrite)}
	h.s.render(w, r, status, "tickets_replies", v)
}

func (h *ticketPages) addReply(w http.ResponseWriter, r *http.Request) {
	_, err := h.hd.AddSavedReply(r.Context(), tkPrincipal(r), r.PostFormValue("title"), r.PostFormValue("body"))
	if errors.Is(err, staffbot.ErrInvalid) {
		h.renderReplies(w, r, http.StatusBadRequest, "tickets.invalid")
		return
	}
	if err != nil {
		h.s.failFor(w, r, err)
		return
	}
	http.Redirect(w, r, "/hr/helpdesk/replies?m=saved", http.StatusSeeOther)
}

func (h *ticketPages) deleteReply(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.s.fail(w, r, http.StatusNotFound)
		return
	}
	if err := h.hd.DeleteSavedReply(r.Context(), tkPrincipal(r), id); err != nil {
		h.s.failFor(w, r, err)
		return
	}
	http.Redirect(w, r, "/hr/helpdesk/replies?m=saved", http.StatusSeeOther)
}

// tkWeekdayRow is a weekday's hours in the settings form.
type tkWeekdayRow struct {
	Key, Label, Hours string
}

// tkCategoryRow is a category in the settings form.
type tkCategoryRow struct {
	C         *store.TicketCategory
	Keywords  string
	Modes     []tkOption
	Leads     []tkOption
	Operators []tkOption
}

type tkDayRow struct {
	Day, Kind, Note string
}

type tkSettingsData struct {
	Categories []tkCategoryRow
	Week       []tkWeekdayRow
	AutoClose  int
	Days       []tkDayRow
	Kinds      []tkOption
	CanEdit    bool
}

var tkWeekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

func tkWeekdayKey(wd time.Weekday) string { return strings.ToLower(wd.String()[:3]) }

func (h *ticketPages) settingsPage(w http.ResponseWriter, r *http.Request) {
	h.renderSettings(w, r, http.StatusOK, "", "")
}

func (h *ticketPages) renderSettings(w http.ResponseWriter, r *http.Request, status int, errKey, noticeKey string) {
	p := tkPrincipal(r)
	set, err := h.hd.Settings(r.Context(), p)
	if err != nil {
		h.s.failFor(w, r, err)
		return
	}
	v := h.s.newView(r, "hds.title")
	if errKey != "" {
		v.Error = v.T(errKey)
	}
	if noticeKey == "" && r.URL.Query().Get("m") == "saved" {
		noticeKey = "tickets.changed"
	}
	if noticeKey != "" {
		v.Notice = v.T(noticeKey)
	}
	n, err := h.lookup(r, v.Lang)
	if err != nil {
		h.s.failFor(w, r, err)
		return
	}
	d := tkSettingsData{AutoClose: set.AutoCloseDays, CanEdit: p.Can(helpdesk.SettingsPerm)}
	for _, c := range set.Categories {
		row := tkCategoryRow{C: c, Keywords: strings.Join(c.Keywords, ", ")}
		for _, m := range []string{store.AssignRoundRobin, store.AssignByLoad, store.AssignManual} {
			row.Modes = append(row.Modes, tkOption{m, v.T("assign." + m), c.AssignMode == m})
		}
		row.Leads = []tkOption{{"", v.T("hds.lead_default"), c.LeadUserID == nil}}
		for id, email := range tkSortedUsers(n.users) {
			lead := c.LeadUserID != nil && strconv.FormatInt(int64(*c.LeadUserID), 10) == id
			row.Leads = append(row.Leads, tkOption{id, email, lead})
			on := false
			for _, op := range c.Operators {
				on = on || strconv.FormatInt(int64(op), 10) == id
			}
			row.Operators = append(row.Operators, tkOption{id, email, on})
		}
		d.Categories = append(d.Categories, row)
	}
	for _, wd := range tkWeekdays {
		d.Week = append(d.Week, tkWeekdayRow{Key: tkWeekdayKey(wd), Label: v.T("wd." + tkWeekdayKey(wd)), Hours: calendar.FormatSpans(set.Hours[wd])})
	}
	for _, day := range set.Days {
		d.Days = append(d.Days, tkDayRow{Day: day.Day.String(), Kind: v.T("day." + day.Kind), Note: day.Note})
	}
	for _, k := range []string{"holiday", "workday", "short", "regular"} {
		d.Kinds = append(d.Kinds, tkOption{k, v.T("day." + k), k == "holiday"})
	}
	v.Data = d
	h.s.render(w, r, status, "tickets_settings", v)
}

// settingsError re-renders the settings with the form's problem, or fails.
func (h *ticketPages) settingsError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, staffbot.ErrInvalid):
		h.renderSettings(w, r, http.StatusBadRequest, "tickets.invalid", "")
	case errors.Is(err, staffbot.ErrConflict):
		h.renderSettings(w, r, http.StatusConflict, "hds.cat_exists", "")
	default:
		h.s.failFor(w, r, err)
	}
}

func (h *ticketPages) saveHours(w http.ResponseWriter, r *http.Request) {
	var hours calendar.Hours
	for _, wd := range tkWeekdays {
		spans, err := calendar.ParseSpans(r.PostFormValue(tkWeekdayKey(wd)))
		if err != nil {
			h.settingsError(w, r, err)
			return
		}
		hours[wd] = spans
	}
	days, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("auto_close")))
	if err != nil {
		h.settingsError(w, r, staffbot.ErrInvalid)
		return
	}
	if err := h.hd.SaveHours(r.Context(), tkPrincipal(r), hours, days); err != nil {
		h.settingsError(w, r, err)
		return
	}
	http.Redirect(w, r, "/hr/helpdesk/settings?m=saved", http.StatusSeeOther)
}

func (h *ticketPages) saveDay(w http.ResponseWriter, r *http.Request) {
	day, err := staffbot.ParseDate(strings.TrimSpace(r.PostFormValue("day")))
	if err != nil {
		h.settingsError(w, r, err)
		return
	}
	if err := h.hd.SetCalendarDay(r.Context(), tkPrincipal(r), day, r.PostFormValue("kind"), r.PostFormValue("note")); err != nil {
		h.settingsError(w, r, err)
		return
	}
	http.Redirect(w, r, "/hr/helpdesk/settings?m=saved", http.StatusSeeOther)
}

func (h *ticketPages) addCategory(w http.ResponseWriter, r *http.Request) {
	_, err := h.hd.AddCategory(r.Context(), tkPrincipal(r), r.PostFormValue("slug"), r.PostFormValue("name_ru"), r.PostFormValue("name_en"))
	if err != nil {
		h.settingsError(w, r, err)
		return
	}
	http.Redirect(w, r, "/hr/helpdesk/settings?m=saved", http.StatusSeeOther)
}

// saveCategory saves a category's row of the settings form. Only the
// fields the form sent change.
func (h *ticketPages) saveCategory(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.s.fail(w, r, http.StatusNotFound)
		return
	}
	if err := r.ParseForm(); err != nil {
		h.settingsError(w, r, staffbot.ErrInvalid)
		return
	}
	f := r.PostForm
	var u helpdesk.CategoryUpdate
	str := func(key string) *string {
		if !f.Has(key) {
			return nil
		}
		v := f.Get(key)
		return &v
	}
	u.NameRU, u.NameEN = str("name_ru"), str("name_en")
	u.AssignMode, u.FirstResponse, u.Resolution = str("assign_mode"), str("first_response"), str("resolution")
	if f.Has("keywords") {
		u.Keywords = splitList(f.Get("keywords"))
		if u.Keywords == nil {
			u.Keywords = []string{}
		}
	}
	if f.Has("form") {
		archived := f.Get("archived") == "1"
		u.Archived = &archived
		var ops []store.UserID
		for _, v := range f["operators"] {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				h.settingsError(w, r, staffbot.ErrInvalid)
				return
			}
			ops = append(ops, store.UserID(n))
		}
		u.Operators = &ops
		var lead *store.UserID
		if v := f.Get("lead"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				h.settingsError(w, r, staffbot.ErrInvalid)
				return
			}
			l := store.UserID(n)
			lead = &l
		}
		u.LeadUserID = &lead
	}
	if _, err := h.hd.UpdateCategory(r.Context(), tkPrincipal(r), id, u); err != nil {
		h.settingsError(w, r, err)
		return
	}
	http.Redirect(w, r, "/hr/helpdesk/settings?m=saved", http.StatusSeeOther)
}
