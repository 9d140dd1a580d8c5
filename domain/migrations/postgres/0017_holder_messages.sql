-- Messages staff send to the holders of passes (every holder, a site's, or one member's): each
-- pass shows the newest message sent to it (Apple: a field with a changeMessage, Google: the
-- object's message), and wallets are told through the update queue. Google allows at most 3
-- notifying messages per pass in 24 hours: each notification is kept, and a message past the
-- allowance reaches that pass without one.
CREATE TABLE holder_messages (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operator_id BIGINT NOT NULL REFERENCES operators(id),
    -- what it went to: NULL and NULL for every holder; a site's name; or one member
    site_name   TEXT,
    member_id   BIGINT REFERENCES members(id),
    body        TEXT NOT NULL,
    sent_by     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    -- its reach: live passes updated, of them Apple passes on a device, Google passes notified,
    -- and Google passes past their 3 notifications a day (updated without one)
    passes      BIGINT NOT NULL DEFAULT 0,
    apple_on_devices BIGINT NOT NULL DEFAULT 0,
    google_notified  BIGINT NOT NULL DEFAULT 0,
    google_quiet     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX holder_messages_by_operator ON holder_messages (operator_id, id);

ALTER TABLE wallet_passes ADD COLUMN message_id BIGINT REFERENCES holder_messages(id);
ALTER TABLE wallet_passes ADD COLUMN message_notifies BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE pass_notifications (
    pass_id BIGINT NOT NULL REFERENCES wallet_passes(id),
    at      BIGINT NOT NULL
);
CREATE INDEX pass_notifications_by_pass ON pass_notifications (pass_id, at);
