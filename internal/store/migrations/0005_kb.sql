-- The knowledge base: one row per article with its current text. Lists
-- (sample questions, tags, visibility, attachments) are JSON arrays.
CREATE TABLE kb_articles (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    questions TEXT NOT NULL DEFAULT '[]',
    answer TEXT NOT NULL,
    category TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',
    departments TEXT NOT NULL DEFAULT '[]',
    offices TEXT NOT NULL DEFAULT '[]',
    attachments TEXT NOT NULL DEFAULT '[]',
    owner_id BIGINT,
    review_on TEXT,
    published INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT '',
    UNIQUE (company_id, slug),
    UNIQUE (company_id, id),
    FOREIGN KEY (company_id, owner_id) REFERENCES employees (company_id, id)
);
CREATE INDEX kb_articles_review ON kb_articles (company_id, review_on);

-- Every saved version of an article, as JSON, for history and rollback.
CREATE TABLE kb_article_versions (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    article_id BIGINT NOT NULL,
    version INTEGER NOT NULL,
    snapshot TEXT NOT NULL,
    saved_at BIGINT NOT NULL,
    saved_by TEXT NOT NULL DEFAULT '',
    UNIQUE (company_id, article_id, version),
    FOREIGN KEY (company_id, article_id) REFERENCES kb_articles (company_id, id) ON DELETE CASCADE
);

-- Per-company FAQ settings: the revision of the knowledge base (bumped by
-- every change, so a cached index knows it is stale) and the optional
-- generative layer, whose key is sealed.
CREATE TABLE faq_settings (
    id {{id}},
    company_id BIGINT NOT NULL UNIQUE REFERENCES companies (id) ON DELETE CASCADE,
    kb_revision BIGINT NOT NULL DEFAULT 0,
    llm_enabled INTEGER NOT NULL DEFAULT 0,
    llm_url TEXT NOT NULL DEFAULT '',
    llm_model TEXT NOT NULL DEFAULT '',
    llm_key_sealed TEXT NOT NULL DEFAULT '',
    llm_timeout_ms INTEGER NOT NULL DEFAULT 0
);

-- Groups of similar questions the bot could not answer, or whose answer
-- an employee disliked, with how often they came: what HR should write
-- next. terms is the group's signature, space-separated stems.
CREATE TABLE faq_gaps (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    article_slug TEXT NOT NULL DEFAULT '',
    terms TEXT NOT NULL,
    occurrences INTEGER NOT NULL DEFAULT 0,
    last_question_id BIGINT,
    first_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    UNIQUE (company_id, id)
);
CREATE INDEX faq_gaps_top ON faq_gaps (company_id, kind, occurrences);

-- Questions asked in the chat, in the employee's own words (sealed), with
-- what the bot did. Buttons under an answer refer to the row by id.
CREATE TABLE faq_questions (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    employee_id BIGINT NOT NULL,
    text_sealed TEXT NOT NULL,
    terms TEXT NOT NULL DEFAULT '',
    band TEXT NOT NULL,
    article_slug TEXT NOT NULL DEFAULT '',
    confidence DOUBLE PRECISION NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL,
    gap_id BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (company_id, id),
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id) ON DELETE CASCADE
);
CREATE INDEX faq_questions_gap ON faq_questions (company_id, gap_id);
CREATE INDEX faq_questions_created ON faq_questions (company_id, created_at);

-- Questions passed to HR from the chat. The helpdesk turns them into
-- tickets; until then HR sees them here.
CREATE TABLE hr_requests (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    employee_id BIGINT NOT NULL,
    question_id BIGINT,
    text_sealed TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'faq',
    status TEXT NOT NULL DEFAULT 'open',
    created_at BIGINT NOT NULL,
    UNIQUE (company_id, id),
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id) ON DELETE CASCADE
);
CREATE INDEX hr_requests_status ON hr_requests (company_id, status, id);
