//! Customers: local creates and updates under the segment rule, server
//! changes applied without overwriting pending local edits, and the queries
//! the app's screens need.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::types::Value as SqlValue;
use rusqlite::{CachedStatement, Connection, Row, params, params_from_iter};

use super::catalogue::{Change, Labels};
use super::outbox::{self, NewEntry};
use super::paging::check_limit;
use super::references::References;
use super::session::require_session;
use super::{Store, journal, query_all};
use crate::error::{Entity, Error, Result, ValidationReason};
use crate::model::fold_for_search;
use crate::model::{
    Customer, CustomerDraft, CustomerField, CustomerUpdate, CustomerView, DueVisit, LanguageTag,
    PicklistKind, RemoteCustomer, Role, SegmentCount, SegmentLabel, Session, VisitFrequency,
};
use crate::protocol::{EntityKind, MutationOperation};
use crate::rules;

const MAX_SEARCH_CHARS: usize = 200;

/// Which customers a list shows, by segment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SegmentFilter {
    #[default]
    Any,
    /// Customers without a segment.
    Without,
    Is(String),
}

/// A customer list request: search by name (case-insensitive substring),
/// filter by segment, one page at a time, sorted by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerQuery {
    pub search: Option<String>,
    pub segment: SegmentFilter,
    pub limit: u32,
    pub offset: u32,
}

impl CustomerQuery {
    /// Checks the page size and the search's length, as `customers` does
    /// (for callers that check a query before running it, as live
    /// queries do).
    pub fn validate(&self) -> Result<()> {
        check_limit(self.limit)?;
        match self.search_text() {
            Some(search) if search.chars().count() > MAX_SEARCH_CHARS => Err(Error::invalid(
                "search",
                ValidationReason::TooLong {
                    max_chars: MAX_SEARCH_CHARS,
                },
            )),
            _ => Ok(()),
        }
    }

    fn search_text(&self) -> Option<&str> {
        self.search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}

impl Default for CustomerQuery {
    fn default() -> Self {
        CustomerQuery {
            search: None,
            segment: SegmentFilter::Any,
            limit: 50,
            offset: 0,
        }
    }
}

/// One page of customers, and how many match in all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerPage {
    pub customers: Vec<CustomerView>,
    pub total: u64,
}

const CUSTOMER_COLUMNS: &str = "c.id, c.organization_id, c.name, c.status_id, c.source_id, c.industry_id, \
     c.channel_id, c.segment_id, c.last_visit, c.created_at, c.updated_at, c.server_version, \
     s.name AS segment_name, s.deleted AS segment_deleted";

fn read_customer(r: &Row<'_>) -> rusqlite::Result<Customer> {
    Ok(Customer {
        id: r.get(0)?,
        organization_id: r.get(1)?,
        name: r.get(2)?,
        status_id: r.get(3)?,
        source_id: r.get(4)?,
        industry_id: r.get(5)?,
        channel_id: r.get(6)?,
        segment_id: r.get(7)?,
        last_visit: r.get(8)?,
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
        version: r.get(11)?,
    })
}

/// Turns rows selected with `CUSTOMER_COLUMNS` into what the screen shows.
struct Views {
    labels: Labels,
    role: Role,
}

impl Views {
    fn new(conn: &Connection, locale: &LanguageTag) -> Result<(Self, Session)> {
        let session = require_session(conn)?;
        let labels = Labels::new(conn, locale, Some(&session.organization_id))?;
        Ok((
            Views {
                labels,
                role: session.role,
            },
            session,
        ))
    }

    fn read(&self, r: &Row<'_>) -> Result<CustomerView> {
        let customer = read_customer(r)?;
        Ok(CustomerView {
            segment: segment_label(&self.labels, customer.segment_id.clone(), r)?,
            segment_editable: rules::segment_editable(self.role, &customer),
            customer,
        })
    }
}

fn segment_label(
    labels: &Labels,
    segment_id: Option<String>,
    r: &Row<'_>,
) -> Result<Option<SegmentLabel>> {
    let Some(id) = segment_id else {
        return Ok(None);
    };
    let name: Option<String> = r.get("segment_name")?;
    Ok(Some(SegmentLabel {
        id,
        label: name.map(|json| labels.resolve_json(&json)).transpose()?,
        deleted: r
            .get::<_, Option<bool>>("segment_deleted")?
            .unwrap_or(false),
    }))
}

