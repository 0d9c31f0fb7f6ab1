-- Bytes used per app by chatroom custom attributes (octet length of key and value) and by user
-- attributes (the `bytes` column), so that each app's total can be capped (10 GiB by default)
-- and read without summing every attribute row.
--
-- Design:
-- * Each app has 16 counter rows per kind (shards). Triggers on the attribute tables add each
--   row's change to the shard `txid_current() % 16` of the writing transaction, so
--   every path counts (sets, deletes, forced ops, autoDelete keys going with a membership,
--   user, room and app deletion through their cascades) and no code path has to remember.
--   A transaction touches one shard per kind whatever rows it changes, so writes to different
--   rooms or users rarely meet on a row, and transactions never wait on each other's shards
--   in a cycle.
-- * A shard row stays locked by the transaction that changed it until that transaction ends,
--   so at any moment at most one transaction per shard has an uncommitted change.
-- * The cap is checked by the writers that grow a total (im-store, `user_attributes::usage`):
--   they take a per-app, per-kind guard (a transaction advisory lock) before writing. Far from
--   the cap they take it shared, write, and then require
--       visible total (committed + their own change) + 15 * largest growth of one write <= cap,
--   which covers the at most 15 uncommitted writers on the other shards. Otherwise they take
--   the guard exclusively, which waits until every shared holder has ended and keeps new
--   growing writers out, and check the exact total before writing. Shrinking writes and
--   deletes take no guard and are never refused.
-- * Totals are the sum of a few rows: shards may go negative on their own, only sums matter.
lock table apps, chatroom_attributes, user_attributes in share row exclusive mode;

create table attribute_usage (
    app   uuid     not null,
    kind  text     not null,
    shard smallint not null,
    bytes bigint   not null default 0,
    constraint attribute_usage_pkey primary key (app, kind, shard),
    constraint attribute_usage_app_fkey foreign key (app) references apps (id) on delete cascade,
    constraint attribute_usage_kind_check check (kind in ('chatroom', 'user')),
    constraint attribute_usage_shard_check check (shard between 0 and 15)
);

-- Every app gets its counter rows when it is created (and below, the apps that exist now): the
-- triggers only update rows, so an app being deleted, whose rows may already be gone, is fine.
create function attribute_usage_rows() returns trigger language plpgsql as $$
begin
    insert into attribute_usage (app, kind, shard)
    select new.id, k.kind, s.shard
      from (values ('chatroom'), ('user')) as k(kind)
     cross join generate_series(0, 15) as s(shard);
    return null;
end
$$;

create trigger apps_attribute_usage after insert on apps
    for each row execute function attribute_usage_rows();

-- Adds `delta` bytes to the app's counter of `kind`, on this transaction's shard.
create function attribute_usage_add(p_app uuid, p_kind text, p_delta bigint) returns void
language sql as $$
    update attribute_usage set bytes = bytes + p_delta
     where app = p_app and kind = p_kind and shard = (txid_current() % 16)::smallint
$$;

-- Row triggers: they fire only for rows that really change (an empty cascade, such as a member
-- leaving who set no key, costs nothing), and an update fires only when the size changes.
create function chatroom_attributes_usage() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        perform attribute_usage_add(new.app, 'chatroom',
                                    octet_length(new.key) + octet_length(new.value));
        return new;
    elsif tg_op = 'UPDATE' then
        perform attribute_usage_add(new.app, 'chatroom',
                                    octet_length(new.key) + octet_length(new.value)
                                    - octet_length(old.key) - octet_length(old.value));
        return new;
    else
        perform attribute_usage_add(old.app, 'chatroom',
                                    -(octet_length(old.key) + octet_length(old.value)));
        return old;
    end if;
end
$$;

create trigger chatroom_attributes_usage_insert after insert on chatroom_attributes
    for each row execute function chatroom_attributes_usage();
create trigger chatroom_attributes_usage_update after update on chatroom_attributes
    for each row
    when (octet_length(old.key) + octet_length(old.value)
          <> octet_length(new.key) + octet_length(new.value))
    execute function chatroom_attributes_usage();
create trigger chatroom_attributes_usage_delete after delete on chatroom_attributes
    for each row execute function chatroom_attributes_usage();

create function user_attributes_usage() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        perform attribute_usage_add(new.app, 'user', new.bytes);
        return new;
    elsif tg_op = 'UPDATE' then
        perform attribute_usage_add(new.app, 'user', new.bytes - old.bytes);
        return new;
    else
        perform attribute_usage_add(old.app, 'user', -old.bytes);
        return old;
    end if;
end
$$;

create trigger user_attributes_usage_insert after insert on user_attributes
    for each row execute function user_attributes_usage();
create trigger user_attributes_usage_update after update on user_attributes
    for each row when (old.bytes <> new.bytes)
    execute function user_attributes_usage();
create trigger user_attributes_usage_delete after delete on user_attributes
    for each row execute function user_attributes_usage();

-- The apps and attributes that exist now.
insert into attribute_usage (app, kind, shard)
select a.id, k.kind, s.shard
  from apps a
 cross join (values ('chatroom'), ('user')) as k(kind)
 cross join generate_series(0, 15) as s(shard);

update attribute_usage u set bytes = t.n
  from (select app, sum(octet_length(key) + octet_length(value))::bigint as n
          from chatroom_attributes group by app) t
 where u.app = t.app and u.kind = 'chatroom' and u.shard = 0;

update attribute_usage u set bytes = t.n
  from (select app, sum(bytes)::bigint as n from user_attributes group by app) t
 where u.app = t.app and u.kind = 'user' and u.shard = 0;
