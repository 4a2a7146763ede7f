-- Where the log watcher read the systemd journal up to: the cursor of the last entry
-- committed, one row per journal (`journal:system`, `journal:/path`).
CREATE TABLE log_journals (
    source       TEXT    PRIMARY KEY NOT NULL,
    cursor_text  TEXT    NOT NULL,
    updated_us   BIGINT  NOT NULL
);

-- Authentication outcomes per hour, by dimension: `failed` and `succeeded` (the totals,
-- key ''), and the failures by `ip`, `user`, `country`, `asn` and `rdns_status`. Written in
-- the transaction that stores the records, so `report auth` and the dashboard sum at most a
-- row per key and hour instead of reading every failure.
CREATE TABLE auth_counts (
    dimension    TEXT NOT NULL,
    hour         BIGINT NOT NULL,
    counter_key  TEXT NOT NULL,
    count        BIGINT NOT NULL,
    -- Key first: a report sums each key over its hours in key order, from the key alone.
    PRIMARY KEY (dimension, counter_key, hour)
) WITHOUT ROWID;

-- What is already stored, counted once.
INSERT INTO auth_counts (dimension, hour, counter_key, count)
SELECT 'failed', hour, '', COUNT(*) FROM log_records WHERE kind = 'auth_failed' GROUP BY hour;
INSERT INTO auth_counts (dimension, hour, counter_key, count)
SELECT 'succeeded', hour, '', COUNT(*) FROM log_records WHERE kind = 'auth_success' GROUP BY hour;
INSERT INTO auth_counts (dimension, hour, counter_key, count)
SELECT 'ip', hour, ip, COUNT(*) FROM log_records
WHERE kind = 'auth_failed' AND ip IS NOT NULL GROUP BY hour, ip;
INSERT INTO auth_counts (dimension, hour, counter_key, count)
SELECT 'user', r.hour, substr(r.user_name, 1, 255), COUNT(*) FROM log_records r
WHERE r.kind = 'auth_failed' AND r.user_name IS NOT NULL GROUP BY r.hour, substr(r.user_name, 1, 255);
INSERT INTO auth_counts (dimension, hour, counter_key, count)
SELECT 'country', r.hour, i.country, COUNT(*) FROM log_records r JOIN ip_info i ON i.ip = r.ip
WHERE r.kind = 'auth_failed' AND i.country IS NOT NULL GROUP BY r.hour, i.country;
INSERT INTO auth_counts (dimension, hour, counter_key, count)
SELECT 'asn', r.hour, CAST(i.asn AS TEXT), COUNT(*) FROM log_records r JOIN ip_info i ON i.ip = r.ip
WHERE r.kind = 'auth_failed' AND i.asn IS NOT NULL GROUP BY r.hour, i.asn;
INSERT INTO auth_counts (dimension, hour, counter_key, count)
SELECT 'rdns_status', r.hour, i.rdns_status, COUNT(*) FROM log_records r JOIN ip_info i ON i.ip = r.ip
WHERE r.kind = 'auth_failed' AND i.rdns_status IS NOT NULL GROUP BY r.hour, i.rdns_status;