fn load_customer(conn: &Connection, id: &str) -> Result<Option<(Customer, bool)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CUSTOMER_COLUMNS}, c.deleted FROM customers c LEFT JOIN segments s ON s.id = c.segment_id WHERE c.id = ?1"
    ))?;
    Ok(query_all(&mut stmt, [id], |r| {
        Ok((read_customer(r)?, r.get::<_, bool>("deleted")?))
    })?
    .pop())
}

fn write_row(conn: &Connection, c: &Customer, deleted: bool) -> Result<()> {
    CustomerWriter::new(conn)?.write(c, deleted)
}

/// Writes customer rows with its statements prepared once: a pull page
/// writes hundreds, and looking a statement up costs as much as running it.
pub(crate) struct CustomerWriter<'c> {
    conn: &'c Connection,
    insert_new: CachedStatement<'c>,
    stored_version: CachedStatement<'c>,
    upsert: CachedStatement<'c>,
    journal: journal::CustomerNotes<'c>,
}

const CUSTOMER_ROW: &str =
    "(id, organization_id, name, name_key, status_id, source_id, industry_id, channel_id,
     segment_id, last_visit, created_at, updated_at, server_version, deleted)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

impl<'c> CustomerWriter<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Result<Self> {
        Ok(CustomerWriter {
            conn,
            insert_new: conn.prepare_cached(&format!(
                "INSERT INTO customers {CUSTOMER_ROW} ON CONFLICT (id) DO NOTHING"
            ))?,
            stored_version: conn
                .prepare_cached("SELECT server_version FROM customers WHERE id = ?1")?,
            upsert: conn.prepare_cached(&format!(
                "INSERT INTO customers {CUSTOMER_ROW}
                 ON CONFLICT (id) DO UPDATE SET
                    organization_id = excluded.organization_id, name = excluded.name, name_key = excluded.name_key,
                    status_id = excluded.status_id, source_id = excluded.source_id, industry_id = excluded.industry_id,
                    channel_id = excluded.channel_id, segment_id = excluded.segment_id, last_visit = excluded.last_visit,
                    created_at = excluded.created_at, updated_at = excluded.updated_at,
                    server_version = excluded.server_version, deleted = excluded.deleted"
            ))?,
            journal: journal::CustomerNotes::new(conn)?,
        })
    }

    /// Writes a customer row as it is (a local create or edit).
    fn write(&mut self, c: &Customer, deleted: bool) -> Result<()> {
        Self::execute(&mut self.upsert, c, deleted)?;
        self.journal.changed(&c.id)
    }

    /// Writes `c` with `statement` (one of the two inserts); answers the
    /// rows written.
    fn execute(statement: &mut CachedStatement<'_>, c: &Customer, deleted: bool) -> Result<usize> {
        Ok(statement.execute(params![
            c.id,
            c.organization_id,
            c.name,
            fold_for_search(&c.name),
            c.status_id,
            c.source_id,
            c.industry_id,
            c.channel_id,
            c.segment_id,
            c.last_visit,
            c.created_at,
            c.updated_at,
            c.version,
            deleted
        ])?)
    }

    /// Writes the server's state of a customer, keeping the fields that
    /// have local changes still waiting for upload. Unless `force`d (the
    /// server's answer to our own upload), a version not newer than the
    /// stored one is skipped. Returns whether it wrote.
    pub(crate) fn merge(&mut self, remote: RemoteCustomer, force: bool) -> Result<bool> {
        remote.validate()?;
        let deleted = remote.deleted;
        let mut incoming = remote.into_customer();
        // The hot path of a first sync: a customer new to the device is
        // inserted by one statement, which also tells whether it was new.
        if Self::execute(&mut self.insert_new, &incoming, deleted)? == 1 {
            self.journal.changed(&incoming.id)?;
            return Ok(true);
        }
        let stored_version: Option<i64> = self
            .stored_version
            .query_row([&incoming.id], |r| r.get(0))?;
        if !force && stored_version.is_some_and(|v| incoming.version.is_some_and(|i| v >= i)) {
            return Ok(false);
        }
        let pending = outbox::pending_fields(self.conn, &incoming.id)?;
        if !pending.is_empty()
            && let Some((local, _)) = load_customer(self.conn, &incoming.id)?
        {
            for field in CustomerField::ALL
                .into_iter()
                .filter(|f| pending.contains(f.code()))
            {
                incoming.copy_field(&local, field);
            }
        }
        incoming.version = incoming.version.max(stored_version);
        Self::execute(&mut self.upsert, &incoming, deleted)?;
        self.journal.changed(&incoming.id)?;
        Ok(true)
    }
}

