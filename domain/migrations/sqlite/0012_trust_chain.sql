-- The trust chain. A link is bound, when it is made, to the member and the number it was texted
-- to; a voided pass stays voided (issuing again makes a new pass with a new serial, so one
-- member may hold several voided passes but one live pass per platform); invite opens are
-- counted per day without a row per request.
-- SQLite cannot drop a table constraint: wallet_passes is rebuilt. Foreign keys stay on (a
-- migration runs in a transaction, where the pragma cannot change), so the registrations that
-- point at it step aside while it is rebuilt and come back after.

ALTER TABLE link_tokens ADD COLUMN member_id INTEGER REFERENCES members(id);
ALTER TABLE link_tokens ADD COLUMN to_e164 TEXT;
-- Links made before the binding cannot say whom they were for: they end (the page offers to
-- start again).
UPDATE link_tokens SET revoked_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000
WHERE revoked_at IS NULL;
CREATE INDEX link_tokens_by_member ON link_tokens (member_id);

CREATE TEMP TABLE wallet_passes_copy AS SELECT * FROM wallet_passes;
CREATE TEMP TABLE pass_registrations_copy AS SELECT * FROM pass_registrations;
DELETE FROM pass_registrations;
DROP TABLE wallet_passes;
CREATE TABLE wallet_passes (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    operator_id   INTEGER NOT NULL REFERENCES operators(id),
    member_id     INTEGER NOT NULL REFERENCES members(id),
    credential_id INTEGER NOT NULL REFERENCES credentials(id),
    platform      TEXT NOT NULL CHECK (platform IN ('apple', 'google')),
    serial        TEXT NOT NULL,
    issued_at     INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    voided_at     INTEGER,
    auth_token    TEXT,
    site_name     TEXT,
    push_due_at   INTEGER,
    push_attempts INTEGER NOT NULL DEFAULT 0,
    UNIQUE (platform, serial)
);
INSERT INTO wallet_passes (id, operator_id, member_id, credential_id, platform, serial,
    issued_at, updated_at, voided_at, auth_token, site_name, push_due_at, push_attempts)
SELECT id, operator_id, member_id, credential_id, platform, serial, issued_at, updated_at,
    voided_at, auth_token, site_name, push_due_at, push_attempts FROM wallet_passes_copy;
INSERT INTO pass_registrations (device_id, pass_id, created_at)
SELECT device_id, pass_id, created_at FROM pass_registrations_copy;
DROP TABLE wallet_passes_copy;
DROP TABLE pass_registrations_copy;
CREATE UNIQUE INDEX wallet_passes_live ON wallet_passes (member_id, platform) WHERE voided_at IS NULL;
CREATE INDEX wallet_passes_by_member ON wallet_passes (member_id);

CREATE TRIGGER wallet_pass_voided AFTER UPDATE OF voided_at ON wallet_passes
WHEN OLD.voided_at IS NULL AND NEW.voided_at IS NOT NULL
BEGIN
    INSERT INTO access_revocations (operator_id, member_id, credential_id, source, facility_code, card_number, at)
    SELECT NEW.operator_id, NEW.member_id, c.id, c.source, c.facility_code, c.card_number, NEW.voided_at
    FROM credentials c
    WHERE c.id = NEW.credential_id
      AND NOT EXISTS (SELECT 1 FROM access_revocations r WHERE r.credential_id = c.id AND r.at = NEW.voided_at);
    UPDATE credentials SET revoked_at = NEW.voided_at
    WHERE id = NEW.credential_id AND source = 'digital' AND revoked_at IS NULL;
END;

CREATE TABLE invite_opens (
    invite_id INTEGER NOT NULL REFERENCES invites(id),
    day       INTEGER NOT NULL,
    opens     INTEGER NOT NULL,
    PRIMARY KEY (invite_id, day)
);
