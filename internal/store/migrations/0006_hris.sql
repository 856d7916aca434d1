-- The accounting system a company's staff list and self-service answers
-- come from (1C:ZUP, SAP SuccessFactors, or a REST API): one per company.
-- The password or token is sealed; settings hold the rest as JSON.
CREATE TABLE connectors (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    username TEXT NOT NULL DEFAULT '',
    secret_sealed TEXT NOT NULL DEFAULT '',
    auth TEXT NOT NULL DEFAULT '',
    settings TEXT NOT NULL DEFAULT '{}',
    sync_interval_seconds BIGINT NOT NULL DEFAULT 3600,
    next_sync_at BIGINT,
    failures INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (company_id),
    UNIQUE (company_id, id)
);
CREATE INDEX connectors_due ON connectors (next_sync_at);

-- One row per employee sync attempt, for HR to see: what changed and why
-- a sync failed. Counts and error kinds only, never personal data.
CREATE TABLE connector_runs (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    connector_id BIGINT NOT NULL,
    triggered_by TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    fetched INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    revoked INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    missing INTEGER NOT NULL DEFAULT 0,
    error_kind TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    FOREIGN KEY (company_id, connector_id) REFERENCES connectors (company_id, id) ON DELETE CASCADE
);
CREATE INDEX connector_runs_company ON connector_runs (company_id, id);
