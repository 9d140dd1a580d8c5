-- Apple's PassKit web service: each pass carries its own authentication token; devices register
-- for a pass's updates with a push token; a pass that changed waits for its push (due time).
ALTER TABLE wallet_passes ADD COLUMN auth_token TEXT;
ALTER TABLE wallet_passes ADD COLUMN site_name TEXT;
ALTER TABLE wallet_passes ADD COLUMN push_due_at BIGINT;
ALTER TABLE wallet_passes ADD COLUMN push_attempts BIGINT NOT NULL DEFAULT 0;

CREATE TABLE pass_devices (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_library_id TEXT NOT NULL UNIQUE,
    push_token        TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

CREATE TABLE pass_registrations (
    device_id  BIGINT NOT NULL REFERENCES pass_devices(id),
    pass_id    BIGINT NOT NULL REFERENCES wallet_passes(id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (device_id, pass_id)
);
CREATE INDEX pass_registrations_by_pass ON pass_registrations (pass_id);
