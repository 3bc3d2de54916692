-- Schema version 3: customer segments (static and defined by conditions),
-- the customer profiles and purchase transactions their criteria test.
-- Never edit once shipped.

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

CREATE TABLE customer_segment_tags (
    segment_id TEXT NOT NULL,
    tag        TEXT NOT NULL,
    PRIMARY KEY (segment_id, tag)
) WITHOUT ROWID;
CREATE INDEX customer_segment_tags_by_tag ON customer_segment_tags (tag);

-- The members as the device answers them: for static segments the server's
-- memberships with pending local edits applied; for conditional ones the
-- result of the last evaluation.
CREATE TABLE customer_segment_members (
    segment_id  TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    PRIMARY KEY (segment_id, customer_id)
) WITHOUT ROWID;
CREATE INDEX customer_segment_members_by_customer ON customer_segment_members (customer_id, segment_id);

-- Static memberships as the server last sent them, so that a refused local
-- edit can return to the server's state.
CREATE TABLE customer_segment_server_members (
    segment_id  TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    PRIMARY KEY (segment_id, customer_id)
) WITHOUT ROWID;

-- Profiles: the scalar parts criteria test, in narrow rows so that a
-- segment scans them quickly; the full record as the server sent it apart.
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
) WITHOUT ROWID;
CREATE INDEX customer_profiles_by_city ON customer_profiles (city);

CREATE TABLE customer_profile_records (
    customer_id TEXT PRIMARY KEY NOT NULL,
    record      TEXT NOT NULL                 -- JSON
);

CREATE TABLE customer_consents (
    customer_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    given_on    TEXT NOT NULL,
    PRIMARY KEY (customer_id, kind)
) WITHOUT ROWID;

CREATE TABLE customer_badges (
    customer_id TEXT NOT NULL,
    badge       TEXT NOT NULL,
    PRIMARY KEY (customer_id, badge)
) WITHOUT ROWID;

-- Custom attributes: dates in text_value, booleans as 0/1 in number_value.
CREATE TABLE customer_attributes (
    customer_id  TEXT NOT NULL,
    key          TEXT NOT NULL,
    kind         TEXT NOT NULL,               -- 'text' | 'number' | 'date' | 'boolean'
    text_value   TEXT,
    number_value REAL,
    PRIMARY KEY (customer_id, key)
) WITHOUT ROWID;

CREATE TABLE customer_events (
    customer_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    on_date     TEXT NOT NULL
);
CREATE INDEX customer_events_by_customer ON customer_events (customer_id, kind, on_date);

CREATE TABLE customer_audiences (
    customer_id TEXT NOT NULL,
    audience_id TEXT NOT NULL,
    PRIMARY KEY (customer_id, audience_id)
) WITHOUT ROWID;

CREATE TABLE customer_campaigns (
    customer_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    received    INTEGER NOT NULL,
    opened      INTEGER NOT NULL,
    clicked     INTEGER NOT NULL,
    PRIMARY KEY (customer_id, campaign_id)
) WITHOUT ROWID;

-- Purchase transactions; amounts in minor units so sums are exact. The
-- index covers the window aggregates of one customer.
CREATE TABLE transactions (
    id           TEXT PRIMARY KEY NOT NULL,
    customer_id  TEXT NOT NULL,
    on_date      TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    version      INTEGER NOT NULL
);
CREATE INDEX transactions_by_customer ON transactions (customer_id, on_date, amount_minor, kind);

-- All-time aggregates per customer and RFM scores, derived from transactions.
CREATE TABLE customer_stats (
    customer_id       TEXT PRIMARY KEY NOT NULL,
    purchase_count    INTEGER NOT NULL,
    total_spend_minor INTEGER NOT NULL,
    last_purchase     TEXT,
    rfm_recency       INTEGER,
    rfm_frequency     INTEGER,
    rfm_monetary      INTEGER
) WITHOUT ROWID;

-- What changed since the segments were last evaluated: customers whose
-- data changed, and whether the RFM scores must be recomputed.
CREATE TABLE segment_dirty_customers (
    customer_id TEXT PRIMARY KEY NOT NULL
) WITHOUT ROWID;
CREATE TABLE segment_evaluation_state (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    rfm_dirty INTEGER NOT NULL DEFAULT 0
);
INSERT INTO segment_evaluation_state (id, rfm_dirty) VALUES (1, 0);
