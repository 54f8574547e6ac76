-- The licensing core. Plain SQL that PostgreSQL also accepts (apart from the
-- INTEGER PRIMARY KEY rowid alias, which a PostgreSQL migration spells as an identity
-- column); SQLite-only behaviour stays inside store.rs.

CREATE TABLE account (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    web_chat_channel BOOLEAN NOT NULL DEFAULT FALSE
);

-- Seats bought, per license type.
CREATE TABLE license_pool (
    license TEXT PRIMARY KEY CHECK (license IN ('voice', 'web_chat', 'sms', 'transcription')),
    purchased BIGINT NOT NULL CHECK (purchased >= 0)
);

-- Every contact-center agent: UC users from the directory and WebRTC agents.
CREATE TABLE agents (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    extension TEXT NOT NULL,
    source TEXT NOT NULL,
    -- Bumped on every change; writes name the version they were based on.
    version BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE UNIQUE INDEX agents_extension ON agents (extension);
-- The list's order: by name, then id so that paging is stable.
CREATE INDEX agents_by_name ON agents (lower(name), id);

CREATE TABLE agent_licenses (
    agent_id INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    license TEXT NOT NULL REFERENCES license_pool (license),
    PRIMARY KEY (agent_id, license)
);

CREATE INDEX agent_licenses_by_license ON agent_licenses (license);
