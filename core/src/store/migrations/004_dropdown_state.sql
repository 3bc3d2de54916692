-- Schema version 4: the dropdowns' generation. Triggers bump it in the same
-- transaction as any change to what a dropdown shows (segments, picklist
-- values, organizations' default languages, the session), so a dropdown
-- kept in memory knows it is stale, whichever code or process wrote.
-- Never edit once shipped.

CREATE TABLE dropdown_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO dropdown_state (id, generation) VALUES (1, 0);

CREATE TRIGGER segments_insert_bumps_dropdowns AFTER INSERT ON segments
BEGIN
    UPDATE dropdown_state SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER segments_update_bumps_dropdowns AFTER UPDATE ON segments
BEGIN
    UPDATE dropdown_state SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER segments_delete_bumps_dropdowns AFTER DELETE ON segments
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

CREATE TRIGGER picklist_values_delete_bumps_dropdowns AFTER DELETE ON picklist_values
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

CREATE TRIGGER organizations_delete_bumps_dropdowns AFTER DELETE ON organizations
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

CREATE TRIGGER session_delete_bumps_dropdowns AFTER DELETE ON session
BEGIN
    UPDATE dropdown_state SET generation = generation + 1 WHERE id = 1;
END;
