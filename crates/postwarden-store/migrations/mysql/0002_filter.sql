-- The content filter: one row per message handled, the quarantine, and list entries.
-- (MySQL / MariaDB dialect.) JSON columns hold the findings (array) and the verdict per recipient (object).

CREATE TABLE messages (
    id          VARCHAR(32) NOT NULL PRIMARY KEY,
    time_us     BIGINT  NOT NULL,
    queue_id    TEXT,
    client_ip   TEXT,
    client_name TEXT,
    mail_from   TEXT    NOT NULL,
    recipients  TEXT    NOT NULL,
    subject     TEXT,
    size        BIGINT  NOT NULL,
    score       DOUBLE NOT NULL,
    findings    LONGTEXT NOT NULL,
    verdicts    LONGTEXT NOT NULL,
    reply       TEXT    NOT NULL,
    duration_us BIGINT  NOT NULL,
    INDEX messages_time_us (time_us)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE quarantine (
    id          VARCHAR(32) NOT NULL PRIMARY KEY,
    time_us     BIGINT  NOT NULL,
    digest      VARCHAR(64) NOT NULL,
    mail_from   TEXT    NOT NULL,
    recipients  TEXT    NOT NULL,
    subject     TEXT,
    size        BIGINT  NOT NULL,
    reason      TEXT    NOT NULL,
    released_us BIGINT,
    released_by TEXT,
    deleted_us  BIGINT,
    INDEX quarantine_time_us (time_us)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE list_entries (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    list        TEXT    NOT NULL,
    field       TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    comment     TEXT,
    created_us  BIGINT  NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
