//! The audit log: written inside the transaction of the change it records (so a change
//! that fails leaves no entry, and no change goes unrecorded), read newest first.

use sqlx::Row;

use alc_domain::AgentId;
use alc_domain::access::{AuditEntry, AuditKind, AuditPage, AuditQuery};
use alc_domain::api::AgentDetail;

use super::access::Actor;
use super::{Sql, Store, StoreError};

/// One entry, to be written with [`record`].
pub struct Entry<'a> {
    pub kind: AuditKind,
    pub agent_id: Option<AgentId>,
    pub subject: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl<'a> Entry<'a> {
    /// An agent added, edited or removed: its whole profile and licenses before and
    /// after (`None` where there is no such side).
    pub fn agent(
        kind: AuditKind,
        id: AgentId,
        name: &'a str,
        before: Option<&AgentDetail>,
        after: Option<&AgentDetail>,
    ) -> Entry<'a> {
        Entry {
            kind,
            agent_id: Some(id),
            subject: name,
            before: before.and_then(|v| serde_json::to_value(v).ok()),
            after: after.and_then(|v| serde_json::to_value(v).ok()),
        }
    }
}

impl<'a> Entry<'a> {
    /// Something that happened to a console user ("Sam Supervisor <sam@example.com>").
    pub fn user(kind: AuditKind, subject: &'a str) -> Entry<'a> {
        Entry {
            kind,
            agent_id: None,
            subject,
            before: None,
            after: None,
        }
    }
}

/// Writes `entry` on `conn`, which must be the change's own transaction.
pub async fn record(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    entry: Entry<'_>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (actor_id, actor, kind, agent_id, subject, before, after)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(actor.id)
    .bind(&actor.name)
    .bind(entry.kind.key())
    .bind(entry.agent_id)
    .bind(entry.subject)
    .bind(entry.before.map(|v| v.to_string()))
    .bind(entry.after.map(|v| v.to_string()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Entries in order, a hundred to a statement: a bulk change writes one per agent.
pub async fn record_many<'a>(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    entries: impl IntoIterator<Item = Entry<'a>>,
) -> Result<(), StoreError> {
    record_many_via(conn, actor, entries, None).await
}

/// [`record_many`], each entry noting what the change came through ("Import of …").
pub async fn record_many_via<'a>(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    entries: impl IntoIterator<Item = Entry<'a>>,
    via: Option<&str>,
) -> Result<(), StoreError> {
    let entries: Vec<Entry<'a>> = entries.into_iter().collect();
    for chunk in entries.chunks(100) {
        let mut qb = super::Sql::new(
            "INSERT INTO audit_log (actor_id, actor, kind, agent_id, subject, before, after, via) VALUES ",
        );
        for (i, e) in chunk.iter().enumerate() {
            qb.push(if i == 0 { "(" } else { ", (" })
                .bind(actor.id)
                .push(", ")
                .bind(actor.name.clone())
                .push(", ")
                .bind(e.kind.key())
                .push(", ")
                .bind(e.agent_id)
                .push(", ")
                .bind(e.subject.to_string())
                .push(", ")
                .bind(e.before.as_ref().map(|v| v.to_string()))
                .push(", ")
                .bind(e.after.as_ref().map(|v| v.to_string()))
                .push(", ")
                .bind(via.map(str::to_string))
                .push(")");
        }
        qb.query()?.execute(&mut *conn).await?;
    }
    Ok(())
}

/// `2026-11-23` as the first or last instant of that day; anything else as it is.
fn bound(value: &str, end: bool) -> String {
    let v = value.trim();
    if v.len() == 10 {
        format!(
            "{v}T{}",
            if end {
                "23:59:59.999Z"
            } else {
                "00:00:00.000Z"
            }
        )
    } else {
        v.to_string()
    }
}

impl Store {
    pub async fn audit(&self, q: &AuditQuery) -> Result<AuditPage, StoreError> {
        let actor = q
            .actor
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(super::contains_pattern);
        let filter = |qb: &mut Sql| {
            qb.push(" WHERE TRUE");
            if let Some(id) = q.agent_id {
                qb.push(" AND agent_id = ").bind(id);
            }
            if let Some(kind) = q.kind {
                qb.push(" AND kind = ").bind(kind.key());
            }
            if let Some(a) = &actor {
                qb.push(" AND lower(actor) LIKE ")
                    .bind(a.clone())
                    .push(" ESCAPE '\\'");
            }
            if let Some(from) = q.from.as_deref().filter(|f| !f.trim().is_empty()) {
                qb.push(" AND at >= ").bind(bound(from, false));
            }
            if let Some(to) = q.to.as_deref().filter(|t| !t.trim().is_empty()) {
                qb.push(" AND at <= ").bind(bound(to, true));
            }
        };
        let mut conn = self.read.acquire().await?;
        let mut count = Sql::new("SELECT COUNT(*) FROM audit_log");
        filter(&mut count);
        let total: i64 = count.query_scalar()?.fetch_one(&mut *conn).await?;
        let per_page = AuditQuery::PER_PAGE;
        let mut rows = Sql::new(
            "SELECT id, at, actor, kind, agent_id, subject, before, after, via FROM audit_log",
        );
        filter(&mut rows);
        rows.push(" ORDER BY id DESC LIMIT ")
            .bind(i64::from(per_page))
            .push(" OFFSET ")
            .bind(i64::from(q.page() - 1) * i64::from(per_page));
        let json = |v: Option<String>| v.and_then(|s| serde_json::from_str(&s).ok());
        let entries = rows
            .query()?
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| {
                let kind: String = r.try_get("kind")?;
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    kind: AuditKind::from_key(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("audit kind {kind:?}")))?,
                    agent_id: r.try_get("agent_id")?,
                    subject: r.try_get("subject")?,
                    before: json(r.try_get("before")?),
                    after: json(r.try_get("after")?),
                    via: r.try_get("via")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(AuditPage {
            entries,
            total: total as u64,
            page: q.page(),
            per_page,
        })
    }
}
