-- Schema version 2: the sync engine's bookkeeping. Never edit once shipped.

-- An outbox entry is 'pending' until the server answers it for good;
-- 'rejected' entries are set aside with the server's reason and no longer
-- block the entries behind them.
ALTER TABLE outbox ADD COLUMN state TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE outbox ADD COLUMN outcome TEXT;                  -- JSON: the server's rejection
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX outbox_by_state ON outbox (state, seq);

-- Where the pull stands: the server's opaque cursor, stored in the same
-- transaction as the page it belongs to.
CREATE TABLE sync_state (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    cursor          TEXT,
    last_success_at TEXT
);

-- Fields of local changes that lost to an office edit (field-level conflicts).
CREATE TABLE sync_conflicts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    mutation_id  TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    field        TEXT NOT NULL,
    local_value  TEXT NOT NULL,                -- JSON
    server_value TEXT NOT NULL,                -- JSON
    resolved_at  TEXT NOT NULL
);
CREATE INDEX sync_conflicts_by_entity ON sync_conflicts (entity_id);
