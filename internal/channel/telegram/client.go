package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/staffbot/staffbot/internal/channel"
)

type jsonRaw = json.RawMessage

// Timeouts of one call. Long polls get pollGrace on top of their own timeout.
const (
	callTimeout = 60 * time.Second
	pollGrace   = 15 * time.Second
	maxReply    = 16 << 20
)

// Client calls the Bot API for one bot token. It is safe for concurrent use.
type Client struct {
	baseURL string
	token   string
	hc      *http.Client
}

// NewClient returns a client that sends requests to
// baseURL+"/bot"+token+"/"+method. The caller supplies baseURL (the public
// API is https://api.telegram.org); hc may be nil. Calls without a deadline
// in their context get one, so hc needs no Timeout of its own.
func NewClient(baseURL, token string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{}
	}
	return &Client{baseURL: strings.TrimRight(baseURL, "/"), token: token, hc: hc}
}

// User is the bot account as getMe describes it.
type User struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot"`
	FirstName string `json:"first_name"`
	Username  string `json:"username"`
}

// GetMe returns the bot's own account; it is the cheapest check of a token.
func (c *Client) GetMe(ctx context.Context) (*User, error) {
	var u User
	if err := c.call(ctx, "getMe", struct{}{}, &u); err != nil {
		return nil, fmt.Errorf("get me: %w", err)
	}
	return &u, nil
}

// GetUpdates long-polls for updates with update_id >= offset, waiting up to
// timeoutSec seconds. Calling it confirms every update below offset.
// allowedUpdates may be nil to keep the types set earlier. Each update is
// returned raw for ParseUpdate.
func (c *Client) GetUpdates(
	ctx context.Context,
	offset int64,
	timeoutSec int,
	allowedUpdates []string,
) ([]json.RawMessage, error) {
	params := struct {
		Offset         int64    `json:"offset,omitempty"`
		Timeout        int      `json:"timeout"`
		AllowedUpdates []string `json:"allowed_updates,omitempty"`
	}{offset, timeoutSec, allowedUpdates}

	ctx, cancel := context.WithTimeout(ctx, time.Duration(timeoutSec)*time.Second+pollGrace)
	defer cancel()

	var updates []json.RawMessage
	if err := c.call(ctx, "getUpdates", params, &updates); err != nil {
		return nil, fmt.Errorf("get updates: %w", err)
	}
	return updates, nil
}

// SendMessage renders msg, splits it into pieces Telegram accepts and sends
// them in order; buttons go under the last piece. A piece whose markup
// Telegram cannot parse is sent again once as plain text. When FileURL is
// set, the file follows the text as a document fetched by Telegram.
//
// If a later piece fails, the earlier ones have been delivered; a retry of
// the whole message repeats them. A short rate limit between pieces is
// waited out to make that rare.
func (c *Client) SendMessage(ctx context.Context, chatID string, msg channel.Outgoing) error {
	kb, err := keyboard(msg.Buttons)
	if err != nil {
		return fmt.Errorf("send message: %w", err)
	}
	if strings.TrimSpace(msg.Text) == "" && msg.FileURL == "" {
		return fmt.Errorf("send message: empty text: %w", channel.ErrBadRequest)
	}

	text, mode := render(msg)
	var pieces []string
	if strings.TrimSpace(msg.Text) != "" {
		pieces = SplitText(text, MaxTextLen, mode == parseModeHTML)
	}
	for i, p := range pieces {
		var markup *inlineKeyboard
		if i == len(pieces)-1 {
			markup = kb
		}
		if err := c.sendPiece(ctx, chatID, p, mode, markup, i > 0); err != nil {
			return fmt.Errorf("send message: %w", err)
		}
	}

	if msg.FileURL != "" {
		params := map[string]any{"chat_id": chatIDParam(chatID), "document": msg.FileURL}
		if len(pieces) == 0 && kb != nil {
			params["reply_markup"] = kb
		}
		if err := c.call(ctx, "sendDocument", params, nil); err != nil {
			return fmt.Errorf("send document: %w", err)
		}
	}
	return nil
}

// maxPieceWait is the longest rate limit waited out between the pieces of
// one message.
const maxPieceWait = 30 * time.Second

func (c *Client) sendPiece(
	ctx context.Context,
	chatID, text, mode string,
	markup *inlineKeyboard,
	continued bool,
) error {
	params := sendParams{ChatID: chatIDParam(chatID), Text: text, ParseMode: mode, ReplyMarkup: markup}
	err := c.call(ctx, "sendMessage", params, nil)

	var rl *channel.RateLimitError
	if continued && errors.As(err, &rl) && rl.RetryAfter <= maxPieceWait {
		if err := sleep(ctx, rl.RetryAfter); err != nil {
			return err
		}
		err = c.call(ctx, "sendMessage", params, nil)
	}

	if errors.Is(err, ErrParseEntities) && mode != "" {
		params.Text, params.ParseMode = htmlToPlain(text), ""
		err = c.call(ctx, "sendMessage", params, nil)
	}
	return err
}

