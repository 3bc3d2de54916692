-- Schema version 6: whose data the device holds ('': unknown). Never edit.
CREATE TABLE data_owner (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    user_id TEXT NOT NULL
);
INSERT INTO data_owner (id, user_id)
SELECT 1, coalesce((SELECT user_id FROM session), '')
WHERE EXISTS (SELECT 1 FROM session) OR EXISTS (SELECT 1 FROM customers)
   OR EXISTS (SELECT 1 FROM outbox) OR EXISTS (SELECT 1 FROM segments)
   OR EXISTS (SELECT 1 FROM sync_state WHERE cursor IS NOT NULL);
