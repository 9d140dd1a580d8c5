-- A new phone. Each pass remembers the journey that issued it: that journey downloads the
-- same pass again, and any other journey is another phone. A member who starts again from the
-- invite on another phone gets a new pass, pending until it is added there (its first PassKit
-- registration, or Google's save callback); then the pass it replaces is voided (`replaced_by`)
-- and pushed, and a generated credential moves to the new pass's new number on every pass of
-- the member. A physical card's credential stays, since the card still works: voiding a pass
-- whose replacement carries the same credential revokes nothing in the access system.
-- The new number is pending with its pass (a member holds one live generated credential, and
-- the old one is live until the new phone's pass is added).
ALTER TABLE credentials ADD COLUMN pending_at INTEGER;
DROP INDEX one_digital_credential;
CREATE UNIQUE INDEX one_digital_credential ON credentials (member_id)
    WHERE source = 'digital' AND revoked_at IS NULL AND pending_at IS NULL;
ALTER TABLE wallet_passes ADD COLUMN journey_id INTEGER REFERENCES journeys(id);
ALTER TABLE wallet_passes ADD COLUMN pending_at INTEGER;
ALTER TABLE wallet_passes ADD COLUMN replaced_by INTEGER REFERENCES wallet_passes(id);

DROP INDEX wallet_passes_live;
CREATE UNIQUE INDEX wallet_passes_live ON wallet_passes (member_id, platform)
    WHERE voided_at IS NULL AND pending_at IS NULL;
CREATE UNIQUE INDEX wallet_passes_by_journey ON wallet_passes (journey_id, platform)
    WHERE voided_at IS NULL;

DROP TRIGGER wallet_pass_voided;
CREATE TRIGGER wallet_pass_voided AFTER UPDATE OF voided_at ON wallet_passes
WHEN OLD.voided_at IS NULL AND NEW.voided_at IS NOT NULL
BEGIN
    INSERT INTO access_revocations (operator_id, member_id, credential_id, source, facility_code, card_number, at)
    SELECT NEW.operator_id, NEW.member_id, c.id, c.source, c.facility_code, c.card_number, NEW.voided_at
    FROM credentials c
    WHERE c.id = NEW.credential_id
      AND NOT EXISTS (SELECT 1 FROM wallet_passes n WHERE n.id = NEW.replaced_by AND n.credential_id = c.id)
      AND NOT EXISTS (SELECT 1 FROM access_revocations r WHERE r.credential_id = c.id AND r.at = NEW.voided_at);
    UPDATE credentials SET revoked_at = NEW.voided_at
    WHERE id = NEW.credential_id AND source = 'digital' AND revoked_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM wallet_passes n WHERE n.id = NEW.replaced_by AND n.credential_id = NEW.credential_id);
END;
