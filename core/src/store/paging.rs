//! Paged queries: one bound for every list the store answers a page of.

use crate::error::{Error, Result, ValidationReason};

/// Largest page a list returns (customers, customer segment members).
pub const MAX_PAGE_SIZE: u32 = 500;

/// Checks a page size: 1 to [`MAX_PAGE_SIZE`].
pub fn check_limit(limit: u32) -> Result<()> {
    if (1..=MAX_PAGE_SIZE).contains(&limit) {
        Ok(())
    } else {
        Err(Error::invalid(
            "limit",
            ValidationReason::OutOfRange {
                min: 1,
                max: MAX_PAGE_SIZE.into(),
            },
        ))
    }
}
