package securelink

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/staffbot/staffbot/internal/locale"
)

// texts are the page's words, Russian first.
var texts = map[string][2]string{
	"doc.title":    {"Документ", "Document"},
	"doc.ready":    {"Документ готов к скачиванию.", "The document is ready to download."},
	"doc.file":     {"Файл", "File"},
	"doc.size":     {"Размер", "Size"},
	"doc.until":    {"Ссылка действует до %s.", "The link works until %s."},
	"doc.left":     {"Осталось скачиваний: %d.", "Downloads left: %d."},
	"doc.download": {"Скачать", "Download"},
	"doc.personal": {
		"Ссылка личная: не пересылайте её. Файл хранится в зашифрованном виде и удаляется, когда ссылка истекает.",
		"This link is personal: do not forward it. The file is kept encrypted and deleted when the link expires.",
	},

	"code.title": {"Защищённый документ", "Protected document"},
	"code.intro": {
		"Этот документ защищён одноразовым кодом. Нажмите «Отправить код» — код придёт в чат с HR-ботом.",
		"This document is protected by a one-time code. Press “Send code” and the code will arrive in your chat with the HR bot.",
	},
	"code.enter": {
		"Введите код, который HR-бот прислал вам в чат. Новый код можно запросить кнопкой ниже.",
		"Enter the code the HR bot sent to your chat. You can ask for a new code with the button below.",
	},
	"code.send":   {"Отправить код", "Send code"},
	"code.resend": {"Отправить новый код", "Send a new code"},
	"code.sent":   {"Код отправлен в чат с ботом. Он действует 10 минут.", "The code has been sent to your chat with the bot. It works for 10 minutes."},
	"code.label":  {"Код из чата (6 цифр)", "Code from the chat (6 digits)"},
	"code.wrong":  {"Неверный код. Осталось попыток: %d.", "Wrong code. Attempts left: %d."},
	"code.shape":  {"Введите шесть цифр из сообщения бота.", "Enter the six digits from the bot's message."},
	"code.stale": {
		"Срок действия кода истёк или код уже использован. Запросите новый.",
		"The code has expired or has already been used. Ask for a new one.",
	},
	"code.wait": {"Код уже отправлен. Новый можно запросить через минуту.", "A code was just sent. You can ask for a new one in a minute."},
	"code.limit": {
		"Для этой ссылки больше нельзя отправить код. Если документ нужен, закажите его заново в чате с ботом.",
		"No more codes can be sent for this link. If you need the document, order it again in the chat with the bot.",
	},
	"code.unreachable": {
		"Не удалось отправить код: бот не может написать вам. Откройте чат с ботом и попробуйте снова.",
		"The code could not be sent: the bot cannot write to you. Open your chat with the bot and try again.",
	},

	"expired.title": {"Ссылка истекла", "This link has expired"},
	"expired.text": {
		"Срок действия ссылки закончился, файл удалён. Если документ ещё нужен, закажите его заново в чате с ботом.",
		"The link's time is up and the file has been deleted. If you still need the document, order it again in the chat with the bot.",
	},
	"used.title": {"Ссылка уже использована", "This link has already been used"},
	"used.text": {
		"Документ скачали разрешённое число раз, файл удалён. Если он снова нужен, закажите его заново в чате с ботом.",
		"The document was downloaded as many times as allowed and the file has been deleted. If you need it again, order it in the chat with the bot.",
	},
	"locked.title": {"Ссылка заблокирована", "This link is locked"},
	"locked.text": {
		"Слишком много неверных кодов: ссылка заблокирована, файл удалён. Закажите документ заново в чате с ботом.",
		"Too many wrong codes: the link is locked and the file has been deleted. Order the document again in the chat with the bot.",
	},
	"notfound.title": {"Ссылка не найдена", "Link not found"},
	"notfound.text": {
		"Проверьте, что ссылка скопирована целиком. Ссылки на документы присылает HR-бот вашей компании.",
		"Check that the whole link was copied. Links to documents come from your company's HR bot.",
	},
	"stale.title":   {"Страница устарела", "This page is out of date"},
	"stale.text":    {"Откройте ссылку заново и повторите.", "Open the link again and retry."},
	"error.title":   {"Что-то пошло не так", "Something went wrong"},
	"error.text":    {"Попробуйте ещё раз через минуту.", "Please try again in a minute."},
	"toomany.title": {"Слишком много запросов", "Too many requests"},
	"toomany.text":  {"Подождите минуту и попробуйте снова.", "Wait a minute and try again."},
	"lang.switch":   {"English", "Русский"},
}

