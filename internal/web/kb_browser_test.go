package web_test

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/auth"
	"github.com/staffbot/staffbot/internal/browsertest"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/faq/faqbot"
	"github.com/staffbot/staffbot/internal/store"
	"github.com/staffbot/staffbot/internal/store/storetest"
)

// TestBrowser_KnowledgeBase drives the knowledge base in headless
// Chromium: sign in with a password and an authenticator code, open the
// knowledge base, send a new article without a title (the error shows
// next to the field, the typed text stays), fix and publish it, edit it,
// see its two versions side by side and restore the first. The bot then
// answers an employee from the article as restored. Last, a question
// nobody answered is on the gaps page, and "Написать статью" opens the
// editor with it.
func TestBrowser_KnowledgeBase(t *testing.T) {
	browsertest.Require(t)
	f := kbFixture(t, storetest.MustOpen(t, storetest.SQLiteDSN(t)))
	emp, acct := f.mustBotEmployee("0001", "Иванова Анна Сергеевна")
	_, secret := f.mustUser("hr@acme.ru", auth.RoleHRManager, nil, true)
	shots := screenshotDir(t)
	review := staffbot.Date{Year: 2026, Month: 2, Day: 1}
	if _, err := f.st.SaveKBArticle(t.Context(), &store.KBArticle{CompanyID: f.co.ID, Slug: "vacation", Title: "Ежегодный отпуск",
		Questions: []string{"Сколько дней отпуска положено?"}, Answer: "28 календарных дней.", Category: "Отпуск",
		ReviewOn: &review, Published: true}, "import", t0); err != nil {
		t.Fatal(err)
	}

	ctx := browsertest.New(t, browsertest.WindowSize(1280, 900))
	// The form sent without a title answers 422 on purpose; Chromium
	// logs any such status.
	problems := browsertest.Watch(ctx, func(m chromedp.ConsoleMessage) bool {
		return strings.Contains(m.String(), "status of 422") && strings.HasSuffix(m.URL, "/hr/kb/new")
	}).Errors
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	do(t, ctx, "open the sign-in page",
		chromedp.Navigate(f.srv.URL+"/hr/login?company=acme"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
	)
	do(t, ctx, "type the password",
		chromedp.SendKeys(chromedp.CSS(`#email`), "hr@acme.ru"),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
		chromedp.Click(chromedp.CSS(`#submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#code`)),
	)
	do(t, ctx, "type the code",
		chromedp.SendKeys(chromedp.CSS(`#code`), f.code(secret)),
		chromedp.Click(chromedp.CSS(`#submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#nav-kb`)),
	)

	do(t, ctx, "open the knowledge base",
		chromedp.Click(chromedp.CSS(`#nav-kb`)),
		chromedp.WaitVisible(chromedp.CSS(`#kb-filter`)),
	)
	if got := text(t, ctx, `h1`); got != "База знаний" {
		t.Errorf("heading = %q, want База знаний", got)
	}
	if got := text(t, ctx, `#kb-due-count`); !strings.HasPrefix(got, "Статей пора проверить: 1.") {
		t.Errorf("review note = %q", got)
	}
	if got := text(t, ctx, `tr[data-slug="vacation"].kb-row-due .kb-due`); got != "Пора проверить" {
		t.Errorf("the article due for review is marked %q", got)
	}

	// A new article without a title comes back with the error next to
	// the title and everything typed still there.
	const (
		questions = "Где поставить велосипед?\nЕсть ли велопарковка у офиса"
		first     = "Велопарковка во дворе, у входа Б."
		second    = "Велопарковка переехала к входу В."
	)
	do(t, ctx, "start a new article",
		chromedp.Click(chromedp.CSS(`#kb-new`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-title`)),
		chromedp.SendKeys(chromedp.CSS(`#f-questions`), questions),
		chromedp.SendKeys(chromedp.CSS(`#f-answer`), first),
		chromedp.SendKeys(chromedp.CSS(`#f-category`), "Офис"),
		chromedp.SendKeys(chromedp.CSS(`#f-tags`), "велосипед, парковка"),
		chromedp.SendKeys(chromedp.CSS(`#f-owner`), "0001"),
		chromedp.Click(chromedp.CSS(`#kb-save`)),
		chromedp.WaitVisible(chromedp.CSS(`#e-title`)),
	)
	if got := text(t, ctx, `#e-title`); got != "Укажите заголовок." {
		t.Errorf("title error = %q", got)
	}
	if !value[bool](t, ctx, `document.querySelector('#f-title').getAttribute('aria-invalid') === 'true'`) {
		t.Error("the title field is not marked invalid")
	}
	if got := value[string](t, ctx, `document.querySelector('#f-questions').value`); got != questions {
		t.Errorf("questions after the error = %q, want them as typed", got)
	}
	if got := value[string](t, ctx, `document.querySelector('#f-answer').value`); got != first {
		t.Errorf("answer after the error = %q", got)
	}
	if got := value[string](t, ctx, `document.querySelector('#f-tags').value + '|' + document.querySelector('#f-owner').value`); got != "велосипед, парковка|0001" {
		t.Errorf("tags and owner after the error = %q", got)
	}
	shot("kb-editor-error")

	do(t, ctx, "fix the title and publish",
		chromedp.SendKeys(chromedp.CSS(`#f-title`), "Велопарковка"),
		chromedp.Click(chromedp.CSS(`#f-published`)),
		chromedp.Click(chromedp.CSS(`#kb-save`)),
		chromedp.WaitVisible(chromedp.CSS(`#kb-meta`)),
	)
	if got := text(t, ctx, `p.notice`); got != "Статья создана." {
		t.Errorf("notice = %q", got)
	}
	if got := text(t, ctx, `#kb-state`); got != "Опубликована" {
		t.Errorf("state = %q, want Опубликована", got)
	}
	if got := text(t, ctx, `#kb-meta`); !strings.Contains(got, "Иванова Анна Сергеевна") || !strings.Contains(got, "velopark") {
		t.Errorf("article line = %q, want its slug and owner", got)
	}

	do(t, ctx, "edit the answer",
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#f-answer').value = ''`),
		chromedp.SendKeys(chromedp.CSS(`#f-answer`), second),
		chromedp.Click(chromedp.CSS(`#kb-save`)),
		chromedp.WaitReady(chromedp.CSS(`#kb-version[value="2"]`)),
	)
	if got := text(t, ctx, `p.notice`); got != "Изменения сохранены новой версией." {
		t.Errorf("notice after the edit = %q", got)
	}

	do(t, ctx, "open the history",
		chromedp.Click(chromedp.CSS(`#kb-history`)),
		chromedp.WaitVisible(chromedp.CSS(`#kb-versions`)),
	)
	if n := value[int](t, ctx, `document.querySelectorAll('#kb-versions li.kb-version').length`); n != 2 {
		t.Fatalf("history shows %d versions, want 2", n)
	}
	removed := value[[]string](t, ctx, `Array.from(document.querySelectorAll('li[data-version="2"] .kb-del'), e => e.textContent)`)
	added := value[[]string](t, ctx, `Array.from(document.querySelectorAll('li[data-version="2"] .kb-ins'), e => e.textContent)`)
	if strings.Join(removed, "|") != "− "+first || strings.Join(added, "|") != "+ "+second {
		t.Errorf("version 2 shows removed %q and added %q", removed, added)
	}
	if value[bool](t, ctx, `!!document.querySelector('li[data-version="2"] .kb-restore')`) {
		t.Error("the current version offers to be restored")
	}
	shot("kb-history")
	do(t, ctx, "restore the first version",
		chromedp.Click(chromedp.CSS(`li[data-version="1"] .kb-restore`)),
		chromedp.WaitVisible(chromedp.CSS(`li[data-version="3"]`)),
	)
	if got := text(t, ctx, `p.notice`); got != "Версия восстановлена: она стала новой текущей версией." {
		t.Errorf("notice after the restore = %q", got)
	}
	do(t, ctx, "back to the article",
		chromedp.Click(chromedp.CSS(`#kb-back`)),
		chromedp.WaitReady(chromedp.CSS(`#kb-version[value="3"]`)),
	)
	if got := value[string](t, ctx, `document.querySelector('#f-answer').value`); got != first {
		t.Errorf("answer after the restore = %q, want the first", got)
	}

	// The bot answers from the article as it is now.
	r := &faqbot.Responder{Store: f.st, Clock: f.clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if got := f.ask(r, emp, acct, "где можно поставить велосипед?"); !strings.Contains(got, first) {
		t.Errorf("the bot answers %q, want the restored article", got)
	}

	// A question nobody answered, on the gaps page; "Написать статью"
	// starts an article with it.
	const asked = "Можно ли привести собаку в офис?"
	f.kbGap(emp, store.GapUnanswered, asked, "", 2)
	do(t, ctx, "open the gaps",
		chromedp.Click(chromedp.CSS(`#nav-kb`)),
		chromedp.WaitVisible(chromedp.CSS(`#kb-gaps`)),
		chromedp.Click(chromedp.CSS(`#kb-gaps`)),
		chromedp.WaitVisible(chromedp.CSS(`#gaps-unanswered`)),
	)
	if got := text(t, ctx, `h1`); got != "Что спрашивают, а ответа нет" {
		t.Errorf("gaps heading = %q", got)
	}
	row := value[[]string](t, ctx, `Array.from(document.querySelectorAll('#gaps-unanswered tbody tr:first-child td'), td => td.textContent.trim())`)
	if len(row) < 3 || row[0] != asked || row[1] != "2" || row[2] == "" {
		t.Errorf("gap row = %q, want the question, 2 and when it was last asked", row)
	}
	shot("kb-gaps")
	do(t, ctx, "write an article for it",
		chromedp.Click(chromedp.CSS(`#gaps-unanswered tbody tr:first-child .kb-write`)),
		chromedp.WaitVisible(chromedp.CSS(`#kb-gap-sample`)),
	)
	if got := value[string](t, ctx, `document.querySelector('#f-questions').value`); got != asked {
		t.Errorf("questions of the new article = %q, want %q", got, asked)
	}
	do(t, ctx, "save it",
		chromedp.SendKeys(chromedp.CSS(`#f-title`), "Собаки в офисе"),
		chromedp.SendKeys(chromedp.CSS(`#f-answer`), "Нет, в офис с животными нельзя."),
		chromedp.Click(chromedp.CSS(`#kb-save`)),
		chromedp.WaitVisible(chromedp.CSS(`#kb-meta`)),
		chromedp.Navigate(f.srv.URL+"/hr/kb/gaps"),
		chromedp.WaitVisible(chromedp.CSS(`#gaps-unanswered-none`)),
		chromedp.Navigate(f.srv.URL+"/hr/kb"),
		chromedp.WaitVisible(chromedp.CSS(`#kb-articles`)),
	)
	if n := value[int](t, ctx, `document.querySelectorAll('#kb-articles tbody tr').length`); n != 3 {
		t.Errorf("the list shows %d articles, want 3", n)
	}
	shot("kb-list")
	if p := problems(); len(p) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(p, "\n"))
	}
}

// mustBotEmployee makes an employee who has joined the bot in Telegram.
func (f *fixture) mustBotEmployee(number, name string) (*staffbot.Employee, *staffbot.ChannelAccount) {
	f.t.Helper()
	emp := f.mustEmployee(f.co, number, name, nil)
	code := staffbot.NewInviteCode()
	if _, err := f.st.CreateInvite(f.t.Context(), f.co.ID, emp.ID, staffbot.HashInviteCode(code), t0, staffbot.DefaultInviteTTL); err != nil {
		f.t.Fatal(err)
	}
	acct := &staffbot.ChannelAccount{Kind: staffbot.ChannelTelegram, ExternalID: "77", ChatID: "77"}
	err := f.st.InTx(f.t.Context(), func(tx *store.Tx) error {
		_, err := tx.RedeemInvite(f.t.Context(), f.co.ID, staffbot.HashInviteCode(code), acct, t0, staffbot.DateOf(t0))
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return emp, acct
}

// ask puts a question to the bot's FAQ as the employee and returns the
// text of its last message.
func (f *fixture) ask(r *faqbot.Responder, emp *staffbot.Employee, acct *staffbot.ChannelAccount, question string) string {
	f.t.Helper()
	in := channel.Incoming{Kind: channel.KindText, Text: question, Channel: staffbot.ChannelTelegram, CompanyID: f.co.ID,
		ChatID: acct.ChatID, ExternalID: acct.ExternalID}
	err := f.st.InTx(f.t.Context(), func(tx *store.Tx) error {
		_, err := r.Handle(f.t.Context(), tx, f.co, emp, acct, in)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	r.Wait()
	items, err := f.st.FindChatMessages(f.t.Context(), f.co.ID, staffbot.ChannelTelegram, acct.ChatID, 0, 100)
	if err != nil || len(items) == 0 {
		f.t.Fatalf("bot messages: %d, %v", len(items), err)
	}
	return items[len(items)-1].Message.Text
}
