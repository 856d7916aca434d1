-- The helpdesk: employees' requests to HR as tickets, answered from the
-- cabinet, with queues, SLA timers on the company's working calendar and a
-- satisfaction rating. Texts are sealed with the company's data key.

-- Per-company helpdesk settings: working hours as JSON by weekday, days
-- without activity before a resolved ticket closes, and the counter that
-- numbers tickets within the company.
CREATE TABLE helpdesk_settings (
    company_id BIGINT PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    work_hours TEXT NOT NULL DEFAULT '',
    auto_close_days INTEGER NOT NULL DEFAULT 7,
    last_number BIGINT NOT NULL DEFAULT 0
);

-- The company's changes to the production calendar: a day made a holiday,
-- a working day, a short day, or (kind '') given back to its weekday.
CREATE TABLE calendar_days (
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (company_id, day)
);

-- Categories, each a queue with its SLA targets ("4h", "3d" of working
-- time), its way of assigning (round_robin, load, manual), its lead for
-- escalations, and the keywords the bot suggests it by.
CREATE TABLE ticket_categories (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    name_ru TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL DEFAULT 0,
    keywords TEXT NOT NULL DEFAULT '[]',
    assign_mode TEXT NOT NULL DEFAULT 'round_robin',
    first_response TEXT NOT NULL DEFAULT '',
    resolution TEXT NOT NULL DEFAULT '',
    lead_user_id BIGINT,
    last_assignee_id BIGINT,
    archived INTEGER NOT NULL DEFAULT 0,
    UNIQUE (company_id, slug),
    UNIQUE (company_id, id)
);

-- The operators who take a category's tickets; none means every operator.
CREATE TABLE ticket_category_operators (
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    category_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    PRIMARY KEY (company_id, category_id, user_id),
    FOREIGN KEY (company_id, category_id) REFERENCES ticket_categories (company_id, id) ON DELETE CASCADE,
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);

-- Tickets. last_seq numbers the ticket's messages: it is raised under the
-- ticket's row lock by every message, so messages are never lost,
-- duplicated or reordered. paused_since is set while the resolution timer
-- stands still (waiting for the employee, resolved).
CREATE TABLE tickets (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    employee_id BIGINT NOT NULL,
    category_id BIGINT NOT NULL,
    subject_sealed TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'chat',
    channel TEXT NOT NULL DEFAULT '',
    account_id BIGINT,
    assignee_id BIGINT,
    last_seq BIGINT NOT NULL DEFAULT 0,
    hr_request_id BIGINT,
    kb_slug TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    first_response_at BIGINT,
    first_response_due_at BIGINT,
    resolution_due_at BIGINT,
    paused_since BIGINT,
    first_response_breached_at BIGINT,
    resolution_breached_at BIGINT,
    resolved_at BIGINT,
    closed_at BIGINT,
    rating INTEGER,
    rating_comment_sealed TEXT NOT NULL DEFAULT '',
    rated_at BIGINT,
    UNIQUE (company_id, number),
    UNIQUE (company_id, id),
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id) ON DELETE CASCADE,
    FOREIGN KEY (company_id, category_id) REFERENCES ticket_categories (company_id, id)
);
CREATE INDEX tickets_queue ON tickets (company_id, status, category_id, id);
CREATE INDEX tickets_employee ON tickets (company_id, employee_id, id);
CREATE INDEX tickets_assignee ON tickets (company_id, assignee_id, status);
CREATE INDEX tickets_first_due ON tickets (first_response_due_at);
CREATE INDEX tickets_resolution_due ON tickets (resolution_due_at);
CREATE INDEX tickets_resolved ON tickets (status, resolved_at);
CREATE INDEX tickets_updated ON tickets (company_id, updated_at);

-- The conversation: the employee's messages, replies, internal notes and
-- events, in seq order. idem_key makes a retried write land once.
CREATE TABLE ticket_messages (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    ticket_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    author_kind TEXT NOT NULL,
    author_id TEXT NOT NULL DEFAULT '',
    body_sealed TEXT NOT NULL DEFAULT '',
    idem_key TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (company_id, ticket_id, seq),
    UNIQUE (company_id, ticket_id, idem_key),
    UNIQUE (company_id, id),
    FOREIGN KEY (company_id, ticket_id) REFERENCES tickets (company_id, id) ON DELETE CASCADE
);

-- Files and photos the employee sent. The messenger's file reference is
-- kept until the file is fetched; then the content, sealed with the
-- company's data key, replaces it. Files are never sent on to a messenger.
CREATE TABLE ticket_attachments (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    ticket_id BIGINT NOT NULL,
    message_seq BIGINT NOT NULL,
    channel TEXT NOT NULL,
    file_ref_sealed TEXT NOT NULL DEFAULT '',
    name_sealed TEXT NOT NULL DEFAULT '',
    content_type TEXT NOT NULL DEFAULT '',
    size BIGINT NOT NULL DEFAULT 0,
    data_sealed TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    stored_at BIGINT,
    UNIQUE (company_id, id),
    FOREIGN KEY (company_id, ticket_id) REFERENCES tickets (company_id, id) ON DELETE CASCADE
);
CREATE INDEX ticket_attachments_ticket ON ticket_attachments (company_id, ticket_id);
CREATE INDEX ticket_attachments_pending ON ticket_attachments (status, not_before);

-- Saved replies operators paste into the reply box.
CREATE TABLE saved_replies (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (company_id, id)
);

-- What an employee is in the middle of in the chat: writing a new request
-- (its text and files so far), adding to a ticket, or commenting a rating.
CREATE TABLE ticket_drafts (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    employee_id BIGINT NOT NULL,
    state TEXT NOT NULL,
    ticket_id BIGINT,
    text_sealed TEXT NOT NULL DEFAULT '',
    files_sealed TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    UNIQUE (company_id, employee_id),
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id) ON DELETE CASCADE
);