func tr(lang locale.Lang, key string, args ...any) string {
	pair, ok := texts[key]
	if !ok {
		return key
	}
	s := pair[0]
	if lang == locale.EN {
		s = pair[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// view is what one rendering of the page shows.
type view struct {
	Lang   locale.Lang
	Status int

	Title  string
	Text   string
	Notice string
	Alert  bool // the notice is a refusal, not news

	// A link that works shows its file (unless a code guards it), the
	// expiry and the opens left, and the forms to get it.
	FileName  string
	Size      string
	Until     string
	OpensLeft string

	ShowDownload  bool
	ShowCodeInput bool
	ShowSendCode  bool
	SendCodeLabel string

	Action     string
	CodeAction string
	CSRF       string

	SwitchURL   string
	SwitchLabel string
	SwitchLang  locale.Lang
	Personal    string
}

const pageStyle = `body{margin:0;font:17px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2430;background:#f4f6f9}
main{max-width:28rem;margin:0 auto;padding:1rem 1.25rem 2rem;background:#fff;min-height:100vh;box-sizing:border-box}
nav{text-align:right;font-size:15px}a{color:#1a5fb4}h1{font-size:1.5rem;line-height:1.25;margin:.5rem 0 1rem}
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem .75rem;margin:1rem 0}dt{color:#5b6573}dd{margin:0;word-break:break-word}
.meta{color:#5b6573;font-size:15px}.notice{padding:.75rem 1rem;border-radius:.5rem;background:#e8f2fd}
.notice.alert{background:#fdecea;color:#8a1c12}label{display:block;margin:1rem 0 .25rem;font-weight:600}
input{box-sizing:border-box;width:100%;font-size:1.5rem;letter-spacing:.3em;padding:.5rem .75rem;border:1px solid #9aa4b2;border-radius:.5rem}
button{display:block;box-sizing:border-box;width:100%;margin:1rem 0 0;padding:.9rem 1rem;font:inherit;font-weight:600;color:#fff;background:#1a5fb4;border:0;border-radius:.5rem;cursor:pointer}
button.secondary{color:#1a5fb4;background:#fff;border:1px solid #1a5fb4}footer{margin-top:2rem;color:#5b6573;font-size:14px}`

// styleHash is the CSP source that lets the page's one inline style in and
// nothing else.
func styleHash() string {
	sum := sha256.Sum256([]byte(pageStyle))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<link rel="icon" href="data:,">
<title>{{.Title}}</title>
<style>` + pageStyle + `</style>
</head><body><main>
<nav><a id="lang" href="{{.SwitchURL}}" lang="{{.SwitchLang}}">{{.SwitchLabel}}</a></nav>
<h1 id="title">{{.Title}}</h1>
{{if .Notice}}<p id="notice" class="notice{{if .Alert}} alert{{end}}" role="status">{{.Notice}}</p>{{end}}
{{if .Text}}<p id="text">{{.Text}}</p>{{end}}
{{if .FileName}}<dl><dt>{{call .T "doc.file"}}</dt><dd id="file-name">{{.FileName}}</dd><dt>{{call .T "doc.size"}}</dt><dd>{{.Size}}</dd></dl>{{end}}
{{if .Until}}<p class="meta" id="meta">{{.Until}} {{.OpensLeft}}</p>{{end}}
{{if .ShowDownload}}<form method="post" action="{{.Action}}">
<input type="hidden" name="csrf" value="{{.CSRF}}"><input type="hidden" name="lang" value="{{.Lang}}">
<button id="download" type="submit">{{call .T "doc.download"}}</button></form>{{end}}
{{if .ShowCodeInput}}<form method="post" action="{{.Action}}" id="code-form">
<input type="hidden" name="csrf" value="{{.CSRF}}"><input type="hidden" name="lang" value="{{.Lang}}">
<label for="code">{{call .T "code.label"}}</label>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="9" required>
<button id="verify" type="submit">{{call .T "doc.download"}}</button></form>{{end}}
{{if .ShowSendCode}}<form method="post" action="{{.CodeAction}}">
<input type="hidden" name="csrf" value="{{.CSRF}}"><input type="hidden" name="lang" value="{{.Lang}}">
<button id="send-code" type="submit"{{if .ShowCodeInput}} class="secondary"{{end}}>{{.SendCodeLabel}}</button></form>{{end}}
{{if .Personal}}<footer>{{.Personal}}</footer>{{end}}
</main></body></html>`))

// render writes the page. The view's language picks the words and the
// switch to the other language.
func (s *Service) render(w http.ResponseWriter, r *http.Request, v view) {
	other := locale.EN
	if v.Lang == locale.EN {
		other = locale.RU
	}
	q := url.Values{"lang": {string(other)}}
	v.SwitchURL = r.URL.Path + "?" + q.Encode()
	if r.Method != http.MethodGet {
		v.SwitchURL = PathPrefix + r.PathValue("token") + "?" + q.Encode()
	}
	v.SwitchLang = other
	v.SwitchLabel = tr(v.Lang, "lang.switch")

	var buf bytes.Buffer
	data := struct {
		view
		T func(string) string
	}{v, func(key string) string { return tr(v.Lang, key) }}
	if err := pageTmpl.Execute(&buf, data); err != nil {
		s.Logger.ErrorContext(r.Context(), "Secure link page not rendered", slog.String("error", err.Error()))
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if v.Status == 0 {
		v.Status = http.StatusOK
	}
	w.WriteHeader(v.Status)
	w.Write(buf.Bytes())
}

// goneView is the page of a link that no longer works, or never did.
func goneView(lang locale.Lang, reason string) view {
	status := http.StatusGone
	if reason == "notfound" {
		status = http.StatusNotFound
	}
	return view{Lang: lang, Status: status, Title: tr(lang, reason+".title"), Text: tr(lang, reason+".text")}
}

func messageView(lang locale.Lang, status int, key string) view {
	return view{Lang: lang, Status: status, Title: tr(lang, key+".title"), Text: tr(lang, key+".text")}
}

// humanSize writes a byte count as an employee reads it.
func humanSize(lang locale.Lang, n int64) string {
	units := [2][3]string{{"Б", "КБ", "МБ"}, {"B", "KB", "MB"}}
	u := units[0]
	if lang == locale.EN {
		u = units[1]
	}
	switch {
	case n < 1024:
		return fmt.Sprintf("%d %s", n, u[0])
	case n < 1024*1024:
		return fmt.Sprintf("%.0f %s", float64(n)/1024, u[1])
	default:
		return fmt.Sprintf("%.1f %s", float64(n)/1024/1024, u[2])
	}
}

// localTime writes an instant in the company's zone: "05.03.2026 14:30".
func localTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("02.01.2006 15:04")
}
