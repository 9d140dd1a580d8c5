-- Single sign-on per operator (OpenID Connect): the provider's issuer, the client this service
-- is registered as there, and whether staff must sign in through it. A sign-in under way lives
-- in oidc_logins, so the instance the provider sends the browser back to need not be the one
-- that sent it there: the browser keeps only the `state`, in a cookie, and this table its
-- SHA-256, the nonce and the PKCE verifier. A row is used once (used_at), within ten minutes.
ALTER TABLE operators ADD COLUMN oidc_issuer TEXT;
ALTER TABLE operators ADD COLUMN oidc_client_id TEXT;
ALTER TABLE operators ADD COLUMN oidc_client_secret TEXT;
ALTER TABLE operators ADD COLUMN require_sso BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE oidc_logins (
    state_hash    TEXT PRIMARY KEY,
    operator_id   INTEGER NOT NULL REFERENCES operators(id),
    nonce         TEXT NOT NULL,
    code_verifier TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    used_at       INTEGER
);
CREATE INDEX oidc_logins_by_expiry ON oidc_logins (expires_at);
