package onectest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// serveService implements the staffbot HTTP service of
// docs/1c-http-service.md over the fake's employees.
func (s *Server) serveService(w http.ResponseWriter, r *http.Request, path, body string) {
	if path == "ping" {
		writeJSON(w, map[string]string{"version": "1", "configuration": "onectest"})
		return
	}
	parts := strings.Split(path, "/")
	if len(parts) != 3 || parts[0] != "employees" {
		http.Error(w, NotFoundText, http.StatusNotFound)
		return
	}
	code, err := url.PathUnescape(parts[1])
	if err != nil {
		serviceError(w, http.StatusBadRequest, "bad_request", "bad personnel number")
		return
	}
	e, ok := s.employee(code)
	if !ok || e.DeletionMark {
		serviceError(w, http.StatusNotFound, "employee_not_found", "Сотрудник с табельным номером "+code+" не найден")
		return
	}
	q := r.URL.Query()

	switch {
	case parts[2] == "vacation-balance" && r.Method == http.MethodGet:
		date := q.Get("date")
		if _, err := time.Parse(time.DateOnly, date); err != nil {
			serviceError(w, http.StatusBadRequest, "bad_request", "date must be YYYY-MM-DD")
			return
		}
		b, ok := s.balances[code]
		if !ok {
			b = VacationBalance{Days: 28, Kinds: []VacationKind{{Name: "Основной", Days: 28}}}
		}
		writeJSON(w, map[string]any{"employee": code, "date": date, "days": b.Days, "kinds": b.Kinds})

	case parts[2] == "payslip" && r.Method == http.MethodGet:
		month := q.Get("month")
		if _, err := time.Parse("2006-01", month); err != nil {
			serviceError(w, http.StatusBadRequest, "bad_request", "month must be YYYY-MM")
			return
		}
		p, ok := s.payslips[code+"/"+month]
		if !ok {
			serviceError(w, http.StatusNotFound, "not_ready", "Расчетный листок за "+month+" не сформирован")
			return
		}
		reply := map[string]any{"employee": code, "month": month, "accrued": p.Accrued,
			"withheld": p.Withheld, "paid": p.Paid, "lines": p.Lines}
		if !p.NoFile {
			reply["file"] = file("Расчетный листок "+month+".pdf",
				PDF("Payslip", "Employee "+code, "Month "+month, fmt.Sprintf("Paid %.2f", p.Paid)))
		}
		writeJSON(w, reply)

	case parts[2] == "certificates" && r.Method == http.MethodPost:
		var req struct {
			Kind          string `json:"kind"`
			Purpose       string `json:"purpose"`
			Copies        int    `json:"copies"`
			Year          int    `json:"year"`
			IncludeSalary bool   `json:"include_salary"`
		}
		if err := json.Unmarshal([]byte(body), &req); err != nil || req.Copies < 1 {
			serviceError(w, http.StatusBadRequest, "bad_request", "body must be JSON with kind and copies >= 1")
			return
		}
		if !s.certKinds[req.Kind] {
			serviceError(w, http.StatusUnprocessableEntity, "unsupported", "Справка "+req.Kind+" не выдается")
			return
		}
		var name string
		var lines []string
		switch req.Kind {
		case "income":
			if req.Year < 2000 {
				serviceError(w, http.StatusBadRequest, "bad_request", "year is required for an income certificate")
				return
			}
			name = fmt.Sprintf("Справка о доходах %d.pdf", req.Year)
			lines = []string{"Income and tax certificate", "Employee " + code, fmt.Sprintf("Year %d", req.Year)}
		default:
			name = "Справка с места работы.pdf"
			lines = []string{"Employment certificate", "Employee " + code, "Hired " + e.HiredOn}
		}
		writeJSON(w, map[string]any{"kind": req.Kind, "file": file(name, PDF(lines...))})

	default:
		http.Error(w, NotFoundText, http.StatusNotFound)
	}
}

func file(name string, data []byte) map[string]string {
	return map[string]string{"name": name, "content_type": "application/pdf",
		"data": base64.StdEncoding.EncodeToString(data)}
}

func serviceError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}
