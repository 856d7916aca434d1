package config_test

import (
	"flag"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/staffbot/staffbot/internal/config"
)

// clearEnv unsets every STAFFBOT_* setting for the test and restores them
// afterwards, so the machine's environment cannot leak in.
func clearEnv(t *testing.T) {
	t.Helper()
	var c config.Config
	for _, v := range c.Vars() {
		t.Setenv(v.Env, "") // registers the restore
		os.Unsetenv(v.Env)
	}
}

func mustParse(t *testing.T, args ...string) config.Config {
	t.Helper()
	var c config.Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.Bind(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("Parse(%q): %v", args, err)
	}
	return c
}

func TestBind_FlagBeatsEnvBeatsDefault(t *testing.T) {
	clearEnv(t)
	t.Setenv("STAFFBOT_ADDR", ":9000")
	t.Setenv("STAFFBOT_LOG_LEVEL", "debug")
	t.Setenv("STAFFBOT_TELEGRAM_MODE", "poll")

	c := mustParse(t, "--addr", "127.0.0.1:7000", "--telegram-mode=webhook")

	tests := []struct {
		name, got, want string
	}{
		{"flag over env (addr)", c.Addr, "127.0.0.1:7000"},
		{"flag over env (telegram-mode)", c.TelegramMode, "webhook"},
		{"env over default (log-level)", c.LogLevel, "debug"},
		{"default (data-dir)", c.DataDir, "./data"},
		{"default (telegram-api-url)", c.TelegramAPIURL, "https://api.telegram.org"},
		{"default (log-format)", c.LogFormat, "json"},
		{"default (database-url)", c.DatabaseURL, ""},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestBind_EveryVarHasFlagAndEnv(t *testing.T) {
	clearEnv(t)
	var c config.Config
	seen := map[string]bool{}
	for _, v := range c.Vars() {
		if !strings.HasPrefix(v.Env, "STAFFBOT_") || v.Flag == "" || v.Usage == "" {
			t.Errorf("var %+v: want a flag, a STAFFBOT_ variable and a usage text", v)
		}
		if seen[v.Env] || seen["--"+v.Flag] {
			t.Errorf("%s / --%s listed twice", v.Env, v.Flag)
		}
		seen[v.Env], seen["--"+v.Flag] = true, true
	}

	// Each setting answers to its own environment variable and flag.
	for _, v := range c.Vars() {
		t.Run(v.Env, func(t *testing.T) {
			t.Setenv(v.Env, "from-env")
			fromEnv := mustParse(t)
			fromFlag := mustParse(t, "--"+v.Flag, "from-flag")
			if got := valueOf(fromEnv, v.Env); got != "from-env" {
				t.Errorf("with %s set: value = %q, want from-env", v.Env, got)
			}
			if got := valueOf(fromFlag, v.Env); got != "from-flag" {
				t.Errorf("with --%s and %s set: value = %q, want from-flag", v.Flag, v.Env, got)
			}
		})
	}
}

// valueOf reads the setting named by env from c through its Vars table.
func valueOf(c config.Config, env string) string {
	fields := map[string]string{
		"STAFFBOT_ADDR":             c.Addr,
		"STAFFBOT_DATA_DIR":         c.DataDir,
		"STAFFBOT_DATABASE_URL":     c.DatabaseURL,
		"STAFFBOT_BASE_URL":         c.BaseURL,
		"STAFFBOT_TELEGRAM_API_URL": c.TelegramAPIURL,
		"STAFFBOT_TELEGRAM_MODE":    c.TelegramMode,
		"STAFFBOT_MASTER_KEY":       c.MasterKey,
		"STAFFBOT_LOG_LEVEL":        c.LogLevel,
		"STAFFBOT_LOG_FORMAT":       c.LogFormat,
		"STAFFBOT_SMTP_URL":         c.SMTPURL,

		"STAFFBOT_TRUSTED_PROXIES":        c.TrustedProxies,
		"STAFFBOT_TELEGRAM_WEBHOOK_LIMIT": c.TelegramWebhookLimit,
	}
	v, ok := fields[env]
	if !ok {
		return "<unknown setting " + env + ">"
	}
	return v
}

func TestValidate_DefaultsAreValid(t *testing.T) {
	clearEnv(t)
	c := mustParse(t)
	if err := c.Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

func TestValidate_GoodValues(t *testing.T) {
	clearEnv(t)
	c := mustParse(t,
		"--database-url", "postgres://staffbot@127.0.0.1:5432/staffbot?sslmode=disable",
		"--base-url", "https://hr.example.ru",
		"--telegram-api-url", "http://127.0.0.1:8081",
		"--telegram-mode", "webhook",
		"--log-level", "warn")
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestValidate_ListsEveryBadValue(t *testing.T) {
	clearEnv(t)
	c := mustParse(t,
		"--database-url", "mysql://root@127.0.0.1/staffbot",
		"--base-url", "hr.example.ru",
		"--telegram-api-url", "api.telegram.org",
		"--telegram-mode", "push",
		"--log-level", "verbose")

	err := c.Validate()
	if err == nil {
		t.Fatal("Validate: no error for five bad values")
	}
	msg := err.Error()
	for _, want := range []string{
		"STAFFBOT_DATABASE_URL",
		`STAFFBOT_BASE_URL "hr.example.ru"`,
		`STAFFBOT_TELEGRAM_API_URL "api.telegram.org"`,
		`STAFFBOT_TELEGRAM_MODE "push"`,
		`STAFFBOT_LOG_LEVEL "verbose"`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %s:\n%s", want, msg)
		}
	}
	// One line per problem, so an operator sees them all at once.
	if n := len(strings.Split(msg, "\n")); n != 5 {
		t.Errorf("error has %d lines, want 5:\n%s", n, msg)
	}
	// The database URL may carry a password; it is not repeated.
	if strings.Contains(msg, "root@") {
		t.Errorf("error repeats the database URL:\n%s", msg)
	}
}

func TestValidate_WebhookNeedsBaseURL(t *testing.T) {
	clearEnv(t)
	c := mustParse(t, "--telegram-mode", "webhook")
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "STAFFBOT_BASE_URL") ||
		!strings.Contains(err.Error(), "STAFFBOT_TELEGRAM_MODE") {
		t.Errorf("err = %v, want one naming STAFFBOT_TELEGRAM_MODE and STAFFBOT_BASE_URL", err)
	}
}

func TestConfig_DSNAndPublicURL(t *testing.T) {
	tests := []struct {
		c         config.Config
		dsn, base string
	}{
		{config.Config{Addr: ":8080", DataDir: "/var/lib/staffbot"}, "/var/lib/staffbot/staffbot.db", "http://localhost:8080"},
		{config.Config{Addr: "127.0.0.1:9000", DataDir: "d", DatabaseURL: "postgres://db/x"}, "postgres://db/x", "http://127.0.0.1:9000"},
		{config.Config{Addr: ":8080", BaseURL: "https://hr.example.ru/"}, "staffbot.db", "https://hr.example.ru"},
	}
	for _, tt := range tests {
		if got := tt.c.DSN(); got != tt.dsn {
			t.Errorf("%+v: DSN = %q, want %q", tt.c, got, tt.dsn)
		}
		if got := tt.c.PublicURL(); got != tt.base {
			t.Errorf("%+v: PublicURL = %q, want %q", tt.c, got, tt.base)
		}
	}
}
