-- People: users of the web console and the API, their sessions and API tokens, and the
-- address index that decides what each of them may see (a user the mail they sent or
-- received, a domain admin their domains). List entries gain an owner (NULL: global,
-- `@domain`: a domain's, an address: a user's).

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    address       TEXT    NOT NULL UNIQUE,
    display_name  TEXT,
    role          TEXT    NOT NULL,
    domains       TEXT    NOT NULL,
    password_hash TEXT,
    source        TEXT    NOT NULL,
    disabled      BIGINT  NOT NULL,
    settings      TEXT    NOT NULL,
    created_us    BIGINT  NOT NULL,
    updated_us    BIGINT  NOT NULL,
    last_login_us BIGINT
);

CREATE TABLE web_sessions (
    id_hash      TEXT    PRIMARY KEY NOT NULL,
    user_id      BIGINT  NOT NULL,
    csrf         TEXT    NOT NULL,
    created_us   BIGINT  NOT NULL,
    last_seen_us BIGINT  NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);

CREATE TABLE api_tokens (
    jti          TEXT    PRIMARY KEY NOT NULL,
    user_id      BIGINT  NOT NULL,
    name         TEXT    NOT NULL,
    scopes       TEXT    NOT NULL,
    created_us   BIGINT  NOT NULL,
    expires_us   BIGINT  NOT NULL,
    revoked_us   BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE message_addresses (
    message_id TEXT   NOT NULL,
    address    TEXT   NOT NULL,
    domain     TEXT   NOT NULL,
    role       TEXT   NOT NULL,
    action     TEXT,
    time_us    BIGINT NOT NULL
);
CREATE INDEX message_addresses_address ON message_addresses (address, time_us);
CREATE INDEX message_addresses_domain ON message_addresses (domain, time_us);
CREATE INDEX message_addresses_message ON message_addresses (message_id);
-- Covers the dashboard's chart (recipients per hour and action) without reading the rows.
CREATE INDEX message_addresses_time ON message_addresses (time_us, role, action);

CREATE TABLE quarantine_recipients (
    quarantine_id TEXT   NOT NULL,
    address       TEXT   NOT NULL,
    domain        TEXT   NOT NULL,
    time_us       BIGINT NOT NULL,
    released_us   BIGINT,
    released_by   TEXT
);
CREATE INDEX quarantine_recipients_address ON quarantine_recipients (address, time_us);
CREATE INDEX quarantine_recipients_domain ON quarantine_recipients (domain, time_us);
CREATE INDEX quarantine_recipients_entry ON quarantine_recipients (quarantine_id);

-- Recipients per hour, domain and action: the dashboard's chart for admins and domain
-- admins, kept as counters (like traffic_counts) so a million messages cost nothing to chart.
CREATE TABLE mail_flow (
    hour    BIGINT NOT NULL,
    domain  TEXT   NOT NULL,
    action  TEXT   NOT NULL,
    n       BIGINT NOT NULL,
    PRIMARY KEY (hour, domain, action)
);

-- The console finds a message by Postfix's queue id too.
CREATE INDEX messages_queue_id ON messages (queue_id);

ALTER TABLE list_entries ADD COLUMN owner TEXT;

-- Index what is already stored (recipients are JSON arrays, verdicts a JSON object).
INSERT INTO message_addresses (message_id, address, domain, role, action, time_us)
SELECT m.id, lower(r), lower(split_part(r, '@', -1)), 'r', m.verdicts::jsonb -> r ->> 'action', m.time_us
FROM messages m, jsonb_array_elements_text(m.recipients::jsonb) AS r;
INSERT INTO message_addresses (message_id, address, domain, role, time_us)
SELECT m.id, lower(m.mail_from), lower(split_part(m.mail_from, '@', -1)), 's', m.time_us
FROM messages m WHERE m.mail_from <> '';
INSERT INTO quarantine_recipients (quarantine_id, address, domain, time_us)
SELECT q.id, lower(r), lower(split_part(r, '@', -1)), q.time_us
FROM quarantine q, jsonb_array_elements_text(q.recipients::jsonb) AS r;
INSERT INTO mail_flow (hour, domain, action, n)
SELECT time_us / 3600000000, domain, COALESCE(action, 'unknown'), COUNT(*)
FROM message_addresses WHERE role = 'r' GROUP BY 1, 2, 3;
