-- Where each pass is. A registration is kept when its device unregisters (unregistered_at), so
-- staff see the pass's devices over time: when each added it, last asked for updates, removed
-- it. A device that registers again is the same registration, active again.
ALTER TABLE pass_registrations ADD COLUMN last_seen_at BIGINT;
ALTER TABLE pass_registrations ADD COLUMN unregistered_at BIGINT;
UPDATE pass_registrations SET last_seen_at = created_at;

-- The operator's device rule: how many Apple devices one pass may be on (a phone and a watch).
-- A registration beyond it is kept (Wallet does not ask) and shown to staff as a warning.
ALTER TABLE operators ADD COLUMN max_apple_devices BIGINT NOT NULL DEFAULT 2;

-- Google Wallet's save and delete callbacks (verified, see domain::wallet::callbacks): when the
-- pass was last saved to a wallet and last deleted from one, and the nonces already seen (Google
-- may deliver a callback more than once; a nonce counts once).
ALTER TABLE wallet_passes ADD COLUMN wallet_saved_at BIGINT;
ALTER TABLE wallet_passes ADD COLUMN wallet_removed_at BIGINT;
CREATE TABLE google_callback_nonces (
    nonce TEXT PRIMARY KEY,
    at    BIGINT NOT NULL
);