/// Checks the catalogue references among `fields` of `c`.
fn check_references(
    refs: &mut References<'_>,
    c: &Customer,
    fields: &[CustomerField],
) -> Result<()> {
    if fields.contains(&CustomerField::SegmentId)
        && let Some(id) = &c.segment_id
    {
        refs.check_segment(id, &c.organization_id)?;
    }
    for kind in PicklistKind::ALL {
        if fields.contains(&CustomerField::for_picklist(kind))
            && let Some(id) = c.classification(kind)
        {
            refs.check_picklist(kind, id, &c.organization_id)?;
        }
    }
    Ok(())
}

/// Creates a customer in the session's organization and queues its upload.
pub(crate) fn create_customer(
    conn: &Connection,
    session: &Session,
    refs: &mut References<'_>,
    draft: CustomerDraft,
    now: DateTime<Utc>,
) -> Result<Customer> {
    let customer = draft.into_customer(
        uuid::Uuid::new_v4().to_string(),
        session.organization_id.clone(),
        now,
    )?;
    check_references(refs, &customer, &CustomerField::ALL)?;
    write_row(conn, &customer, false)?;
    let set: Vec<_> = CustomerField::ALL
        .into_iter()
        .filter(|f| !customer.field_value(*f).is_null())
        .collect();
    outbox::append(
        conn,
        &NewEntry {
            entity: EntityKind::Customer,
            entity_id: &customer.id,
            operation: MutationOperation::Create,
            changes: customer.changes(&set),
            previous: Default::default(),
            base_version: None,
            created_at: now,
        },
    )?;
    Ok(customer)
}

/// Updates a customer under the segment rule and queues the changed fields.
pub(crate) fn update_customer(
    conn: &Connection,
    session: &Session,
    id: &str,
    update: &CustomerUpdate,
    now: DateTime<Utc>,
) -> Result<Customer> {
    let current = match load_customer(conn, id)? {
        Some((c, false)) => c,
        _ => {
            return Err(Error::NotFound {
                entity: Entity::Customer,
                id: id.to_owned(),
            });
        }
    };
    let (next, changed) = update.apply_to(&current, now)?;
    if changed.contains(&CustomerField::SegmentId) {
        rules::check_segment_change(session.role, &current, next.segment_id.as_deref())?;
    }
    check_references(&mut References::new(conn), &next, &changed)?;
    if changed.is_empty() {
        return Ok(current);
    }
    write_row(conn, &next, false)?;
    outbox::append(
        conn,
        &NewEntry {
            entity: EntityKind::Customer,
            entity_id: id,
            operation: MutationOperation::Update,
            changes: next.changes(&changed),
            previous: current.changes(&changed),
            base_version: current.version,
            created_at: now,
        },
    )?;
    Ok(next)
}

/// Applies customers from the server. A change not newer than the stored
/// version is skipped (re-applying a batch changes nothing). Fields with
/// local changes still in the outbox keep their local value.
pub fn apply_customer_changes(
    conn: &Connection,
    changes: &[Change<RemoteCustomer>],
) -> Result<usize> {
    let mut applied = 0;
    let mut writer = CustomerWriter::new(conn)?;
    for change in changes {
        match change {
            Change::Upsert(remote) => {
                if writer.merge(remote.clone(), false)? {
                    applied += 1;
                }
            }
            Change::Delete { id, version } => {
                let deleted = conn
                    .prepare_cached(
                        "UPDATE customers SET deleted = 1, server_version = ?2
                         WHERE id = ?1 AND (server_version IS NULL OR server_version < ?2)",
                    )?
                    .execute(params![id, version])?;
                if deleted > 0 {
                    journal::customer_changed(conn, id)?;
                }
                applied += deleted;
            }
        }
    }
    Ok(applied)
}

