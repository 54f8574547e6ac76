-- Portal single sign-on. A console user who arrives by a portal's signed assertion is
-- matched by the assertion's issuer and subject, never by email (an email can be
-- reused or edited in the portal; the subject is the portal's id for the person).
-- (PostgreSQL twin of ../sqlite/0008_single_sign_on.sql.)
-- user_id is always given (it is a console user's id), so it is a plain BIGINT key
-- here, not an identity column, although SQLite's spelling makes it a rowid alias.
CREATE TABLE sso_identities (
    user_id BIGINT NOT NULL PRIMARY KEY REFERENCES console_users (id) ON DELETE CASCADE,
    issuer TEXT COLLATE "C" NOT NULL,
    subject TEXT COLLATE "C" NOT NULL,
    UNIQUE (issuer, subject)
);

-- The ids (`jti`) of the assertions exchanged, kept until they expire, so that each
-- assertion opens one session at most. Old rows go when new ones come.
CREATE TABLE sso_assertions (
    issuer TEXT COLLATE "C" NOT NULL,
    jti TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, jti)
);
CREATE INDEX sso_assertions_expiry ON sso_assertions (expires_at);
