-- Past a bound of changed customers, segment evaluation goes over every
-- customer anyway: the journal then keeps this one flag instead of a row
-- per customer, so a first sync of 100,000 customers does not write a
-- second index of them in random order.
ALTER TABLE segment_evaluation_state ADD COLUMN all_customers_changed INTEGER NOT NULL DEFAULT 0;
