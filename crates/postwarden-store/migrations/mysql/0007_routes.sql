-- Per-user processing over RabbitMQ: a route sends a user's copies to that user's own
-- worker (one route per user; its addresses are the user's own and any aliases), and
-- `mail_status` keeps one row per request: sent, answered, timed out, failed, held, decided.
-- (MySQL / MariaDB dialect.)

CREATE TABLE routes (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id     BIGINT NOT NULL UNIQUE,
    queue       VARCHAR(255) NOT NULL UNIQUE,
    broker_user VARCHAR(255) NOT NULL,
    timeout_ms  BIGINT NOT NULL,
    on_timeout  VARCHAR(20) NOT NULL,
    enabled     BIGINT NOT NULL,
    created_us  BIGINT NOT NULL,
    updated_us  BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE route_addresses (
    address  VARCHAR(320) NOT NULL PRIMARY KEY,
    route_id BIGINT NOT NULL,
    INDEX route_addresses_route (route_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE mail_status (
    request_id   VARCHAR(64) NOT NULL PRIMARY KEY,
    message_id   VARCHAR(64) NOT NULL,
    route_id     BIGINT NOT NULL,
    user_address VARCHAR(320) NOT NULL,
    recipients   TEXT   NOT NULL,
    node         VARCHAR(255) NOT NULL,
    state        VARCHAR(20) NOT NULL,
    action       VARCHAR(20),
    tags         TEXT,
    findings     MEDIUMTEXT,
    detail       TEXT,
    sent_us      BIGINT NOT NULL,
    answered_us  BIGINT,
    deadline_us  BIGINT NOT NULL,
    INDEX mail_status_message (message_id),
    INDEX mail_status_route (route_id, sent_us)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
