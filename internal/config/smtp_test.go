package config_test

import (
	"strings"
	"testing"
)

func TestValidate_SMTPURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"", true},
		{"smtp://127.0.0.1:2525?from=hr@acme.ru", true},
		{"smtps://user:secret@mail.acme.ru:465?from=hr@acme.ru", true},
		{"smtp://127.0.0.1:2525", false},
		{"http://127.0.0.1?from=hr@acme.ru", false},
		{"smtp://?from=hr@acme.ru", false},
	}
	for _, tt := range tests {
		clearEnv(t)
		c := mustParse(t)
		c.SMTPURL = tt.url
		err := c.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("Validate with SMTP URL %q = %v, want ok %v", tt.url, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "STAFFBOT_SMTP_URL") {
			t.Errorf("error %q does not name STAFFBOT_SMTP_URL", err)
		}
	}
}
