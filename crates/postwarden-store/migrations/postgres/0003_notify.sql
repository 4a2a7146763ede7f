-- The notification engine: which events are routed, directives (one per routed
-- (event, receiver, recipient)), group timers, notifications with their ticket numbers,
-- the audit log of every attempt, the per-day ticket sequence and the sends that limits count.

-- Events written from now on wait for the router (0); those already stored count as
-- routed, so a first start does not notify about history.
ALTER TABLE events ADD COLUMN routed SMALLINT NOT NULL DEFAULT 1;
CREATE INDEX events_unrouted ON events (routed, id);

CREATE TABLE directives (
    id BIGSERIAL PRIMARY KEY,
    event_id BIGINT NOT NULL,
    created_us BIGINT NOT NULL,
    rule TEXT NOT NULL,
    channel TEXT COLLATE "C" NOT NULL,
    recipient TEXT NOT NULL,
    template TEXT NOT NULL,
    format TEXT NOT NULL,
    group_key TEXT COLLATE "C" NOT NULL,
    labels TEXT NOT NULL,
    group_wait_us BIGINT NOT NULL,
    group_interval_us BIGINT NOT NULL,
    repeat_interval_us BIGINT NOT NULL,
    status TEXT COLLATE "C" NOT NULL
);

CREATE INDEX directives_pending ON directives (status, group_key);
CREATE INDEX directives_event ON directives (event_id);

CREATE TABLE notify_groups (
    group_key TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    last_flush_us BIGINT NOT NULL,
    last_hash TEXT COLLATE "C" NOT NULL,
    not_before_us BIGINT NOT NULL
);

CREATE TABLE notifications (
    id BIGSERIAL PRIMARY KEY,
    ticket TEXT COLLATE "C" NOT NULL UNIQUE,
    created_us BIGINT NOT NULL,
    group_key TEXT COLLATE "C" NOT NULL,
    channel TEXT COLLATE "C" NOT NULL,
    recipient TEXT NOT NULL,
    template TEXT NOT NULL,
    format TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    html TEXT,
    csv TEXT,
    content_hash TEXT COLLATE "C" NOT NULL,
    event_ids TEXT NOT NULL,
    directive_ids TEXT NOT NULL,
    event_count BIGINT NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_us BIGINT NOT NULL,
    claimed_until_us BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL,
    provider_id TEXT,
    parts BIGINT,
    price TEXT,
    last_error TEXT,
    finished_us BIGINT
);

CREATE INDEX notifications_due ON notifications (status, next_attempt_us);

CREATE TABLE notify_attempts (
    id BIGSERIAL PRIMARY KEY,
    time_us BIGINT NOT NULL,
    ticket TEXT COLLATE "C" NOT NULL,
    channel TEXT COLLATE "C" NOT NULL,
    recipient TEXT NOT NULL,
    template TEXT NOT NULL,
    event_ids TEXT NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    code TEXT,
    message TEXT,
    provider_id TEXT,
    parts BIGINT,
    price TEXT
);

CREATE INDEX notify_attempts_time ON notify_attempts (time_us);
CREATE INDEX notify_attempts_ticket ON notify_attempts (ticket);

CREATE TABLE notify_tickets (
    day BIGINT NOT NULL PRIMARY KEY,
    last BIGINT NOT NULL
);

CREATE TABLE notify_limit_keys (
    channel TEXT COLLATE "C" NOT NULL,
    recipient TEXT COLLATE "C" NOT NULL,
    uses BIGINT NOT NULL,
    PRIMARY KEY (channel, recipient)
);

CREATE TABLE notify_sends (
    id BIGSERIAL PRIMARY KEY,
    channel TEXT COLLATE "C" NOT NULL,
    recipient TEXT COLLATE "C" NOT NULL,
    time_us BIGINT NOT NULL,
    content_hash TEXT COLLATE "C" NOT NULL,
    ticket TEXT COLLATE "C" NOT NULL
);

CREATE INDEX notify_sends_key ON notify_sends (channel, recipient, time_us);
