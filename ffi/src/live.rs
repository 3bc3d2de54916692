//! Live queries: `FieldStore.watch_*` hand the app's observer a query's
//! result at once and again whenever a commit changes it (core's
//! `store/live.rs` decides when and runs them on its own thread). Kotlin
//! `Flow`s and Swift `AsyncStream`s wrap these (bindings/README.md).

use std::sync::Arc;

use fieldsync_core::model::LanguageTag;
use fieldsync_core::store::{self as core, Tables, Watch};
use fieldsync_core::{Error, Store};

use crate::error::Result;
use crate::store::{FieldStore, read_locale};
use crate::types::{
    CustomerPage, CustomerQuery, CustomerSegmentMemberPage, CustomerSegmentView, CustomerView,
    PicklistKind, PicklistOption, SegmentOption,
};

/// An open live query. `close()` stops it: once `close()` returns, its
/// observer is not running and is never called again. Releasing the handle
/// closes it too (Kotlin `close()` or `use {}`, as every fieldsync object;
/// Swift `deinit`; the garbage collector). In Kotlin the method below is
/// `stop()`: `close()` is AutoCloseable's, and does the same.
#[derive(uniffi::Object)]
pub struct WatchHandle {
    watch: Watch,
}

#[uniffi::export]
impl WatchHandle {
    /// Stops the live query (safe to call twice, and from its observer).
    pub fn close(&self) {
        self.watch.close();
    }
}

/// Receives the segment dropdown whenever it changes.
#[uniffi::export(callback_interface)]
pub trait SegmentOptionsObserver: Send + Sync {
    /// The current options. Called on a fieldsync thread, never two calls
    /// at once; whatever it throws is ignored (and logged).
    fn on_change(&self, options: Vec<SegmentOption>) -> Result<()>;
}

/// Receives a classification dropdown whenever it changes.
#[uniffi::export(callback_interface)]
pub trait PicklistOptionsObserver: Send + Sync {
    /// The current options (as `SegmentOptionsObserver.on_change`).
    fn on_change(&self, options: Vec<PicklistOption>) -> Result<()>;
}

/// Receives a page of customers whenever it changes.
#[uniffi::export(callback_interface)]
pub trait CustomersObserver: Send + Sync {
    /// The current page (as `SegmentOptionsObserver.on_change`).
    fn on_change(&self, page: CustomerPage) -> Result<()>;
}

/// Receives one customer whenever it changes.
#[uniffi::export(callback_interface)]
pub trait CustomerObserver: Send + Sync {
    /// The customer, `null` once deleted or unknown (as
    /// `SegmentOptionsObserver.on_change`).
    fn on_change(&self, customer: Option<CustomerView>) -> Result<()>;
}

/// Receives the customer segments whenever they change.
#[uniffi::export(callback_interface)]
pub trait CustomerSegmentsObserver: Send + Sync {
    /// The current segments (as `SegmentOptionsObserver.on_change`).
    fn on_change(&self, segments: Vec<CustomerSegmentView>) -> Result<()>;
}

/// Receives a page of a customer segment's members whenever it changes.
#[uniffi::export(callback_interface)]
pub trait CustomerSegmentMembersObserver: Send + Sync {
    /// The current page (as `SegmentOptionsObserver.on_change`).
    fn on_change(&self, page: CustomerSegmentMemberPage) -> Result<()>;
}

/// What the dropdowns read.
const CATALOGUE: Tables = Tables::ORGANIZATIONS
    .union(Tables::SESSION)
    .union(Tables::LOCALE);
/// What a customer as the app shows it reads: its row, its segment's and
/// picklists' labels, the session (who may edit the segment).
const CUSTOMER: Tables = CATALOGUE
    .union(Tables::CUSTOMERS)
    .union(Tables::SEGMENTS)
    .union(Tables::PICKLIST_VALUES)
    .union(Tables::OUTBOX);
const CUSTOMER_SEGMENTS: Tables = Tables::CUSTOMER_SEGMENTS
    .union(Tables::CUSTOMER_SEGMENT_TAGS)
    .union(Tables::CUSTOMER_SEGMENT_MEMBERS)
    .union(Tables::SESSION);

/// Reports an observer's failure; the watch goes on.
fn observed(result: Result<()>) {
    if let Err(e) = result {
        tracing::warn!(error = %e, "a live query's observer failed");
    }
}

