-- How many rooms of each kind every user is in, kept by statement-level triggers on
-- room_members, so that the per-user join limit is one primary-key read instead of counting up to
-- 10000 memberships per joining user under the room lock.
create table user_room_counts (
    app      uuid    not null,
    username text    not null,
    kind     text    not null,
    n        integer not null,
    constraint user_room_counts_pkey primary key (app, username, kind),
    constraint user_room_counts_user_fkey foreign key (app, username)
        references users (app, username) on delete cascade
);

insert into user_room_counts (app, username, kind, n)
select app, username, kind, count(*) from room_members group by app, username, kind;

-- Rows are touched in key order in both triggers, so two statements never wait on each other's
-- counters in a cycle.
create function room_members_counted_in() returns trigger language plpgsql as $$
begin
    insert into user_room_counts as c (app, username, kind, n)
    select app, username, kind, count(*) from joined_rows
     group by app, username, kind order by app, username, kind
    on conflict (app, username, kind) do update set n = c.n + excluded.n;
    return null;
end $$;

create function room_members_counted_out() returns trigger language plpgsql as $$
begin
    perform 1 from user_room_counts c
      where (c.app, c.username, c.kind) in (select app, username, kind from left_rows)
      order by c.app, c.username, c.kind
      for update;
    update user_room_counts c set n = c.n - g.k
      from (select app, username, kind, count(*)::int as k from left_rows
             group by app, username, kind) g
     where c.app = g.app and c.username = g.username and c.kind = g.kind;
    return null;
end $$;

create trigger room_members_counted_in after insert on room_members
    referencing new table as joined_rows for each statement
    execute function room_members_counted_in();

create trigger room_members_counted_out after delete on room_members
    referencing old table as left_rows for each statement
    execute function room_members_counted_out();
