-- The content filter: one row per message handled, the quarantine, and list entries.
-- JSON columns hold the findings (array) and the verdict per recipient (object).

CREATE TABLE messages (
    id          TEXT PRIMARY KEY,
    time_us     BIGINT  NOT NULL,
    queue_id    TEXT,
    client_ip   TEXT,
    client_name TEXT,
    mail_from   TEXT    NOT NULL,
    recipients  TEXT    NOT NULL,
    subject     TEXT,
    size        BIGINT  NOT NULL,
    score       DOUBLE PRECISION NOT NULL,
    findings    TEXT    NOT NULL,
    verdicts    TEXT    NOT NULL,
    reply       TEXT    NOT NULL,
    duration_us BIGINT  NOT NULL
);
CREATE INDEX messages_time_us ON messages (time_us);

CREATE TABLE quarantine (
    id          TEXT PRIMARY KEY,
    time_us     BIGINT  NOT NULL,
    digest      TEXT    NOT NULL,
    mail_from   TEXT    NOT NULL,
    recipients  TEXT    NOT NULL,
    subject     TEXT,
    size        BIGINT  NOT NULL,
    reason      TEXT    NOT NULL,
    released_us BIGINT,
    released_by TEXT,
    deleted_us  BIGINT
);
CREATE INDEX quarantine_time_us ON quarantine (time_us);

CREATE TABLE list_entries (
    id          BIGSERIAL PRIMARY KEY,
    list        TEXT    NOT NULL,
    field       TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    comment     TEXT,
    created_us  BIGINT  NOT NULL
);
