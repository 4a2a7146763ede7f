-- The notification engine: which events are routed, directives (one per routed
-- (event, receiver, recipient)), group timers, notifications with their ticket numbers,
-- the audit log of every attempt, the per-day ticket sequence and the sends that limits count.

-- Events written from now on wait for the router (0); those already stored count as
-- routed, so a first start does not notify about history.
ALTER TABLE events ADD COLUMN routed SMALLINT NOT NULL DEFAULT 1;
CREATE INDEX events_unrouted ON events (routed, id);

CREATE TABLE directives (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    event_id BIGINT NOT NULL,
    created_us BIGINT NOT NULL,
    rule LONGTEXT NOT NULL,
    channel VARCHAR(128) NOT NULL,
    recipient LONGTEXT NOT NULL,
    template LONGTEXT NOT NULL,
    format LONGTEXT NOT NULL,
    group_key VARCHAR(64) NOT NULL,
    labels LONGTEXT NOT NULL,
    group_wait_us BIGINT NOT NULL,
    group_interval_us BIGINT NOT NULL,
    repeat_interval_us BIGINT NOT NULL,
    status VARCHAR(16) NOT NULL,
    INDEX directives_pending (status, group_key),
    INDEX directives_event (event_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE notify_groups (
    group_key VARCHAR(64) NOT NULL PRIMARY KEY,
    last_flush_us BIGINT NOT NULL,
    last_hash VARCHAR(64) NOT NULL,
    not_before_us BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE notifications (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    ticket VARCHAR(32) NOT NULL UNIQUE,
    created_us BIGINT NOT NULL,
    group_key VARCHAR(64) NOT NULL,
    channel VARCHAR(128) NOT NULL,
    recipient LONGTEXT NOT NULL,
    template LONGTEXT NOT NULL,
    format LONGTEXT NOT NULL,
    subject LONGTEXT NOT NULL,
    body LONGTEXT NOT NULL,
    html LONGTEXT,
    csv LONGTEXT,
    content_hash VARCHAR(64) NOT NULL,
    event_ids LONGTEXT NOT NULL,
    directive_ids LONGTEXT NOT NULL,
    event_count BIGINT NOT NULL,
    status VARCHAR(16) NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_us BIGINT NOT NULL,
    claimed_until_us BIGINT NOT NULL,
    idempotency_key LONGTEXT NOT NULL,
    provider_id LONGTEXT,
    parts BIGINT,
    price LONGTEXT,
    last_error LONGTEXT,
    finished_us BIGINT,
    INDEX notifications_due (status, next_attempt_us)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE notify_attempts (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    time_us BIGINT NOT NULL,
    ticket VARCHAR(32) NOT NULL,
    channel VARCHAR(128) NOT NULL,
    recipient LONGTEXT NOT NULL,
    template LONGTEXT NOT NULL,
    event_ids LONGTEXT NOT NULL,
    status VARCHAR(16) NOT NULL,
    code LONGTEXT,
    message LONGTEXT,
    provider_id LONGTEXT,
    parts BIGINT,
    price LONGTEXT,
    INDEX notify_attempts_time (time_us),
    INDEX notify_attempts_ticket (ticket)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE notify_tickets (
    day BIGINT NOT NULL PRIMARY KEY,
    last BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE notify_limit_keys (
    channel VARCHAR(128) NOT NULL,
    recipient VARCHAR(255) NOT NULL,
    uses BIGINT NOT NULL,
    PRIMARY KEY (channel, recipient)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE notify_sends (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    channel VARCHAR(128) NOT NULL,
    recipient VARCHAR(255) NOT NULL,
    time_us BIGINT NOT NULL,
    content_hash VARCHAR(64) NOT NULL,
    ticket VARCHAR(32) NOT NULL,
    INDEX notify_sends_key (channel, recipient, time_us)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
