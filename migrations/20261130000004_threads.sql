-- Threads: a thread is a room of kind 'thread' whose parent is a group. Its members are
-- room_members rows like any room's, so the room core's member machinery serves it.

alter table rooms drop constraint rooms_kind_check;
alter table rooms add constraint rooms_kind_check check (kind in ('chatroom', 'group', 'thread'));

-- Deleting a group deletes its threads (and, through them, their memberships).
alter table rooms add column parent_id bigint;
alter table rooms add column msg_id text;
alter table rooms add constraint rooms_parent_fkey foreign key (app, parent_id)
    references rooms (app, id) on delete cascade;
alter table rooms add constraint rooms_parent_check check ((kind = 'thread') = (parent_id is not null));
create index rooms_parent_idx on rooms (app, parent_id, id) where parent_id is not null;

-- A thread membership names the group it hangs from and references the user's membership of
-- that group: a thread member is a group member by construction, and leaving the group (removal,
-- block, user deletion) takes the thread memberships with it. The store deletes them itself
-- first, in the same transaction, so that member counts stay equal to the rows.
alter table room_members add column parent_id bigint;
alter table room_members add constraint room_members_parent_fkey foreign key (app, parent_id, username)
    references room_members (app, room_id, username) on delete cascade;
alter table room_members add constraint room_members_parent_check
    check ((kind = 'thread') = (parent_id is not null));
-- Serves the foreign key, the departure cascade and a user's threads in one group (newest join
-- first, the order pages are read in).
create index room_members_parent_idx on room_members (app, username, parent_id, joined_at desc, room_id desc)
    where parent_id is not null;

-- How many rooms of a kind an app holds (threads only, for the app-wide thread cap), kept by
-- statement-level triggers so that cascaded deletes (group, user, app) count too.
create table app_room_counts (
    app  uuid    not null references apps (id) on delete cascade,
    kind text    not null,
    n    integer not null,
    constraint app_room_counts_pkey primary key (app, kind)
);

insert into app_room_counts (app, kind, n)
select app, kind, count(*) from rooms where kind = 'thread' group by app, kind;

create function rooms_counted_in() returns trigger language plpgsql as $$
begin
    insert into app_room_counts as c (app, kind, n)
    select app, kind, count(*) from created_rooms where kind = 'thread'
     group by app, kind order by app, kind
    on conflict (app, kind) do update set n = c.n + excluded.n;
    return null;
end $$;

create function rooms_counted_out() returns trigger language plpgsql as $$
begin
    update app_room_counts c set n = c.n - g.k
      from (select app, kind, count(*)::int as k from deleted_rooms where kind = 'thread'
             group by app, kind) g
     where c.app = g.app and c.kind = g.kind;
    return null;
end $$;

create trigger rooms_counted_in after insert on rooms
    referencing new table as created_rooms for each statement
    execute function rooms_counted_in();

create trigger rooms_counted_out after delete on rooms
    referencing old table as deleted_rooms for each statement
    execute function rooms_counted_out();
