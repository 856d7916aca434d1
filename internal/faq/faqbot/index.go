package faqbot

import (
	"context"
	"sync"

	"github.com/staffbot/staffbot"
	"github.com/staffbot/staffbot/internal/faq"
	"github.com/staffbot/staffbot/internal/store"
)

// companyIndex is a company's published knowledge base, ready to search,
// with what the chat needs besides: database ids for buttons, answers and
// attachments, and the drafts the generative layer must not mention.
type companyIndex struct {
	rev         int64
	ix          *faq.Index
	dbID        map[string]int64
	slug        map[int64]string
	answers     map[string]string
	attachments map[string][]store.KBAttachment
	drafts      []string // ids and titles of unpublished articles
}

// indexCache keeps one index per company and rebuilds it when the
// knowledge base's revision moves.
type indexCache struct {
	mu sync.Mutex
	by map[staffbot.CompanyID]*companyIndex
}

func (c *indexCache) get(ctx context.Context, tx *store.Tx, companyID staffbot.CompanyID) (*companyIndex, error) {
	rev, err := tx.KBRevision(ctx, companyID)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ci := c.by[companyID]; ci != nil && ci.rev == rev {
		return ci, nil
	}
	arts, err := tx.FindKBArticles(ctx, companyID, store.KBFilter{})
	if err != nil {
		return nil, err
	}
	ci, err := buildIndex(arts)
	if err != nil {
		return nil, err
	}
	ci.rev = rev
	if c.by == nil {
		c.by = map[staffbot.CompanyID]*companyIndex{}
	}
	c.by[companyID] = ci
	return ci, nil
}

// buildIndex indexes the published articles among arts.
func buildIndex(arts []*store.KBArticle) (*companyIndex, error) {
	ci := &companyIndex{
		dbID:        map[string]int64{},
		slug:        map[int64]string{},
		answers:     map[string]string{},
		attachments: map[string][]store.KBAttachment{},
	}
	var pub []faq.Article
	for _, a := range arts {
		if !a.Published {
			ci.drafts = append(ci.drafts, a.Slug, a.Title)
			continue
		}
		pub = append(pub, ArticleOf(a))
		ci.dbID[a.Slug] = a.ID
		ci.slug[a.ID] = a.Slug
		ci.answers[a.Slug] = a.Answer
		ci.attachments[a.Slug] = a.Attachments
	}
	ix, err := faq.Build(pub)
	if err != nil {
		return nil, err
	}
	ci.ix = ix
	return ci, nil
}

// ArticleOf is the engine's view of a stored article.
func ArticleOf(a *store.KBArticle) faq.Article {
	return faq.Article{
		ID: a.Slug, Title: a.Title, Questions: a.Questions, Answer: a.Answer, Tags: a.Tags,
		Category: a.Category, Departments: a.Departments, Offices: a.Offices,
	}
}
