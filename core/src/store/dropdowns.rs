//! The dropdowns (marketing segments, the four picklists) kept in memory per
//! locale. A technician opens them dozens of times a day; rebuilding one
//! means reading, resolving and sorting every entry.
//!
//! Freshness: triggers (migration 4) bump `dropdown_state.generation` in the
//! same transaction as any change to what a dropdown shows (segments,
//! picklist values, organizations, the session). A lookup reads the
//! generation in the snapshot it would build from, and uses a kept list only
//! if it was built at that generation. A list built from an older snapshot
//! never replaces a newer generation's lists, so a dropdown is never stale,
//! whichever connection, thread or process wrote.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

use super::catalogue::{build_picklist_options, build_segment_options};
use super::{Store, lock};
use crate::error::Result;
use crate::model::{LanguageTag, PicklistKind, PicklistOption, SegmentOption};

/// The lists kept in memory, per dropdown.
#[derive(Default)]
pub(crate) struct DropdownCache {
    segments: Mutex<Kept<LanguageTag, Vec<SegmentOption>>>,
    picklists: Mutex<Kept<(PicklistKind, LanguageTag), Vec<PicklistOption>>>,
}

/// Lists of one dropdown built at one generation, by locale.
struct Kept<K, V> {
    generation: i64,
    lists: HashMap<K, Arc<V>>,
}

impl<K, V> Default for Kept<K, V> {
    fn default() -> Self {
        Kept {
            generation: -1,
            lists: HashMap::new(),
        }
    }
}

/// Locales an app shows at once are few; a bound keeps a misbehaving caller
/// from growing the cache without end.
const MAX_LISTS: usize = 16;

fn generation(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT generation FROM dropdown_state WHERE id = 1")?
        .query_row([], |r| r.get(0))?)
}

impl<K: Eq + Hash, V> Kept<K, V> {
    fn get(&self, generation: i64, key: &K) -> Option<Arc<V>> {
        (self.generation == generation)
            .then(|| self.lists.get(key).cloned())
            .flatten()
    }

    fn put(&mut self, generation: i64, key: K, list: Arc<V>) {
        if generation > self.generation {
            self.generation = generation;
            self.lists.clear();
        }
        if generation == self.generation && self.lists.len() < MAX_LISTS {
            self.lists.insert(key, list);
        }
    }
}

impl Store {
    /// The kept list for `key`, or one `build` makes in the same snapshot
    /// (then kept).
    fn kept<K: Eq + Hash, V>(
        &self,
        kept: &Mutex<Kept<K, V>>,
        key: K,
        build: impl FnOnce(&Connection) -> Result<V>,
    ) -> Result<Arc<V>> {
        self.read(|conn| {
            let generation = generation(conn)?;
            if let Some(list) = lock(kept).get(generation, &key) {
                return Ok(list);
            }
            let list = Arc::new(build(conn)?);
            lock(kept).put(generation, key, list.clone());
            Ok(list)
        })
    }

    /// The segment dropdown for the session's organization: segments not
    /// deleted, scoped ALL or to that organization, labelled in `locale`,
    /// sorted by label case-insensitively. Kept in memory until the
    /// catalogue or the session changes.
    pub fn segment_options(&self, locale: &LanguageTag) -> Result<Vec<SegmentOption>> {
        let list = self.kept(&self.dropdowns.segments, locale.clone(), |conn| {
            build_segment_options(conn, locale)
        })?;
        Ok(list.as_ref().clone())
    }

    /// A classification dropdown (status, source, industry or channel) for
    /// the session's organization, in the Portal's sort order, then by
    /// label. Kept in memory like [`Store::segment_options`].
    pub fn picklist_options(
        &self,
        kind: PicklistKind,
        locale: &LanguageTag,
    ) -> Result<Vec<PicklistOption>> {
        let list = self.kept(&self.dropdowns.picklists, (kind, locale.clone()), |conn| {
            build_picklist_options(conn, kind, locale)
        })?;
        Ok(list.as_ref().clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_from_an_older_snapshot_never_replaces_newer_ones() {
        let mut kept: Kept<&str, u32> = Kept::default();
        kept.put(5, "en", Arc::new(1));
        assert_eq!(kept.get(5, &"en").as_deref(), Some(&1));
        assert_eq!(kept.get(6, &"en"), None, "a newer generation misses");
        // A reader still on generation 4 built its list late: not kept.
        kept.put(4, "nl", Arc::new(2));
        assert_eq!(kept.get(5, &"en").as_deref(), Some(&1));
        assert_eq!(kept.get(4, &"nl"), None);
        // The first list of generation 6 drops generation 5's.
        kept.put(6, "nl", Arc::new(3));
        assert_eq!(kept.get(6, &"nl").as_deref(), Some(&3));
        assert_eq!(kept.get(5, &"en"), None);
        assert_eq!(kept.get(6, &"en"), None);
    }

    #[test]
    fn the_kept_lists_are_bounded() {
        let mut kept: Kept<usize, ()> = Kept::default();
        for locale in 0..MAX_LISTS + 5 {
            kept.put(1, locale, Arc::new(()));
        }
        assert_eq!(kept.lists.len(), MAX_LISTS);
    }
}
