-- Chatroom custom attributes (`/metadata/chatroom/{id}`): keys of a chatroom, each with the
-- member who set it last. `member` is that member while the key is to go when they leave
-- (`autoDelete: DELETE`) and null otherwise (`NO_DELETE`): its foreign key to the membership
-- drops the key in the very statement that ends the membership (leave, kick, block, user or
-- room deletion), with no code in any of those paths.
create table chatroom_attributes (
    app        uuid        not null,
    room_id    bigint      not null,
    key        text        not null,
    value      text        not null,
    setter     text        not null,
    member     text,
    updated_at timestamptz not null default now(),
    constraint chatroom_attributes_pkey primary key (app, room_id, key),
    constraint chatroom_attributes_room_fkey foreign key (app, room_id)
        references rooms (app, id) on delete cascade,
    constraint chatroom_attributes_member_fkey foreign key (app, room_id, member)
        references room_members (app, room_id, username) on delete cascade,
    constraint chatroom_attributes_member_check check (member is null or member = setter)
);
-- What the membership foreign key's cascade looks up.
create index chatroom_attributes_member_idx on chatroom_attributes (app, room_id, member)
    where member is not null;
