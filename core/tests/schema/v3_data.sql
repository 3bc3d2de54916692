-- Sample rows as fieldsync schema v2 stored them. Never edit.
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
