-- Abuse limits live in the database so they hold across server instances: one row per counted
-- event (a number submission per IP or invite, an SMS per number or operator).
CREATE TABLE rate_hits (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL,
    key   TEXT NOT NULL,
    at    INTEGER NOT NULL
);
CREATE INDEX rate_hits_window ON rate_hits (scope, key, at);

-- Per operator: the strict enumeration mode, and the countries texts may go to
-- (comma-separated ISO codes; empty means the operator's default region only).
ALTER TABLE operators ADD COLUMN strict_enumeration BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE operators ADD COLUMN sms_countries TEXT NOT NULL DEFAULT '';
ALTER TABLE operators ADD COLUMN sms_hourly_budget INTEGER NOT NULL DEFAULT 500;
