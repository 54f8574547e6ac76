-- Portal single sign-on. A console user who arrives by a portal's signed assertion is
-- matched by the assertion's issuer and subject, never by email (an email can be
-- reused or edited in the portal; the subject is the portal's id for the person).
CREATE TABLE sso_identities (
    user_id INTEGER NOT NULL PRIMARY KEY REFERENCES console_users (id) ON DELETE CASCADE,
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    UNIQUE (issuer, subject)
);

-- The ids (`jti`) of the assertions exchanged, kept until they expire, so that each
-- assertion opens one session at most. Old rows go when new ones come.
CREATE TABLE sso_assertions (
    issuer TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, jti)
);
CREATE INDEX sso_assertions_expiry ON sso_assertions (expires_at);
