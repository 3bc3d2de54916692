//! `FieldStore`: the device database, as apps use it.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::SystemTime;

use fieldsync_core::model::LanguageTag;
#[cfg(feature = "encrypted")]
use fieldsync_core::store::DatabaseKey;
use fieldsync_core::store::Tables;
use fieldsync_core::{Entity, Store};

use crate::error::{FieldSyncError, Result};
use crate::types::{
    Cart, CustomerDraft, CustomerPage, CustomerProfile, CustomerQuery, CustomerSegmentMemberPage,
    CustomerSegmentRefresh, CustomerSegmentTagCount, CustomerSegmentView, CustomerUpdate,
    CustomerView, DueVisit, PendingChange, PicklistKind, PicklistOption, PurchaseSummary, Segment,
    SegmentCount, SegmentOption, Session, SyncConflict, parse_date, parse_locale,
};

/// The device's database: the catalogue the office configures (segments,
/// picklists), the customers, the customer segments with their members and
/// the profiles they test, the changes waiting for upload and who is
/// signed in. Labels come in the store's locale.
///
/// Every method is a quick local database call that blocks: call them off
/// the UI thread (Kotlin `Dispatchers.IO`, a Swift background task). One
/// store per database file; share it between screens and the `SyncClient`.
#[derive(uniffi::Object)]
pub struct FieldStore {
    inner: Arc<Store>,
    /// Shared with the live queries, which resolve labels at each run.
    locale: Arc<RwLock<LanguageTag>>,
}

impl FieldStore {
    fn new(inner: Store, locale: LanguageTag) -> Arc<Self> {
        Arc::new(FieldStore {
            inner: Arc::new(inner),
            locale: Arc::new(RwLock::new(locale)),
        })
    }

    /// The core store, for the sync client.
    pub(crate) fn core(&self) -> &Arc<Store> {
        &self.inner
    }

    fn current_locale(&self) -> LanguageTag {
        read_locale(&self.locale)
    }

    /// The locale, for live queries.
    pub(crate) fn locale_handle(&self) -> &Arc<RwLock<LanguageTag>> {
        &self.locale
    }

    /// A customer as the screen shows it, after a write.
    fn view(&self, id: &str) -> Result<CustomerView> {
        self.inner
            .customer(id, &self.current_locale())?
            .map(CustomerView::from)
            .ok_or_else(|| FieldSyncError::NotFound {
                entity: Entity::Customer.to_string(),
                id: id.to_owned(),
            })
    }
}

