//! Local changes waiting for the server, and fields that lost conflicts.

use std::collections::HashMap;
use std::time::SystemTime;

use fieldsync_core::protocol::Rejection;

use super::*;

// ---------------------------------------------------------------------
// Local changes and conflicts.

/// A local change the server has not accepted: waiting for upload, or set
/// aside because the server refused it (then `rejection` says why).
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct PendingChange {
    /// Position in the upload queue.
    pub seq: i64,
    /// The change's unique id (the server's idempotency key).
    pub mutation_id: String,
    /// What it changes: a customer, or a membership of a static customer
    /// segment.
    pub entity: EntityKind,
    /// The id of the customer it changes; for a membership,
    /// `<segment id>/<customer id>`.
    pub entity_id: String,
    /// Create or update a customer, add or remove a segment member.
    pub operation: MutationOperation,
    /// The changed fields and their new values (`null`: cleared).
    pub changes: HashMap<String, Option<String>>,
    /// The server version the change was made on; `null` for a customer
    /// the server had not accepted yet.
    pub base_version: Option<i64>,
    /// When the change was made.
    pub created_at: SystemTime,
    /// Upload attempts that got no answer.
    pub attempts: u32,
    /// Set aside: the server refused the change for good, for this reason.
    /// The customer shows the server's values again.
    pub rejection: Option<Rejection>,
}

impl From<fieldsync_core::store::OutboxEntry> for PendingChange {
    fn from(e: fieldsync_core::store::OutboxEntry) -> Self {
        PendingChange {
            seq: e.seq,
            mutation_id: e.mutation_id,
            entity: e.entity,
            entity_id: e.entity_id,
            operation: e.operation,
            changes: e
                .changes
                .into_iter()
                .map(|(field, value)| (field, json_text(value)))
                .collect(),
            base_version: e.base_version,
            created_at: e.created_at.into(),
            attempts: e.attempts,
            rejection: e.rejection,
        }
    }
}

/// A field of a local change that lost to an office edit of the same field:
/// the server kept its value and the device shows it.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct SyncConflict {
    /// The local change that lost the field.
    pub mutation_id: String,
    /// The customer it changed.
    pub customer_id: String,
    /// The field (`segment_id`, `name`, ...).
    pub field: String,
    /// What the device had sent.
    pub local_value: Option<String>,
    /// What the server kept.
    pub server_value: Option<String>,
    /// When the device learnt of it.
    pub resolved_at: SystemTime,
}

impl From<fieldsync_core::store::sync_state::ConflictRecord> for SyncConflict {
    fn from(c: fieldsync_core::store::sync_state::ConflictRecord) -> Self {
        SyncConflict {
            mutation_id: c.mutation_id,
            customer_id: c.customer_id,
            field: c.field,
            local_value: json_text(c.local_value),
            server_value: json_text(c.server_value),
            resolved_at: c.resolved_at.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_iso_8601_only() {
        assert_eq!(
            parse_date("d", "2026-11-23").unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
        );
        for bad in [
            "2026-1-23",
            "23/11/2026",
            "2026-02-30",
            "2026-11-23T10:00",
            "",
            "+2026-11-2",
            "２０２６-11-23",
        ] {
            assert_eq!(
                parse_date("last_visit", bad),
                Err(FieldSyncError::Validation {
                    field: "last_visit".into(),
                    reason: "is malformed".into()
                }),
                "{bad}"
            );
        }
        assert_eq!(
            format_date(NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()),
            "2026-01-05"
        );
    }

    #[test]
    fn locales_are_checked() {
        assert_eq!(parse_locale("nl_be").unwrap().as_str(), "nl-BE");
        assert_eq!(
            parse_locale(" "),
            Err(FieldSyncError::Validation {
                field: "locale".into(),
                reason: "must not be blank".into()
            })
        );
    }

    #[test]
    fn an_update_keeps_sets_and_clears() {
        let update = CustomerUpdate {
            name: Some("New".into()),
            segment_id: Some(FieldChange::Set {
                value: "seg-retail".into(),
            }),
            channel_id: Some(FieldChange::Clear),
            last_visit: Some(FieldChange::Set {
                value: "2026-11-01".into(),
            }),
            ..Default::default()
        };
        let core: core::CustomerUpdate = update.try_into().unwrap();
        assert_eq!(
            core,
            core::CustomerUpdate {
                name: Some("New".into()),
                segment_id: Some(Some("seg-retail".into())),
                channel_id: Some(None),
                last_visit: Some(Some(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap())),
                ..Default::default()
            }
        );
        let cleared: core::CustomerUpdate = CustomerUpdate {
            last_visit: Some(FieldChange::Clear),
            ..Default::default()
        }
        .try_into()
        .unwrap();
        assert_eq!(cleared.last_visit, Some(None));
        assert_eq!(cleared.status_id, None, "absent fields are kept");

        let bad = core::CustomerUpdate::try_from(CustomerUpdate {
            last_visit: Some(FieldChange::Set {
                value: "yesterday".into(),
            }),
            ..Default::default()
        });
        assert_eq!(
            bad,
            Err(FieldSyncError::Validation {
                field: "last_visit".into(),
                reason: "is malformed".into()
            })
        );
    }

    #[test]
    fn a_draft_reads_its_date() {
        let draft: core::CustomerDraft = CustomerDraft {
            name: "Bakery".into(),
            segment_id: Some("seg-retail".into()),
            last_visit: Some("2026-11-23".into()),
            ..Default::default()
        }
        .try_into()
        .unwrap();
        assert_eq!(draft.last_visit, NaiveDate::from_ymd_opt(2026, 11, 23));
        assert_eq!(draft.segment_id.as_deref(), Some("seg-retail"));
    }

    #[test]
    fn json_values_become_text() {
        assert_eq!(json_text(Value::Null), None);
        assert_eq!(json_text(Value::String("a".into())), Some("a".into()));
        assert_eq!(json_text(serde_json::json!(3)), Some("3".into()));
    }
}
