-- postwarden store schema, MySQL / MariaDB dialect. Times are microseconds since the Unix
-- epoch (UTC); `hour` is the Unix hour (time_us / 3600000000) so reports group without date
-- functions. Tables use utf8mb4_bin: case-sensitive keys and code-point ordering, as in
-- SQLite and PostgreSQL. Indexed text is VARCHAR (InnoDB index keys are at most 3072 bytes);
-- the store truncates `traffic_counts.host` and `counter_key` to 255 characters on insert.

CREATE TABLE events (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    time_us     BIGINT NOT NULL,
    kind        VARCHAR(255) NOT NULL,
    severity    VARCHAR(16) NOT NULL,
    source      TEXT NOT NULL,
    host        TEXT,
    ip          VARCHAR(64),
    user_name   TEXT,
    sender      TEXT,
    recipient   TEXT,
    summary     TEXT NOT NULL,
    attributes  LONGTEXT NOT NULL,
    INDEX events_time_us (time_us),
    INDEX events_kind (kind)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE log_files (
    path         VARCHAR(768) NOT NULL PRIMARY KEY,
    device       BIGINT NOT NULL,
    inode        BIGINT NOT NULL,
    read_offset  BIGINT NOT NULL,
    fingerprint  BLOB NOT NULL,
    updated_us   BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE log_records (
    id           BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    time_us      BIGINT NOT NULL,
    hour         BIGINT NOT NULL,
    host         TEXT NOT NULL,
    service      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    abusive      SMALLINT NOT NULL,
    ip           VARCHAR(64),
    client_name  TEXT,
    user_name    TEXT,
    reason       TEXT,
    INDEX log_records_time_us (time_us)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE traffic_counts (
    hour         BIGINT NOT NULL,
    host         VARCHAR(255) NOT NULL,
    metric       VARCHAR(32) NOT NULL,
    counter_key  VARCHAR(255) NOT NULL,
    count        BIGINT NOT NULL,
    PRIMARY KEY (hour, host, metric, counter_key)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Enrichment of each client address seen in log_records, once per address (latest answer).
CREATE TABLE ip_info (
    ip          VARCHAR(64) NOT NULL PRIMARY KEY,
    country     TEXT,
    asn         BIGINT,
    as_org      TEXT,
    rdns        TEXT,
    rdns_status TEXT,
    updated_us  BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
