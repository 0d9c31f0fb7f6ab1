-- Event callbacks (post-event `group_op_event`s to the app server), written as an outbox in the
-- same transaction as the change that causes them and delivered by a worker.

-- The keys that seal callback secrets at rest (ChaCha20-Poly1305), unless the configuration
-- holds one (`callbacks.secret_key`). Shared by every instance; the newest seals.
create table callback_keys (
    kid        text        primary key,
    secret     bytea       not null,
    created_at timestamptz not null default now()
);

-- Where an app's events go: a URL, a secret (sealed), which room kinds and operations.
create table callback_rules (
    app             uuid        not null references apps (id) on delete cascade,
    id              uuid        not null,
    url             text        not null,
    secret_sealed   bytea       not null,
    secret_kid      text        not null,
    -- 'group' and/or 'chatroom'
    kinds           text[]      not null,
    -- operation names (JOIN, LEAVE, …); null means every operation
    operations      text[],
    enabled         boolean     not null default true,
    created_at      timestamptz not null default now(),
    -- Failures in the current 30-second window, and the pause they may lead to.
    window_start    timestamptz,
    window_failures integer     not null default 0,
    paused_until    timestamptz,
    pauses          integer     not null default 0,
    last_paused_at  timestamptz,
    constraint callback_rules_pkey primary key (app, id)
);

-- One delivery of one event to one rule, until it is delivered (then deleted) or dead.
-- A stream is a rule's events of one room (room_id 0: app-level events such as chatroom super
-- admins); `seq` orders a stream in commit order (every change to a room holds the room's row
-- lock while it takes its numbers).
create sequence callback_seq;

create table callback_deliveries (
    app        uuid        not null,
    rule_id    uuid        not null,
    room_id    bigint      not null,
    seq        bigint      not null,
    room_kind  text        not null,
    call_id    uuid        not null,
    operation  text        not null,
    operator   text        not null,
    -- The payload object as JSON text (its key order kept); null: the event has none.
    payload    text,
    -- When the change committed (the event's `timestamp`), and when this delivery was queued
    -- (its retry horizon counts from then: a replay queues it again).
    created_at  timestamptz not null,
    enqueued_at timestamptz not null default now(),
    attempts   integer     not null default 0,
    last_error text,
    -- A replay to another URL than the rule's, and how many times it was replayed.
    target_url text,
    replays    integer     not null default 0,
    constraint callback_deliveries_pkey primary key (app, rule_id, room_id, seq)
);

-- A rule's stream of one room: how many deliveries wait, when the first one is due, and the
-- lease of the worker sending it. Streams with nothing pending are not in the due index.
create table callback_streams (
    app          uuid        not null,
    rule_id      uuid        not null,
    room_id      bigint      not null,
    pending      integer     not null default 0,
    next_at      timestamptz not null default now(),
    leased_until timestamptz,
    oldest_at    timestamptz,
    failures     integer     not null default 0,
    constraint callback_streams_pkey primary key (app, rule_id, room_id)
);
create index callback_streams_due_idx on callback_streams (next_at) where pending > 0;

-- Deliveries that did not succeed within the retry horizon, kept for listing and replay.
create table callback_dead_letters (
    app        uuid        not null,
    rule_id    uuid        not null,
    seq        bigint      not null,
    room_id    bigint      not null,
    room_kind  text        not null,
    call_id    uuid        not null,
    operation  text        not null,
    operator   text        not null,
    payload    text,
    created_at timestamptz not null,
    dead_at    timestamptz not null default now(),
    attempts   integer     not null,
    last_error text,
    replays    integer     not null default 0,
    constraint callback_dead_letters_pkey primary key (app, rule_id, seq)
);
create index callback_dead_letters_dead_idx on callback_dead_letters (app, dead_at);
