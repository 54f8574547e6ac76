//! The extension plan: the account's three ranges (UC users, UC groups, WebRTC
//! agents) and the next free extension of the WebRTC range.

use std::collections::HashSet;

use sqlx::{AnyConnection, Row};

use alc_domain::access::AuditKind;
use alc_domain::api::ExtensionSuggestion;
use alc_domain::{ExtensionRange, ExtensionRanges};

use super::access::Actor;
use super::agents::refuse;
use super::audit::{self, Entry};
use super::{Store, StoreError};

pub(super) fn range_from(
    row: &sqlx::any::AnyRow,
    prefix: &str,
) -> Result<ExtensionRange, sqlx::Error> {
    let get = |col: &str| -> Result<u32, sqlx::Error> {
        Ok(row
            .try_get::<i64, _>(format!("{prefix}_{col}").as_str())?
            .clamp(0, i64::from(u32::MAX)) as u32)
    };
    Ok(ExtensionRange {
        first: get("first")?,
        last: get("last")?,
    })
}

/// Extensions in use (agents and UC groups) within `range`.
pub(super) async fn taken_in(
    conn: &mut AnyConnection,
    range: ExtensionRange,
) -> Result<HashSet<u32>, StoreError> {
    let (lo, hi) = (range.first.to_string(), range.last.to_string());
    // With equal digit counts, text order is number order, and the indexes answer.
    let rows: Vec<String> = if lo.len() == hi.len() {
        sqlx::query_scalar(
            "SELECT extension FROM agents WHERE extension BETWEEN $1 AND $2
             UNION ALL SELECT extension FROM uc_groups WHERE extension BETWEEN $3 AND $4",
        )
        .bind(&lo)
        .bind(&hi)
        .bind(&lo)
        .bind(&hi)
        .fetch_all(&mut *conn)
        .await?
    } else {
        sqlx::query_scalar("SELECT extension FROM agents UNION ALL SELECT extension FROM uc_groups")
            .fetch_all(&mut *conn)
            .await?
    };
    Ok(rows
        .iter()
        .filter(|e| range.contains(e))
        .filter_map(|e| e.parse().ok())
        .collect())
}

pub(super) async fn read_ranges(conn: &mut AnyConnection) -> Result<ExtensionRanges, StoreError> {
    let row = sqlx::query(
        "SELECT uc_users_first, uc_users_last, uc_groups_first, uc_groups_last, webrtc_first, webrtc_last
         FROM account WHERE id = 1",
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some(row) => ExtensionRanges {
            uc_users: range_from(&row, "uc_users")?,
            uc_groups: range_from(&row, "uc_groups")?,
            webrtc: range_from(&row, "webrtc")?,
        },
        None => ExtensionRanges::default(),
    })
}

impl Store {
    pub async fn extension_ranges(&self) -> Result<ExtensionRanges, StoreError> {
        let mut conn = self.read.acquire().await?;
        read_ranges(&mut conn).await
    }

    pub async fn set_extension_ranges(
        &self,
        actor: &Actor,
        ranges: &ExtensionRanges,
    ) -> Result<ExtensionRanges, StoreError> {
        let problems = ranges.validate();
        if !problems.is_empty() {
            return Err(refuse(problems));
        }
        let mut tx = self.begin_write().await?;
        let before = read_ranges(&mut tx).await?;
        sqlx::query(
            "UPDATE account SET uc_users_first = $1, uc_users_last = $2, uc_groups_first = $3,
                uc_groups_last = $4, webrtc_first = $5, webrtc_last = $6 WHERE id = 1",
        )
        .bind(i64::from(ranges.uc_users.first))
        .bind(i64::from(ranges.uc_users.last))
        .bind(i64::from(ranges.uc_groups.first))
        .bind(i64::from(ranges.uc_groups.last))
        .bind(i64::from(ranges.webrtc.first))
        .bind(i64::from(ranges.webrtc.last))
        .execute(&mut *tx)
        .await?;
        let saved = read_ranges(&mut tx).await?;
        audit::record(
            &mut tx,
            actor,
            Entry {
                kind: AuditKind::Settings,
                agent_id: None,
                subject: "Extension ranges",
                before: serde_json::to_value(before).ok(),
                after: serde_json::to_value(saved).ok(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// The lowest free extension of the WebRTC range: one indexed range read, then a
    /// walk over at most the range's size.
    pub async fn next_extension(&self) -> Result<ExtensionSuggestion, StoreError> {
        let mut conn = self.read.acquire().await?;
        let range = read_ranges(&mut conn).await?.webrtc;
        let taken = taken_in(&mut conn, range).await?;
        let extension = (range.first..=range.last)
            .find(|n| !taken.contains(n))
            .map(|n| n.to_string());
        Ok(ExtensionSuggestion { extension, range })
    }
}
