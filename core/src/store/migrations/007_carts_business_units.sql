-- Schema version 7: the last criteria families of customer segments.
-- Settings of partners and business units: a customer's home business unit
-- and partner (profile), and where each purchase was made (transactions).
-- Shopping carts: a customer's open cart. Never edit once shipped.
ALTER TABLE customer_profiles ADD COLUMN business_unit_id TEXT;
ALTER TABLE customer_profiles ADD COLUMN partner_id TEXT;
ALTER TABLE transactions ADD COLUMN business_unit_id TEXT;
ALTER TABLE transactions ADD COLUMN partner_id TEXT;
-- "Bought at business unit X" for every customer reads one range of these.
CREATE INDEX transactions_by_business_unit ON transactions (business_unit_id, customer_id)
    WHERE business_unit_id IS NOT NULL;
CREATE INDEX transactions_by_partner ON transactions (partner_id, customer_id)
    WHERE partner_id IS NOT NULL;

-- One open cart per customer; its value in minor units so comparisons are
-- exact; updated_on is the day it was opened or last changed.
CREATE TABLE carts (
    customer_id TEXT PRIMARY KEY NOT NULL,
    value_minor INTEGER NOT NULL,
    items       INTEGER NOT NULL,
    updated_on  TEXT NOT NULL,
    abandoned   INTEGER NOT NULL,
    version     INTEGER NOT NULL
) WITHOUT ROWID;
