//! The sync protocol's wire types (`/auth/v1`, `/sync/v1`): messages, the
//! feed's collections, the kinds of entity and operation a device uploads,
//! and why the server refuses one. A leaf: it depends on the model only, and
//! the store, the sync engine, the mock Portal and the FFI all use it, so
//! the device and the server speak exactly one protocol. Documented in
//! `sync-server-mock/openapi.json`.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::model::{RemoteCustomer, Role};

/// `POST /auth/v1/login`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    pub access_token: String,
    /// Seconds the token stays valid.
    pub expires_in: u64,
    pub user: LoginUser,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginUser {
    pub id: String,
    pub organization_id: String,
    pub role: Role,
}

/// The collections of the change feed. Unknown ones (from a newer server)
/// are skipped, not fatal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Collection {
    Segments,
    PicklistValues,
    Customers,
    Organizations,
    /// The signed-in user's own profile (`profile` on the wire).
    #[serde(rename = "profile")]
    UserProfile,
    CustomerSegments,
    CustomerSegmentMembers,
    CustomerProfiles,
    Transactions,
    /// Open shopping carts, keyed by the customer id.
    Carts,
    #[serde(other)]
    Unknown,
}

impl Collection {
    pub const KNOWN: [Collection; 10] = [
        Self::Segments,
        Self::PicklistValues,
        Self::Customers,
        Self::Organizations,
        Self::UserProfile,
        Self::CustomerSegments,
        Self::CustomerSegmentMembers,
        Self::CustomerProfiles,
        Self::Transactions,
        Self::Carts,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Segments => "segments",
            Self::PicklistValues => "picklist_values",
            Self::Customers => "customers",
            Self::Organizations => "organizations",
            Self::UserProfile => "profile",
            Self::CustomerSegments => "customer_segments",
            Self::CustomerSegmentMembers => "customer_segment_members",
            Self::CustomerProfiles => "customer_profiles",
            Self::Transactions => "transactions",
            Self::Carts => "carts",
            Self::Unknown => "unknown",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeOp {
    Upsert,
    Delete,
}

/// One entry of the change feed: the latest state of one entity.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FeedChange {
    pub seq: i64,
    pub collection: Collection,
    pub op: ChangeOp,
    pub id: String,
    pub version: i64,
    /// The record for an upsert, `null` for a delete: its JSON text as it
    /// came, decoded once, straight into the collection's type, when it is
    /// applied (no intermediate `Value` tree on the hot path of a pull).
    #[serde(default)]
    pub data: Option<Box<RawValue>>,
}

impl FeedChange {
    /// The record's JSON text for `value` (servers and tests build changes).
    pub fn record(value: &impl Serialize) -> serde_json::Result<Option<Box<RawValue>>> {
        serde_json::value::to_raw_value(value).map(Some)
    }

    /// Decodes the record as `T` (`null` for a delete).
    pub fn decode<'a, T: Deserialize<'a>>(&'a self) -> serde_json::Result<T> {
        serde_json::from_str(self.data.as_deref().map_or("null", RawValue::get))
    }
}

impl PartialEq for FeedChange {
    fn eq(&self, other: &Self) -> bool {
        (self.seq, self.collection, self.op, &self.id, self.version)
            == (
                other.seq,
                other.collection,
                other.op,
                &other.id,
                other.version,
            )
            && self.data.as_deref().map(RawValue::get) == other.data.as_deref().map(RawValue::get)
    }
}

/// `GET /sync/v1/changes?cursor=..&limit=..`: one page of the feed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangePage {
    pub changes: Vec<FeedChange>,
    /// Opaque: send it back to get the next page.
    pub cursor: String,
    pub has_more: bool,
    /// Changes after this page, for progress.
    #[serde(default)]
    pub remaining: u64,
    /// The same per collection, where the server can say.
    #[serde(default)]
    pub remaining_by_collection: std::collections::BTreeMap<Collection, u64>,
}

