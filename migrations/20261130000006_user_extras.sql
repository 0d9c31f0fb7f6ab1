-- User attributes (`/metadata/user/{username}`): one small string map per user, with its size
-- in bytes kept beside it so that the app's capacity is a sum of integers.
create table user_attributes (
    app      uuid    not null,
    username text    not null,
    attrs    jsonb   not null,
    bytes    integer not null,
    constraint user_attributes_pkey primary key (app, username),
    constraint user_attributes_user_fkey foreign key (app, username)
        references users (app, username) on delete cascade
);

-- Global user mutes (`/mutes`), one row per user and conversation type. `expires_at` null
-- means forever; a row whose time has passed is no mute (reads filter it), so no job is needed.
create table user_mutes (
    app        uuid        not null,
    username   text        not null,
    kind       text        not null,
    expires_at timestamptz,
    constraint user_mutes_pkey primary key (app, username, kind),
    constraint user_mutes_kind_check check (kind in ('chat', 'groupchat', 'chatroom')),
    constraint user_mutes_user_fkey foreign key (app, username)
        references users (app, username) on delete cascade
);
