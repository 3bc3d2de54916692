//! Reference checks for customer writes, against the local catalogue, with a
//! cache so a batch of 100,000 customers looks each entry up once.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension};

use crate::error::Result;
use crate::model::{OrgScope, PicklistKind};
use crate::rules::{CatalogueEntryState, check_reference};

pub(crate) struct References<'c> {
    conn: &'c Connection,
    segments: HashMap<String, Option<CatalogueEntryState>>,
    picklists: HashMap<String, Option<(PicklistKind, CatalogueEntryState)>>,
}

impl<'c> References<'c> {
    pub fn new(conn: &'c Connection) -> Self {
        References {
            conn,
            segments: HashMap::new(),
            picklists: HashMap::new(),
        }
    }

    pub fn check_segment(&mut self, id: &str, organization_id: &str) -> Result<()> {
        if !self.segments.contains_key(id) {
            let state = self
                .conn
                .prepare_cached("SELECT organization_id, deleted FROM segments WHERE id = ?1")?
                .query_row([id], |r| {
                    Ok(CatalogueEntryState {
                        scope: OrgScope::from_organization_id(r.get(0)?),
                        deleted: r.get(1)?,
                    })
                })
                .optional()?;
            self.segments.insert(id.to_owned(), state);
        }
        check_reference(
            "segment_id",
            id,
            self.segments[id].as_ref(),
            organization_id,
        )
    }

    /// A value of another list counts as unknown for this one.
    pub fn check_picklist(
        &mut self,
        kind: PicklistKind,
        id: &str,
        organization_id: &str,
    ) -> Result<()> {
        if !self.picklists.contains_key(id) {
            let state = self
                .conn
                .prepare_cached(
                    "SELECT kind, organization_id, deleted FROM picklist_values WHERE id = ?1",
                )?
                .query_row([id], |r| {
                    let kind: String = r.get(0)?;
                    Ok((
                        kind,
                        CatalogueEntryState {
                            scope: OrgScope::from_organization_id(r.get(1)?),
                            deleted: r.get(2)?,
                        },
                    ))
                })
                .optional()?
                .and_then(|(k, state)| PicklistKind::from_code(&k).ok().map(|k| (k, state)));
            self.picklists.insert(id.to_owned(), state);
        }
        let entry = self.picklists[id]
            .as_ref()
            .filter(|(k, _)| *k == kind)
            .map(|(_, s)| s);
        check_reference(kind.customer_field(), id, entry, organization_id)
    }
}
