-- Operators' own pass artwork (PNG, validated on upload): the logo, the icon and a strip.
CREATE TABLE operator_images (
    operator_id BIGINT NOT NULL REFERENCES operators(id),
    kind        TEXT NOT NULL CHECK (kind IN ('logo', 'icon', 'strip')),
    png         BYTEA NOT NULL,
    width       BIGINT NOT NULL,
    height      BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (operator_id, kind)
);
