// Package config reads staffbot's settings from STAFFBOT_* environment
// variables and command-line flags, in that order of precedence: a flag
// given on the command line wins over the environment, which wins over the
// default.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/staffbot/staffbot/internal/clientip"
)

// Config is everything the server needs to start.
type Config struct {
	Addr           string
	DataDir        string
	DatabaseURL    string
	BaseURL        string
	TelegramAPIURL string
	MasterKey      string
	LogLevel       string
	LogFormat      string

	// TelegramMode is "poll" (getUpdates) or "webhook" (setWebhook to
	// BaseURL); "auto" picks webhook when BaseURL is https.
	TelegramMode string

	// SMTPURL, when set, sends e-mail (weekly digests, invites):
	// smtp://user:password@host:port?from=hr@example.ru.
	SMTPURL string

	// TrustedProxies lists the reverse proxies (CIDR prefixes or
	// addresses, comma-separated) whose X-Forwarded-For and X-Real-IP
	// name the client; empty trusts nobody and takes the connection's
	// peer as the client.
	TrustedProxies string

	// TelegramWebhookLimit is how many webhook deliveries a second one
	// client address may make (ten seconds' worth at once); "0" turns the
	// limit off, empty means DefaultTelegramWebhookLimit.
	TelegramWebhookLimit string
}

// DefaultTelegramWebhookLimit is the webhook limit per client address
// and second: about what the server handles on two cores, far above what
// Telegram sends a company's bot.
const DefaultTelegramWebhookLimit = 1000

// Var describes one setting: its flag, its environment variable and its
// default, so that --help can list them all.
type Var struct {
	Flag    string
	Env     string
	Default string
	Usage   string
	target  *string
}

// Vars returns the settings table bound to c.
func (c *Config) Vars() []Var {
	return []Var{
		{"addr", "STAFFBOT_ADDR", ":8080", "address to listen on", &c.Addr},
		{"data-dir", "STAFFBOT_DATA_DIR", "./data", "directory for the SQLite database, the key file and uploads", &c.DataDir},
		{"database-url", "STAFFBOT_DATABASE_URL", "", "postgres://… for PostgreSQL; empty for SQLite in the data dir", &c.DatabaseURL},
		{"base-url", "STAFFBOT_BASE_URL", "", "public address used in links, e.g. https://hr.example.ru (default http://localhost:PORT)", &c.BaseURL},
		{"telegram-api-url", "STAFFBOT_TELEGRAM_API_URL", "https://api.telegram.org", "Telegram Bot API address (a proxy or test server may stand in)", &c.TelegramAPIURL},
		{"telegram-mode", "STAFFBOT_TELEGRAM_MODE", "auto", "poll, webhook, or auto (webhook when the base URL is https)", &c.TelegramMode},
		{"master-key", "STAFFBOT_MASTER_KEY", "", "32-byte key (hex or base64) sealing secrets; empty: a key file in the data dir", &c.MasterKey},
		{"log-level", "STAFFBOT_LOG_LEVEL", "info", "debug, info, warn or error", &c.LogLevel},
		{"log-format", "STAFFBOT_LOG_FORMAT", "json", "json or text", &c.LogFormat},
		{"smtp-url", "STAFFBOT_SMTP_URL", "", "smtp://user:password@host:587?from=hr@example.ru to send e-mail; empty: no e-mail", &c.SMTPURL},
		{"trusted-proxies", "STAFFBOT_TRUSTED_PROXIES", "", "reverse proxies (CIDR list, e.g. 10.0.0.0/8,::1) whose X-Forwarded-For / X-Real-IP name the client; empty: none", &c.TrustedProxies},
		{"telegram-webhook-limit", "STAFFBOT_TELEGRAM_WEBHOOK_LIMIT", strconv.Itoa(DefaultTelegramWebhookLimit), "Telegram webhook deliveries a second per client address; 0: no limit", &c.TelegramWebhookLimit},
	}
}

