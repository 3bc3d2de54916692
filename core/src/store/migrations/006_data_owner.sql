-- Schema version 6: whose data the device holds. Kept when that user signs
-- out without clearing, so the same user signing in again keeps the data
-- and the cursor, and anyone else starts from an empty device.
-- Never edit once shipped.

CREATE TABLE data_owner (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    user_id TEXT NOT NULL
);

-- The signed-in user owns the data; data left by someone who signed out
-- belongs to no one who can be told: '' (whoever signs in starts empty).
INSERT INTO data_owner (id, user_id)
SELECT 1, coalesce((SELECT user_id FROM session WHERE id = 1), '')
WHERE EXISTS (SELECT 1 FROM session) OR EXISTS (SELECT 1 FROM customers)
   OR EXISTS (SELECT 1 FROM outbox) OR EXISTS (SELECT 1 FROM segments)
   OR EXISTS (SELECT 1 FROM sync_state WHERE cursor IS NOT NULL);
