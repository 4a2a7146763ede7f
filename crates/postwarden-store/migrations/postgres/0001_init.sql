-- postwarden store schema, PostgreSQL dialect. Times are microseconds since the Unix epoch (UTC);
-- `hour` is the Unix hour (time_us / 3600000000) so reports group without date functions.
-- Text columns use the "C" collation so that ordering (and ties in top-N reports) is by
-- code point, exactly as in SQLite (BINARY) and MySQL (utf8mb4_bin).

CREATE TABLE events (
    id          BIGSERIAL PRIMARY KEY,
    time_us     BIGINT NOT NULL,
    kind        TEXT COLLATE "C" NOT NULL,
    severity    TEXT COLLATE "C" NOT NULL,
    source      TEXT COLLATE "C" NOT NULL,
    host        TEXT COLLATE "C",
    ip          TEXT COLLATE "C",
    user_name   TEXT COLLATE "C",
    sender      TEXT COLLATE "C",
    recipient   TEXT COLLATE "C",
    summary     TEXT COLLATE "C" NOT NULL,
    attributes  TEXT NOT NULL
);
CREATE INDEX events_time_us ON events (time_us);
CREATE INDEX events_kind ON events (kind);

CREATE TABLE log_files (
    path         TEXT COLLATE "C" PRIMARY KEY,
    device       BIGINT NOT NULL,
    inode        BIGINT NOT NULL,
    read_offset  BIGINT NOT NULL,
    fingerprint  BYTEA  NOT NULL,
    updated_us   BIGINT NOT NULL
);

CREATE TABLE log_records (
    id           BIGSERIAL PRIMARY KEY,
    time_us      BIGINT   NOT NULL,
    hour         BIGINT   NOT NULL,
    host         TEXT COLLATE "C" NOT NULL,
    service      TEXT COLLATE "C" NOT NULL,
    kind         TEXT COLLATE "C" NOT NULL,
    abusive      SMALLINT NOT NULL,
    ip           TEXT COLLATE "C",
    client_name  TEXT COLLATE "C",
    user_name    TEXT COLLATE "C",
    reason       TEXT COLLATE "C"
);
CREATE INDEX log_records_time_us ON log_records (time_us);

CREATE TABLE traffic_counts (
    hour         BIGINT NOT NULL,
    host         TEXT COLLATE "C" NOT NULL,
    metric       TEXT COLLATE "C" NOT NULL,
    counter_key  TEXT COLLATE "C" NOT NULL,
    count        BIGINT NOT NULL,
    PRIMARY KEY (hour, host, metric, counter_key)
);

-- Enrichment of each client address seen in log_records, once per address (latest answer).
CREATE TABLE ip_info (
    ip          TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    country     TEXT COLLATE "C",
    asn         BIGINT,
    as_org      TEXT COLLATE "C",
    rdns        TEXT COLLATE "C",
    rdns_status TEXT COLLATE "C",
    updated_us  BIGINT NOT NULL
);
