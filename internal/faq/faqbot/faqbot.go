// Package faqbot is the FAQ in the chat: it answers an employee's question
// from the company's knowledge base with "helped / did not help" buttons,
// offers the likeliest articles when unsure, says honestly when it does
// not know and passes the question to HR on request, and logs what the
// knowledge base lacks.
package faqbot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/channel"
	"github.com/staffbot/staffbot/internal/faq"
	"github.com/staffbot/staffbot/internal/faq/llm"
	"github.com/staffbot/staffbot/internal/locale"
	"github.com/staffbot/staffbot/internal/store"
)

// DataPrefix starts the data of every button this package makes.
const DataPrefix = "f:"

// Button actions: "f:y:<question>", "f:n:<question>", "f:h:<question>",
// "f:a:<question>:<article id>".
const (
	actHelped  = "y"
	actNot     = "n"
	actToHR    = "h"
	actArticle = "a"
)

// Generator phrases an answer from retrieved articles; llm.Client is one.
type Generator interface {
	Answer(ctx context.Context, req llm.Request) (llm.Reply, error)
}

// Escalator opens a ticket for HR from a question, in the caller's
// transaction; the helpdesk provides it.
type Escalator interface {
	OpenFromEscalation(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee,
		text, category string) (*store.Ticket, error)
}

// Responder answers questions in the chat. It implements the bot's hook
// for what no scenario took.
type Responder struct {
	Store  *store.Store
	Clock  staffbot.Clock
	Logger *slog.Logger

	// HTTPClient reaches the generative layer's endpoint.
	HTTPClient *http.Client

	// Escalator, when set, turns a question passed to HR into a helpdesk
	// ticket at once, and the helpdesk tells the employee its number.
	// Without it the question waits as an HR request.
	Escalator Escalator

	// NewGenerator, when set, replaces the OpenAI-compatible client made
	// from a company's settings; tests use it.
	NewGenerator func(store.FAQSettings) Generator

	indexes indexCache
	wg      sync.WaitGroup
}

// Wait blocks until answers being phrased in the background are sent.
func (r *Responder) Wait() { r.wg.Wait() }

// Handle takes a typed question or a press on one of the FAQ's buttons and
// reports whether it was one.
func (r *Responder) Handle(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee,
	acct *staffbot.ChannelAccount, in channel.Incoming) (bool, error) {
	switch in.Kind {
	case channel.KindButton:
		if !strings.HasPrefix(in.Data, DataPrefix) {
			return false, nil
		}
		return true, r.button(ctx, tx, co, emp, acct, in)
	case channel.KindText:
		text := strings.TrimSpace(in.Text)
		if text == "" || strings.HasPrefix(text, "/") {
			return false, nil
		}
		return r.question(ctx, tx, co, emp, acct, in, text)
	}
	return false, nil
}

// AnswerIfSure answers a typed message with an article when the engine is
// sure of one, with extra as a button under it; the self-service
// catalogue asks this of messages that name a service but ask more. It
// reports whether it answered. The answer is the article itself, not
// phrased by the generative layer, so that the button stays with it.
func (r *Responder) AnswerIfSure(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee,
	acct *staffbot.ChannelAccount, in channel.Incoming, extra channel.Button) (bool, error) {
	text := strings.TrimSpace(in.Text)
	if in.Kind != channel.KindText || text == "" {
		return false, nil
	}
	kb, err := r.indexes.get(ctx, tx, co.ID)
	if err != nil || kb.ix.Len() == 0 {
		return false, err
	}
	res := kb.ix.Search(text, faq.Audience{Department: emp.Department, Office: emp.Office})
	if res.Band != faq.BandHigh {
		return false, nil
	}
	now := r.Clock.Now()
	q := &store.FAQQuestion{
		CompanyID: co.ID, EmployeeID: emp.ID, Text: text, Terms: kb.ix.Terms(text), Band: string(res.Band),
		ArticleSlug: res.Top(), Confidence: res.Confidence, Outcome: store.FAQAnswered, CreatedAt: now,
	}
	if err := tx.CreateFAQQuestion(ctx, q); err != nil {
		return false, err
	}
	msg := answerMessage(kb, kb.ix.Find(res.Top()), q.ID, "", lang(in, &res))
	msg.Buttons = append([][]channel.Button{{extra}}, msg.Buttons...)
	return true, tx.EnqueueToAccount(ctx, acct, msg, now)
}

