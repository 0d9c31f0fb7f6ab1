-- Groups: the flag that no chatroom has, and per-member attributes (group member metadata).
alter table rooms add column invite_need_confirm boolean not null default true;

-- A member's attributes live on its membership row, so leaving, removal and blocking drop them
-- with it. NULL until the first set.
alter table room_members add column attrs jsonb;

-- The groups list is read newest first.
create index rooms_app_kind_id_desc_idx on rooms (app, kind, id desc);
