//! `GET /sync/v1/changes`: one page of the change feed.

use axum::Json;
use axum::extract::State;
use fieldsync_core::ValidationReason;
use fieldsync_core::protocol::ChangePage;
use serde::Deserialize;

use super::cursor::Cursor;
use crate::auth::AuthUser;
use crate::error::{ApiError, QueryParams, Result};
use crate::state::AppState;
use crate::store::feed::{self, FeedQuery};

pub const DEFAULT_LIMIT: i64 = 500;
pub const MAX_LIMIT: i64 = 1000;

#[derive(Debug, Deserialize)]
pub struct PullQuery {
    pub cursor: Option<String>,
    /// Read as text so a malformed one gets this API's error shape.
    pub limit: Option<String>,
}

fn parse_limit(raw: Option<&str>) -> Result<i64> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_LIMIT);
    };
    let limit: i64 = raw.trim().parse().map_err(|_| {
        ApiError::bad_request(Some("limit"), ValidationReason::Malformed.to_string())
    })?;
    if !(1..=MAX_LIMIT).contains(&limit) {
        let reason = ValidationReason::OutOfRange {
            min: 1,
            max: MAX_LIMIT,
        };
        return Err(ApiError::bad_request(Some("limit"), reason.to_string()));
    }
    Ok(limit)
}

pub async fn changes(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    QueryParams(q): QueryParams<PullQuery>,
) -> Result<Json<ChangePage>> {
    let limit = parse_limit(q.limit.as_deref())?;
    let given = q.cursor.as_deref().map(Cursor::decode).transpose()?;
    let start = given.clone().unwrap_or_else(|| Cursor {
        seq: 0,
        organization_id: user.organization_id.clone(),
        prev_org: None,
        window: None,
    });
    // A cursor of another organization: the user moved. Start over for the
    // new one, and delete what only the old one could see; its counts were
    // of the old organization's feed.
    let (after, prev_org, window) = if start.organization_id != user.organization_id {
        (0, Some(start.organization_id.clone()), None)
    } else {
        // A previous organization equal to the current one (a garbled
        // cursor) has nothing to delete.
        let prev = start.prev_org.clone();
        (
            start.seq,
            prev.filter(|p| *p != user.organization_id),
            start.window.clone(),
        )
    };
    let query = FeedQuery {
        user_id: user.user_id.clone(),
        organization_id: user.organization_id.clone(),
        after,
        prev_org: prev_org.clone(),
        limit: limit as usize,
        window,
    };
    let page = state.db.read(move |tx| feed::page(tx, &query)).await?;
    let remaining: u64 = page.remaining.values().sum();
    let has_more = page.has_more;
    let last = page.changes.last().map_or(after, |c| c.seq);
    let next = if has_more {
        Cursor {
            seq: last,
            organization_id: user.organization_id.clone(),
            prev_org,
            window: page.window,
        }
    } else {
        // Caught up: nothing this user may see lies before the server's
        // head, so jump there and skip other organizations' changes next time.
        Cursor {
            seq: last.max(page.head),
            organization_id: user.organization_id.clone(),
            prev_org: None,
            window: None,
        }
    };
    // An unchanged device gets its own cursor back, byte for byte.
    let cursor = match (&given, q.cursor) {
        (Some(g), Some(text)) if *g == next => text,
        _ => next.encode(),
    };
    Ok(Json(ChangePage {
        changes: page.changes,
        cursor,
        has_more,
        remaining,
        remaining_by_collection: page.remaining,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_default_and_are_bounded() {
        assert_eq!(parse_limit(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(parse_limit(Some("1")).unwrap(), 1);
        assert_eq!(parse_limit(Some("1000")).unwrap(), 1000);
        for bad in ["0", "1001", "-5", "ten", ""] {
            let err = parse_limit(Some(bad)).unwrap_err();
            assert_eq!(err.field(), Some("limit"), "{bad}");
        }
    }
}