// EditMessageText replaces the text and buttons of a message the bot sent.
// An edit to identical content succeeds without a change.
func (c *Client) EditMessageText(
	ctx context.Context,
	chatID string,
	messageID int64,
	msg channel.Outgoing,
) error {
	kb, err := keyboard(msg.Buttons)
	if err != nil {
		return fmt.Errorf("edit message: %w", err)
	}
	text, mode := render(msg)
	params := struct {
		sendParams
		MessageID int64 `json:"message_id"`
	}{sendParams{chatIDParam(chatID), text, mode, kb}, messageID}

	err = c.call(ctx, "editMessageText", params, nil)
	if errors.Is(err, ErrParseEntities) && mode != "" {
		params.Text, params.ParseMode = htmlToPlain(text), ""
		err = c.call(ctx, "editMessageText", params, nil)
	}
	if err != nil {
		return fmt.Errorf("edit message: %w", err)
	}
	return nil
}

// AnswerCallbackQuery stops the spinner on a pressed button; text, if not
// empty, is shown to the user as a short notice.
func (c *Client) AnswerCallbackQuery(ctx context.Context, id, text string) error {
	params := struct {
		ID   string `json:"callback_query_id"`
		Text string `json:"text,omitempty"`
	}{id, text}
	if err := c.call(ctx, "answerCallbackQuery", params, nil); err != nil {
		return fmt.Errorf("answer callback query: %w", err)
	}
	return nil
}

// SetWebhook asks Telegram to POST updates to url with secretToken in the
// X-Telegram-Bot-Api-Secret-Token header. allowedUpdates may be nil for the
// default set.
func (c *Client) SetWebhook(ctx context.Context, url, secretToken string, allowedUpdates []string) error {
	params := struct {
		URL            string   `json:"url"`
		SecretToken    string   `json:"secret_token,omitempty"`
		AllowedUpdates []string `json:"allowed_updates,omitempty"`
	}{url, secretToken, allowedUpdates}
	if err := c.call(ctx, "setWebhook", params, nil); err != nil {
		return fmt.Errorf("set webhook: %w", err)
	}
	return nil
}

// DeleteWebhook removes the webhook so that getUpdates works again. Pending
// updates are kept.
func (c *Client) DeleteWebhook(ctx context.Context) error {
	if err := c.call(ctx, "deleteWebhook", struct{}{}, nil); err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	return nil
}

// SendDocument uploads the content of r as a file named fileName. The name
// goes into the multipart header as raw UTF-8 (filename="..."), the only
// form Telegram reads correctly for Cyrillic names. caption is plain text.
func (c *Client) SendDocument(ctx context.Context, chatID, fileName string, r io.Reader, caption string) error {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		pw.CloseWithError(writeDocument(mw, chatID, fileName, r, caption))
	}()
	defer pr.Close()

	if err := c.do(ctx, "sendDocument", mw.FormDataContentType(), pr, nil); err != nil {
		return fmt.Errorf("send document: %w", err)
	}
	return nil
}

func writeDocument(mw *multipart.Writer, chatID, fileName string, r io.Reader, caption string) error {
	if err := mw.WriteField("chat_id", chatID); err != nil {
		return err
	}
	if caption != "" {
		if err := mw.WriteField("caption", caption); err != nil {
			return err
		}
	}

	ctype := mime.TypeByExtension(path.Ext(fileName))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition",
		`form-data; name="document"; filename="`+quoteFileName(fileName)+`"`)
	h.Set("Content-Type", ctype)
	part, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	if _, err := io.Copy(part, r); err != nil {
		return fmt.Errorf("copy file: %w", err)
	}
	return mw.Close()
}

// quoteFileName escapes a file name for a quoted header parameter. Non-ASCII
// stays raw UTF-8; line breaks, which would end the header, are dropped.
func quoteFileName(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", "", "\n", "").Replace(s)
}

// sendParams are the fields sendMessage and editMessageText share.
type sendParams struct {
	ChatID      any             `json:"chat_id"`
	Text        string          `json:"text"`
	ParseMode   string          `json:"parse_mode,omitempty"`
	ReplyMarkup *inlineKeyboard `json:"reply_markup,omitempty"`
}

// chatIDParam sends numeric chat ids as numbers and @usernames as strings.
func chatIDParam(chatID string) any {
	if n, err := strconv.ParseInt(chatID, 10, 64); err == nil {
		return n
	}
	return chatID
}

// call sends params as JSON and decodes the result into result, if not nil.
func (c *Client) call(ctx context.Context, method string, params, result any) error {
	body, err := json.Marshal(params)
	if err != nil {
		return fmt.Errorf("encode %s: %w", method, err)
	}
	return c.do(ctx, method, "application/json", bytes.NewReader(body), result)
}

// do performs one request. "message is not modified" counts as success.
func (c *Client) do(ctx context.Context, method, contentType string, body io.Reader, result any) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, callTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.baseURL+"/bot"+c.token+"/"+method, body)
	if err != nil {
		return redact(err, c.token)
	}
	req.Header.Set("Content-Type", contentType)

	resp, err := c.hc.Do(req)
	if err != nil {
		return redact(err, c.token)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return redact(fmt.Errorf("read %s reply: %w", method, err), c.token)
	}

	var r reply
	if err := json.Unmarshal(raw, &r); err != nil {
		if resp.StatusCode != http.StatusOK {
			// A proxy's HTML error page: classify by status alone.
			return newAPIError(method, resp.StatusCode, reply{Description: http.StatusText(resp.StatusCode)})
		}
		return fmt.Errorf("decode %s reply: %w", method, err)
	}
	if !r.OK {
		e := newAPIError(method, resp.StatusCode, r)
		if errors.Is(e, errNotModified) {
			return nil
		}
		return e
	}
	if result != nil {
		if err := json.Unmarshal(r.Result, result); err != nil {
			return fmt.Errorf("decode %s result: %w", method, err)
		}
	}
	return nil
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
