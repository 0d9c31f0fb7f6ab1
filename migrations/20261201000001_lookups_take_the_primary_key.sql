-- A lookup by primary key must take the primary key whatever the statistics say.
--
-- When the statistics are from while a table was small (a fresh deployment, a room or an app
-- growing faster than autovacuum analyzes), the planner rates every index whose leading column
-- is `app` at one row, and may answer a primary-key lookup with a secondary index that shares a
-- prefix with the key and filters the rest: a lookup of one member by name then reads every
-- member of the room (once per name of a batch), a lookup of a room by id every room of the app,
-- a lookup of a user by name every user of the app (also in the foreign-key checks of each
-- membership row inserted). The cost grows with the table until the next analyze.
--
-- So each secondary index below is partial on a predicate that only the statements it serves
-- state: they keep it, and a statement that does not ask for it (a primary-key lookup, a
-- foreign-key check) cannot use it. Every row satisfies each predicate: `pos` is 0 for the owner
-- and from a sequence for the others; `kind`, `owner` and `seq` are not null.

-- Member pages say `pos >= 0`.
create index room_members_page_idx_new on room_members (app, room_id, pos) where pos >= 0;
drop index room_members_page_idx;
alter index room_members_page_idx_new rename to room_members_page_idx;

-- Room lists say `kind = …`. One index serves both directions (a b-tree reads backwards too).
create index rooms_app_kind_id_idx_new on rooms (app, kind, id) where kind is not null;
drop index rooms_app_kind_id_idx;
drop index rooms_app_kind_id_desc_idx;
alter index rooms_app_kind_id_idx_new rename to rooms_app_kind_id_idx;

-- Statements by owner say `owner is not null` (the foreign key from users checks by owner too:
-- its `owner = $2` implies it).
create index rooms_app_owner_idx_new on rooms (app, owner) where owner is not null;
drop index rooms_app_owner_idx;
alter index rooms_app_owner_idx_new rename to rooms_app_owner_idx;

-- User lists say `seq > …`, which implies it. Still unique: every row is in it.
create unique index users_app_seq_idx_new on users (app, seq) where seq is not null;
drop index users_app_seq_idx;
alter index users_app_seq_idx_new rename to users_app_seq_idx;
