CREATE TABLE carts (
    customer_id TEXT PRIMARY KEY NOT NULL,
    value_minor INTEGER NOT NULL,
    items       INTEGER NOT NULL,
    updated_on  TEXT NOT NULL,
    abandoned   INTEGER NOT NULL,
    version     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE customer_attributes (
    customer_id  TEXT NOT NULL,
    key          TEXT NOT NULL,
    kind         TEXT NOT NULL,               -- 'text' | 'number' | 'date' | 'boolean'
    text_value   TEXT,
    number_value REAL,
    PRIMARY KEY (customer_id, key)
) WITHOUT ROWID;
CREATE TABLE customer_audiences (
    customer_id TEXT NOT NULL,
    audience_id TEXT NOT NULL,
    PRIMARY KEY (customer_id, audience_id)
) WITHOUT ROWID;
CREATE TABLE customer_badges (
    customer_id TEXT NOT NULL,
    badge       TEXT NOT NULL,
    PRIMARY KEY (customer_id, badge)
) WITHOUT ROWID;
CREATE TABLE customer_campaigns (
    customer_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    received    INTEGER NOT NULL,
    opened      INTEGER NOT NULL,
    clicked     INTEGER NOT NULL,
    PRIMARY KEY (customer_id, campaign_id)
) WITHOUT ROWID;
CREATE TABLE customer_consents (
    customer_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    given_on    TEXT NOT NULL,
    PRIMARY KEY (customer_id, kind)
) WITHOUT ROWID;
CREATE TABLE customer_events (
    customer_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    on_date     TEXT NOT NULL
);
CREATE TABLE customer_profile_records (
    customer_id TEXT PRIMARY KEY NOT NULL,
    record      TEXT NOT NULL                 -- JSON
);
CREATE TABLE customer_profiles (
    customer_id     TEXT PRIMARY KEY NOT NULL,
    birth_date      TEXT,
    gender          TEXT,
    city            TEXT,
    postal_code     TEXT,
    language        TEXT,
    contact_source  TEXT,
    parent_id       TEXT,
    loyalty_member  INTEGER,
    loyalty_tier    TEXT,
    loyalty_points  INTEGER,
    active_vouchers INTEGER NOT NULL DEFAULT 0,
    version         INTEGER NOT NULL
, business_unit_id TEXT, partner_id TEXT) WITHOUT ROWID;
CREATE TABLE customer_segment_members (
    segment_id  TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    PRIMARY KEY (segment_id, customer_id)
) WITHOUT ROWID;
CREATE TABLE customer_segment_server_members (
    segment_id  TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    PRIMARY KEY (segment_id, customer_id)
) WITHOUT ROWID;
CREATE TABLE customer_segment_tags (
    segment_id TEXT NOT NULL,
    tag        TEXT NOT NULL,
    PRIMARY KEY (segment_id, tag)
) WITHOUT ROWID;
CREATE TABLE customer_segments (
    id                TEXT PRIMARY KEY NOT NULL,
    organization_id   TEXT,                   -- NULL: all organizations
    name              TEXT NOT NULL,
    note              TEXT,
    priority          INTEGER NOT NULL DEFAULT 0,
    kind              TEXT NOT NULL,          -- 'static' | 'conditional'
    flexi             INTEGER NOT NULL DEFAULT 0,
    criteria          TEXT,                   -- JSON, see docs/criteria.md
    version           INTEGER NOT NULL,
    updated_at        TEXT NOT NULL,
    -- The definition version the members were last evaluated for (NULL:
    -- never), and the day of that evaluation (for "last N days" criteria).
    evaluated_version INTEGER,
    evaluated_on      TEXT
);
CREATE TABLE customer_stats (
    customer_id       TEXT PRIMARY KEY NOT NULL,
    purchase_count    INTEGER NOT NULL,
    total_spend_minor INTEGER NOT NULL,
    last_purchase     TEXT,
    rfm_recency       INTEGER,
    rfm_frequency     INTEGER,
    rfm_monetary      INTEGER
) WITHOUT ROWID;
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
CREATE TABLE data_owner (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    user_id TEXT NOT NULL
);
CREATE TABLE dropdown_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
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
CREATE TABLE segment_dirty_customers (
    customer_id TEXT PRIMARY KEY NOT NULL
) WITHOUT ROWID;
CREATE TABLE segment_evaluation_state (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    rfm_dirty INTEGER NOT NULL DEFAULT 0
, all_customers_changed INTEGER NOT NULL DEFAULT 0);
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
CREATE TABLE transactions (
    id           TEXT PRIMARY KEY NOT NULL,
    customer_id  TEXT NOT NULL,
    on_date      TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    version      INTEGER NOT NULL
, business_unit_id TEXT, partner_id TEXT);
CREATE INDEX customer_events_by_customer ON customer_events (customer_id, kind, on_date);
CREATE INDEX customer_profiles_by_city ON customer_profiles (city);
CREATE INDEX customer_segment_members_by_customer ON customer_segment_members (customer_id, segment_id);
CREATE INDEX customer_segment_tags_by_tag ON customer_segment_tags (tag);
CREATE INDEX customers_by_name ON customers (deleted, name_key, id);
CREATE INDEX customers_by_segment ON customers (segment_id, deleted);
CREATE INDEX outbox_by_entity ON outbox (entity, entity_id);
CREATE INDEX outbox_by_state ON outbox (state, seq);
CREATE INDEX picklist_values_by_kind ON picklist_values (kind, deleted, organization_id);
CREATE INDEX segments_by_scope ON segments (deleted, organization_id);
CREATE INDEX sync_conflicts_by_entity ON sync_conflicts (entity_id);
CREATE INDEX transactions_by_business_unit ON transactions (business_unit_id, customer_id)
    WHERE business_unit_id IS NOT NULL;
CREATE INDEX transactions_by_customer ON transactions (customer_id, on_date, amount_minor, kind);
CREATE INDEX transactions_by_partner ON transactions (partner_id, customer_id)
    WHERE partner_id IS NOT NULL;
CREATE TRIGGER organizations_delete_bumps_dropdowns AFTER DELETE ON organizations
BEGIN
    UPDATE dropdown_state SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER organizations_insert_bumps_dropdowns AFTER INSERT ON organizations
BEGIN
    UPDATE dropdown_state SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER organizations_update_bumps_dropdowns AFTER UPDATE ON organizations
BEGIN
    UPDATE dropdown_state SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER picklist_values_delete_bumps_dropdowns AFTER DELETE ON picklist_values
BEGIN
    UPDATE dropdown_state SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER picklist_values_insert_bumps_dropdowns AFTER INSERT ON picklist_values
BEGIN
    UPDATE dropdown_state SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER picklist_values_update_bumps_dropdowns AFTER UPDATE ON picklist_values
BEGIN
    UPDATE dropdown_state SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER segments_delete_bumps_dropdowns AFTER DELETE ON segments
BEGIN
    UPDATE dropdown_state SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER segments_insert_bumps_dropdowns AFTER INSERT ON segments
BEGIN
    UPDATE dropdown_state SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER segments_update_bumps_dropdowns AFTER UPDATE ON segments
BEGIN
    UPDATE dropdown_state SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER session_delete_bumps_dropdowns AFTER DELETE ON session
BEGIN
    UPDATE dropdown_state SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER session_insert_bumps_dropdowns AFTER INSERT ON session
BEGIN
    UPDATE dropdown_state SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER session_update_bumps_dropdowns AFTER UPDATE ON session
BEGIN
    UPDATE dropdown_state SET generation = generation + 1 WHERE id = 1;
END;
