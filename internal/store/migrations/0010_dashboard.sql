-- Counters behind the HR dashboards, kept at write time so that a chart
-- over a year of a large company reads a few hundred rows. One row per
-- company, metric, the employee's department and office at the time, day
-- (the company's calendar day; for weekly and monthly metrics the first day
-- of the week or month) and channel. Every event also counts in the rows
-- of its department for all offices, its office for all departments, and
-- the whole company, whose department or office is "\x01" (store.allPlaces),
-- so that any filter reads one contiguous range. Metrics: invited (an
-- employee's first invite), registered (an employee's first consent),
-- active_d, active_w, active_m (employees who wrote to the bot that day,
-- week, month), msg_in and msg_out (messages by channel). No personal data:
-- counts only.
CREATE TABLE dash_counts (
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    metric TEXT NOT NULL,
    department TEXT NOT NULL DEFAULT '',
    office TEXT NOT NULL DEFAULT '',
    day TEXT NOT NULL,
    channel TEXT NOT NULL DEFAULT '',
    n BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (company_id, metric, department, office, day, channel)
);

-- Questions in the chat by day (a day number: days since 1970-01-01 in
-- the company's zone at the first filing), outcome and article, by
-- department, by office and for the whole company ("\x01" as in
-- dash_counts), filed once a day has settled, so that the FAQ charts of a
-- year read rollups instead of every question; faq_rollups holds the last
-- day filed.
CREATE TABLE faq_rollups (
    company_id BIGINT PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    through_day BIGINT NOT NULL,
    offset_ms BIGINT NOT NULL
);
CREATE TABLE faq_daily_outcomes (
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    department TEXT NOT NULL,
    office TEXT NOT NULL,
    day BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (company_id, department, office, day, outcome)
);
CREATE TABLE faq_daily_articles (
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    department TEXT NOT NULL,
    office TEXT NOT NULL,
    day BIGINT NOT NULL,
    article_slug TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (company_id, department, office, day, article_slug)
);

-- When each employee was last counted active, so that an employee is
-- counted once per day, week and month however much they write.
CREATE TABLE activity_state (
    company_id BIGINT NOT NULL,
    employee_id BIGINT NOT NULL,
    last_day TEXT NOT NULL,
    last_week TEXT NOT NULL,
    last_month TEXT NOT NULL,
    PRIMARY KEY (company_id, employee_id),
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id) ON DELETE CASCADE
);

-- A company's own view of the scenarios: a shipped scenario it turned off,
-- or its own uploaded version (source holds the YAML; empty for a shipped
-- scenario that is only switched on or off).
CREATE TABLE company_scenarios (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    scenario TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    source TEXT NOT NULL DEFAULT '',
    file_name TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT '',
    UNIQUE (company_id, scenario)
);

-- Weekly digests for HR: whether a company wants them, and which week's
-- went out, so that a restart never sends one twice.
CREATE TABLE report_settings (
    company_id BIGINT PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    digest_enabled INTEGER NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL
);
CREATE TABLE report_digests (
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    week TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    bot_recipients INTEGER NOT NULL DEFAULT 0,
    email_recipients INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (company_id, week)
);

-- Onboarding cohorts are employees by hire month; a run is stuck when its
-- task waits too long; the audit viewer filters by action; the FAQ charts
-- count the last days' questions by time, outcome and article from an
-- index alone.
CREATE INDEX employees_hired ON employees (company_id, hired_on, dismissed_on, department, office);
CREATE INDEX employees_department ON employees (company_id, department, office);
CREATE INDEX tasks_run ON tasks (company_id, run_id, status, created_at);
CREATE INDEX audit_log_action ON audit_log (company_id, action, seq);
CREATE INDEX faq_questions_dash ON faq_questions (company_id, created_at, outcome, article_slug, employee_id);
-- The employee list is sorted by name.
CREATE INDEX employees_name ON employees (company_id, full_name, personnel_number);
