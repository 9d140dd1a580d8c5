-- The abuse limits count in one row per scope and key (a window that starts at its first hit,
-- with its count), instead of one row per hit: a check costs one upsert, however busy the key.
-- `cap` and `window_ms` are the limit in force at the last hit (what old rows are cleared by).
CREATE TABLE rate_counters (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    hits         INTEGER NOT NULL,
    last_at      INTEGER NOT NULL,
    cap          INTEGER NOT NULL,
    window_ms    INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);

-- The last day's hits carry over as one window per key.
INSERT INTO rate_counters (scope, key, window_start, hits, last_at, cap, window_ms)
SELECT scope, key, MIN(at), COUNT(*), MAX(at), 0, 86400000 FROM rate_hits
WHERE at > (SELECT COALESCE(MAX(at), 0) FROM rate_hits) - 86400000
GROUP BY scope, key;

DROP TABLE rate_hits;
