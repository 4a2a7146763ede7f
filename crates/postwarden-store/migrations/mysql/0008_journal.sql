-- Where the log watcher read the systemd journal up to: the cursor of the last entry
-- committed, one row per journal (`journal:system`, `journal:/path`).
CREATE TABLE log_journals (
    source       VARCHAR(768) NOT NULL PRIMARY KEY,
    cursor_text  TEXT   NOT NULL,
    updated_us   BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
