package web

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/importer"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/store"
)

// A checked staff file waits here between its preview and HR's
// confirmation, for pendingTTL, under a random token that only the user
// who uploaded it can use. Nothing is written to the database before.
const (
	pendingTTL = 30 * time.Minute
	pendingMax = 32

	// previewRows is how many rows of a file the preview shows.
	previewRows = 20
)

type pendingImport struct {
	companyID staffbot.CompanyID
	userID    store.UserID
	fileName  string
	rows      []store.EmployeeImport
	created   time.Time
}

var pending = struct {
	sync.Mutex
	m map[string]*pendingImport
}{m: map[string]*pendingImport{}}

// keepPending stores a checked file and returns its token, forgetting
// files that waited too long and, past pendingMax, the oldest.
func keepPending(p *pendingImport, now time.Time) string {
	b := make([]byte, 18)
	rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	pending.Lock()
	defer pending.Unlock()
	var oldest string
	for k, v := range pending.m {
		if now.Sub(v.created) > pendingTTL {
			delete(pending.m, k)
			continue
		}
		if oldest == "" || v.created.Before(pending.m[oldest].created) {
			oldest = k
		}
	}
	if len(pending.m) >= pendingMax {
		delete(pending.m, oldest)
	}
	pending.m[token] = p
	return token
}

// takePending returns and forgets the user's checked file.
func takePending(token string, companyID staffbot.CompanyID, userID store.UserID, now time.Time) *pendingImport {
	pending.Lock()
	defer pending.Unlock()
	p := pending.m[token]
	if p == nil || p.companyID != companyID || p.userID != userID || now.Sub(p.created) > pendingTTL {
		return nil
	}
	delete(pending.m, token)
	return p
}

// problemView is one problem of a file, in the page's language.
type problemView struct {
	Line    int
	Column  string
	Message string
}

type previewRow struct {
	Line     int
	Number   string
	Name     string
	Position string
	Dept     string
	Office   string
	Hired    string
	Manager  string
	Known    bool
}

type importData struct {
	FileName  string
	Notices   []problemView // columns skipped on purpose (pay)
	Problems  []problemView
	Rows      []previewRow
	Total     int
	New       int
	Updated   int
	More      int
	Token     string
	Done      *store.ImportSummary
	Forbidden bool
}

func (s *Server) importPage(w http.ResponseWriter, r *http.Request) {
	v := s.newView(r, "imp.title")
	v.Data = importData{Forbidden: !unscoped(current(r).Principal)}
	s.render(w, r, http.StatusOK, "employees_import", v)
}

// importPreview checks an uploaded staff file and shows every problem by
// line and column, or the rows it would write with a button to confirm.
func (s *Server) importPreview(w http.ResponseWriter, r *http.Request) {
	v := s.newView(r, "imp.title")
	p := current(r).Principal
	if !unscoped(p) {
		s.fail(w, r, http.StatusForbidden)
		return
	}
	file, header, err := r.FormFile("file")
	if err != nil {
		v.Error = v.T("imp.no_file")
		v.Data = importData{}
		s.render(w, r, http.StatusOK, "employees_import", v)
		return
	}
	defer file.Close()

	known, err := s.auth.Store().EmployeeNumbers(r.Context(), p.CompanyID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	rows, notices, err := importer.ParseAndValidateNotices(file, header.Filename, func(n string) bool { return known[n] })
	var problems importer.Problems
	if err != nil && !errors.As(err, &problems) {
		s.serverError(w, r, err)
		return
	}

	d := importData{FileName: header.Filename, Total: len(rows)}
	for _, n := range notices {
		msg := n.Message
		if v.Lang == locale.EN {
			msg = n.MessageEN
		}
		d.Notices = append(d.Notices, problemView{Column: n.Column, Message: msg})
	}
	for _, pr := range problems {
		msg := pr.Message
		if v.Lang == locale.EN {
			msg = pr.MessageEN
		}
		d.Problems = append(d.Problems, problemView{Line: pr.Line, Column: pr.Column, Message: msg})
	}
	in := make([]store.EmployeeImport, 0, len(rows))
	for i, row := range rows {
		isKnown := known[row.Employee.PersonnelNumber]
		if isKnown {
			d.Updated++
		} else {
			d.New++
		}
		in = append(in, store.EmployeeImport{Employee: row.Employee, ManagerNumber: row.ManagerNumber, MentorNumber: row.MentorNumber})
		if i < previewRows {
			e := row.Employee
			d.Rows = append(d.Rows, previewRow{Line: row.Line, Number: e.PersonnelNumber, Name: e.FullName,
				Position: e.Position, Dept: e.Department, Office: e.Office, Hired: dateText(e.HiredOn),
				Manager: row.ManagerNumber, Known: isKnown})
		}
	}
	d.More = max(0, len(rows)-previewRows)

	// A file with problems is shown with them on an ordinary page (200):
	// browsers log 4xx answers as errors, and this is no error of the page.
	switch {
	case len(d.Problems) > 0:
		v.Error = v.T("imp.has_problems", len(d.Problems))
	case len(rows) == 0:
		v.Error = v.T("imp.empty")
	default:
		d.Token = keepPending(&pendingImport{companyID: p.CompanyID, userID: p.UserID, fileName: header.Filename,
			rows: in, created: s.clock.Now()}, s.clock.Now())
	}
	v.Data = d
	s.render(w, r, http.StatusOK, "employees_import", v)
}

func dateText(d staffbot.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.Russian()
}

// importConfirm writes a previewed file, all or nothing.
func (s *Server) importConfirm(w http.ResponseWriter, r *http.Request) {
	v := s.newView(r, "imp.title")
	p := current(r).Principal
	if !unscoped(p) {
		s.fail(w, r, http.StatusForbidden)
		return
	}
	pi := takePending(r.PostFormValue("token"), p.CompanyID, p.UserID, s.clock.Now())
	if pi == nil {
		v.Error = v.T("imp.expired")
		v.Data = importData{}
		s.render(w, r, http.StatusOK, "employees_import", v)
		return
	}
	sum, err := s.auth.Store().UpsertEmployees(actorContext(r.Context(), p), p.CompanyID, pi.rows, s.clock.Now())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	v.Notice = v.T("imp.done", sum.Created, sum.Updated, sum.Unchanged)
	v.Data = importData{FileName: pi.fileName, Done: &sum}
	s.render(w, r, http.StatusOK, "employees_import", v)
}
