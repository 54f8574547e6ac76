-- The agent profile (Add Agent / edit), UC groups whose extensions are reserved, and
-- the account's extension plan.

ALTER TABLE agents ADD COLUMN preferred_name TEXT NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN no_answer_kind TEXT NOT NULL DEFAULT 'none'
    CHECK (no_answer_kind IN ('none', 'voicemail', 'extension'));
ALTER TABLE agents ADD COLUMN no_answer_extension TEXT;
ALTER TABLE agents ADD COLUMN recording_mode TEXT NOT NULL DEFAULT 'automatic'
    CHECK (recording_mode IN ('automatic', 'automatic_no_pause', 'manual', 'disabled'));
ALTER TABLE agents ADD COLUMN review_own_recordings BOOLEAN NOT NULL DEFAULT FALSE;
-- lower(trim(email)): emails are unique among agents without regard to case. Not a
-- UNIQUE index: a directory may hold duplicates, which a refresh reports rather than
-- refuses; the store enforces uniqueness for agents created or edited here.
ALTER TABLE agents ADD COLUMN email_key TEXT NOT NULL DEFAULT '';
UPDATE agents SET email_key = lower(trim(email));
CREATE INDEX agents_email_key ON agents (email_key);

-- Queues from the UC directory. Their extensions are reserved: no agent may take one.
CREATE TABLE uc_groups (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    extension TEXT NOT NULL
);
CREATE UNIQUE INDEX uc_groups_extension ON uc_groups (extension);

-- The extension plan (best practice: a separate range per kind).
ALTER TABLE account ADD COLUMN uc_users_first BIGINT NOT NULL DEFAULT 2000;
ALTER TABLE account ADD COLUMN uc_users_last BIGINT NOT NULL DEFAULT 2999;
ALTER TABLE account ADD COLUMN uc_groups_first BIGINT NOT NULL DEFAULT 3000;
ALTER TABLE account ADD COLUMN uc_groups_last BIGINT NOT NULL DEFAULT 3999;
ALTER TABLE account ADD COLUMN webrtc_first BIGINT NOT NULL DEFAULT 4000;
ALTER TABLE account ADD COLUMN webrtc_last BIGINT NOT NULL DEFAULT 4999;