// lang picks the reply language: English for an English message or an
// English-speaking messenger, Russian otherwise.
func lang(in channel.Incoming, res *faq.Result) locale.Lang {
	if res != nil && res.Mode == faq.ModeEnglish && !hasCyrillic(in.Text) {
		return locale.EN
	}
	return locale.FromCode(in.LanguageCode)
}

func hasCyrillic(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Cyrillic, r) })
}

// question answers a typed message. A company with no published article
// has no FAQ, and its messages stay not understood.
func (r *Responder) question(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee,
	acct *staffbot.ChannelAccount, in channel.Incoming, text string) (bool, error) {
	kb, err := r.indexes.get(ctx, tx, co.ID)
	if err != nil || kb.ix.Len() == 0 {
		return false, err
	}
	return true, r.answer(ctx, tx, co, emp, acct, in, text, kb)
}

func (r *Responder) answer(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee,
	acct *staffbot.ChannelAccount, in channel.Incoming, text string, kb *companyIndex) error {
	now := r.Clock.Now()
	if err := r.sweepGenerating(ctx, tx, co, kb, now); err != nil {
		return err
	}

	res := kb.ix.Search(text, faq.Audience{Department: emp.Department, Office: emp.Office})
	lg := lang(in, &res)
	if res.SmallTalk != faq.TalkNone {
		return tx.EnqueueToAccount(ctx, acct, channel.Outgoing{Text: res.SmallTalk.Reply(string(lg))}, now)
	}

	q := &store.FAQQuestion{
		CompanyID: co.ID, EmployeeID: emp.ID, Text: text, Terms: kb.ix.Terms(text),
		Band: string(res.Band), ArticleSlug: res.Top(), Confidence: res.Confidence, CreatedAt: now,
	}
	r.Logger.DebugContext(ctx, "FAQ question",
		slog.Int64("company_id", int64(co.ID)), slog.Int64("employee_id", int64(emp.ID)),
		slog.String("band", string(res.Band)), slog.String("article", res.Top()),
		slog.Float64("confidence", res.Confidence), slog.String("mode", string(res.Mode)))

	switch res.Band {
	case faq.BandHigh:
		art := kb.ix.Find(res.Top())
		gen := r.generator(ctx, co.ID)
		q.Outcome = store.FAQAnswered
		if gen != nil {
			q.Outcome = store.FAQGenerating
		}
		if err := tx.CreateFAQQuestion(ctx, q); err != nil {
			return err
		}
		if gen != nil {
			r.generateLater(co, emp, *acct, q.ID, text, lg, gen, kb, &res)
			return nil
		}
		return tx.EnqueueToAccount(ctx, acct, answerMessage(kb, art, q.ID, "", lg), now)

	case faq.BandMiddle:
		q.Outcome = store.FAQOffered
		if err := tx.CreateFAQQuestion(ctx, q); err != nil {
			return err
		}
		msg := channel.Outgoing{Text: t(lg, "offer")}
		for i, h := range res.Hits {
			if i == 3 {
				break
			}
			a := kb.ix.Find(h.ID)
			msg.Buttons = append(msg.Buttons, []channel.Button{{
				Text: a.Title, Data: fmt.Sprintf("%s%s:%d:%d", DataPrefix, actArticle, q.ID, kb.dbID[h.ID]),
			}})
		}
		msg.Buttons = append(msg.Buttons, []channel.Button{toHRButton(lg, q.ID)})
		return tx.EnqueueToAccount(ctx, acct, msg, now)
	}

	q.Outcome = store.FAQUnknown
	if err := tx.CreateFAQQuestion(ctx, q); err != nil {
		return err
	}
	if _, err := tx.RecordFAQGap(ctx, q, store.GapUnanswered, now); err != nil {
		return err
	}
	return tx.EnqueueToAccount(ctx, acct, channel.Outgoing{
		Text:    t(lg, "unknown"),
		Buttons: [][]channel.Button{{toHRButton(lg, q.ID)}},
	}, now)
}

