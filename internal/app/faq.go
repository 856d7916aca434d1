package app

import (
	"net/http"

	"github.com/staffbot/staffbot/internal/faq/faqbot"
)

// newFAQ builds the FAQ that answers employees' questions from the
// company's knowledge base. Its generative layer is off unless a company
// turns it on (staffbot kb llm); the model's endpoint is the company's
// choice, reached with a client of its own.
func (a *App) newFAQ() *faqbot.Responder {
	return &faqbot.Responder{
		Store:      a.Store,
		Clock:      a.Clock,
		Logger:     a.logger,
		HTTPClient: &http.Client{},
	}
}