pub(crate) fn read_locale(locale: &RwLock<LanguageTag>) -> LanguageTag {
    locale
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

#[uniffi::export]
impl FieldStore {
    /// Opens the database at `path`, creating it if needed and upgrading
    /// its schema. `locale` is a language tag such as `nl-BE` (or `nl_BE`)
    /// for labels. Fails with `Storage` for a database written by a newer
    /// fieldsync, `Validation` for a malformed locale.
    #[uniffi::constructor]
    pub fn open(path: String, locale: String) -> Result<Arc<Self>> {
        let locale = parse_locale(&locale)?;
        Ok(Self::new(Store::open(path)?, locale))
    }

    // The docs of exported items are kept in the library: short ones here,
    // the rest in bindings/README.md ("Encryption at rest").
    /// Opens the encrypted database at `path` with `key`, 32 bytes (see the
    /// README). `WrongKey`: nothing changed. Plain flavour: `Unsupported`.
    #[uniffi::constructor]
    pub fn open_encrypted(path: String, locale: String, key: Vec<u8>) -> Result<Arc<Self>> {
        #[cfg(feature = "encrypted")]
        {
            let locale = parse_locale(&locale)?;
            let key = DatabaseKey::take(key)?;
            Ok(Self::new(Store::open_encrypted(path, &key)?, locale))
        }
        #[cfg(not(feature = "encrypted"))]
        {
            let _ = (path, locale, key);
            Err(FieldSyncError::encryption_unsupported())
        }
    }

    /// A private database in memory, gone when the store is: for tests and
    /// previews.
    #[uniffi::constructor]
    pub fn open_in_memory(locale: String) -> Result<Arc<Self>> {
        let locale = parse_locale(&locale)?;
        Ok(Self::new(Store::open_in_memory()?, locale))
    }

    /// The language tag labels are resolved for (canonical form, `nl-BE`).
    pub fn locale(&self) -> String {
        self.current_locale().as_str().to_owned()
    }

    /// Changes the language of labels from now on (when the user changes
    /// the app's language). Labels fall back to the language without region,
    /// the organization's default language, English, then any.
    pub fn set_locale(&self, locale: String) -> Result<()> {
        let tag = parse_locale(&locale)?;
        *self.locale.write().unwrap_or_else(PoisonError::into_inner) = tag;
        // Live queries show labels: they run again in the new language.
        self.inner.notify_changed(Tables::LOCALE);
        Ok(())
    }

    /// Who is signed in on this device, if anyone.
    pub fn session(&self) -> Result<Option<Session>> {
        Ok(self.inner.session()?)
    }

    /// Stores the session, for apps that sign in on their own (with a
    /// `CredentialsProvider`). `SyncClient.login` does this itself, and each
    /// sync keeps it up to date with the server. Call it when the user
    /// changes, with no sync running (the rule of `SyncClient.login`).
    pub fn set_session(&self, session: Session) -> Result<()> {
        Ok(self.inner.set_session(&session)?)
    }

    /// Signs out. Local data and pending changes stay, for the same user.
    pub fn clear_session(&self) -> Result<()> {
        Ok(self.inner.clear_session()?)
    }

    /// The segment dropdown for the session's organization: segments not
    /// deleted, in scope, labelled in the store's locale, sorted by label.
    pub fn segment_options(&self) -> Result<Vec<SegmentOption>> {
        Ok(self.inner.segment_options(&self.current_locale())?)
    }

    /// A classification dropdown (status, source, industry or channel) for
    /// the session's organization, in the Portal's order.
    pub fn picklist_options(&self, kind: PicklistKind) -> Result<Vec<PicklistOption>> {
        Ok(self.inner.picklist_options(kind, &self.current_locale())?)
    }

    /// Every segment stored on the device (all organizations), with the
    /// ones deleted in the Portal when `include_deleted`.
    pub fn segments(&self, include_deleted: bool) -> Result<Vec<Segment>> {
        let locale = self.current_locale();
        Ok(self
            .inner
            .segments(include_deleted)?
            .into_iter()
            .map(|s| Segment::new(s, &locale))
            .collect())
    }

    /// Creates a customer in the session's organization and queues its
    /// upload. Any role may pick the segment of a new customer; it must
    /// exist, not be deleted and be in scope (`Validation` otherwise).
    pub fn create_customer(&self, draft: CustomerDraft) -> Result<CustomerView> {
        let created = self.inner.create_customer(draft.try_into()?)?;
        self.view(&created.id)
    }

    /// Changes a customer and queues the changed fields for upload. On a
    /// customer the server has accepted, a technician who changes the
    /// segment gets `SegmentReadOnly` and nothing is written.
    pub fn update_customer(&self, id: String, update: CustomerUpdate) -> Result<CustomerView> {
        let updated = self.inner.update_customer(&id, &update.try_into()?)?;
        self.view(&updated.id)
    }

    /// One customer, `null` if unknown or deleted.
    pub fn customer(&self, id: String) -> Result<Option<CustomerView>> {
        Ok(self
            .inner
            .customer(&id, &self.current_locale())?
            .map(CustomerView::from))
    }

    /// A page of customers, sorted by name.
    pub fn customers(&self, query: CustomerQuery) -> Result<CustomerPage> {
        Ok(self
            .inner
            .customers(&query.into(), &self.current_locale())?
            .into())
    }

    /// Customers due for a visit on `date` (`2026-11-23`): never-visited
    /// first, then by due date.
    pub fn due_visits(&self, date: String) -> Result<Vec<DueVisit>> {
        let date = parse_date("date", &date)?;
        Ok(self
            .inner
            .due_visits(date, &self.current_locale())?
            .into_iter()
            .map(DueVisit::from)
            .collect())
    }

    /// How many customers carry each segment (and how many none), largest
    /// groups first.
    pub fn segment_counts(&self) -> Result<Vec<SegmentCount>> {
        Ok(self
            .inner
            .segment_counts(&self.current_locale())?
            .into_iter()
            .map(SegmentCount::from)
            .collect())
    }

    /// Local changes the server has not accepted, oldest first, at most
    /// `limit`: waiting for upload, and set aside with the server's reason.
    pub fn pending_changes(&self, limit: u32) -> Result<Vec<PendingChange>> {
        Ok(self
            .inner
            .pending_changes(limit as usize)?
            .into_iter()
            .map(PendingChange::from)
            .collect())
    }

    /// How many local changes wait for upload.
    pub fn pending_count(&self) -> Result<u64> {
        Ok(self.inner.pending_count()?)
    }

    /// How many local changes the server refused and are set aside.
    pub fn set_aside_count(&self) -> Result<u64> {
        Ok(self.inner.set_aside_count()?)
    }

    /// Fields of local changes that lost to office edits, newest first, at
    /// most `limit`.
    pub fn sync_conflicts(&self, limit: u32) -> Result<Vec<SyncConflict>> {
        Ok(self
            .inner
            .sync_conflicts(limit as usize)?
            .into_iter()
            .map(SyncConflict::from)
            .collect())
    }

    /// When a sync last finished without error.
    pub fn last_sync_success(&self) -> Result<Option<SystemTime>> {
        Ok(self.inner.last_sync_success()?.map(SystemTime::from))
    }

    /// The customer segments of the session's organization (and those for
    /// all organizations), highest priority first; only those tagged `tag`
    /// when given.
    #[uniffi::method(default(tag = None))]
    pub fn customer_segments(&self, tag: Option<String>) -> Result<Vec<CustomerSegmentView>> {
        Ok(self
            .inner
            .customer_segments(tag.as_deref())?
            .into_iter()
            .map(CustomerSegmentView::from)
            .collect())
    }

    /// One customer segment, `null` if this device does not have it.
    pub fn customer_segment(&self, id: String) -> Result<Option<CustomerSegmentView>> {
        Ok(self
            .inner
            .customer_segment(&id)?
            .map(CustomerSegmentView::from))
    }

    /// The customer segments a customer belongs to, highest priority first:
    /// the first is the customer's primary segment. Empty for an unknown
    /// customer.
    pub fn customer_segments_of(&self, customer_id: String) -> Result<Vec<CustomerSegmentView>> {
        Ok(self
            .inner
            .customer_segments_of(&customer_id)?
            .into_iter()
            .map(CustomerSegmentView::from)
            .collect())
    }

    /// The customer's primary segment: the highest-priority customer
    /// segment they belong to; `null` when none.
    pub fn primary_customer_segment(
        &self,
        customer_id: String,
    ) -> Result<Option<CustomerSegmentView>> {
        Ok(self
            .inner
            .primary_customer_segment(&customer_id)?
            .map(CustomerSegmentView::from))
    }

    /// A page of a customer segment's members, sorted by name: `limit` 1
    /// to 500 (default 50), skipping `offset`. `NotFound` for a segment
    /// this device does not have.
    #[uniffi::method(default(limit = 50, offset = 0))]
    pub fn customer_segment_members(
        &self,
        segment_id: String,
        limit: u32,
        offset: u32,
    ) -> Result<CustomerSegmentMemberPage> {
        Ok(self
            .inner
            .customer_segment_members(&segment_id, limit, offset)?)
    }

    /// The tags of the session's customer segments, with how many segments
    /// carry each, alphabetically.
    pub fn customer_segment_tags(&self) -> Result<Vec<CustomerSegmentTagCount>> {
        Ok(self.inner.customer_segment_tags()?)
    }

    /// Puts a customer in a static customer segment, offline, and queues the
    /// change for upload. The segments defined by conditions that depend on
    /// it (flexi ones) follow at once. Returns `false` when the customer
    /// already was a member (nothing written).
    ///
    /// Managers and admins only: technicians get `NotPermitted`. A segment
    /// defined by conditions gives `Validation` (field `segment_id`); an
    /// unknown segment or customer, `NotFound`.
    pub fn add_to_customer_segment(&self, segment_id: String, customer_id: String) -> Result<bool> {
        Ok(self
            .inner
            .add_to_customer_segment(&segment_id, &customer_id)?)
    }

    /// Takes a customer out of a static customer segment, offline, and
    /// queues the change for upload. Returns `false` when the customer was
    /// not a member. The same rules and errors as `add_to_customer_segment`.
    pub fn remove_from_customer_segment(
        &self,
        segment_id: String,
        customer_id: String,
    ) -> Result<bool> {
        Ok(self
            .inner
            .remove_from_customer_segment(&segment_id, &customer_id)?)
    }

    /// Brings every conditional customer segment up to date: new or
    /// changed definitions, flexi segments after data changes, and
    /// conditions on relative dates ("in the last 30 days"). Each sync run
    /// does this; call it when the day changes.
    pub fn refresh_customer_segments(&self) -> Result<CustomerSegmentRefresh> {
        Ok(self.inner.refresh_customer_segments()?)
    }

    /// Takes a new snapshot of a conditional customer segment (re-evaluates
    /// a flexi one in full), and brings the others up to date. `NotFound`
    /// for an unknown segment, `Validation` (field `segment_id`) for a
    /// static one.
    pub fn refresh_customer_segment(&self, id: String) -> Result<CustomerSegmentRefresh> {
        Ok(self.inner.refresh_customer_segment(&id)?)
    }

    /// What the Portal knows about a customer beyond the account fields,
    /// `null` if no profile has reached this device.
    pub fn customer_profile(&self, customer_id: String) -> Result<Option<CustomerProfile>> {
        Ok(self
            .inner
            .customer_profile(&customer_id)?
            .map(CustomerProfile::from))
    }

    /// A customer's open shopping cart; `null` when there is none.
    pub fn customer_cart(&self, customer_id: String) -> Result<Option<Cart>> {
        Ok(self.inner.cart(&customer_id)?.map(Cart::from))
    }

    /// A customer's purchase figures (count, total spend, last purchase)
    /// and RFM scores; zero and `null` without transactions.
    pub fn purchase_summary(&self, customer_id: String) -> Result<PurchaseSummary> {
        Ok(self.inner.purchase_summary(&customer_id)?.into())
    }
}

/// Encryption at rest beyond opening: both flavours export them, so app
/// code compiles against either; the plain one answers `Unsupported` and
/// touches nothing.
#[uniffi::export]
impl FieldStore {
    /// Copies the plain database at `plain_path` into a new encrypted one
    /// at `encrypted_path`, and opens it (see the README).
    #[uniffi::constructor]
    pub fn encrypt_database(
        plain_path: String,
        encrypted_path: String,
        locale: String,
        key: Vec<u8>,
    ) -> Result<Arc<Self>> {
        #[cfg(feature = "encrypted")]
        {
            let locale = parse_locale(&locale)?;
            let key = DatabaseKey::take(key)?;
            Store::encrypt_database(plain_path, &encrypted_path, &key)?;
            Ok(Self::new(
                Store::open_encrypted(encrypted_path, &key)?,
                locale,
            ))
        }
        #[cfg(not(feature = "encrypted"))]
        {
            let _ = (plain_path, encrypted_path, locale, key);
            Err(FieldSyncError::encryption_unsupported())
        }
    }

    /// Re-encrypts the database with `new_key` (32 bytes).
    pub fn change_key(&self, new_key: Vec<u8>) -> Result<()> {
        #[cfg(feature = "encrypted")]
        {
            Ok(self.inner.change_key(&DatabaseKey::take(new_key)?)?)
        }
        #[cfg(not(feature = "encrypted"))]
        {
            let _ = new_key;
            Err(FieldSyncError::encryption_unsupported())
        }
    }
}
