-- The mock server's schema. Every entity row carries its current version and
-- the change sequence value (seq) of its latest change: the change feed is a
-- latest-state feed over these columns, not a log.

CREATE TABLE IF NOT EXISTS counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT OR IGNORE INTO counters (name, value) VALUES ('seq', 0);

CREATE TABLE IF NOT EXISTS organizations (
    id               TEXT PRIMARY KEY,
    default_language TEXT,
    version          INTEGER NOT NULL,
    seq              INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS users (
    id              TEXT PRIMARY KEY,
    username        TEXT NOT NULL UNIQUE,
    -- argon2id, PHC string format (src/passwords.rs). Files of older mocks
    -- with a plain-text `password` column are migrated at open.
    password_hash   TEXT NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    role            TEXT NOT NULL,
    version         INTEGER NOT NULL,
    seq             INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS segments (
    id              TEXT PRIMARY KEY,
    -- NULL for the scope ALL
    organization    TEXT,
    name            TEXT NOT NULL,
    visit_frequency TEXT NOT NULL,
    description     TEXT,
    version         INTEGER NOT NULL,
    updated_at      TEXT NOT NULL,
    deleted         INTEGER NOT NULL DEFAULT 0,
    seq             INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS segments_seq ON segments (seq);

CREATE TABLE IF NOT EXISTS picklist_values (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    organization TEXT,
    label        TEXT NOT NULL,
    sort_order   INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    updated_at   TEXT NOT NULL,
    deleted      INTEGER NOT NULL DEFAULT 0,
    seq          INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS picklist_values_seq ON picklist_values (seq);

CREATE TABLE IF NOT EXISTS customers (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    name            TEXT NOT NULL,
    status_id       TEXT,
    source_id       TEXT,
    industry_id     TEXT,
    channel_id      TEXT,
    segment_id      TEXT,
    last_visit      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    version         INTEGER NOT NULL,
    deleted         INTEGER NOT NULL DEFAULT 0,
    -- who created it: the actor of every field no later change has touched
    created_by      TEXT NOT NULL,
    seq             INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS customers_org_seq ON customers (organization_id, seq);

-- Per customer field, the version at which it last changed and who changed
-- it: the base of field-level conflict detection. No row: set at creation
-- (version 1) by customers.created_by.
CREATE TABLE IF NOT EXISTS customer_fields (
    customer_id TEXT NOT NULL,
    field       TEXT NOT NULL,
    version     INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    PRIMARY KEY (customer_id, field)
);

-- Entities an organization could see and no longer can (scope changed,
-- customer moved): the feed sends those organizations a delete.
CREATE TABLE IF NOT EXISTS visibility_losses (
    collection      TEXT NOT NULL,
    entity_id       TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    PRIMARY KEY (collection, entity_id, organization_id)
);
CREATE INDEX IF NOT EXISTS visibility_losses_org_seq ON visibility_losses (organization_id, seq);

-- The first outcome of every mutation id, so a replay answers the same and
-- never applies twice.
CREATE TABLE IF NOT EXISTS mutation_outcomes (
    mutation_id TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    outcome     TEXT NOT NULL
);

-- Customer segments in the marketing sense (static, or defined by
-- criteria); core's CustomerSegment. criteria is the JSON tree or NULL.
CREATE TABLE IF NOT EXISTS customer_segments (
    id           TEXT PRIMARY KEY,
    -- NULL for the scope ALL
    organization TEXT,
    name         TEXT NOT NULL,
    note         TEXT,
    priority     INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    flexi        INTEGER NOT NULL,
    tags         TEXT NOT NULL,
    criteria     TEXT,
    version      INTEGER NOT NULL,
    updated_at   TEXT NOT NULL,
    deleted      INTEGER NOT NULL DEFAULT 0,
    seq          INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS customer_segments_seq ON customer_segments (seq);

-- Static memberships, latest state per (segment, customer): member = 0 is a
-- customer taken out (the feed sends it as an upsert with member: false).
-- organization_id is the customer's, kept in step when it moves.
CREATE TABLE IF NOT EXISTS customer_segment_members (
    segment_id      TEXT NOT NULL,
    customer_id     TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    member          INTEGER NOT NULL,
    version         INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    PRIMARY KEY (segment_id, customer_id)
);
CREATE INDEX IF NOT EXISTS customer_segment_members_org_seq
    ON customer_segment_members (organization_id, seq);
CREATE INDEX IF NOT EXISTS customer_segment_members_customer
    ON customer_segment_members (customer_id);

-- Customer profiles (core's CustomerProfile as JSON, without version and
-- updated_at, which are columns). organization_id is the customer's.
CREATE TABLE IF NOT EXISTS customer_profiles (
    customer_id     TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    data            TEXT NOT NULL,
    version         INTEGER NOT NULL,
    updated_at      TEXT NOT NULL,
    seq             INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS customer_profiles_org_seq ON customer_profiles (organization_id, seq);

-- Purchase transactions (core's Transaction), with the business unit and
-- partner they were made at (NULL: not known). organization_id is the
-- customer's. Deleted ones stay as tombstones.
CREATE TABLE IF NOT EXISTS transactions (
    id              TEXT PRIMARY KEY,
    customer_id     TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    date            TEXT NOT NULL,
    amount          REAL NOT NULL,
    kind            TEXT NOT NULL,
    business_unit_id TEXT,
    partner_id      TEXT,
    version         INTEGER NOT NULL,
    deleted         INTEGER NOT NULL DEFAULT 0,
    seq             INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS transactions_org_seq ON transactions (organization_id, seq);
CREATE INDEX IF NOT EXISTS transactions_customer ON transactions (customer_id);

-- Open shopping carts (core's Cart), one per customer, keyed by it. A cart
-- checked out or emptied stays as a tombstone (deleted = 1) so devices
-- hear of it. organization_id is the customer's.
CREATE TABLE IF NOT EXISTS carts (
    customer_id     TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    value           REAL NOT NULL,
    items           INTEGER NOT NULL,
    updated_on      TEXT NOT NULL,
    abandoned       INTEGER NOT NULL,
    version         INTEGER NOT NULL,
    deleted         INTEGER NOT NULL DEFAULT 0,
    seq             INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS carts_org_seq ON carts (organization_id, seq);
