//! Open shopping carts from the server (the web shop, through the Portal):
//! one per customer, read-only on the device, tested by the shopping cart
//! criteria of customer segments. A cart changing notes its customer in
//! the journal, so flexi customer segments follow it.

use rusqlite::{Connection, OptionalExtension, params};

use super::catalogue::Change;
use super::{Store, journal};
use crate::error::Result;
use crate::model::profile::Cart;

/// Applies server carts (keyed by the customer id; a delete is a cart
/// checked out or emptied). Older versions are ignored, so a page applied
/// twice changes nothing. Returns the carts changed.
pub fn apply_cart_changes(conn: &Connection, changes: &[Change<Cart>]) -> Result<usize> {
    let mut applied = 0;
    for change in changes {
        let (customer_id, version) = match change {
            Change::Upsert(c) => (c.customer_id.as_str(), c.version),
            Change::Delete { id, version } => (id.as_str(), *version),
        };
        let stored: Option<i64> = conn
            .prepare_cached("SELECT version FROM carts WHERE customer_id = ?1")?
            .query_row([customer_id], |r| r.get(0))
            .optional()?;
        match change {
            Change::Upsert(cart) => {
                if stored.is_some_and(|v| v >= version) {
                    continue;
                }
                cart.validate()?;
                conn.prepare_cached(
                    "INSERT OR REPLACE INTO carts (customer_id, value_minor, items, updated_on, abandoned, version)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    cart.customer_id,
                    cart.value_minor(),
                    cart.items,
                    cart.updated_on,
                    cart.abandoned,
                    cart.version
                ])?;
            }
            // Nothing to delete is not a change (as for profiles).
            Change::Delete { .. } => {
                if stored.is_none() {
                    continue;
                }
                conn.prepare_cached("DELETE FROM carts WHERE customer_id = ?1")?
                    .execute([customer_id])?;
            }
        }
        journal::customer_changed(conn, customer_id)?;
        applied += 1;
    }
    Ok(applied)
}

fn load_cart(conn: &Connection, customer_id: &str) -> Result<Option<Cart>> {
    Ok(conn
        .prepare_cached(
            "SELECT value_minor, items, updated_on, abandoned, version FROM carts WHERE customer_id = ?1",
        )?
        .query_row([customer_id], |r| {
            Ok(Cart {
                customer_id: customer_id.to_owned(),
                value: r.get::<_, i64>(0)? as f64 / 100.0,
                items: r.get(1)?,
                updated_on: r.get(2)?,
                abandoned: r.get(3)?,
                version: r.get(4)?,
            })
        })
        .optional()?)
}

impl Store {
    /// A customer's open shopping cart, if the device has one.
    pub fn cart(&self, customer_id: &str) -> Result<Option<Cart>> {
        self.read(|conn| load_cart(conn, customer_id))
    }

    /// Applies server carts (the sync engine does this from the feed;
    /// exposed for tests, tools and benchmarks).
    pub fn apply_cart_changes(&self, changes: &[Change<Cart>]) -> Result<usize> {
        self.write(|tx| apply_cart_changes(tx, changes))
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use crate::error::{Error, ValidationReason};
    use crate::model::profile::Cart;
    use crate::store::{Change, Store};

    fn cart(version: i64, value: f64) -> Cart {
        Cart {
            customer_id: "c1".into(),
            value,
            items: 2,
            updated_on: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            abandoned: true,
            version,
        }
    }

    #[test]
    fn carts_apply_by_version_and_delete_once() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(
            store
                .apply_cart_changes(&[Change::Upsert(cart(2, 59.9))])
                .unwrap(),
            1
        );
        // An older or equal version changes nothing.
        assert_eq!(
            store
                .apply_cart_changes(&[Change::Upsert(cart(1, 10.0))])
                .unwrap(),
            0
        );
        assert_eq!(
            store
                .apply_cart_changes(&[Change::Upsert(cart(2, 10.0))])
                .unwrap(),
            0
        );
        assert_eq!(store.cart("c1").unwrap(), Some(cart(2, 59.9)));
        let delete = || Change::Delete {
            id: "c1".to_owned(),
            version: 3,
        };
        assert_eq!(store.apply_cart_changes(&[delete()]).unwrap(), 1);
        assert_eq!(store.apply_cart_changes(&[delete()]).unwrap(), 0);
        assert_eq!(store.cart("c1").unwrap(), None);
    }

    #[test]
    fn invalid_carts_are_refused_and_write_nothing() {
        let store = Store::open_in_memory().unwrap();
        let cases = [
            (
                Cart {
                    value: -1.0,
                    ..cart(1, 0.0)
                },
                "value",
                ValidationReason::Malformed,
            ),
            (
                Cart {
                    value: f64::NAN,
                    ..cart(1, 0.0)
                },
                "value",
                ValidationReason::Malformed,
            ),
            (
                Cart {
                    items: -1,
                    ..cart(1, 0.0)
                },
                "items",
                ValidationReason::OutOfRange {
                    min: 0,
                    max: crate::model::profile::MAX_CART_ITEMS,
                },
            ),
            (
                Cart {
                    customer_id: " ".into(),
                    ..cart(1, 0.0)
                },
                "customer_id",
                ValidationReason::Blank,
            ),
        ];
        for (bad, field, reason) in cases {
            match store.apply_cart_changes(&[Change::Upsert(bad.clone())]) {
                Err(Error::Validation {
                    field: f,
                    reason: r,
                }) => {
                    assert_eq!((f.as_str(), r), (field, reason), "{bad:?}")
                }
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        assert_eq!(store.cart("c1").unwrap(), None);
        assert_eq!(store.cart(" ").unwrap(), None);
    }
}
