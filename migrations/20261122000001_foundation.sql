-- Tenancy: one row per application (AppKey = org_name#app_name).
create table apps (
    id                 uuid        primary key,
    app_id             text        not null,
    org_name           text        not null,
    app_name           text        not null,
    client_id          text        not null,
    client_secret_hash text        not null,
    created_at         timestamptz not null default now(),
    modified_at        timestamptz not null default now(),
    constraint apps_app_id_key unique (app_id),
    constraint apps_org_app_key unique (org_name, app_name),
    constraint apps_client_id_key unique (client_id)
);

-- JWT signing keys shared by every instance; the newest one signs, all verify.
create table signing_keys (
    kid        text        primary key,
    secret     bytea       not null,
    created_at timestamptz not null default now()
);

-- IM users. Usernames are stored lowercased; `seq` gives creation order for keyset paging.
create table users (
    app           uuid        not null references apps (id) on delete cascade,
    username      text        not null,
    seq           bigint      generated always as identity,
    uuid          uuid        not null,
    password_hash text,
    nickname      text,
    activated     boolean     not null default true,
    created_at    timestamptz not null default now(),
    modified_at   timestamptz not null default now(),
    constraint users_pkey primary key (app, username),
    constraint users_uuid_key unique (uuid),
    constraint users_username_lower check (username = lower(username))
);
create unique index users_app_seq_idx on users (app, seq);
