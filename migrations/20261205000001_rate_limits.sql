-- Per-app rate limits set by the operator (`imserver app limits`): requests a second for one
-- operation (an OpenAPI operationId, both URL forms sharing it) or, with operation '*', for every
-- operation of the app that has no limit of its own. Read by every instance every few seconds.
create table app_rate_limits (
    app        uuid    not null references apps (id) on delete cascade,
    operation  text    not null,
    per_second integer not null,
    constraint app_rate_limits_pkey primary key (app, operation),
    constraint app_rate_limits_positive check (per_second > 0)
);

-- The imserver instances serving this database: each refreshes its row every few seconds, so
-- every instance knows how many share an app's limit and enforces its share.
create table server_instances (
    id         uuid        primary key,
    started_at timestamptz not null default now(),
    seen_at    timestamptz not null default now()
);
