//! Feed cursors: opaque to clients, and self-contained so the server keeps
//! no per-device state.
//!
//! A cursor holds the last seq the device has, the organization it was
//! issued for (a different organization means the user moved: the feed
//! starts over), and, while such a restart is under way, the organization
//! the user came from (whose entities must be deleted on the device).

use crate::error::{ApiError, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub seq: i64,
    pub organization_id: String,
    pub prev_org: Option<String>,
}

const PREFIX: &str = "c1";

impl Cursor {
    /// The text form: a version prefix and the hex of the fields, so
    /// clients cannot mistake it for something to parse.
    pub fn encode(&self) -> String {
        let raw = format!(
            "{}\n{}\n{}",
            self.seq,
            self.organization_id,
            self.prev_org.as_deref().unwrap_or("")
        );
        let hex: String = raw.bytes().map(|b| format!("{b:02x}")).collect();
        format!("{PREFIX}{hex}")
    }

    pub fn decode(text: &str) -> Result<Self> {
        let bad = || ApiError::bad_request(Some("cursor"), "is not a cursor this server issued");
        let hex = text.strip_prefix(PREFIX).ok_or_else(bad)?;
        if hex.len() % 2 != 0 || !hex.is_ascii() {
            return Err(bad());
        }
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| bad())?;
        let raw = String::from_utf8(bytes).map_err(|_| bad())?;
        let mut parts = raw.split('\n');
        let (Some(seq), Some(org), Some(prev), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let seq = seq
            .parse::<i64>()
            .ok()
            .filter(|s| *s >= 0)
            .ok_or_else(bad)?;
        if org.is_empty() {
            return Err(bad());
        }
        Ok(Cursor {
            seq,
            organization_id: org.to_owned(),
            prev_org: (!prev.is_empty()).then(|| prev.to_owned()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        for c in [
            Cursor {
                seq: 0,
                organization_id: "org-north".into(),
                prev_org: None,
            },
            Cursor {
                seq: 123_456,
                organization_id: "org-south".into(),
                prev_org: Some("org-north".into()),
            },
        ] {
            assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        }
    }

    #[test]
    fn foreign_text_is_refused() {
        for bad in ["", "abc", "c1zz", "c1313", "c1310a", "c12d310a6f0a"] {
            assert!(
                matches!(Cursor::decode(bad), Err(ApiError::BadRequest { .. })),
                "{bad}"
            );
        }
    }
}