/// The signed-in user's own profile, as the feed's `profile` record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserProfile {
    pub user_id: String,
    pub organization_id: String,
    pub role: Role,
}

/// One static membership of a customer segment, as the feed's
/// `customer_segment_members` record (id `{segment_id}/{customer_id}`).
/// Always an upsert: `member: false` means the customer was taken out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerSegmentMembership {
    pub segment_id: String,
    pub customer_id: String,
    pub member: bool,
}

impl CustomerSegmentMembership {
    /// The feed id and mutation entity id of a membership.
    pub fn key(segment_id: &str, customer_id: &str) -> String {
        format!("{segment_id}/{customer_id}")
    }

    /// The segment and customer of a key made by [`Self::key`].
    pub fn split_key(key: &str) -> Option<(&str, &str)> {
        key.split_once('/')
    }
}

/// What a mutation changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// A customer account: operations `create` and `update`, changes are
    /// the customer's fields.
    Customer,
    /// A manager's change to a static customer segment: operations
    /// `add_member` and `remove_member`, changes `{"segment_id",
    /// "customer_id"}`, entity id [`CustomerSegmentMembership::key`].
    CustomerSegmentMember,
    /// An entity this build does not know (from a newer device): the
    /// server refuses the mutation, not the whole request.
    #[serde(other)]
    Unknown,
}

impl EntityKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::CustomerSegmentMember => "customer_segment_member",
            Self::Unknown => "unknown",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "customer" => Some(Self::Customer),
            "customer_segment_member" => Some(Self::CustomerSegmentMember),
            _ => None,
        }
    }
}

/// What a mutation does to its entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MutationOperation {
    /// A customer made on the device.
    Create,
    /// Changed fields of a customer.
    Update,
    /// A manager put a customer in a static customer segment.
    AddMember,
    /// A manager took a customer out of a static customer segment.
    RemoveMember,
    /// An operation this build does not know: refused by the server.
    #[serde(other)]
    Unknown,
}

impl MutationOperation {
    pub fn code(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::AddMember => "add_member",
            Self::RemoveMember => "remove_member",
            Self::Unknown => "unknown",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "create" => Some(Self::Create),
            "update" => Some(Self::Update),
            "add_member" => Some(Self::AddMember),
            "remove_member" => Some(Self::RemoveMember),
            _ => None,
        }
    }
}

/// The kind of a refusal, for the app to act on (the reason is words).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectionCode {
    /// The user's role may not make this change.
    Permission,
    /// A value is not valid (`field` names it).
    Validation,
    /// A segment or picklist value that is unknown, deleted or out of scope.
    UnknownReference,
    /// The entity does not exist (for this user).
    NotFound,
    /// A code from a newer server.
    #[serde(other)]
    Other,
}

impl RejectionCode {
    pub fn code(self) -> &'static str {
        match self {
            Self::Permission => "permission",
            Self::Validation => "validation",
            Self::UnknownReference => "unknown_reference",
            Self::NotFound => "not_found",
            Self::Other => "other",
        }
    }
}

/// Why the server refused a change for good: the device sets the change
/// aside with it, visible to the app, and the changes behind it go on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub code: RejectionCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub reason: String,
}

/// `POST /sync/v1/mutations`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    pub mutations: Vec<Mutation>,
}

/// One local change, as uploaded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mutation {
    /// The idempotency key: a replay returns the first outcome.
    pub mutation_id: String,
    pub entity: EntityKind,
    pub entity_id: String,
    pub operation: MutationOperation,
    /// Changed fields only.
    pub changes: Map<String, Value>,
    pub base_version: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    pub results: Vec<MutationResult>,
}

/// One field of a mutation that lost to an office edit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldConflict {
    pub field: String,
    pub server_value: Value,
}

