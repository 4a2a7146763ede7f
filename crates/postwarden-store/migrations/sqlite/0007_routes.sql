-- Per-user processing over RabbitMQ: a route sends a user's copies to that user's own
-- worker (one route per user; its addresses are the user's own and any aliases), and
-- `mail_status` keeps one row per request: sent, answered, timed out, failed, held, decided.

CREATE TABLE routes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     BIGINT  NOT NULL UNIQUE,
    queue       TEXT    NOT NULL UNIQUE,
    broker_user TEXT    NOT NULL,
    timeout_ms  BIGINT  NOT NULL,
    on_timeout  TEXT    NOT NULL,
    enabled     BIGINT  NOT NULL,
    created_us  BIGINT  NOT NULL,
    updated_us  BIGINT  NOT NULL
);

CREATE TABLE route_addresses (
    address  TEXT   PRIMARY KEY NOT NULL,
    route_id BIGINT NOT NULL
);
CREATE INDEX route_addresses_route ON route_addresses (route_id);

CREATE TABLE mail_status (
    request_id  TEXT   PRIMARY KEY NOT NULL,
    message_id  TEXT   NOT NULL,
    route_id    BIGINT NOT NULL,
    user_address TEXT  NOT NULL,
    recipients  TEXT   NOT NULL,
    node        TEXT   NOT NULL,
    state       TEXT   NOT NULL,
    action      TEXT,
    tags        TEXT,
    findings    TEXT,
    detail      TEXT,
    sent_us     BIGINT NOT NULL,
    answered_us BIGINT,
    deadline_us BIGINT NOT NULL
);
CREATE INDEX mail_status_message ON mail_status (message_id);
CREATE INDEX mail_status_route ON mail_status (route_id, sent_us);
