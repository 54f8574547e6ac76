-- The UC directory: its connection, the directory's keys on UC users and groups, queue
-- membership, and the history of refreshes with their reports.

-- One row: the account's directory connection, credentials included (JSON of
-- alc_directory::Connection). Never sent to a browser, never logged.
CREATE TABLE directory_connection (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    settings TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- The directory's own id of a UC user: a refresh matches users by it, so a renumbered
-- or renamed user stays the same user (and keeps its licenses).
ALTER TABLE agents ADD COLUMN directory_key TEXT;
ALTER TABLE agents ADD COLUMN directory_status TEXT NOT NULL DEFAULT '';
-- Set when a licensed UC user vanished from the directory: kept, licenses held for
-- review. Cleared if the user comes back.
ALTER TABLE agents ADD COLUMN gone_since TEXT;
CREATE UNIQUE INDEX agents_directory_key ON agents (directory_key) WHERE directory_key IS NOT NULL;

-- A directory may give a UC user the extension of one of our WebRTC agents; the
-- refresh imports the directory as it is and reports the collision instead of
-- refusing it, so extensions are no longer unique in the table. Agents created or
-- edited here are still checked against every extension by the store.
DROP INDEX agents_extension;
CREATE INDEX agents_extension ON agents (extension);

ALTER TABLE uc_groups ADD COLUMN directory_key TEXT;

CREATE TABLE uc_group_members (
    group_id INTEGER NOT NULL REFERENCES uc_groups (id) ON DELETE CASCADE,
    agent_id INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, agent_id)
);
CREATE INDEX uc_group_members_by_agent ON uc_group_members (agent_id);

CREATE TABLE directory_refreshes (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    failed BOOLEAN NOT NULL,
    -- alc_domain::directory::RefreshReport as JSON.
    report TEXT NOT NULL
);
