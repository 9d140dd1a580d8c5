-- Staff sign-in hardening. Failed sign-ins now count per account and address in rate_hits (a
-- stranger's guesses cannot lock the owner out), so the account-wide counter goes. Password
-- reset links: one row per link sent, only the token's SHA-256 kept; a link works once, until
-- expires_at.
ALTER TABLE staff DROP COLUMN failed_logins;
ALTER TABLE staff DROP COLUMN locked_until;

CREATE TABLE staff_password_resets (
    token_hash  TEXT PRIMARY KEY,
    staff_id    BIGINT NOT NULL REFERENCES staff(id),
    operator_id BIGINT NOT NULL REFERENCES operators(id),
    created_by  BIGINT REFERENCES staff(id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX staff_password_resets_by_staff ON staff_password_resets (staff_id);