func toHRButton(lg locale.Lang, qid int64) channel.Button {
	return channel.Button{Text: t(lg, "to.hr"), Data: fmt.Sprintf("%s%s:%d", DataPrefix, actToHR, qid)}
}

// answerMessage shows an article, or text phrased from it, with its
// attachments and the feedback buttons.
func answerMessage(kb *companyIndex, art *faq.Article, qid int64, phrased string, lg locale.Lang) channel.Outgoing {
	var b strings.Builder
	if phrased != "" {
		b.WriteString(escapeMarkup(phrased))
		b.WriteString("\n\n_")
		b.WriteString(escapeMarkup(t(lg, "source", art.Title)))
		b.WriteString("_")
	} else {
		b.WriteString("*")
		b.WriteString(escapeMarkup(art.Title))
		b.WriteString("*\n\n")
		b.WriteString(kb.answers[art.ID])
	}
	msg := channel.Outgoing{Text: b.String(), Format: channel.FormatMarkup}
	for _, at := range kb.attachments[art.ID] {
		msg.Buttons = append(msg.Buttons, []channel.Button{{Text: at.Name, URL: at.URL}})
	}
	msg.Buttons = append(msg.Buttons, []channel.Button{
		{Text: t(lg, "helped"), Data: fmt.Sprintf("%s%s:%d", DataPrefix, actHelped, qid)},
		{Text: t(lg, "not.helped"), Data: fmt.Sprintf("%s%s:%d", DataPrefix, actNot, qid)},
	})
	return msg
}

// escapeMarkup keeps text that is not ours from being read as markup.
func escapeMarkup(s string) string {
	return markupEscaper.Replace(s)
}

