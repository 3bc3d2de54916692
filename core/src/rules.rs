//! The segment rule, as pure decisions over plain data, so the device's store
//! and the server (sync-server-mock) enforce exactly the same thing.
//!
//! - On a new customer (not yet accepted by the server) any role picks the
//!   segment.
//! - On an existing customer only managers and admins change it; a
//!   technician who tries gets [`Error::SegmentReadOnly`]. Sending the
//!   segment the customer already has is not a change.
//! - Whoever assigns a segment or a picklist value, it must exist, not be
//!   deleted, and be in scope for the customer's organization.

use crate::error::{Error, ReferenceProblem, Result, ValidationReason};
use crate::model::{Customer, CustomerSegmentKind, OrgScope, Role};

/// What the rule needs to know of a catalogue entry (segment or picklist
/// value) to decide whether it can be assigned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogueEntryState {
    pub scope: OrgScope,
    pub deleted: bool,
}

/// Whether `role` may change the segment of `customer`.
pub fn segment_editable(role: Role, customer: &Customer) -> bool {
    customer.is_new() || role.may_change_existing_segment()
}

/// Checks a segment change on an existing or new customer: `Ok(false)` when
/// the requested segment is the one it has (no change), `Ok(true)` when the
/// change is allowed (its reference still has to be checked),
/// `SegmentReadOnly` otherwise.
pub fn check_segment_change(
    role: Role,
    current: &Customer,
    requested: Option<&str>,
) -> Result<bool> {
    if current.segment_id.as_deref() == requested {
        return Ok(false);
    }
    if !segment_editable(role, current) {
        return Err(Error::SegmentReadOnly {
            customer_id: current.id.clone(),
        });
    }
    Ok(true)
}

/// Checks a manual change to the members of a customer segment: only
/// managers and admins put customers in or take them out, and only of a
/// static segment (a segment defined by conditions follows its criteria).
/// The server applies the same check to the uploaded change.
pub fn check_static_membership_edit(role: Role, kind: CustomerSegmentKind) -> Result<()> {
    if !role.may_change_existing_segment() {
        return Err(Error::NotPermitted {
            action: "change the members of a customer segment",
        });
    }
    if kind != CustomerSegmentKind::Static {
        return Err(Error::invalid(
            "segment_id",
            ValidationReason::DefinedByConditions,
        ));
    }
    Ok(())
}

/// Checks that the catalogue entry `id`, looked up as `entry`, can be
/// assigned to a customer of `organization_id`. `field` names the customer
/// field in the error (`segment_id`, `status_id`, ...).
pub fn check_reference(
    field: &'static str,
    id: &str,
    entry: Option<&CatalogueEntryState>,
    organization_id: &str,
) -> Result<()> {
    let problem = match entry {
        None => ReferenceProblem::Unknown,
        Some(e) if e.deleted => ReferenceProblem::Deleted,
        Some(e) if !e.scope.covers(organization_id) => ReferenceProblem::OutOfScope,
        Some(_) => return Ok(()),
    };
    Err(Error::UnavailableReference {
        field,
        id: id.to_owned(),
        problem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CustomerDraft;

    fn customer(version: Option<i64>) -> Customer {
        let mut c = CustomerDraft {
            name: "Shop".into(),
            segment_id: Some("retail".into()),
            ..Default::default()
        }
        .into_customer("c1".into(), "org-north".into(), chrono::Utc::now())
        .unwrap();
        c.version = version;
        c
    }

    #[test]
    fn new_customers_are_editable_by_everyone() {
        let new = customer(None);
        for role in Role::ALL {
            assert!(segment_editable(role, &new));
            assert!(check_segment_change(role, &new, Some("wholesale")).unwrap());
            assert!(check_segment_change(role, &new, None).unwrap());
        }
    }

    #[test]
    fn existing_customers_are_read_only_for_technicians() {
        let existing = customer(Some(1));
        assert!(!segment_editable(Role::Technician, &existing));
        let err = check_segment_change(Role::Technician, &existing, Some("wholesale")).unwrap_err();
        assert!(matches!(err, Error::SegmentReadOnly { ref customer_id } if customer_id == "c1"));
        assert!(matches!(
            check_segment_change(Role::Technician, &existing, None),
            Err(Error::SegmentReadOnly { .. })
        ));
        for role in [Role::Manager, Role::Admin] {
            assert!(segment_editable(role, &existing));
            assert!(check_segment_change(role, &existing, Some("wholesale")).unwrap());
        }
    }

    #[test]
    fn sending_the_same_segment_is_not_a_change() {
        let existing = customer(Some(4));
        assert!(!check_segment_change(Role::Technician, &existing, Some("retail")).unwrap());
    }

    #[test]
    fn references_must_exist_be_alive_and_in_scope() {
        let all = CatalogueEntryState {
            scope: OrgScope::All,
            deleted: false,
        };
        let north = CatalogueEntryState {
            scope: OrgScope::Organization("org-north".into()),
            deleted: false,
        };
        let gone = CatalogueEntryState {
            scope: OrgScope::All,
            deleted: true,
        };
        assert!(check_reference("segment_id", "s", Some(&all), "org-south").is_ok());
        assert!(check_reference("segment_id", "s", Some(&north), "org-north").is_ok());
        let problem = |r: Result<()>| match r {
            Err(Error::UnavailableReference { problem, field, .. }) => (field, problem),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            problem(check_reference("segment_id", "s", None, "org-north")),
            ("segment_id", ReferenceProblem::Unknown)
        );
        assert_eq!(
            problem(check_reference("status_id", "s", Some(&gone), "org-north")),
            ("status_id", ReferenceProblem::Deleted)
        );
        assert_eq!(
            problem(check_reference(
                "segment_id",
                "s",
                Some(&north),
                "org-south"
            )),
            ("segment_id", ReferenceProblem::OutOfScope)
        );
    }
}
