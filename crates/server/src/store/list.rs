//! The licensing lists (`GET /agents`): which agents a query's kind, filters and
//! search admit, how many there are, and one page of them in the query's order.
//!
//! Every condition is the same SQL on both backends but the search's (store/search.rs).
//! Each order ends in `id`, so that a page never repeats or skips an agent whose sort
//! key ties with another's; a descending order reverses every term, so it is the
//! ascending one read backwards, through the same index (migration 0012).

use alc_domain::{
    Agent, AgentId, AgentKind, AgentPage, AgentQuery, LicenseType, SortKey, SortOrder,
};

use super::{AGENT_COLUMNS, Backend, Sql, Store, StoreError, load_licenses, no_queue, search};

impl Store {
    pub async fn list_agents(&self, query: &AgentQuery) -> Result<AgentPage, StoreError> {
        // One connection for every read: under WAL it sees one snapshot per statement,
        // which is enough for a list a person pages through.
        let mut conn = self.read.acquire().await?;
        let search = self.search_of(&mut conn, query).await?;
        let filter = |qb: &mut Sql| {
            conditions(qb, query);
            if let Some(search) = &search {
                search.push(qb);
            }
        };
        // PostgreSQL plans a search for its own pattern (an unnamed statement): a plan
        // cached for one query would serve another that matches ten or all agents.
        let persistent = search.is_none() || self.backend() == Backend::Sqlite;
        let mut count = Sql::new("SELECT COUNT(*) FROM agents");
        filter(&mut count);
        let total: i64 = count
            .query_scalar()?
            .persistent(persistent)
            .fetch_one(&mut *conn)
            .await?;

        let mut rows = Sql::new(AGENT_COLUMNS);
        filter(&mut rows);
        rows.push(&order_by(query.sort(), query.order()))
            .push(" LIMIT ")
            .bind(i64::from(query.per_page()))
            .push(" OFFSET ")
            .bind(query.offset() as i64);
        let rows = rows
            .query()?
            .persistent(persistent)
            .fetch_all(&mut *conn)
            .await?;
        let agents = with_licenses(&mut conn, &rows).await?;
        Ok(AgentPage {
            agents,
            total: total as u64,
            page: query.page(),
            per_page: query.per_page(),
        })
    }
}

impl Store {
    /// Every agent `query` admits, in its order (its page and page size ignored), up to
    /// `limit`: the selection of a bulk change. `None` when more than `limit` match.
    pub async fn select_agents(
        &self,
        query: &AgentQuery,
        limit: usize,
    ) -> Result<Option<Vec<Agent>>, StoreError> {
        let mut conn = self.read.acquire().await?;
        let (mut rows, persistent) = self.admitted(&mut conn, query, AGENT_COLUMNS).await?;
        rows.push(" LIMIT ").bind(limit as i64 + 1);
        let rows = rows
            .query()?
            .persistent(persistent)
            .fetch_all(&mut *conn)
            .await?;
        if rows.len() > limit {
            return Ok(None);
        }
        let agents = with_licenses(&mut conn, &rows).await?;
        Ok(Some(agents))
    }
}

impl Store {
    /// Every agent `query` admits, in its order (no page, no limit), sent to `out` a
    /// few hundred at a time as they are read: a CSV export. One read transaction, so
    /// the file is one moment of the roster (PostgreSQL: repeatable read). Stops early,
    /// without error, when `out` is closed (the client went away).
    pub async fn export_agents(
        &self,
        query: &AgentQuery,
        out: tokio::sync::mpsc::Sender<Result<Vec<Agent>, StoreError>>,
    ) {
        let result = async {
            use sqlx::Connection;
            let mut conn = self.read.acquire().await?;
            let mut tx = conn.begin().await?;
            if self.backend() == Backend::Postgres {
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(&mut *tx)
                    .await?;
            }
            let (mut ids, persistent) = self
                .admitted(&mut tx, query, "SELECT id FROM agents")
                .await?;
            let ids: Vec<AgentId> = ids
                .query_scalar()?
                .persistent(persistent)
                .fetch_all(&mut *tx)
                .await?;
            for chunk in ids.chunks(super::IN_CHUNK) {
                let agents = super::load_agents(&mut tx, chunk).await?;
                if out.send(Ok(agents)).await.is_err() {
                    return Ok(());
                }
            }
            tx.commit().await?;
            Ok::<(), StoreError>(())
        }
        .await;
        if let Err(e) = result {
            let _ = out.send(Err(e)).await;
        }
    }

