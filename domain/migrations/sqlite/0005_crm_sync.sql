-- The member directory follows the operator's CRM: connections, sync runs that resume, a lease
-- so one instance syncs an operator at a time, webhook deliveries seen, and what a sync refused.

-- When the CRM last changed this member (orders webhook events), the run that last saw it (a full
-- sync deactivates the members it did not see), why the CRM's record is not usable, and when the
-- member was deactivated and their passes' revocation asked for.
ALTER TABLE members ADD COLUMN crm_modified_at INTEGER;
ALTER TABLE members ADD COLUMN seen_in_run INTEGER;
ALTER TABLE members ADD COLUMN sync_problem TEXT;
ALTER TABLE members ADD COLUMN deactivated_at INTEGER;
ALTER TABLE members ADD COLUMN pass_revocation_requested_at INTEGER;

CREATE TABLE crm_connections (
    operator_id    INTEGER PRIMARY KEY REFERENCES operators(id),
    kind           TEXT NOT NULL CHECK (kind IN ('rest', 'hubspot')),
    settings       TEXT NOT NULL,
    interval_secs  INTEGER NOT NULL DEFAULT 900,
    webhook_secret TEXT NOT NULL,
    full_requested_at INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE sync_leases (
    operator_id INTEGER PRIMARY KEY REFERENCES operators(id),
    holder      TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
);

CREATE TABLE sync_runs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    operator_id    INTEGER NOT NULL REFERENCES operators(id),
    source         TEXT NOT NULL,
    mode           TEXT NOT NULL CHECK (mode IN ('full', 'incremental')),
    status         TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    cursor         TEXT,
    modified_since INTEGER,
    pages          INTEGER NOT NULL DEFAULT 0,
    created        INTEGER NOT NULL DEFAULT 0,
    updated        INTEGER NOT NULL DEFAULT 0,
    unchanged      INTEGER NOT NULL DEFAULT 0,
    rejected       INTEGER NOT NULL DEFAULT 0,
    deactivated    INTEGER NOT NULL DEFAULT 0,
    conflicts      INTEGER NOT NULL DEFAULT 0,
    retries        INTEGER NOT NULL DEFAULT 0,
    error          TEXT,
    started_at     INTEGER NOT NULL,
    finished_at    INTEGER
);
CREATE INDEX sync_runs_by_operator ON sync_runs (operator_id, id);

CREATE TABLE sync_problems (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    operator_id INTEGER NOT NULL REFERENCES operators(id),
    run_id      INTEGER REFERENCES sync_runs(id),
    kind        TEXT NOT NULL CHECK (kind IN ('rejected', 'conflict')),
    external_id TEXT,
    row_ref     TEXT,
    reason      TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX sync_problems_by_run ON sync_problems (run_id, id);

CREATE TABLE crm_webhook_events (
    operator_id INTEGER NOT NULL REFERENCES operators(id),
    event_id    TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (operator_id, event_id)
);
