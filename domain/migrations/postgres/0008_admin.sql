-- The operator dashboard: staff accounts, database sessions (shared by every instance), the
-- audit log, per-operator lifetimes, and the token of printed invites (a poster is public).
CREATE TABLE staff (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operator_id   BIGINT NOT NULL REFERENCES operators(id),
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'staff')),
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until  BIGINT,
    disabled_at   BIGINT,
    created_at    BIGINT NOT NULL,
    UNIQUE (email)
);

CREATE TABLE admin_sessions (
    id_hash      TEXT PRIMARY KEY,
    staff_id     BIGINT NOT NULL REFERENCES staff(id),
    operator_id  BIGINT NOT NULL REFERENCES operators(id),
    csrf         TEXT NOT NULL,
    ip           TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    ended_at     BIGINT
);
CREATE INDEX admin_sessions_by_staff ON admin_sessions (staff_id);

CREATE TABLE audit_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operator_id BIGINT NOT NULL REFERENCES operators(id),
    staff_id    BIGINT REFERENCES staff(id),
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '',
    ip          TEXT NOT NULL DEFAULT '',
    at          BIGINT NOT NULL
);
CREATE INDEX audit_log_by_operator ON audit_log (operator_id, id);

ALTER TABLE operators ADD COLUMN link_ttl_secs BIGINT;
ALTER TABLE operators ADD COLUMN invite_days BIGINT NOT NULL DEFAULT 30;
ALTER TABLE invites ADD COLUMN print_token TEXT;
ALTER TABLE invites ADD COLUMN label TEXT;
ALTER TABLE invites ADD COLUMN sent_at BIGINT;
CREATE INDEX journeys_by_invite ON journeys (invite_id);
