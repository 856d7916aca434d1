package web

import (
	"errors"
	"io"
	"net/http"
	"slices"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/scenario"
	"github.com/staffbot/staffbot/internal/store"
)

const scenarioUploadPath = "/hr/scenarios/upload"

func (s *Server) scenarioRoutes() {
	m := s.mux
	content := auth.PermContentWrite
	m.HandleFunc(auth.Route{Method: "GET", Path: "/hr/scenarios", Perm: content}, s.scenariosPage)
	m.HandleFunc(auth.Route{Method: "POST", Path: "/hr/scenarios/toggle", Perm: content}, s.toggleScenario)
	m.HandleFunc(auth.Route{Method: "POST", Path: scenarioUploadPath, Perm: content}, s.uploadScenario)
}

// scenarioView is one scenario in the list.
type scenarioView struct {
	ID       string
	Title    string
	Desc     string
	Version  int
	Trigger  string
	Steps    int
	Enabled  bool
	Uploaded string
	FileName string
	Runs     int
}

type scenariosData struct {
	Scenarios []scenarioView
	Problems  []problemView
	FileName  string
	Available bool
}

func (s *Server) scenariosPage(w http.ResponseWriter, r *http.Request) {
	notice := ""
	switch r.URL.Query().Get("m") {
	case "saved":
		notice = "scn.saved"
	case "uploaded":
		notice = "scn.uploaded"
	}
	s.renderScenarios(w, r, http.StatusOK, "", notice, scenariosData{})
}

func (s *Server) renderScenarios(w http.ResponseWriter, r *http.Request, status int, errKey, noticeKey string, d scenariosData) {
	v := s.newView(r, "scn.title")
	if errKey != "" {
		v.Error = v.T(errKey, len(d.Problems))
	}
	if noticeKey != "" {
		v.Notice = v.T(noticeKey)
	}
	p := current(r).Principal
	if s.pages.Engine != nil {
		d.Available = true
		defs, off, err := s.pages.Engine.CompanyScenarios(r.Context(), p.CompanyID)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		settings, err := s.auth.Store().FindCompanyScenarios(r.Context(), p.CompanyID)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		runs, err := s.auth.Store().CountRunsByScenario(r.Context(), p.CompanyID)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		for _, def := range defs {
			sv := scenarioView{ID: def.ID, Title: def.Title.In(string(v.Lang)), Desc: def.Description.In(string(v.Lang)),
				Version: def.Version, Trigger: def.Trigger, Steps: len(def.Steps), Enabled: !off[def.ID], Runs: runs[def.ID]}
			if cs := settings[def.ID]; cs != nil && cs.Source != "" {
				sv.FileName = cs.FileName
				if v.Company != nil {
					sv.Uploaded = cs.UpdatedAt.In(v.Company.Location()).Format("02.01.2006 15:04")
				}
			}
			d.Scenarios = append(d.Scenarios, sv)
		}
	}
	v.Data = d
	s.render(w, r, status, "settings_scenarios", v)
}

// invalidateScenarios makes the engine see a company's change at once.
func (s *Server) invalidateScenarios(companyID staffbot.CompanyID) {
	if s.pages.Engine == nil {
		return
	}
	if c, ok := s.pages.Engine.Catalog.(interface{ Invalidate(staffbot.CompanyID) }); ok {
		c.Invalidate(companyID)
	}
}

// toggleScenario turns a scenario on or off for the company.
func (s *Server) toggleScenario(w http.ResponseWriter, r *http.Request) {
	p := current(r).Principal
	id := r.PostFormValue("scenario")
	if s.pages.Engine == nil {
		s.fail(w, r, http.StatusNotFound)
		return
	}
	defs, _, err := s.pages.Engine.CompanyScenarios(r.Context(), p.CompanyID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if !slices.ContainsFunc(defs, func(d *scenario.Scenario) bool { return d.ID == id }) {
		s.fail(w, r, http.StatusNotFound)
		return
	}
	on := r.PostFormValue("enabled") == "1"
	if err := s.auth.Store().SetScenarioEnabled(actorContext(r.Context(), p), p.CompanyID, id, on, s.clock.Now()); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.invalidateScenarios(p.CompanyID)
	http.Redirect(w, r, "/hr/scenarios?m=saved", http.StatusSeeOther)
}

// maxScenarioFile bounds an uploaded scenario; the shipped onboarding is
// about 25 KB.
const maxScenarioFile = 1 << 20

// uploadScenario checks a scenario file and shows every problem with its
// line, or saves it as the company's version of the scenario.
func (s *Server) uploadScenario(w http.ResponseWriter, r *http.Request) {
	p := current(r).Principal
	if s.pages.Engine == nil {
		s.fail(w, r, http.StatusNotFound)
		return
	}
	file, header, err := r.FormFile("file")
	if err != nil {
		s.renderScenarios(w, r, http.StatusOK, "scn.no_file", "", scenariosData{})
		return
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, maxScenarioFile+1))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	d := scenariosData{FileName: header.Filename}
	if len(data) > maxScenarioFile {
		d.Problems = []problemView{{Message: tr(s.lang(r), "scn.too_big")}}
		s.renderScenarios(w, r, http.StatusOK, "scn.has_problems", "", d)
		return
	}
	sc, err := scenario.Parse(header.Filename, data)
	var problems scenario.Problems
	switch {
	case errors.As(err, &problems):
		for _, pr := range problems {
			msg := pr.Message
			if pr.Path != "" {
				msg = pr.Path + ": " + msg
			}
			d.Problems = append(d.Problems, problemView{Line: pr.Line, Message: msg})
		}
		s.renderScenarios(w, r, http.StatusOK, "scn.has_problems", "", d)
		return
	case err != nil:
		d.Problems = []problemView{{Message: err.Error()}}
		s.renderScenarios(w, r, http.StatusOK, "scn.has_problems", "", d)
		return
	}
	cs := &store.CompanyScenario{CompanyID: p.CompanyID, Scenario: sc.ID, Source: string(data),
		FileName: header.Filename, Version: sc.Version}
	if err := s.auth.Store().SaveCompanyScenario(actorContext(r.Context(), p), cs, s.clock.Now()); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.invalidateScenarios(p.CompanyID)
	http.Redirect(w, r, "/hr/scenarios?m=uploaded", http.StatusSeeOther)
}
