-- People who sign in to the HR cabinet. A user belongs to one company; the
-- same e-mail may be a user of several companies, each a separate account.
CREATE TABLE users (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    -- argon2id in PHC string form: $argon2id$v=19$m=…,t=…,p=…$salt$hash
    password_hash TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    role TEXT NOT NULL,
    -- Optional scope, JSON arrays of department and office names; empty
    -- arrays do not narrow.
    departments TEXT NOT NULL DEFAULT '[]',
    offices TEXT NOT NULL DEFAULT '[]',
    -- The employee this user is; a line manager sees this employee's team.
    -- No foreign key: erasing the employee leaves a link that matches
    -- nobody, so the user then sees no one rather than blocking the erasure.
    employee_id BIGINT,
    -- TOTP secrets, sealed. The pending one waits for its first code.
    totp_secret_sealed TEXT NOT NULL DEFAULT '',
    totp_pending_sealed TEXT NOT NULL DEFAULT '',
    totp_enabled_at BIGINT,
    -- The last TOTP time step accepted, so that a code works only once.
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    disabled_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (company_id, email),
    UNIQUE (company_id, id)
);

-- Single-use recovery codes for a lost authenticator: only their SHA-256.
CREATE TABLE recovery_codes (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL,
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (company_id, user_id, code_hash),
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);

-- Cabinet sessions. The cookie holds a random token; only its SHA-256 is
-- kept. A session that has not finished signing in (second factor,
-- password change, 2FA enrolment) has a stage other than 'full'.
CREATE TABLE sessions (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    stage TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    idle_until BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);
CREATE INDEX sessions_user ON sessions (company_id, user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Failed sign-in attempts per account name (the lower-cased e-mail), kept
-- whether or not such a user exists, so that a lockout tells nothing.
CREATE TABLE login_failures (
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    account TEXT NOT NULL,
    failures INTEGER NOT NULL,
    first_at BIGINT NOT NULL,
    locked_until BIGINT,
    PRIMARY KEY (company_id, account)
);

-- API tokens: only the SHA-256 of the token is kept, with the role and
-- scope it acts with.
CREATE TABLE api_tokens (
    id {{id}},
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    departments TEXT NOT NULL DEFAULT '[]',
    offices TEXT NOT NULL DEFAULT '[]',
    employee_id BIGINT,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT,
    UNIQUE (company_id, id)
);

-- A line manager's team is walked down the manager links.
CREATE INDEX employees_manager ON employees (company_id, manager_id);
