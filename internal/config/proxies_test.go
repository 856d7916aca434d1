package config_test

import (
	"strings"
	"testing"
)

func TestValidate_TrustedProxies(t *testing.T) {
	tests := []struct {
		list    string
		problem string
	}{
		{"", ""},
		{"10.0.0.0/8,192.168.0.0/16", ""},
		{"127.0.0.1, ::1", ""},
		{"10.0.0.0/33", "not a CIDR prefix"},
		{"nginx", "neither an address nor a CIDR prefix"},
		{"10.0.0.1/8", "did you mean 10.0.0.0/8"},
		{"0.0.0.0/0", "trusts every address"},
	}
	for _, tt := range tests {
		clearEnv(t)
		c := mustParse(t, "--trusted-proxies", tt.list)
		err := c.Validate()
		if tt.problem == "" {
			if err != nil {
				t.Errorf("trusted proxies %q: %v", tt.list, err)
			} else if got := c.Proxies().String(); tt.list != "" && got == "" {
				t.Errorf("trusted proxies %q: Proxies() is empty", tt.list)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "STAFFBOT_TRUSTED_PROXIES") || !strings.Contains(err.Error(), tt.problem) {
			t.Errorf("trusted proxies %q: err = %v, want one naming STAFFBOT_TRUSTED_PROXIES and saying %q", tt.list, err, tt.problem)
		}
	}
}

func TestValidate_TelegramWebhookLimit(t *testing.T) {
	clearEnv(t)
	if c := mustParse(t); c.WebhookLimit() != 1000 {
		t.Errorf("default webhook limit = %d, want 1000", c.WebhookLimit())
	}
	for v, want := range map[string]int{"0": 0, "1000": 1000, "-1": -1, "lots": -1} {
		clearEnv(t)
		t.Setenv("STAFFBOT_TELEGRAM_WEBHOOK_LIMIT", v)
		c := mustParse(t)
		err := c.Validate()
		if want < 0 {
			if err == nil || !strings.Contains(err.Error(), "STAFFBOT_TELEGRAM_WEBHOOK_LIMIT") {
				t.Errorf("limit %q: err = %v, want one naming STAFFBOT_TELEGRAM_WEBHOOK_LIMIT", v, err)
			}
			continue
		}
		if err != nil || c.WebhookLimit() != want {
			t.Errorf("limit %q: %d, %v; want %d", v, c.WebhookLimit(), err, want)
		}
	}
}
