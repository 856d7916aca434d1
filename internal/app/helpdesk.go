package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/api"
	"github.com/staffbot/staffbot/internal/audit"
	"github.com/staffbot/staffbot/internal/helpdesk"
	"github.com/staffbot/staffbot/internal/web"
)

// wireHelpdesk builds the helpdesk and hands it to the bot: "Написать в
// HR" in the menu, /tickets, replies and ratings in the chat.
func (a *App) wireHelpdesk() {
	a.Helpdesk = &helpdesk.Service{
		Store:   a.Store,
		Clock:   a.Clock,
		Logger:  a.logger,
		Auditor: &audit.Recorder{Store: a.Store, Clock: a.Clock},
		BaseURL: a.Config.PublicURL(),
		Files: map[staffbot.ChannelKind]helpdesk.FileFetcher{
			staffbot.ChannelTelegram: &telegramFiles{api: a.Config.TelegramAPIURL, hc: a.hc, max: helpdesk.DefaultMaxFileSize},
		},
	}
	a.Bot.Helpdesk = a.Helpdesk
	a.faq.Escalator = a.Helpdesk
}

// ticketsInCabinet adds the operator console to the cabinet and the
// ticket routes to the REST API.
func (a *App) ticketsInCabinet(cab *web.Server, rest *api.Server) {
	cab.AddTickets(a.Helpdesk)
	rest.AddTickets(a.Helpdesk)
}

// startHelpdesk runs the SLA timers, auto-close, the hand-over of FAQ
// questions and the fetching of files, every tick.
func (a *App) startHelpdesk(ctx context.Context, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.Helpdesk.Loop(ctx, a.tick)
	}()
}

// RunHelpdesk runs the helpdesk's timers now; tests call it after moving
// the clock.
func (a *App) RunHelpdesk(ctx context.Context) (helpdesk.Report, error) {
	rep, err := a.Helpdesk.RunDue(ctx)
	a.Dispatcher.Wake()
	return rep, err
}

// telegramFiles downloads files employees sent to a company's bot: the
// Bot API's getFile gives a path, which is then fetched from the file
// endpoint. The bot token is part of both addresses, so errors are
// stripped of them.
type telegramFiles struct {
	api string
	hc  *http.Client
	max int64
}

func (f *telegramFiles) Fetch(ctx context.Context, co *staffbot.Company, ref string) (string, string, []byte, error) {
	if co.TelegramToken == "" {
		return "", "", nil, errors.New("company has no Telegram bot")
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()

	body, _ := json.Marshal(map[string]string{"file_id": ref})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.api+"/bot"+co.TelegramToken+"/getFile", strings.NewReader(string(body)))
	if err != nil {
		return "", "", nil, errors.New("build getFile request")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := f.hc.Do(req)
	if err != nil {
		return "", "", nil, fmt.Errorf("getFile: %w", stripURL(err))
	}
	var r struct {
		OK          bool   `json:"ok"`
		Description string `json:"description"`
		Result      struct {
			FilePath string `json:"file_path"`
			FileSize int64  `json:"file_size"`
		} `json:"result"`
	}
	err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&r)
	resp.Body.Close()
	switch {
	case err != nil:
		return "", "", nil, fmt.Errorf("getFile reply: %w", err)
	case !r.OK || r.Result.FilePath == "":
		return "", "", nil, fmt.Errorf("getFile refused (%d): %s", resp.StatusCode, r.Description)
	case r.Result.FileSize > f.max:
		return "", "", nil, fmt.Errorf("file of %d bytes is over the limit", r.Result.FileSize)
	}

	req, err = http.NewRequestWithContext(ctx, http.MethodGet, f.api+"/file/bot"+co.TelegramToken+"/"+r.Result.FilePath, nil)
	if err != nil {
		return "", "", nil, errors.New("build file request")
	}
	resp, err = f.hc.Do(req)
	if err != nil {
		return "", "", nil, fmt.Errorf("download file: %w", stripURL(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", "", nil, fmt.Errorf("download file: status %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, f.max+1))
	if err != nil {
		return "", "", nil, fmt.Errorf("download file: %w", stripURL(err))
	}
	if int64(len(data)) > f.max {
		return "", "", nil, fmt.Errorf("file is over the limit of %d bytes", f.max)
	}
	ctype := resp.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ctype); err != nil || mt == "application/octet-stream" {
		ctype = ""
	}
	return path.Base(r.Result.FilePath), ctype, data, nil
}

// stripURL drops the address (which holds the bot token) from an HTTP
// client error.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