var markupEscaper = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`)

func (r *Responder) button(ctx context.Context, tx *store.Tx, co *staffbot.Company, emp *staffbot.Employee,
	acct *staffbot.ChannelAccount, in channel.Incoming) error {
	parts := strings.Split(strings.TrimPrefix(in.Data, DataPrefix), ":")
	if len(parts) < 2 {
		return nil
	}
	qid, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return nil
	}
	q, err := tx.FindFAQQuestion(ctx, co.ID, qid)
	if errors.Is(err, staffbot.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if q.EmployeeID != emp.ID {
		// Someone else's question: a forwarded message's buttons.
		r.Logger.InfoContext(ctx, "FAQ button refused",
			slog.Int64("company_id", int64(co.ID)), slog.Int64("employee_id", int64(emp.ID)))
		return nil
	}
	lg := locale.FromCode(in.LanguageCode)
	now := r.Clock.Now()

	switch parts[0] {
	case actHelped:
		if q.Outcome != store.FAQAnswered {
			return nil
		}
		if err := tx.SetFAQOutcome(ctx, co.ID, q.ID, store.FAQHelped); err != nil {
			return err
		}
		return tx.EnqueueToAccount(ctx, acct, channel.Outgoing{Text: t(lg, "thanks.feedback")}, now)

	case actNot:
		if q.Outcome != store.FAQAnswered && q.Outcome != store.FAQHelped {
			return nil
		}
		if err := tx.SetFAQOutcome(ctx, co.ID, q.ID, store.FAQDisliked); err != nil {
			return err
		}
		if _, err := tx.RecordFAQGap(ctx, q, store.GapDisliked, now); err != nil {
			return err
		}
		return tx.EnqueueToAccount(ctx, acct, channel.Outgoing{
			Text: t(lg, "sorry"), Buttons: [][]channel.Button{{toHRButton(lg, q.ID)}},
		}, now)

	case actToHR:
		if q.Outcome == store.FAQToHR {
			return tx.EnqueueToAccount(ctx, acct, channel.Outgoing{Text: t(lg, "sent.to.hr")}, now)
		}
		if err := tx.SetFAQOutcome(ctx, co.ID, q.ID, store.FAQToHR); err != nil {
			return err
		}
		if r.Escalator != nil {
			// One message: the helpdesk answers with the ticket's number.
			tk, err := r.Escalator.OpenFromEscalation(ctx, tx, co, emp, q.Text, "")
			if err != nil {
				return err
			}
			r.Logger.InfoContext(ctx, "Question passed to HR",
				slog.Int64("company_id", int64(co.ID)), slog.Int64("employee_id", int64(emp.ID)),
				slog.Int64("ticket_id", tk.ID))
			return nil
		}
		req := &store.HRRequest{CompanyID: co.ID, EmployeeID: emp.ID, QuestionID: &q.ID, Text: q.Text, CreatedAt: now}
		if err := tx.CreateHRRequest(ctx, req); err != nil {
			return err
		}
		r.Logger.InfoContext(ctx, "Question passed to HR",
			slog.Int64("company_id", int64(co.ID)), slog.Int64("employee_id", int64(emp.ID)),
			slog.Int64("request_id", req.ID))
		return tx.EnqueueToAccount(ctx, acct, channel.Outgoing{Text: t(lg, "sent.to.hr")}, now)

	case actArticle:
		if len(parts) != 3 || q.Outcome != store.FAQOffered {
			return tx.EnqueueToAccount(ctx, acct, channel.Outgoing{Text: t(lg, "stale")}, now)
		}
		artID, err := strconv.ParseInt(parts[2], 10, 64)
		if err != nil {
			return nil
		}
		kb, err := r.indexes.get(ctx, tx, co.ID)
		if err != nil {
			return err
		}
		art := kb.ix.Find(kb.slug[artID])
		if art == nil || !art.Visible(faq.Audience{Department: emp.Department, Office: emp.Office}) {
			return tx.EnqueueToAccount(ctx, acct, channel.Outgoing{Text: t(lg, "stale")}, now)
		}
		q.ArticleSlug = art.ID
		if err := tx.SetFAQOutcome(ctx, co.ID, q.ID, store.FAQAnswered); err != nil {
			return err
		}
		if err := tx.SetFAQArticle(ctx, co.ID, q.ID, art.ID); err != nil {
			return err
		}
		return tx.EnqueueToAccount(ctx, acct, answerMessage(kb, art, q.ID, "", lg), now)
	}
	return nil
}

// generator returns the company's generative layer, or nil when it is off
// or cannot be read.
func (r *Responder) generator(ctx context.Context, companyID staffbot.CompanyID) Generator {
	set, err := r.Store.FAQSettings(ctx, companyID)
	if err != nil {
		r.Logger.WarnContext(ctx, "FAQ settings not read", slog.Int64("company_id", int64(companyID)),
			slog.String("error", err.Error()))
		return nil
	}
	if !set.LLMEnabled || set.LLMURL == "" {
		return nil
	}
	if r.NewGenerator != nil {
		return r.NewGenerator(set)
	}
	return llm.New(llm.Config{URL: set.LLMURL, Model: set.LLMModel, Key: set.LLMKey, Timeout: set.LLMTimeout}, r.HTTPClient)
}

// generateTimeout bounds the whole background answer, model call included.
const generateTimeout = 30 * time.Second

// generateLater phrases the answer outside the transaction, so the model's
// latency holds no database lock. It starts once the question is
// committed; if the transaction rolled back, the question never appears
// and nothing is sent.
func (r *Responder) generateLater(co *staffbot.Company, emp *staffbot.Employee, acct staffbot.ChannelAccount,
	qid int64, text string, lg locale.Lang, gen Generator, kb *companyIndex, res *faq.Result) {
	req := llm.Request{Question: text, English: lg == locale.EN, Private: privateOf(emp)}
	aud := faq.Audience{Department: emp.Department, Office: emp.Office}
	for i, h := range res.Hits {
		if i == 3 {
			break
		}
		a := kb.ix.Find(h.ID)
		req.Sources = append(req.Sources, llm.Source{ID: a.ID, Title: a.Title, Answer: a.Answer})
	}
	for i := range kb.ix.Len() {
		if a := kb.ix.Article(i); !a.Visible(aud) {
			req.Forbidden = append(req.Forbidden, a.ID, a.Title)
		}
	}
	req.Forbidden = append(req.Forbidden, kb.drafts...)
	top := res.Top()

	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), generateTimeout)
		defer cancel()
		if !r.waitCommitted(ctx, co.ID, qid) {
			return
		}
		phrased, cited := "", top
		reply, err := gen.Answer(ctx, req)
		switch {
		case err != nil:
			r.Logger.WarnContext(ctx, "Generated answer discarded", slog.Int64("company_id", int64(co.ID)),
				slog.Int64("question_id", qid), slog.String("error", err.Error()))
		default:
			phrased, cited = reply.Text, reply.ArticleID
		}
		err = r.Store.InTx(ctx, func(tx *store.Tx) error {
			mine, err := tx.SwapFAQOutcome(ctx, co.ID, qid, store.FAQGenerating, store.FAQAnswered)
			if err != nil || !mine {
				return err
			}
			art := kb.ix.Find(cited)
			if art == nil {
				art, phrased = kb.ix.Find(top), ""
			}
			if err := tx.SetFAQArticle(ctx, co.ID, qid, art.ID); err != nil {
				return err
			}
			return tx.EnqueueToAccount(ctx, &acct, answerMessage(kb, art, qid, phrased, lg), r.Clock.Now())
		})
		if err != nil {
			r.Logger.ErrorContext(ctx, "Generated answer not sent", slog.Int64("company_id", int64(co.ID)),
				slog.Int64("question_id", qid), slog.String("error", err.Error()))
		}
	}()
}

// waitCommitted waits for the question's row to be visible outside the
// transaction that made it.
func (r *Responder) waitCommitted(ctx context.Context, companyID staffbot.CompanyID, qid int64) bool {
	for range 200 {
		if _, err := r.Store.FindFAQQuestion(ctx, companyID, qid); err == nil {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(10 * time.Millisecond):
		}
	}
	return false
}

// staleGenerating is how old a question still being phrased may get
// before the article is sent as it is: the process phrasing it died.
const staleGenerating = time.Minute

// sweepGenerating sends the plain article for questions whose phrasing
// never finished.
func (r *Responder) sweepGenerating(ctx context.Context, tx *store.Tx, co *staffbot.Company, kb *companyIndex, now time.Time) error {
	stuck, err := r.Store.FindFAQQuestions(ctx, co.ID, store.FAQGenerating, now.Add(-staleGenerating), 20)
	if err != nil || len(stuck) == 0 {
		return err
	}
	for _, q := range stuck {
		mine, err := tx.SwapFAQOutcome(ctx, co.ID, q.ID, store.FAQGenerating, store.FAQAnswered)
		if err != nil {
			return err
		}
		if !mine {
			continue
		}
		art := kb.ix.Find(q.ArticleSlug)
		if art == nil {
			continue
		}
		if _, err := tx.EnqueueToEmployee(ctx, co.ID, q.EmployeeID, answerMessage(kb, art, q.ID, "", locale.RU), now); err != nil {
			return err
		}
	}
	return nil
}

func privateOf(emp *staffbot.Employee) []string {
	out := strings.Fields(emp.FullName)
	out = append(out, emp.FullName, emp.Phone, emp.Email, emp.PersonnelNumber)
	return out
}