/// [`CustomerWriter::merge`] of one customer.
pub(crate) fn merge_remote(
    conn: &Connection,
    remote: &RemoteCustomer,
    force: bool,
) -> Result<bool> {
    CustomerWriter::new(conn)?.merge(remote.clone(), force)
}

/// Sets fields of a customer to values the server reported (a conflict's
/// server values, or the values before a refused change), except fields
/// with other local changes waiting. The version stays: the next pull
/// brings the server's full state.
pub(crate) fn restore_fields(
    conn: &Connection,
    id: &str,
    values: &serde_json::Map<String, serde_json::Value>,
) -> Result<()> {
    let Some((current, deleted)) = load_customer(conn, id)? else {
        return Ok(());
    };
    let pending = outbox::pending_fields(conn, id)?;
    let kept: serde_json::Map<_, _> = values
        .iter()
        .filter(|(field, _)| !pending.contains(*field))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let (next, _) = CustomerUpdate::from_changes(&kept)?.apply_to(&current, current.updated_at)?;
    write_row(conn, &next, deleted)
}

/// The server has accepted an upload for this customer: from now on it is
/// an existing customer. Only a new customer takes the answer's version: an
/// existing one keeps the version it last pulled, because the server's new
/// version may also hold other devices' changes that only a pull brings.
pub(crate) fn mark_accepted(conn: &Connection, id: &str, version: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE customers SET server_version = ?2 WHERE id = ?1 AND server_version IS NULL",
    )?
    .execute(params![id, version])?;
    Ok(())
}

/// The server has no such customer (its creation was refused): it leaves
/// the device's lists. Its data stays in the set-aside outbox entry.
pub(crate) fn remove_unaccepted(conn: &Connection, id: &str) -> Result<()> {
    conn.prepare_cached(
        "UPDATE customers SET deleted = 1 WHERE id = ?1 AND server_version IS NULL",
    )?
    .execute([id])?;
    journal::customer_changed(conn, id)
}

impl Store {
    /// Creates a customer in the session's organization. Any role may set a
    /// segment; it must exist, not be deleted and be in scope.
    pub fn create_customer(&self, draft: CustomerDraft) -> Result<Customer> {
        let now = self.clock().now();
        self.edit_customers(|tx| {
            let session = require_session(tx)?;
            let customer = create_customer(tx, &session, &mut References::new(tx), draft, now)?;
            let changed = vec![customer.id.clone()];
            Ok((customer, changed))
        })
    }

    /// Creates many customers in one transaction: all or none. A validation
    /// error names the draft, e.g. `[41].name`.
    pub fn create_customers(&self, drafts: Vec<CustomerDraft>) -> Result<Vec<Customer>> {
        let now = self.clock().now();
        self.edit_customers(|tx| {
            let session = require_session(tx)?;
            let mut refs = References::new(tx);
            let created = drafts
                .into_iter()
                .enumerate()
                .map(|(i, draft)| {
                    create_customer(tx, &session, &mut refs, draft, now)
                        .map_err(|e| e.within(&format!("[{i}]")))
                })
                .collect::<Result<Vec<_>>>()?;
            let changed = created.iter().map(|c| c.id.clone()).collect();
            Ok((created, changed))
        })
    }

    /// Updates a customer. On a customer the server has accepted, a
    /// technician who changes the segment gets `SegmentReadOnly` and nothing
    /// is written. Unchanged values are not changes.
    pub fn update_customer(&self, id: &str, update: &CustomerUpdate) -> Result<Customer> {
        let now = self.clock().now();
        self.edit_customers(|tx| {
            let customer = update_customer(tx, &require_session(tx)?, id, update, now)?;
            Ok((customer, vec![id.to_owned()]))
        })
    }

    /// Applies a batch of customers from the server in one transaction.
    pub fn apply_customer_changes(&self, changes: &[Change<RemoteCustomer>]) -> Result<usize> {
        self.write(|tx| apply_customer_changes(tx, changes))
    }

