-- Group shared files: the bytes live in an object store, the metadata here. A row is written only
-- after its object is stored, so every row has its object.
create table group_files (
    app          uuid        not null,
    group_id     bigint      not null,
    file_id      uuid        not null,
    name         text        not null,
    owner        text        not null,
    size         bigint      not null,
    content_type text        not null,
    sha256       text        not null,
    restricted   boolean     not null default false,
    object_key   text        not null,
    created_at   timestamptz not null default now(),
    constraint group_files_pkey primary key (app, group_id, file_id),
    constraint group_files_room_fkey foreign key (app, group_id)
        references rooms (app, id) on delete cascade,
    constraint group_files_size_check check (size > 0)
);
-- The list: newest first, a page cut from this index.
create index group_files_newest_idx on group_files (app, group_id, created_at desc, file_id);

-- Objects whose rows are gone (a file deleted, its group deleted, the group's owner deleted, the
-- app deleted): written in the deleting transaction by the trigger below, whatever deleted the
-- rows, and removed from the store after it commits.
create table file_tombstones (
    object_key text        not null,
    created_at timestamptz not null default now(),
    constraint file_tombstones_pkey primary key (object_key)
);

create function group_files_gone() returns trigger language plpgsql as $$
begin
    insert into file_tombstones (object_key)
    select object_key from gone_rows order by object_key
    on conflict (object_key) do nothing;
    return null;
end $$;

create trigger group_files_gone after delete on group_files
    referencing old table as gone_rows
    for each statement execute function group_files_gone();
