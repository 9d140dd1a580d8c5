-- The journey's store. Times are milliseconds since the Unix epoch (UTC) in both dialects,
-- so the queries that read and write them are the same on SQLite and PostgreSQL.

CREATE TABLE operators (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    slug            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    brand_color     TEXT NOT NULL DEFAULT '#1f4fd1',
    accent_color    TEXT NOT NULL DEFAULT '#0b1f4d',
    logo_url        TEXT,
    support_email   TEXT,
    support_phone   TEXT,
    support_url     TEXT,
    default_region  TEXT NOT NULL DEFAULT 'GB',
    -- The facility code of credentials this product generates (26-bit Wiegand H10301: 0-255).
    digital_facility_code INTEGER NOT NULL DEFAULT 200 CHECK (digital_facility_code BETWEEN 0 AND 255),
    created_at      INTEGER NOT NULL
);

CREATE TABLE sites (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    operator_id INTEGER NOT NULL REFERENCES operators(id),
    name        TEXT NOT NULL,
    address     TEXT,
    created_at  INTEGER NOT NULL,
    UNIQUE (operator_id, name)
);

CREATE TABLE members (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    operator_id  INTEGER NOT NULL REFERENCES operators(id),
    external_id  TEXT NOT NULL,
    first_name   TEXT NOT NULL,
    last_name    TEXT NOT NULL,
    email        TEXT,
    mobile_e164  TEXT,
    source       TEXT NOT NULL DEFAULT 'import',
    synced_at    INTEGER,
    active       BOOLEAN NOT NULL DEFAULT TRUE,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (operator_id, external_id)
);
CREATE INDEX members_by_mobile ON members (operator_id, mobile_e164);

CREATE TABLE credentials (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    operator_id   INTEGER NOT NULL REFERENCES operators(id),
    member_id     INTEGER NOT NULL REFERENCES members(id),
    source        TEXT NOT NULL CHECK (source IN ('physical_card', 'digital')),
    facility_code INTEGER NOT NULL CHECK (facility_code BETWEEN 0 AND 255),
    card_number   INTEGER NOT NULL CHECK (card_number BETWEEN 0 AND 65535),
    created_at    INTEGER NOT NULL,
    revoked_at    INTEGER,
    UNIQUE (operator_id, facility_code, card_number)
);
CREATE INDEX credentials_by_member ON credentials (member_id);
-- A member holds at most one live generated credential, however many requests race to make one.
CREATE UNIQUE INDEX one_digital_credential ON credentials (member_id) WHERE source = 'digital' AND revoked_at IS NULL;

CREATE TABLE invites (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    operator_id INTEGER NOT NULL REFERENCES operators(id),
    site_id     INTEGER REFERENCES sites(id),
    member_id   INTEGER REFERENCES members(id),
    token_hash  TEXT NOT NULL UNIQUE,
    channel     TEXT NOT NULL CHECK (channel IN ('email', 'print')),
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER,
    created_at  INTEGER NOT NULL
);

CREATE TABLE journeys (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id    TEXT NOT NULL UNIQUE,
    operator_id  INTEGER NOT NULL REFERENCES operators(id),
    invite_id    INTEGER NOT NULL REFERENCES invites(id),
    member_id    INTEGER REFERENCES members(id),
    step         TEXT NOT NULL,
    outcome      TEXT,
    entered_mobile TEXT,
    started_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX journeys_by_operator ON journeys (operator_id, started_at);

-- Append-only: rows are inserted, never updated or deleted.
CREATE TABLE journey_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    journey_id  INTEGER NOT NULL REFERENCES journeys(id),
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX journey_events_by_journey ON journey_events (journey_id, id);
CREATE TRIGGER journey_events_no_update BEFORE UPDATE ON journey_events
BEGIN SELECT RAISE(ABORT, 'journey_events is append-only'); END;
CREATE TRIGGER journey_events_no_delete BEFORE DELETE ON journey_events
BEGIN SELECT RAISE(ABORT, 'journey_events is append-only'); END;

CREATE TABLE link_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    journey_id  INTEGER NOT NULL REFERENCES journeys(id),
    token_hash  TEXT NOT NULL UNIQUE,
    expires_at  INTEGER NOT NULL,
    claimed_at  INTEGER,
    claim_hash  TEXT,
    revoked_at  INTEGER,
    created_at  INTEGER NOT NULL
);

CREATE TABLE sms_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    journey_id      INTEGER NOT NULL REFERENCES journeys(id),
    operator_id     INTEGER NOT NULL REFERENCES operators(id),
    to_e164         TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'queued',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    provider_id     TEXT,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX sms_outbox_due ON sms_outbox (status, next_attempt_at);
CREATE INDEX link_tokens_by_journey ON link_tokens (journey_id);

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
    UNIQUE (platform, serial),
    UNIQUE (member_id, platform)
);
