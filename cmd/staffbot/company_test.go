package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompany_CreateList: companies are created with their time zone and,
// given a token, their Telegram bot, checked against the Bot API; a taken
// slug, a bad slug or an unknown time zone is refused; the list shows
// them all.
func TestCompany_CreateList(t *testing.T) {
	eachDatabase(t, func(t *testing.T, c *cli) {
		r := c.mustRun("company", "create", "--slug", "acme", "--name", "ООО «Акме»", "--time-zone", "Asia/Yekaterinburg")
		if !strings.Contains(r.stdout, "company acme created") || !strings.Contains(r.stdout, "Asia/Yekaterinburg") {
			t.Errorf("create acme: %s", r)
		}
		r = c.mustRun("company", "create", "--slug", "north-wind", "--name", "Северный ветер", "--telegram-token", testBotToken)
		if !strings.Contains(r.stdout, "@"+testBotUsername) {
			t.Errorf("create north-wind with a bot: %s", r)
		}
		if c.tg.Calls("getMe") != 1 {
			t.Errorf("getMe calls = %d, want 1 (the token is checked)", c.tg.Calls("getMe"))
		}

		for _, args := range [][]string{
			{"company", "create", "--slug", "acme", "--name", "Другая"},
			{"company", "create", "--slug", "Bad Slug!"},
			{"company", "create", "--slug", "mars", "--time-zone", "Mars/Olympus"},
			{"company", "create", "--slug", "bot", "--telegram-token", "7000003:unknown"},
		} {
			if r := c.run(args...); r.code != 1 {
				t.Errorf("staffbot %s: exit %d, want 1\n%s", strings.Join(args, " "), r.code, r)
			}
		}

		acme := c.company("acme")
		if acme.Name != "ООО «Акме»" || acme.TimeZone != "Asia/Yekaterinburg" || acme.TelegramToken != "" {
			t.Errorf("acme = %+v", acme)
		}
		nw := c.company("north-wind")
		if nw.TimeZone != "Europe/Moscow" || nw.TelegramToken != testBotToken || nw.TelegramBotUsername != testBotUsername || nw.TelegramWebhookSecret == "" {
			t.Errorf("north-wind: time zone %q, bot @%s, token kept %v, webhook secret set %v",
				nw.TimeZone, nw.TelegramBotUsername, nw.TelegramToken == testBotToken, nw.TelegramWebhookSecret != "")
		}

		list := c.mustRun("company", "list").stdout
		lines := strings.Split(strings.TrimSpace(list), "\n")
		if len(lines) != 3 {
			t.Fatalf("company list has %d lines, want a header and 2 companies:\n%s", len(lines), list)
		}
		for _, want := range []string{"acme", "ООО «Акме»", "Asia/Yekaterinburg", "north-wind", "Северный ветер", "@" + testBotUsername} {
			if !strings.Contains(list, want) {
				t.Errorf("company list lacks %q:\n%s", want, list)
			}
		}
		if strings.Contains(list, testBotToken) {
			t.Error("company list shows the bot token")
		}

		if c.dbURL == "" {
			// The master key is made on first use, readable by its owner
			// only, and the token is not stored in the clear.
			fi, err := os.Stat(filepath.Join(c.dataDir, "master.key"))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("master.key mode = %v, want 0600", fi.Mode().Perm())
			}
			db, err := os.ReadFile(filepath.Join(c.dataDir, "staffbot.db"))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(db), testBotToken) {
				t.Error("the bot token is stored in the clear")
			}
		}
	})
}
