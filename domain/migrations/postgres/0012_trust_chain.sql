-- The trust chain. A link is bound, when it is made, to the member and the number it was texted
-- to; a voided pass stays voided (issuing again makes a new pass with a new serial, so one
-- member may hold several voided passes but one live pass per platform); invite opens are
-- counted per day without a row per request.
ALTER TABLE link_tokens ADD COLUMN member_id BIGINT REFERENCES members(id);
ALTER TABLE link_tokens ADD COLUMN to_e164 TEXT;
-- Links made before the binding cannot say whom they were for: they end (the page offers to
-- start again).
UPDATE link_tokens SET revoked_at = (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT
WHERE revoked_at IS NULL;
CREATE INDEX link_tokens_by_member ON link_tokens (member_id);

ALTER TABLE wallet_passes DROP CONSTRAINT wallet_passes_member_id_platform_key;
CREATE UNIQUE INDEX wallet_passes_live ON wallet_passes (member_id, platform) WHERE voided_at IS NULL;
CREATE INDEX wallet_passes_by_member ON wallet_passes (member_id);

CREATE TABLE invite_opens (
    invite_id BIGINT NOT NULL REFERENCES invites(id),
    day       BIGINT NOT NULL,
    opens     BIGINT NOT NULL,
    PRIMARY KEY (invite_id, day)
);
