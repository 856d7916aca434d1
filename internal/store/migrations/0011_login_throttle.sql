-- Failed sign-ins, counted so that an attacker cannot lock an account
-- from outside. One row per company, scope and subject:
--   scope 'pair'    - one account name from one client network;
--   scope 'client'  - one client network, whatever account it tried;
--   scope 'account' - one account name from anywhere (never locks; it
--                     only makes the pair rule stricter while it runs).
-- account is the lower-cased e-mail as typed, whether or not such a user
-- exists, so that a lock tells nothing; client is an IPv4 address or an
-- IPv6 /64. Unused parts are ''. Rows go once their window and lock are
-- over.
CREATE TABLE login_throttle (
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    account TEXT NOT NULL,
    client TEXT NOT NULL,
    failures INTEGER NOT NULL,
    first_at BIGINT NOT NULL,
    locked_until BIGINT,
    PRIMARY KEY (company_id, scope, account, client)
);
CREATE INDEX login_throttle_first ON login_throttle (first_at);

-- The lock per account name, which anyone could keep closed by failing
-- on purpose.
DROP TABLE login_failures;
