-- postwarden store schema, SQLite dialect. Times are microseconds since the Unix epoch (UTC);
-- `hour` is the Unix hour (time_us / 3600000000) so reports group without date functions.

CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    time_us     BIGINT  NOT NULL,
    kind        TEXT    NOT NULL,
    severity    TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    host        TEXT,
    ip          TEXT,
    user_name   TEXT,
    sender      TEXT,
    recipient   TEXT,
    summary     TEXT    NOT NULL,
    attributes  TEXT    NOT NULL
);
CREATE INDEX events_time_us ON events (time_us);
CREATE INDEX events_kind ON events (kind);

CREATE TABLE log_files (
    path         TEXT    PRIMARY KEY NOT NULL,
    device       BIGINT  NOT NULL,
    inode        BIGINT  NOT NULL,
    read_offset  BIGINT  NOT NULL,
    fingerprint  BLOB    NOT NULL,
    updated_us   BIGINT  NOT NULL
);

CREATE TABLE log_records (
    id           INTEGER PRIMARY KEY,
    time_us      BIGINT   NOT NULL,
    hour         BIGINT   NOT NULL,
    host         TEXT     NOT NULL,
    service      TEXT     NOT NULL,
    kind         TEXT     NOT NULL,
    abusive      SMALLINT NOT NULL,
    ip           TEXT,
    client_name  TEXT,
    user_name    TEXT,
    reason       TEXT
);
CREATE INDEX log_records_time_us ON log_records (time_us);

CREATE TABLE traffic_counts (
    hour         BIGINT NOT NULL,
    host         TEXT   NOT NULL,
    metric       TEXT   NOT NULL,
    counter_key  TEXT   NOT NULL,
    count        BIGINT NOT NULL,
    PRIMARY KEY (hour, host, metric, counter_key)
);

-- Enrichment of each client address seen in log_records, once per address (latest answer).
CREATE TABLE ip_info (
    ip          TEXT PRIMARY KEY NOT NULL,
    country     TEXT,
    asn         BIGINT,
    as_org      TEXT,
    rdns        TEXT,
    rdns_status TEXT,
    updated_us  BIGINT NOT NULL
);