// Bind registers the settings as flags on fs, with defaults taken from the
// environment, so that "flag > env > default" holds after fs.Parse.
func (c *Config) Bind(fs *flag.FlagSet) {
	for _, v := range c.Vars() {
		def := v.Default
		if env, ok := os.LookupEnv(v.Env); ok {
			def = env
		}
		fs.StringVar(v.target, v.Flag, def, fmt.Sprintf("%s (env %s)", v.Usage, v.Env))
	}
}

// Validate reports every bad value at once, naming the variable.
func (c *Config) Validate() error {
	var errs []error
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") &&
		!strings.HasPrefix(c.DatabaseURL, "postgresql://") && !strings.HasPrefix(c.DatabaseURL, "sqlite://") {
		errs = append(errs, fmt.Errorf("STAFFBOT_DATABASE_URL: must start with postgres:// or sqlite://"))
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("STAFFBOT_BASE_URL %q: must be an absolute http or https URL", c.BaseURL))
		}
	}
	if u, err := url.Parse(c.TelegramAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("STAFFBOT_TELEGRAM_API_URL %q: must be an absolute http or https URL", c.TelegramAPIURL))
	}
	switch c.TelegramMode {
	case "auto", "poll", "webhook":
	default:
		errs = append(errs, fmt.Errorf("STAFFBOT_TELEGRAM_MODE %q: must be poll, webhook or auto", c.TelegramMode))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("STAFFBOT_ADDR %q: must be host:port or :port", c.Addr))
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		errs = append(errs, fmt.Errorf("STAFFBOT_LOG_FORMAT %q: must be json or text", c.LogFormat))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("STAFFBOT_LOG_LEVEL %q: must be debug, info, warn or error", c.LogLevel))
	}
	if c.SMTPURL != "" {
		u, err := url.Parse(c.SMTPURL)
		if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" || u.Query().Get("from") == "" {
			errs = append(errs, errors.New("STAFFBOT_SMTP_URL: must be smtp:// or smtps://[user:password@]host[:port]?from=address"))
		}
	}
	if _, err := clientip.Parse(c.TrustedProxies); err != nil {
		errs = append(errs, fmt.Errorf("STAFFBOT_TRUSTED_PROXIES: %w", err))
	}
	if c.TelegramWebhookLimit != "" {
		if n, err := strconv.Atoi(c.TelegramWebhookLimit); err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("STAFFBOT_TELEGRAM_WEBHOOK_LIMIT %q: must be a whole number of deliveries a second, 0 for no limit", c.TelegramWebhookLimit))
		}
	}
	if c.TelegramMode == "webhook" && c.BaseURL == "" {
		// Telegram itself accepts only https webhooks; a local Bot API
		// server or a test server may take plain http.
		errs = append(errs, errors.New("STAFFBOT_TELEGRAM_MODE webhook: needs STAFFBOT_BASE_URL"))
	}
	return errors.Join(errs...)
}

// Proxies returns the trusted reverse proxies; Validate has checked the
// list.
func (c *Config) Proxies() clientip.Proxies {
	p, _ := clientip.Parse(c.TrustedProxies)
	return p
}

// WebhookLimit returns the Telegram webhook limit per client address and
// second, 0 for none.
func (c *Config) WebhookLimit() int {
	if c.TelegramWebhookLimit == "" {
		return DefaultTelegramWebhookLimit
	}
	n, err := strconv.Atoi(c.TelegramWebhookLimit)
	if err != nil || n < 0 {
		return DefaultTelegramWebhookLimit
	}
	return n
}

// DSN returns the database to open: the PostgreSQL URL, or the SQLite file
// in the data directory.
func (c *Config) DSN() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return filepath.Join(c.DataDir, "staffbot.db")
}

// PublicURL returns BaseURL, or a localhost address built from Addr.
func (c *Config) PublicURL() string {
	if c.BaseURL != "" {
		return strings.TrimRight(c.BaseURL, "/")
	}
	addr := c.Addr
	if strings.HasPrefix(addr, ":") {
		addr = "localhost" + addr
	}
	return "http://" + addr
}