impl FieldStore {
    fn live<T: PartialEq + Default + Send + 'static>(
        &self,
        tables: Tables,
        query: impl Fn(&Store, &LanguageTag) -> fieldsync_core::Result<T> + Send + 'static,
        emit: impl Fn(&T) -> Result<()> + Send + 'static,
    ) -> Arc<WatchHandle> {
        let locale = self.locale_handle().clone();
        let watch = self.core().watch(
            tables,
            move |store| query(store, &read_locale(&locale)),
            move |value| observed(emit(value)),
        );
        Arc::new(WatchHandle { watch })
    }
}

#[uniffi::export]
impl FieldStore {
    /// `segment_options()`, live: `observer` gets the dropdown at once (on a
    /// fieldsync thread) and again whenever the catalogue, the session or
    /// the locale changes it; empty while no one is signed in. Keep the
    /// handle as long as the screen shows it.
    pub fn watch_segment_options(
        &self,
        observer: Box<dyn SegmentOptionsObserver>,
    ) -> Arc<WatchHandle> {
        self.live(
            CATALOGUE.union(Tables::SEGMENTS),
            |store, locale| store.segment_options(locale),
            move |options| observer.on_change(options.clone()),
        )
    }

    /// `picklist_options(kind)`, live (as `watch_segment_options`).
    pub fn watch_picklist_options(
        &self,
        kind: PicklistKind,
        observer: Box<dyn PicklistOptionsObserver>,
    ) -> Arc<WatchHandle> {
        self.live(
            CATALOGUE.union(Tables::PICKLIST_VALUES),
            move |store, locale| store.picklist_options(kind, locale),
            move |options| observer.on_change(options.clone()),
        )
    }

    /// `customers(query)`, live: the page again whenever a commit changes
    /// it (as `watch_segment_options`). Fails with `Validation` for a limit
    /// outside 1–500 or a search over 200 characters, before any run.
    pub fn watch_customers(
        &self,
        query: CustomerQuery,
        observer: Box<dyn CustomersObserver>,
    ) -> Result<Arc<WatchHandle>> {
        let query = core::CustomerQuery::from(query);
        query.validate()?;
        Ok(self.live(
            CUSTOMER,
            move |store, locale| store.customers(&query, locale),
            move |page| observer.on_change(CustomerPage::from(page.clone())),
        ))
    }

    /// `customer(id)`, live: `null` while the customer is unknown or
    /// deleted (as `watch_segment_options`).
    pub fn watch_customer(
        &self,
        id: String,
        observer: Box<dyn CustomerObserver>,
    ) -> Arc<WatchHandle> {
        self.live(
            CUSTOMER,
            move |store, locale| store.customer(&id, locale),
            move |view| observer.on_change(view.clone().map(CustomerView::from)),
        )
    }

    /// `customer_segments(tag)`, live, member counts included (as
    /// `watch_segment_options`).
    pub fn watch_customer_segments(
        &self,
        tag: Option<String>,
        observer: Box<dyn CustomerSegmentsObserver>,
    ) -> Arc<WatchHandle> {
        self.live(
            CUSTOMER_SEGMENTS,
            move |store, _| store.customer_segments(tag.as_deref()),
            move |segments| {
                observer.on_change(
                    segments
                        .iter()
                        .cloned()
                        .map(CustomerSegmentView::from)
                        .collect(),
                )
            },
        )
    }

    /// `customer_segment_members(id, limit, offset)`, live: an empty page
    /// while the device has no such segment (as `watch_segment_options`).
    /// Fails with `Validation` for a limit outside 1–500.
    pub fn watch_customer_segment_members(
        &self,
        id: String,
        limit: u32,
        offset: u32,
        observer: Box<dyn CustomerSegmentMembersObserver>,
    ) -> Result<Arc<WatchHandle>> {
        core::check_limit(limit)?;
        Ok(self.live(
            CUSTOMER_SEGMENTS.union(Tables::CUSTOMERS),
            move |store, _| match store.customer_segment_members(&id, limit, offset) {
                Err(Error::NotFound { .. }) => Ok(Default::default()),
                other => other,
            },
            move |page| observer.on_change(page.clone()),
        ))
    }
}
