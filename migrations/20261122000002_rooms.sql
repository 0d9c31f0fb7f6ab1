-- Rooms: chatrooms and (later) groups are one model with a kind column; one id space for both.
create sequence room_id_seq;

-- Time-ordered numeric ids, unique across every instance sharing this database:
-- milliseconds since 2020-09-13 in the high bits, a shared sequence in the low 16 bits.
create function next_room_id() returns bigint language sql volatile as $$
    select (((extract(epoch from clock_timestamp()) * 1000)::bigint - 1600000000000) << 16)
           | (nextval('room_id_seq') % 65536)
$$;

create table rooms (
    app           uuid        not null references apps (id) on delete cascade,
    id            bigint      not null default next_room_id(),
    kind          text        not null,
    name          text        not null,
    description   text        not null default '',
    owner         text        not null,
    maxusers      integer     not null,
    member_count  integer     not null default 0,
    custom        text        not null default '',
    announcement  text        not null default '',
    muted_all     boolean     not null default false,
    membersonly   boolean     not null default false,
    allowinvites  boolean     not null default false,
    public        boolean     not null default true,
    disabled      boolean     not null default false,
    created_at    timestamptz not null default now(),
    modified_at   timestamptz not null default now(),
    constraint rooms_pkey primary key (app, id),
    constraint rooms_kind_check check (kind in ('chatroom', 'group')),
    constraint rooms_owner_fkey foreign key (app, owner) references users (app, username),
    constraint rooms_count_check check (member_count >= 0 and member_count <= maxusers)
);
create index rooms_app_kind_id_idx on rooms (app, kind, id);
create index rooms_app_owner_idx on rooms (app, owner);

-- Position in a room's member list: 0 for the owner, then join order.
create sequence room_member_pos_seq;

-- role: 2 owner, 1 admin, 0 member. The owner is a member row too.
create table room_members (
    app       uuid        not null,
    room_id   bigint      not null,
    username  text        not null,
    kind      text        not null,
    role      smallint    not null default 0,
    pos       bigint      not null default nextval('room_member_pos_seq'),
    joined_at timestamptz not null default now(),
    constraint room_members_pkey primary key (app, room_id, username),
    constraint room_members_room_fkey foreign key (app, room_id) references rooms (app, id) on delete cascade,
    constraint room_members_user_fkey foreign key (app, username) references users (app, username) on delete cascade,
    constraint room_members_role_check check (role in (0, 1, 2))
);
create index room_members_page_idx on room_members (app, room_id, pos);
create index room_members_user_idx on room_members (app, username, kind, joined_at);
create index room_members_admin_idx on room_members (app, room_id) where role = 1;

-- Mutes and whitelist entries belong to a membership and vanish with it.
create table room_mutes (
    app       uuid    not null,
    room_id   bigint  not null,
    username  text    not null,
    expire_ms bigint  not null,
    constraint room_mutes_pkey primary key (app, room_id, username),
    constraint room_mutes_member_fkey foreign key (app, room_id, username)
        references room_members (app, room_id, username) on delete cascade
);

create table room_whitelist (
    app        uuid        not null,
    room_id    bigint      not null,
    username   text        not null,
    created_at timestamptz not null default now(),
    constraint room_whitelist_pkey primary key (app, room_id, username),
    constraint room_whitelist_member_fkey foreign key (app, room_id, username)
        references room_members (app, room_id, username) on delete cascade
);

-- Blocked users are kept out of the room until unblocked.
create table room_blocks (
    app        uuid        not null,
    room_id    bigint      not null,
    username   text        not null,
    created_at timestamptz not null default now(),
    constraint room_blocks_pkey primary key (app, room_id, username),
    constraint room_blocks_room_fkey foreign key (app, room_id) references rooms (app, id) on delete cascade,
    constraint room_blocks_user_fkey foreign key (app, username) references users (app, username) on delete cascade
);

-- App-level chatroom super admins.
create table chatroom_super_admins (
    app        uuid        not null,
    username   text        not null,
    seq        bigint      generated always as identity,
    created_at timestamptz not null default now(),
    constraint chatroom_super_admins_pkey primary key (app, username),
    constraint chatroom_super_admins_user_fkey foreign key (app, username) references users (app, username) on delete cascade
);
create index chatroom_super_admins_seq_idx on chatroom_super_admins (app, seq);
