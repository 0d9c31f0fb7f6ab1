-- One schema for plain PostgreSQL and for a Citus cluster. On Citus, `imserver migrate` then
-- distributes every tenant table by `app` (co-located) and makes the global tables reference
-- tables (see im_store::citus); on plain PostgreSQL nothing else happens. What distribution
-- needs, changed here for both engines:

-- Identity columns cannot be distributed: the creation-order columns take a sequence instead
-- (same numbers, same order; the sequence goes on from the highest number in use).
alter table users alter column seq drop identity if exists;
create sequence users_seq_seq;
select setval('users_seq_seq', coalesce((select max(seq) from users), 0) + 1, false);
alter table users alter column seq set default nextval('users_seq_seq');
alter sequence users_seq_seq owned by users.seq;

alter table chatroom_super_admins alter column seq drop identity if exists;
create sequence chatroom_super_admins_seq_seq;
select setval('chatroom_super_admins_seq_seq',
              coalesce((select max(seq) from chatroom_super_admins), 0) + 1, false);
alter table chatroom_super_admins alter column seq set default nextval('chatroom_super_admins_seq_seq');
alter sequence chatroom_super_admins_seq_seq owned by chatroom_super_admins.seq;

-- Every unique key of a tenant table includes `app`. A user's uuid is a random v4 imserver makes
-- (122 random bits) and nothing looks a user up by it: no index keeps it unique any more (on
-- Citus one would have to include `app`, and such an index drew the planner away from the
-- primary key for lookups by app).
alter table users drop constraint users_uuid_key;

-- A reference table (apps) cannot have triggers: an app's attribute counters are created by the
-- statement that creates the app (im_store::apps::create).
drop trigger apps_attribute_usage on apps;
drop function attribute_usage_rows();

-- File tombstones belong to the app of their file, like every other tenant row.
alter table file_tombstones add column app uuid;
update file_tombstones set app = case
    when object_key ~ '^group-files/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/'
    then split_part(object_key, '/', 2)::uuid
    else '00000000-0000-0000-0000-000000000000' end;
alter table file_tombstones alter column app set not null;
alter table file_tombstones drop constraint file_tombstones_pkey;
alter table file_tombstones add constraint file_tombstones_pkey primary key (app, object_key);

-- The counting triggers read their transition table in a query of its own (one row per app,
-- nearly always just one), then change the counters of that app with the app as a constant: on
-- Citus a trigger fires on the shard, where a transition table cannot be joined to a distributed
-- table, and a statement that names its app runs on that app's shard alone.
create or replace function room_members_counted_in() returns trigger language plpgsql as $$
declare v_app uuid; v_users text[]; v_kinds text[]; v_n int[];
begin
    for v_app, v_users, v_kinds, v_n in
        select app, array_agg(username order by username, kind),
               array_agg(kind order by username, kind), array_agg(n order by username, kind)
          from (select app, username, kind, count(*)::int as n from joined_rows
                 group by app, username, kind) g
         group by app order by app
    loop
        insert into user_room_counts as c (app, username, kind, n)
        select v_app, x.username, x.kind, x.n
          from unnest(v_users, v_kinds, v_n) with ordinality as x(username, kind, n, ord)
         order by x.ord
        on conflict (app, username, kind) do update set n = c.n + excluded.n;
    end loop;
    return null;
end $$;

create or replace function room_members_counted_out() returns trigger language plpgsql as $$
declare v_app uuid; v_users text[]; v_kinds text[]; v_n int[];
begin
    for v_app, v_users, v_kinds, v_n in
        select app, array_agg(username order by username, kind),
               array_agg(kind order by username, kind), array_agg(n order by username, kind)
          from (select app, username, kind, count(*)::int as n from left_rows
                 group by app, username, kind) g
         group by app order by app
    loop
        perform 1 from user_room_counts c
          where c.app = v_app
            and (c.username, c.kind) in (select * from unnest(v_users, v_kinds))
          order by c.username, c.kind
          for update;
        update user_room_counts c set n = c.n - x.n
          from unnest(v_users, v_kinds, v_n) as x(username, kind, n)
         where c.app = v_app and c.username = x.username and c.kind = x.kind;
    end loop;
    return null;
end $$;

create or replace function rooms_counted_in() returns trigger language plpgsql as $$
declare r record;
begin
    for r in select app, kind, count(*)::int as n from created_rooms where kind = 'thread'
              group by app, kind order by app, kind
    loop
        insert into app_room_counts as c (app, kind, n) values (r.app, r.kind, r.n)
        on conflict (app, kind) do update set n = c.n + excluded.n;
    end loop;
    return null;
end $$;

create or replace function rooms_counted_out() returns trigger language plpgsql as $$
declare r record;
begin
    for r in select app, kind, count(*)::int as n from deleted_rooms where kind = 'thread'
              group by app, kind order by app, kind
    loop
        update app_room_counts c set n = c.n - r.n where c.app = r.app and c.kind = r.kind;
    end loop;
    return null;
end $$;

create or replace function group_files_gone() returns trigger language plpgsql as $$
declare v_app uuid; v_keys text[];
begin
    for v_app, v_keys in
        select app, array_agg(object_key order by object_key) from gone_rows
         group by app order by app
    loop
        insert into file_tombstones (app, object_key)
        select v_app, k from unnest(v_keys) as k
        on conflict (app, object_key) do nothing;
    end loop;
    return null;
end $$;
