-- Sample rows as fieldsync schema v7 stored them. Never edit.
INSERT INTO dropdown_state (id, generation) VALUES (1, 12);
INSERT INTO organizations (id, default_language) VALUES ('org-north', 'nl');
INSERT INTO segments (id, organization_id, name, visit_frequency, description, version, updated_at, deleted) VALUES
  ('seg-retail', NULL, '{"en":"Retail","nl":"Detailhandel"}', 'monthly', NULL, 3, '2026-11-01 10:00:00.000+00:00', 0),
  ('seg-old', NULL, '{"en":"Old"}', 'weekly', 'Retired', 5, '2026-11-02 10:00:00.000+00:00', 1);
INSERT INTO picklist_values (id, kind, organization_id, label, sort_order, version, updated_at, deleted) VALUES
  ('st-active', 'status', NULL, '{"en":"Active"}', 1, 1, '2026-11-01 10:00:00.000+00:00', 0);
INSERT INTO customers (id, organization_id, name, name_key, status_id, source_id, industry_id, channel_id, segment_id,
                       last_visit, created_at, updated_at, server_version, deleted) VALUES
  ('0b6c1c7e-8a52-4c36-9a43-5b0f1d7e8c11', 'org-north', 'Corner Shop', 'corner shop', 'st-active', NULL, NULL, NULL,
   'seg-retail', '2026-10-15', '2026-10-01 09:00:00.000+00:00', '2026-10-15 09:00:00.000+00:00', 4, 0),
  ('5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6', 'org-north', 'New Garage', 'new garage', NULL, NULL, NULL, NULL,
   'seg-old', NULL, '2026-11-20 09:00:00.000+00:00', '2026-11-20 09:00:00.000+00:00', NULL, 0);
INSERT INTO outbox (mutation_id, entity, entity_id, operation, changes, previous, base_version, created_at) VALUES
  ('9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a', 'customer', '5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6', 'create',
   '{"organization_id":"org-north","name":"New Garage","segment_id":"seg-old"}', '{}', NULL, '2026-11-20 09:00:00.000+00:00');
INSERT INTO session (id, user_id, organization_id, role) VALUES (1, 'u-tech', 'org-north', 'technician');
INSERT INTO outbox (mutation_id, entity, entity_id, operation, changes, previous, base_version, created_at, state, outcome, attempts) VALUES
  ('1a2b3c4d-5e6f-4071-8293-a4b5c6d7e8f9', 'customer', '0b6c1c7e-8a52-4c36-9a43-5b0f1d7e8c11', 'update',
   '{"segment_id":"seg-old"}', '{"segment_id":"seg-retail"}', 4, '2026-11-21 09:00:00.000+00:00', 'rejected',
   '{"code":"unknown_reference","field":"segment_id","reason":"segment_id seg-old has been deleted"}', 1);
INSERT INTO sync_state (id, cursor, last_success_at) VALUES (1, 'c1abc', '2026-11-21 09:00:05.000+00:00');
INSERT INTO sync_conflicts (mutation_id, entity_id, field, local_value, server_value, resolved_at) VALUES
  ('2b3c4d5e-6f70-4182-93a4-b5c6d7e8f9a0', '0b6c1c7e-8a52-4c36-9a43-5b0f1d7e8c11', 'name', '"Corner shop"', '"Corner Shop"',
   '2026-11-21 09:00:05.000+00:00');
INSERT INTO customer_segments (id, organization_id, name, note, priority, kind, flexi, criteria, version, updated_at,
                               evaluated_version, evaluated_on) VALUES
  ('cs-vip', NULL, 'VIP', 'Hand-picked', 50, 'static', 0, NULL, 1, '2026-11-01 10:00:00.000+00:00', NULL, NULL),
  ('cs-retail', 'org-north', 'Retail buyers', NULL, 10, 'conditional', 1,
   '{"all":[{"attribute":"segment_id","op":"equals","value":"seg-retail"},{"purchases":"count","op":"between","min":1}]}',
   2, '2026-11-02 10:00:00.000+00:00', 2, '2026-11-22');
INSERT INTO customer_segment_tags (segment_id, tag) VALUES ('cs-retail', 'retail');
INSERT INTO customer_segment_members (segment_id, customer_id) VALUES
  ('cs-retail', '0b6c1c7e-8a52-4c36-9a43-5b0f1d7e8c11'),
  ('cs-vip', '0b6c1c7e-8a52-4c36-9a43-5b0f1d7e8c11');
INSERT INTO customer_segment_server_members (segment_id, customer_id) VALUES
  ('cs-vip', '0b6c1c7e-8a52-4c36-9a43-5b0f1d7e8c11');
INSERT INTO customer_profiles (customer_id, birth_date, gender, city, postal_code, language, contact_source, parent_id,
                               loyalty_member, loyalty_tier, loyalty_points, active_vouchers, version,
                               business_unit_id, partner_id) VALUES
  ('0b6c1c7e-8a52-4c36-9a43-5b0f1d7e8c11', '1980-05-01', NULL, 'Brno', NULL, NULL, NULL, NULL, 1, 'gold', 300, 1, 3,
   'bu-brno', 'pt-acme');
INSERT INTO customer_profile_records (customer_id, record) VALUES
  ('0b6c1c7e-8a52-4c36-9a43-5b0f1d7e8c11',
   '{"customer_id":"0b6c1c7e-8a52-4c36-9a43-5b0f1d7e8c11","birth_date":"1980-05-01","city":"Brno","consents":[{"kind":"email","given_on":"2026-01-02"}],"loyalty":{"member":true,"tier":"gold","points":300},"active_vouchers":1,"badges":["gold"],"business_unit_id":"bu-brno","partner_id":"pt-acme","version":3,"updated_at":"2026-11-01T10:00:00Z"}');
INSERT INTO customer_consents (customer_id, kind, given_on) VALUES ('0b6c1c7e-8a52-4c36-9a43-5b0f1d7e8c11', 'email', '2026-01-02');
INSERT INTO customer_badges (customer_id, badge) VALUES ('0b6c1c7e-8a52-4c36-9a43-5b0f1d7e8c11', 'gold');
INSERT INTO transactions (id, customer_id, on_date, amount_minor, kind, version, business_unit_id, partner_id) VALUES
  ('t-1', '0b6c1c7e-8a52-4c36-9a43-5b0f1d7e8c11', '2026-11-10', 12550, 'in_store', 1, 'bu-brno', NULL);
INSERT INTO carts (customer_id, value_minor, items, updated_on, abandoned, version) VALUES
  ('0b6c1c7e-8a52-4c36-9a43-5b0f1d7e8c11', 5990, 3, '2026-11-18', 1, 2);
INSERT INTO customer_stats (customer_id, purchase_count, total_spend_minor, last_purchase, rfm_recency, rfm_frequency, rfm_monetary) VALUES
  ('0b6c1c7e-8a52-4c36-9a43-5b0f1d7e8c11', 1, 12550, '2026-11-10', 1, 1, 1);
INSERT INTO segment_evaluation_state (id, rfm_dirty, all_customers_changed) VALUES (1, 0, 1);
INSERT INTO data_owner (id, user_id) VALUES (1, 'u-tech');