    /// `head` (a `SELECT … FROM agents`) for every agent `query` admits, in its order,
    /// and whether the statement may be a cached one (not a PostgreSQL search).
    async fn admitted(
        &self,
        conn: &mut sqlx::AnyConnection,
        query: &AgentQuery,
        head: &str,
    ) -> Result<(Sql, bool), StoreError> {
        let search = self.search_of(conn, query).await?;
        let mut sql = Sql::new(head);
        conditions(&mut sql, query);
        if let Some(search) = &search {
            search.push(&mut sql);
        }
        sql.push(&order_by(query.sort(), query.order()));
        Ok((sql, search.is_none() || self.backend() == Backend::Sqlite))
    }

    /// The condition of `query`'s search, if it has one.
    async fn search_of(
        &self,
        conn: &mut sqlx::AnyConnection,
        query: &AgentQuery,
    ) -> Result<Option<search::Filter>, StoreError> {
        Ok(match query.search() {
            Some(q) => Some(search::Filter::new(conn, self.backend(), &q).await?),
            None => None,
        })
    }
}

/// The agents of `rows` (read with `AGENT_COLUMNS`), each with its licenses.
async fn with_licenses(
    conn: &mut sqlx::AnyConnection,
    rows: &[sqlx::any::AnyRow],
) -> Result<Vec<Agent>, StoreError> {
    let mut agents = rows
        .iter()
        .map(super::agent_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let ids: Vec<AgentId> = agents.iter().map(|a| a.id).collect();
    let licenses = load_licenses(conn, &ids).await?;
    for a in &mut agents {
        a.licenses = licenses.get(&a.id).copied().unwrap_or_default();
    }
    Ok(agents)
}

/// ` WHERE …` for the query's kind and filters (the search is added after).
fn conditions(qb: &mut Sql, query: &AgentQuery) {
    qb.push(match query.kind {
        None => " WHERE TRUE",
        Some(AgentKind::Phone) => " WHERE source <> 'webrtc'",
        Some(AgentKind::Webrtc) => " WHERE source = 'webrtc'",
    });
    let holding = |qb: &mut Sql, t: LicenseType, held: bool| {
        qb.push(if held { " AND id IN" } else { " AND id NOT IN" })
            .push(" (SELECT agent_id FROM agent_licenses WHERE license = ")
            .bind(t.key())
            .push(")");
    };
    for t in query.holds.0.iter() {
        holding(qb, t, true);
    }
    for t in query.lacks.0.iter() {
        holding(qb, t, false);
    }
    if query.unlicensed {
        qb.push(" AND id NOT IN (SELECT agent_id FROM agent_licenses)");
    }
    if let Some(source) = query.source {
        qb.push(" AND source = ").bind(source.key());
    }
    if query.held {
        qb.push(" AND gone_since IS NOT NULL");
    }
    if query.no_queue {
        qb.push(concat!(" AND ", no_queue!()));
    }
}

/// ` ORDER BY …` for a sort key and direction, ending in `id`.
fn order_by(key: SortKey, order: SortOrder) -> String {
    let terms: &[&str] = match key {
        SortKey::Name => &["lower(name)"],
        SortKey::Extension => &["length(extension)", "extension"],
        SortKey::Email => &["lower(email)"],
        SortKey::Source => &["source", "lower(name)"],
    };
    let dir = match order {
        SortOrder::Asc => "",
        SortOrder::Desc => " DESC",
    };
    let mut sql = String::from(" ORDER BY ");
    for term in terms.iter().chain(&["id"]) {
        sql.push_str(term);
        sql.push_str(dir);
        sql.push_str(", ");
    }
    sql.truncate(sql.len() - 2);
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_order_ends_in_id_and_reverses_whole() {
        assert_eq!(
            order_by(SortKey::Name, SortOrder::Asc),
            " ORDER BY lower(name), id"
        );
        assert_eq!(
            order_by(SortKey::Source, SortOrder::Desc),
            " ORDER BY source DESC, lower(name) DESC, id DESC"
        );
    }
}
