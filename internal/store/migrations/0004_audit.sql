-- Keys of each company (envelope encryption). A key is random, stored only
-- wrapped (sealed) under the master key named by master_id, and named by
-- key_id in every value it seals ("v2:<key_id>:…"). Purpose 'data' seals
-- sensitive columns and is rotated; purpose 'audit' keys the audit chain's
-- hashes and is never rotated, only re-wrapped. During a master key
-- rotation a key may also carry its wrapping under the previous master key.
-- Company 0 is the installation itself. No foreign key: keys and the audit
-- log outlive what they protect or describe.
CREATE TABLE company_keys (
    id {{id}},
    company_id BIGINT NOT NULL,
    purpose TEXT NOT NULL,
    version INTEGER NOT NULL,
    key_id TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    key_sealed TEXT NOT NULL,
    master_id TEXT NOT NULL,
    old_key_sealed TEXT NOT NULL DEFAULT '',
    old_master_id TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    retired_at BIGINT,
    UNIQUE (company_id, purpose, version)
);
CREATE UNIQUE INDEX company_keys_active ON company_keys (company_id, purpose) WHERE state = 'active';

-- The audit log: append-only, one hash chain per company. Each row's hash
-- is an HMAC (under the company's audit key) of its fields, the HMAC of its
-- details and the previous row's hash, so an edited, deleted or reordered
-- row breaks the chain. details holds the client address and the masked
-- before and after; erasing an employee may replace it (redacted = 1) while
-- details_mac keeps the row verifiable.
CREATE TABLE audit_log (
    id {{id}},
    company_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    object_type TEXT NOT NULL DEFAULT '',
    object_id TEXT NOT NULL DEFAULT '',
    subject_id BIGINT,
    details TEXT NOT NULL,
    details_mac TEXT NOT NULL,
    redacted INTEGER NOT NULL DEFAULT 0,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (company_id, seq)
);
CREATE INDEX audit_log_at ON audit_log (company_id, at);
CREATE INDEX audit_log_subject ON audit_log (company_id, subject_id);

-- The head of each company's chain, locked by every append so appends
-- queue, and the anchor left by pruning: the seq and hash of the last
-- pruned row, from which the remaining chain is checked.
CREATE TABLE audit_chains (
    company_id BIGINT PRIMARY KEY,
    head_seq BIGINT NOT NULL,
    head_hash TEXT NOT NULL,
    anchor_seq BIGINT NOT NULL DEFAULT 0,
    anchor_hash TEXT NOT NULL DEFAULT ''
);

-- How long a company keeps the audit log and dismissed employees' data.
-- A company without a row has the defaults (store.DefaultRetention).
CREATE TABLE retention_settings (
    company_id BIGINT PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    audit_days INTEGER NOT NULL,
    anonymize_after_days INTEGER NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Anonymisation replaces an employee's name and contacts and stamps the
-- row; a withdrawn consent is kept with the time it was withdrawn.
ALTER TABLE employees ADD COLUMN anonymized_at BIGINT;
ALTER TABLE consents ADD COLUMN withdrawn_at BIGINT;
CREATE INDEX employees_dismissed ON employees (company_id, dismissed_on);
