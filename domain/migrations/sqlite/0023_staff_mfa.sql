-- A second factor for staff password accounts: TOTP (RFC 6238) with one-time recovery codes.
-- `totp_secret` is the base32 shared secret, NULL while the account has no second factor. It is
-- stored readable because checking a code means computing it; a copy of the database is as good
-- as the authenticator app, so backups are as secret as the signing keys. `totp_pending_secret`
-- is an enrolment in progress: it becomes `totp_secret` once a first code from the app proves the
-- app holds it. `totp_last_step` is the newest 30-second step a code was accepted for: a code is
-- good once, and only for a step after it.
ALTER TABLE staff ADD COLUMN totp_secret TEXT;
ALTER TABLE staff ADD COLUMN totp_pending_secret TEXT;
ALTER TABLE staff ADD COLUMN totp_enabled_at INTEGER;
ALTER TABLE staff ADD COLUMN totp_last_step INTEGER;

-- Recovery codes: only each code's SHA-256 (of its normalised form); a code signs in once.
CREATE TABLE staff_recovery_codes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    staff_id   INTEGER NOT NULL REFERENCES staff(id),
    code_hash  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    used_at    INTEGER,
    UNIQUE (staff_id, code_hash)
);

-- An operator can require every staff member to have a second factor: one without it signs in
-- with the password only to set one up, in a session marked `enrol_only` (a session opened any
-- other way, single sign-on included, is not).
ALTER TABLE operators ADD COLUMN require_mfa BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE admin_sessions ADD COLUMN enrol_only BOOLEAN NOT NULL DEFAULT FALSE;

-- The half-signed-in state between a correct password and the code: only the token's SHA-256 is
-- kept (the token is a cookie). It lives five minutes, takes a few tries, and turns into a
-- session once (`used_at`).
CREATE TABLE staff_mfa_challenges (
    id_hash    TEXT PRIMARY KEY,
    staff_id   INTEGER NOT NULL REFERENCES staff(id),
    ip         TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    used_at    INTEGER
);
CREATE INDEX staff_mfa_challenges_by_staff ON staff_mfa_challenges (staff_id);
