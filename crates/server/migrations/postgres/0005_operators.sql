-- An installation without the demo: the account exists from the first start (nothing
-- bought yet, so every box says "none available" until an admin enters the purchases),
-- and console users are managed in the app.
-- (PostgreSQL twin of ../sqlite/0005_operators.sql; the same statements.)

INSERT INTO account (id, name, web_chat_channel)
SELECT 1, 'Contact center', FALSE WHERE NOT EXISTS (SELECT 1 FROM account);

INSERT INTO license_pool (license, purchased)
SELECT t.license, 0
FROM (SELECT 'voice' AS license UNION ALL SELECT 'web_chat' UNION ALL SELECT 'sms'
      UNION ALL SELECT 'transcription') t
WHERE NOT EXISTS (SELECT 1 FROM license_pool p WHERE p.license = t.license);

-- Disabled users cannot sign in and have no sessions.
ALTER TABLE console_users ADD COLUMN active BOOLEAN NOT NULL DEFAULT TRUE;
-- Set when an admin (or the operator's CLI) chose the password: the user replaces it
-- before anything else.
ALTER TABLE console_users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
-- Unix seconds.
ALTER TABLE console_users ADD COLUMN last_sign_in_at BIGINT;
CREATE INDEX sessions_by_user ON sessions (user_id);
