-- Temporary links to sensitive files: payslips, certificates. Only the
-- SHA-256 of a link's token is kept. The file lies encrypted on disk under a
-- key of its own, sealed here with the master key. When a link expires, is
-- used up or is locked by wrong codes, its file is deleted and its key, file
-- name and code hash are wiped; the row stays as a tombstone, so the page can
-- still say "expired" rather than "not found".
CREATE TABLE secure_links (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    employee_id BIGINT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    file_name_sealed TEXT NOT NULL DEFAULT '',
    content_type TEXT NOT NULL DEFAULT '',
    size BIGINT NOT NULL DEFAULT 0,
    storage_name TEXT NOT NULL DEFAULT '',
    file_key_sealed TEXT NOT NULL DEFAULT '',
    require_code INTEGER NOT NULL DEFAULT 0,
    max_opens INTEGER NOT NULL,
    opens INTEGER NOT NULL DEFAULT 0,
    code_hash TEXT NOT NULL DEFAULT '',
    code_expires_at BIGINT,
    code_sent_at BIGINT,
    codes_sent INTEGER NOT NULL DEFAULT 0,
    code_failures INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    closed_at BIGINT,
    UNIQUE (company_id, id),
    FOREIGN KEY (company_id, employee_id) REFERENCES employees (company_id, id) ON DELETE CASCADE
);
CREATE INDEX secure_links_due ON secure_links (state, expires_at);
CREATE INDEX secure_links_employee ON secure_links (company_id, employee_id);

-- Every visit to a link, let in or refused. It stands in for the audit log
-- until there is one. client is the visitor's network, not the address: an
-- IPv4 /24 or an IPv6 /48.
CREATE TABLE securelink_opens (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    link_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    client TEXT NOT NULL DEFAULT '',
    FOREIGN KEY (company_id, link_id) REFERENCES secure_links (company_id, id) ON DELETE CASCADE
);
CREATE INDEX securelink_opens_link ON securelink_opens (company_id, link_id, id);
