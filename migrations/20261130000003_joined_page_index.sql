-- A user's rooms newest join first, in the exact order pages are read (room id breaks ties), so
-- a page is an index range instead of a sort of every membership the user has.
create index room_members_joined_idx on room_members (app, username, kind, joined_at desc, room_id desc);
drop index room_members_user_idx;
