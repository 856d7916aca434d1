-- A company's changes to the default self-service catalogue: a service
-- turned off or on, renamed, limited to some departments, or allowed to
-- show a class B answer in the chat on some channels. Rows exist only for
-- services a company changed; enabled NULL keeps the default.
CREATE TABLE catalog_overrides (
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    service_key TEXT NOT NULL,
    enabled INTEGER,
    title_ru TEXT NOT NULL DEFAULT '',
    title_en TEXT NOT NULL DEFAULT '',
    departments TEXT NOT NULL DEFAULT '',
    chat_channels TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (company_id, service_key)
);

-- One row per self-service request: the record that it happened (who,
-- which service, when, with what outcome) and, while it is being asked,
-- the employee's answers, sealed. Nothing the accounting system returned
-- is kept here: no balance, no amounts, no file. error holds a connector
-- error as HR may see it (kinds and HTTP statuses, no names).
CREATE TABLE service_requests (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    employee_id BIGINT NOT NULL,
    account_id BIGINT,
    service_key TEXT NOT NULL,
    fulfilment TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    outcome TEXT NOT NULL DEFAULT '',
    lang TEXT NOT NULL DEFAULT 'ru',
    step INTEGER NOT NULL DEFAULT 0,
    invalid_answers INTEGER NOT NULL DEFAULT 0,
    answers_sealed TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_until BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    submitted_at BIGINT,
    ready_at BIGINT,
    closed_at BIGINT,
    UNIQUE (company_id, id),
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id) ON DELETE CASCADE
);
CREATE INDEX service_requests_due ON service_requests (status, fulfilment, id);
CREATE INDEX service_requests_employee ON service_requests (company_id, employee_id, status, id);
CREATE INDEX service_requests_company ON service_requests (company_id, status, id);