    /// One customer as the screen shows it, `None` if unknown or deleted.
    pub fn customer(&self, id: &str, locale: &LanguageTag) -> Result<Option<CustomerView>> {
        self.read(|conn| {
            let (views, _) = Views::new(conn, locale)?;
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {CUSTOMER_COLUMNS} FROM customers c LEFT JOIN segments s ON s.id = c.segment_id
                 WHERE c.id = ?1 AND c.deleted = 0"
            ))?;
            Ok(query_all(&mut stmt, [id], |r| views.read(r))?.pop())
        })
    }

    /// A page of customers, sorted by name.
    pub fn customers(&self, query: &CustomerQuery, locale: &LanguageTag) -> Result<CustomerPage> {
        query.validate()?;
        let mut filter = String::from("c.deleted = 0");
        let mut args: Vec<SqlValue> = Vec::new();
        if let Some(search) = query.search_text() {
            filter.push_str(" AND instr(c.name_key, ?) > 0");
            args.push(SqlValue::Text(fold_for_search(search)));
        }
        match &query.segment {
            SegmentFilter::Any => {}
            SegmentFilter::Without => filter.push_str(" AND c.segment_id IS NULL"),
            SegmentFilter::Is(id) => {
                filter.push_str(" AND c.segment_id = ?");
                args.push(SqlValue::Text(id.clone()));
            }
        }
        self.read(|conn| {
            let (views, _) = Views::new(conn, locale)?;
            let total: i64 = conn.query_row(
                &format!("SELECT count(*) FROM customers c WHERE {filter}"),
                params_from_iter(&args),
                |r| r.get(0),
            )?;
            let mut page_args = args.clone();
            page_args.push(SqlValue::Integer(query.limit.into()));
            page_args.push(SqlValue::Integer(query.offset.into()));
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {CUSTOMER_COLUMNS} FROM customers c LEFT JOIN segments s ON s.id = c.segment_id
                 WHERE {filter} ORDER BY c.name_key, c.id LIMIT ? OFFSET ?"
            ))?;
            let customers = query_all(&mut stmt, params_from_iter(&page_args), |r| views.read(r))?;
            Ok(CustomerPage {
                customers,
                total: total as u64,
            })
        })
    }

    /// How many customers carry each segment (and how many none), for
    /// reporting. Largest groups first.
    pub fn segment_counts(&self, locale: &LanguageTag) -> Result<Vec<SegmentCount>> {
        self.read(|conn| {
            let labels = Labels::for_session(conn, locale)?;
            let mut stmt = conn.prepare_cached(
                "SELECT c.segment_id, s.name AS segment_name, s.deleted AS segment_deleted, count(*)
                 FROM customers c LEFT JOIN segments s ON s.id = c.segment_id
                 WHERE c.deleted = 0 GROUP BY c.segment_id",
            )?;
            let mut counts = query_all(&mut stmt, [], |r| {
                Ok(SegmentCount {
                    segment: segment_label(&labels, r.get(0)?, r)?,
                    count: r.get::<_, i64>(3)? as u64,
                })
            })?;
            counts.sort_by_cached_key(|c| {
                let label = c
                    .segment
                    .as_ref()
                    .and_then(|s| s.label.as_ref())
                    .map(|l| l.to_lowercase());
                (
                    std::cmp::Reverse(c.count),
                    label,
                    c.segment.as_ref().map(|s| s.id.clone()),
                )
            });
            Ok(counts)
        })
    }

    /// Customers due for a visit on `on`: last visit plus their segment's
    /// visit frequency falls on or before `on`, or they were never visited
    /// and their segment has a frequency. Never-visited first, then by due
    /// date. Segments deleted in the Portal no longer schedule visits.
    pub fn due_visits(&self, on: NaiveDate, locale: &LanguageTag) -> Result<Vec<DueVisit>> {
        self.read(|conn| {
            let (views, _) = Views::new(conn, locale)?;
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {CUSTOMER_COLUMNS}, s.visit_frequency,
                        fs_next_visit(c.last_visit, s.visit_frequency) AS due_on
                 FROM customers c JOIN segments s ON s.id = c.segment_id
                 WHERE c.deleted = 0 AND s.deleted = 0 AND s.visit_frequency <> 'none'
                   AND (c.last_visit IS NULL OR fs_next_visit(c.last_visit, s.visit_frequency) <= ?1)
                 ORDER BY due_on IS NOT NULL, due_on, c.name_key, c.id"
            ))?;
            query_all(&mut stmt, [on], |r| {
                Ok(DueVisit {
                    customer: views.read(r)?,
                    visit_frequency: VisitFrequency::from_code(&r.get::<_, String>("visit_frequency")?)?,
                    due_on: r.get("due_on")?,
                })
            })
        })
    }
}
