package app

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/staffbot/staffbot"
)

// TestTelegramFiles_Fetch downloads a file the way the Bot API serves it:
// getFile gives a path, the file endpoint the bytes. Errors never carry
// the bot token, which is part of both addresses.
func TestTelegramFiles_Fetch(t *testing.T) {
	const token = "7000001:AAsecret-token"
	scan := []byte("%PDF-1.4 заявление")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/bot" + token + "/getFile":
			var p struct {
				FileID string `json:"file_id"`
			}
			json.NewDecoder(r.Body).Decode(&p)
			if p.FileID != "BQAC-1" {
				w.WriteHeader(http.StatusBadRequest)
				w.Write([]byte(`{"ok":false,"error_code":400,"description":"Bad Request: invalid file_id"}`))
				return
			}
			w.Write([]byte(`{"ok":true,"result":{"file_id":"BQAC-1","file_size":23,"file_path":"documents/file_7.pdf"}}`))
		case "/file/bot" + token + "/documents/file_7.pdf":
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(scan)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	co := &staffbot.Company{ID: 1, TelegramToken: token}
	f := &telegramFiles{api: srv.URL, hc: srv.Client(), max: 1 << 20}

	name, ctype, data, err := f.Fetch(t.Context(), co, "BQAC-1")
	if err != nil || name != "file_7.pdf" || ctype != "" || string(data) != string(scan) {
		t.Errorf("Fetch = %q %q %q %v", name, ctype, data, err)
	}
	if _, _, _, err := f.Fetch(t.Context(), co, "BQAC-404"); err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("unknown file: %v; want an error without the token", err)
	}
	small := &telegramFiles{api: srv.URL, hc: srv.Client(), max: 10}
	if _, _, _, err := small.Fetch(t.Context(), co, "BQAC-1"); err == nil {
		t.Error("a file over the limit was accepted")
	}
	srv.Close()
	if _, _, _, err := f.Fetch(t.Context(), co, "BQAC-1"); err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("server down: %v; want an error without the token", err)
	}
}