/// The server's answer to one mutation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum MutationResult {
    Applied {
        mutation_id: String,
        version: i64,
    },
    Rejected {
        mutation_id: String,
        #[serde(flatten)]
        rejection: Rejection,
        /// The entity as the server has it (`None`: it has none), so the
        /// device can return to the server's state.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        current: Option<RemoteCustomer>,
    },
    /// The fields not listed were applied; `version` is the entity's
    /// version afterwards.
    Conflict {
        mutation_id: String,
        version: i64,
        conflicts: Vec<FieldConflict>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        current: Option<RemoteCustomer>,
    },
}

impl MutationResult {
    pub fn mutation_id(&self) -> &str {
        match self {
            Self::Applied { mutation_id, .. }
            | Self::Rejected { mutation_id, .. }
            | Self::Conflict { mutation_id, .. } => mutation_id,
        }
    }
}

/// An error body from the server (`{"error","field","reason"}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    #[serde(default)]
    pub field: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn results_read_the_servers_shapes() {
        let applied: MutationResult =
            serde_json::from_value(json!({"mutation_id": "m1", "status": "applied", "version": 3}))
                .unwrap();
        assert_eq!(
            applied,
            MutationResult::Applied {
                mutation_id: "m1".into(),
                version: 3
            }
        );
        let rejected: MutationResult = serde_json::from_value(json!({
            "mutation_id": "m2", "status": "rejected", "code": "permission", "field": "segment_id", "reason": "read-only"
        }))
        .unwrap();
        match &rejected {
            MutationResult::Rejected {
                rejection,
                current: None,
                ..
            } => {
                assert_eq!(rejection.code, RejectionCode::Permission);
                assert_eq!(rejection.field.as_deref(), Some("segment_id"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(rejected.mutation_id(), "m2");
        let conflict: MutationResult = serde_json::from_value(json!({
            "mutation_id": "m3", "status": "conflict", "version": 9,
            "conflicts": [{"field": "segment_id", "server_value": "retail"}]
        }))
        .unwrap();
        assert!(
            matches!(conflict, MutationResult::Conflict { version: 9, ref conflicts, .. } if conflicts.len() == 1)
        );
        let back = serde_json::to_value(&conflict).unwrap();
        assert_eq!(back["status"], "conflict");
    }

    #[test]
    fn unknown_kinds_and_codes_are_read_as_such() {
        let m: Mutation = serde_json::from_value(json!({
            "mutation_id": "m", "entity": "invoice", "entity_id": "i", "operation": "upsert",
            "changes": {}, "base_version": null
        }))
        .unwrap();
        assert_eq!(m.entity, EntityKind::Unknown);
        assert_eq!(m.operation, MutationOperation::Unknown);
        let r: Rejection =
            serde_json::from_value(json!({"code": "quota", "reason": "too many"})).unwrap();
        assert_eq!(r.code, RejectionCode::Other);
        for code in [
            RejectionCode::Permission,
            RejectionCode::Validation,
            RejectionCode::UnknownReference,
            RejectionCode::NotFound,
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), code.code());
        }
        for kind in [EntityKind::Customer, EntityKind::CustomerSegmentMember] {
            assert_eq!(EntityKind::from_code(kind.code()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.code());
        }
        for op in [
            MutationOperation::Create,
            MutationOperation::Update,
            MutationOperation::AddMember,
            MutationOperation::RemoveMember,
        ] {
            assert_eq!(MutationOperation::from_code(op.code()), Some(op));
            assert_eq!(serde_json::to_value(op).unwrap(), op.code());
        }
        assert_eq!(
            serde_json::to_value(Collection::UserProfile).unwrap(),
            "profile"
        );
    }

    #[test]
    fn unknown_collections_are_tolerated() {
        let change: FeedChange = serde_json::from_value(json!({
            "seq": 1, "collection": "invoices", "op": "upsert", "id": "x", "version": 1, "data": {}
        }))
        .unwrap();
        assert_eq!(change.collection, Collection::Unknown);
    }
}
