-- Operators' own pass artwork (PNG, validated on upload): the logo, the icon and a strip.
CREATE TABLE operator_images (
    operator_id INTEGER NOT NULL REFERENCES operators(id),
    kind        TEXT NOT NULL CHECK (kind IN ('logo', 'icon', 'strip')),
    png         BLOB NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (operator_id, kind)
);
