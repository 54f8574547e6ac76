-- Who may use the console (roles, Argon2id password hashes), their sessions, failed
-- sign-ins (to slow guessing down), and the audit log.

CREATE TABLE console_users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    -- PHC string: $argon2id$v=19$m=...,t=...,p=...$salt$hash. Never leaves the store.
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- A session is a random token; only its SHA-256 is stored, so a copy of the database
-- does not let anyone in. `kind` is how the browser holds it: an HttpOnly cookie, or a
-- bearer token a host page passes to the embedded console.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('cookie', 'bearer')),
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- Unix seconds: idle expiry (moves on use, never past max_expires_at).
    expires_at BIGINT NOT NULL,
    max_expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE sign_in_failures (
    email_key TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_by_email ON sign_in_failures (email_key, at);

-- Every change, written in the same transaction as the change itself.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    actor_id INTEGER,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    agent_id INTEGER,
    subject TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE INDEX audit_log_by_agent ON audit_log (agent_id, id);
CREATE INDEX audit_log_by_kind ON audit_log (kind, id);
CREATE INDEX audit_log_by_at ON audit_log (at);

-- Append-only, also for anyone with SQL access through the store.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log cannot be changed');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log cannot be changed');
END;
