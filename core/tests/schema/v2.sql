CREATE TABLE customers (
    id              TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL,
    name            TEXT NOT NULL,
    name_key        TEXT NOT NULL,            -- name folded (lower case, no accents) for search and sort
    status_id       TEXT,
    source_id       TEXT,
    industry_id     TEXT,
    channel_id      TEXT,
    segment_id      TEXT,
    last_visit      TEXT,                     -- YYYY-MM-DD
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    server_version  INTEGER,
    deleted         INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE organizations (
    id               TEXT PRIMARY KEY NOT NULL,
    default_language TEXT
);
CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    mutation_id  TEXT NOT NULL UNIQUE,        -- idempotency key for the server
    entity       TEXT NOT NULL,               -- 'customer'
    entity_id    TEXT NOT NULL,
    operation    TEXT NOT NULL,               -- 'create' | 'update'
    changes      TEXT NOT NULL,               -- JSON object of the changed fields only
    previous     TEXT NOT NULL DEFAULT '{}',  -- JSON: those fields' values before the change
    base_version INTEGER,                     -- server version the change was made on
    created_at   TEXT NOT NULL
, state TEXT NOT NULL DEFAULT 'pending', outcome TEXT, attempts INTEGER NOT NULL DEFAULT 0);
CREATE TABLE picklist_values (
    id              TEXT PRIMARY KEY NOT NULL,
    kind            TEXT NOT NULL,
    organization_id TEXT,
    label           TEXT NOT NULL,            -- JSON object: language tag -> text
    sort_order      INTEGER NOT NULL DEFAULT 0,
    version         INTEGER NOT NULL,
    updated_at      TEXT NOT NULL,
    deleted         INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE segments (
    id              TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT,
    name            TEXT NOT NULL,            -- JSON object: language tag -> text
    visit_frequency TEXT NOT NULL DEFAULT 'none',
    description     TEXT,
    version         INTEGER NOT NULL,
    updated_at      TEXT NOT NULL,
    deleted         INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE session (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    user_id         TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    role            TEXT NOT NULL
);
CREATE TABLE sync_conflicts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    mutation_id  TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    field        TEXT NOT NULL,
    local_value  TEXT NOT NULL,                -- JSON
    server_value TEXT NOT NULL,                -- JSON
    resolved_at  TEXT NOT NULL
);
CREATE TABLE sync_state (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    cursor          TEXT,
    last_success_at TEXT
);
CREATE INDEX customers_by_name ON customers (deleted, name_key, id);
CREATE INDEX customers_by_segment ON customers (segment_id, deleted);
CREATE INDEX outbox_by_entity ON outbox (entity, entity_id);
CREATE INDEX outbox_by_state ON outbox (state, seq);
CREATE INDEX picklist_values_by_kind ON picklist_values (kind, deleted, organization_id);
CREATE INDEX segments_by_scope ON segments (deleted, organization_id);
CREATE INDEX sync_conflicts_by_entity ON sync_conflicts (entity_id);
