-- Keys an operator's systems use for the REST API under /v1. The key itself is shown once, when
-- it is made; only its SHA-256 is kept (a key is 32 random bytes: no slow hash is needed to make
-- guessing it hopeless). `prefix` is the key's first characters, for telling keys apart.
-- `scopes` is `read` or `read write`.
CREATE TABLE api_keys (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operator_id  BIGINT NOT NULL REFERENCES operators(id),
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    key_hash     TEXT NOT NULL UNIQUE,
    scopes       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_keys_by_operator ON api_keys (operator_id, id);
