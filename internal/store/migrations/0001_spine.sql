-- Companies are the tenants. Every other table carries company_id.
CREATE TABLE companies (
    id {{id}},
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    telegram_bot_username TEXT NOT NULL DEFAULT '',
    telegram_token_sealed TEXT NOT NULL DEFAULT '',
    telegram_webhook_secret_sealed TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

CREATE TABLE employees (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    personnel_number TEXT NOT NULL,
    full_name TEXT NOT NULL,
    position TEXT NOT NULL DEFAULT '',
    department TEXT NOT NULL DEFAULT '',
    office TEXT NOT NULL DEFAULT '',
    phone_sealed TEXT NOT NULL DEFAULT '',
    email_sealed TEXT NOT NULL DEFAULT '',
    hired_on TEXT NOT NULL,
    dismissed_on TEXT,
    manager_id BIGINT,
    mentor_id BIGINT,
    custom TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (company_id, personnel_number),
    UNIQUE (company_id, id),
    -- A manager or mentor is always an employee of the same company.
    FOREIGN KEY (company_id, manager_id) REFERENCES employees (company_id, id),
    FOREIGN KEY (company_id, mentor_id) REFERENCES employees (company_id, id)
);

CREATE TABLE invites (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    employee_id BIGINT NOT NULL,
    code_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id) ON DELETE CASCADE
);
CREATE INDEX invites_employee ON invites (company_id, employee_id);

CREATE TABLE channel_accounts (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    employee_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    external_id TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    blocked INTEGER NOT NULL DEFAULT 0,
    consented_at BIGINT,
    registered_at BIGINT NOT NULL,
    UNIQUE (company_id, kind, external_id),
    UNIQUE (company_id, id),
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id) ON DELETE CASCADE
);
CREATE INDEX channel_accounts_employee ON channel_accounts (company_id, employee_id);

CREATE TABLE consents (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    employee_id BIGINT NOT NULL,
    text_version TEXT NOT NULL,
    channel TEXT NOT NULL,
    given_at BIGINT NOT NULL,
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id) ON DELETE CASCADE
);

-- Updates already handled, so that a redelivered update is acknowledged and
-- skipped. Rows older than a week are pruned.
CREATE TABLE inbound_updates (
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    update_key TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (company_id, channel, update_key)
);
CREATE INDEX inbound_updates_received ON inbound_updates (received_at);

-- Failed registration attempts per messenger account, for throttling.
CREATE TABLE registration_failures (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    external_id TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX registration_failures_account ON registration_failures (company_id, channel, external_id, at);

-- Outgoing messages. A message is written here in the same transaction as
-- the state change that caused it, then delivered by the dispatcher.
CREATE TABLE outbox (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    account_id BIGINT,
    channel TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before BIGINT NOT NULL,
    lease_until BIGINT,
    error TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX outbox_due ON outbox (status, not_before);
CREATE INDEX outbox_chat ON outbox (company_id, channel, chat_id, id);

-- One employee going through one scenario.
CREATE TABLE scenario_runs (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    employee_id BIGINT NOT NULL,
    scenario TEXT NOT NULL,
    step TEXT NOT NULL,
    state TEXT NOT NULL,
    due_at BIGINT,
    vars TEXT NOT NULL DEFAULT '{}',
    lease_until BIGINT,
    started_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (company_id, employee_id, scenario),
    UNIQUE (company_id, id),
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id) ON DELETE CASCADE
);
CREATE INDEX scenario_runs_due ON scenario_runs (state, due_at);

-- What happened in a run, step by step: HR's view of progress and marks.
CREATE TABLE run_events (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    run_id BIGINT NOT NULL,
    step TEXT NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL DEFAULT '',
    at BIGINT NOT NULL,
    FOREIGN KEY (company_id, run_id) REFERENCES scenario_runs (company_id, id) ON DELETE CASCADE
);
CREATE INDEX run_events_run ON run_events (company_id, run_id, id);

-- Human to-dos for a mentor, a manager or HR, born from a scenario step.
CREATE TABLE tasks (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    run_id BIGINT,
    subject_id BIGINT NOT NULL,
    assignee_id BIGINT,
    role TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    done_at BIGINT,
    FOREIGN KEY (company_id, subject_id) REFERENCES employees (company_id, id) ON DELETE CASCADE
);
CREATE INDEX tasks_assignee ON tasks (company_id, assignee_id, status);
