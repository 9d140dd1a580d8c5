-- Outgoing webhooks: an operator's endpoints, and a durable queue of deliveries to them claimed
-- under a lease like the SMS outbox (claimed_by, lease_until, taken_over_from).

-- Whether this operator's endpoints may be on loopback, private or link-local addresses (a
-- receiver inside the operator's own network). Off: webhooks reach only the public internet.
ALTER TABLE operators ADD COLUMN webhooks_allow_private BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE webhook_endpoints (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    operator_id     INTEGER NOT NULL REFERENCES operators(id),
    url             TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    -- the subscribed event types, comma-separated (`pass.issued,pass.voided`)
    events          TEXT NOT NULL,
    -- the signing secret (`whsec_…`) in clear: unlike a password or an API key it cannot be
    -- kept as a hash, since every message is signed with the secret itself (HMAC)
    secret          TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    -- set when the endpoint is switched off (by staff, or after a day of failed deliveries)
    disabled_at     INTEGER,
    disabled_reason TEXT,
    -- the first failure since the last success; NULL while deliveries succeed
    failing_since   INTEGER
);
CREATE INDEX webhook_endpoints_by_operator ON webhook_endpoints (operator_id, id);

CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id      INTEGER NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    operator_id      INTEGER NOT NULL REFERENCES operators(id),
    event_type       TEXT NOT NULL,
    -- `webhook-id`: the same on every attempt of the message, so the receiver can ignore repeats
    message_id       TEXT NOT NULL,
    -- the body, byte for byte as signed and sent
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'sending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    claimed_by       TEXT,
    lease_until      INTEGER,
    taken_over_from  TEXT,
    last_status_code INTEGER,
    last_latency_ms  INTEGER,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    delivered_at     INTEGER,
    UNIQUE (endpoint_id, message_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_leases ON webhook_deliveries (status, lease_until);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id);
