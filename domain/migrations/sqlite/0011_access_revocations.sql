-- The access system hears of every voided pass at once: voiding a pass (a member left, or an
-- operator revoked it) writes a revocation of its credential in the same transaction, and a
-- generated (digital) credential is revoked for good (a later pass gets a new number).
CREATE TABLE access_revocations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    operator_id   INTEGER NOT NULL REFERENCES operators(id),
    member_id     INTEGER NOT NULL REFERENCES members(id),
    credential_id INTEGER NOT NULL REFERENCES credentials(id),
    source        TEXT NOT NULL,
    facility_code INTEGER NOT NULL,
    card_number   INTEGER NOT NULL,
    at            INTEGER NOT NULL
);
CREATE INDEX access_revocations_by_operator ON access_revocations (operator_id, id);

ALTER TABLE operators ADD COLUMN access_token_hash TEXT;

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
