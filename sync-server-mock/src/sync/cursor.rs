//! Feed cursors: opaque to clients, and self-contained so the server keeps
//! no per-device state.
//!
//! A cursor holds the last seq the device has, the organization it was
//! issued for (a different organization means the user moved: the feed
//! starts over), and, while such a restart is under way, the organization
//! the user came from (whose entities must be deleted on the device).
//!
//! Mid-pull (`has_more`) it also holds the pull's counting window (see
//! [`Window`]): the counts of what was left, so the next page's progress
//! figures cost a subtraction instead of a COUNT over the rest of the feed.
//! Those cursors are `c2`; the others stay `c1`, the format of earlier
//! servers, which is still accepted (it carries no counts, so the next page
//! computes them).

use std::collections::BTreeMap;

use fieldsync_core::sync::Collection;

use crate::error::{ApiError, Result};
use crate::store::feed::Window;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub seq: i64,
    pub organization_id: String,
    pub prev_org: Option<String>,
    /// The counts carried from page to page of one pull.
    pub window: Option<Window>,
}

/// Without counts.
const V1: &str = "c1";
/// With counts: two more fields, the window's head and its counts.
const V2: &str = "c2";

impl Cursor {
    /// The text form: a version prefix and the hex of the fields, so
    /// clients cannot mistake it for something to parse.
    pub fn encode(&self) -> String {
        let mut raw = format!(
            "{}\n{}\n{}",
            self.seq,
            self.organization_id,
            self.prev_org.as_deref().unwrap_or("")
        );
        // Without counts the old format, so idle cursors stay as they were.
        let prefix = match &self.window {
            None => V1,
            Some(w) => {
                // Zeros are left out: the decoder restores them.
                let counts: Vec<String> = w
                    .counts
                    .iter()
                    .filter(|(_, n)| **n > 0)
                    .map(|(c, n)| format!("{}={n}", c.code()))
                    .collect();
                raw.push_str(&format!("\n{}\n{}", w.head, counts.join(",")));
                V2
            }
        };
        let hex: String = raw.bytes().map(|b| format!("{b:02x}")).collect();
        format!("{prefix}{hex}")
    }

    pub fn decode(text: &str) -> Result<Self> {
        let bad = || ApiError::bad_request(Some("cursor"), "is not a cursor this server issued");
        let (hex, fields) = if let Some(hex) = text.strip_prefix(V1) {
            (hex, 3)
        } else if let Some(hex) = text.strip_prefix(V2) {
            (hex, 5)
        } else {
            return Err(bad());
        };
        if hex.len() % 2 != 0 || !hex.is_ascii() {
            return Err(bad());
        }
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| bad())?;
        let raw = String::from_utf8(bytes).map_err(|_| bad())?;
        let parts: Vec<&str> = raw.split('\n').collect();
        if parts.len() != fields {
            return Err(bad());
        }
        let seq = parse_seq(parts[0]).ok_or_else(bad)?;
        let org = parts[1];
        if org.is_empty() {
            return Err(bad());
        }
        let prev = parts[2];
        let window = match parts.get(3..) {
            Some([head, counts]) => Some(Window {
                head: parse_seq(head).ok_or_else(bad)?,
                counts: parse_counts(counts).ok_or_else(bad)?,
            }),
            _ => None,
        };
        Ok(Cursor {
            seq,
            organization_id: org.to_owned(),
            prev_org: (!prev.is_empty()).then(|| prev.to_owned()),
            window,
        })
    }
}

fn parse_seq(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().filter(|s| *s >= 0)
}

/// `code=n,...`, each known collection at most once; every known collection
/// comes out, the ones left out at zero.
fn parse_counts(text: &str) -> Option<BTreeMap<Collection, u64>> {
    let mut counts: BTreeMap<Collection, u64> =
        Collection::KNOWN.into_iter().map(|c| (c, 0)).collect();
    if text.is_empty() {
        return Some(counts);
    }
    for pair in text.split(',') {
        let (code, n) = pair.split_once('=')?;
        let collection = Collection::KNOWN.into_iter().find(|c| c.code() == code)?;
        let n: u64 = n.parse().ok()?;
        if counts.insert(collection, n) != Some(0) {
            return None;
        }
    }
    Some(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(raw: &str) -> String {
        raw.bytes().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn cursors_round_trip() {
        let zeros: BTreeMap<Collection, u64> =
            Collection::KNOWN.into_iter().map(|c| (c, 0)).collect();
        // A different count for every known collection, so a mix-up shows.
        let every: BTreeMap<Collection, u64> = Collection::KNOWN
            .into_iter()
            .zip(1..)
            .map(|(c, n)| (c, n * 1_000 + 7))
            .collect();
        let mut some = zeros.clone();
        some.insert(Collection::Customers, 100_000);
        for c in [
            Cursor {
                seq: 0,
                organization_id: "org-north".into(),
                prev_org: None,
                window: None,
            },
            Cursor {
                seq: 123_456,
                organization_id: "org-south".into(),
                prev_org: Some("org-north".into()),
                window: None,
            },
            Cursor {
                seq: 42,
                organization_id: "org-north".into(),
                prev_org: None,
                window: Some(Window {
                    head: 100_500,
                    counts: every,
                }),
            },
            Cursor {
                seq: 7,
                organization_id: "org-south".into(),
                prev_org: Some("org-north".into()),
                window: Some(Window {
                    head: 9,
                    counts: some,
                }),
            },
            Cursor {
                seq: 5,
                organization_id: "org-north".into(),
                prev_org: None,
                window: Some(Window {
                    head: 5,
                    counts: zeros,
                }),
            },
        ] {
            let text = c.encode();
            let prefix = if c.window.is_some() { "c2" } else { "c1" };
            assert!(text.starts_with(prefix), "{text}");
            assert_eq!(Cursor::decode(&text).unwrap(), c);
        }
    }

    #[test]
    fn old_cursors_decode_without_counts() {
        let c = Cursor::decode(&format!("c1{}", hex("17\norg-north\n"))).unwrap();
        assert_eq!(
            c,
            Cursor {
                seq: 17,
                organization_id: "org-north".into(),
                prev_org: None,
                window: None,
            }
        );
    }

    #[test]
    fn foreign_text_is_refused() {
        let mut bad: Vec<String> = ["", "abc", "c1zz", "c1313", "c1310a", "c12d310a6f0a", "c2"]
            .map(String::from)
            .to_vec();
        for raw in [
            // A c1 cursor's fields under c2.
            "1\norg\n",
            "1\norg\n\n-5\ncustomers=3",
            "1\norg\n\n5\nwidgets=3",
            "1\norg\n\n5\ncustomers=-3",
            "1\norg\n\n5\ncustomers=3,customers=4",
            "1\norg\n\n5\ncustomers",
            "1\norg\n\n5\ncustomers=3\n",
        ] {
            bad.push(format!("c2{}", hex(raw)));
        }
        // A c2 cursor's fields under c1.
        bad.push(format!("c1{}", hex("1\norg\n\n5\ncustomers=3")));
        for bad in bad {
            assert!(
                matches!(Cursor::decode(&bad), Err(ApiError::BadRequest { .. })),
                "{bad}"
            );
        }
    }
}
