package app

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel/telegram"
)

// startTelegram connects every company that has a bot token: by webhook when
// the server has a public https address, by long polling otherwise.
func (a *App) startTelegram(ctx context.Context, wg *sync.WaitGroup) error {
	cos, err := a.Store.FindCompanies(ctx)
	if err != nil {
		return err
	}
	mode := a.Config.TelegramMode
	if mode == "auto" {
		mode = "poll"
		if strings.HasPrefix(a.Config.PublicURL(), "https://") {
			mode = "webhook"
		}
	}

	for _, co := range cos {
		if co.TelegramToken == "" {
			continue
		}
		client := telegram.NewClient(a.Config.TelegramAPIURL, co.TelegramToken, a.hc)
		log := a.logger.With(slog.Int64("company_id", int64(co.ID)), slog.String("channel", "telegram"))

		if mode == "webhook" {
			url := a.Config.PublicURL() + "/telegram/webhook/" + co.Slug
			if err := client.SetWebhook(ctx, url, co.TelegramWebhookSecret, telegram.DefaultAllowedUpdates); err != nil {
				log.ErrorContext(ctx, "Telegram webhook not set", slog.String("error", err.Error()))
				continue
			}
			log.InfoContext(ctx, "Telegram connected", slog.String("mode", "webhook"))
			continue
		}

		// getUpdates answers 409 while a webhook is set.
		if err := client.DeleteWebhook(ctx); err != nil {
			log.WarnContext(ctx, "Telegram webhook not removed", slog.String("error", err.Error()))
		}
		p := telegram.NewPoller(client, co.ID, a.handleIncoming, a.logger)
		lockName := "telegram-poller:" + co.Slug
		p.Lock = func(ctx context.Context) (func(), error) {
			return a.Store.Lock(ctx, lockName, 5*time.Second)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.Run(ctx); err != nil && ctx.Err() == nil {
				log.ErrorContext(ctx, "Telegram polling stopped", slog.String("error", err.Error()))
			}
		}()
		log.InfoContext(ctx, "Telegram connected", slog.String("mode", "poll"))
	}
	return nil
}

// telegramAcker answers button presses so that Telegram stops showing a
// spinner on the button.
type telegramAcker struct {
	api string
	hc  *http.Client
}

func (t telegramAcker) Ack(ctx context.Context, co *staffbot.Company, callbackID string) error {
	if co.TelegramToken == "" {
		return nil
	}
	return telegram.NewClient(t.api, co.TelegramToken, t.hc).AnswerCallbackQuery(ctx, callbackID, "")
}
