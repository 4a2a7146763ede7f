-- People: users of the web console and the API, their sessions and API tokens, and the
-- address index that decides what each of them may see (a user the mail they sent or
-- received, a domain admin their domains). List entries gain an owner (NULL: global,
-- `@domain`: a domain's, an address: a user's). (MySQL / MariaDB dialect.)

CREATE TABLE users (
    id            BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    address       VARCHAR(320) NOT NULL UNIQUE,
    display_name  TEXT,
    role          VARCHAR(20) NOT NULL,
    domains       TEXT    NOT NULL,
    password_hash TEXT,
    source        VARCHAR(10) NOT NULL,
    disabled      BIGINT  NOT NULL,
    settings      TEXT    NOT NULL,
    created_us    BIGINT  NOT NULL,
    updated_us    BIGINT  NOT NULL,
    last_login_us BIGINT
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE web_sessions (
    id_hash      VARCHAR(64) NOT NULL PRIMARY KEY,
    user_id      BIGINT  NOT NULL,
    csrf         VARCHAR(64) NOT NULL,
    created_us   BIGINT  NOT NULL,
    last_seen_us BIGINT  NOT NULL,
    INDEX web_sessions_user (user_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE api_tokens (
    jti          VARCHAR(64) NOT NULL PRIMARY KEY,
    user_id      BIGINT  NOT NULL,
    name         TEXT    NOT NULL,
    scopes       TEXT    NOT NULL,
    created_us   BIGINT  NOT NULL,
    expires_us   BIGINT  NOT NULL,
    revoked_us   BIGINT,
    INDEX api_tokens_user (user_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE message_addresses (
    message_id VARCHAR(32)  NOT NULL,
    address    VARCHAR(320) NOT NULL,
    domain     VARCHAR(255) NOT NULL,
    role       CHAR(1)      NOT NULL,
    action     VARCHAR(12),
    time_us    BIGINT       NOT NULL,
    INDEX message_addresses_address (address, time_us),
    INDEX message_addresses_domain (domain, time_us),
    INDEX message_addresses_message (message_id),
    INDEX message_addresses_time (time_us, role, action)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE quarantine_recipients (
    quarantine_id VARCHAR(32)  NOT NULL,
    address       VARCHAR(320) NOT NULL,
    domain        VARCHAR(255) NOT NULL,
    time_us       BIGINT       NOT NULL,
    released_us   BIGINT,
    released_by   TEXT,
    INDEX quarantine_recipients_address (address, time_us),
    INDEX quarantine_recipients_domain (domain, time_us),
    INDEX quarantine_recipients_entry (quarantine_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Recipients per hour, domain and action: the dashboard's chart for admins and domain
-- admins, kept as counters (like traffic_counts) so a million messages cost nothing to chart.
CREATE TABLE mail_flow (
    hour    BIGINT       NOT NULL,
    domain  VARCHAR(255) NOT NULL,
    action  VARCHAR(12)  NOT NULL,
    n       BIGINT       NOT NULL,
    PRIMARY KEY (hour, domain, action)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The console finds a message by Postfix's queue id too.
CREATE INDEX messages_queue_id ON messages (queue_id(32));

ALTER TABLE list_entries ADD COLUMN owner VARCHAR(320);

-- Index what is already stored (recipients are JSON arrays, verdicts a JSON object).
INSERT INTO message_addresses (message_id, address, domain, role, action, time_us)
SELECT m.id, lower(j.r), lower(substring_index(j.r, '@', -1)), 'r',
       JSON_UNQUOTE(JSON_EXTRACT(m.verdicts, CONCAT('$."', j.r, '".action'))), m.time_us
FROM messages m, JSON_TABLE(m.recipients, '$[*]' COLUMNS (r VARCHAR(320) PATH '$')) AS j;
INSERT INTO message_addresses (message_id, address, domain, role, time_us)
SELECT m.id, lower(m.mail_from), lower(substring_index(m.mail_from, '@', -1)), 's', m.time_us
FROM messages m WHERE m.mail_from <> '';
INSERT INTO quarantine_recipients (quarantine_id, address, domain, time_us)
SELECT q.id, lower(j.r), lower(substring_index(j.r, '@', -1)), q.time_us
FROM quarantine q, JSON_TABLE(q.recipients, '$[*]' COLUMNS (r VARCHAR(320) PATH '$')) AS j;
INSERT INTO mail_flow (hour, domain, action, n)
SELECT time_us DIV 3600000000, domain, COALESCE(action, 'unknown'), COUNT(*)
FROM message_addresses WHERE role = 'r' GROUP BY 1, 2, 3;
