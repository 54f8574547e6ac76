//! A CSV import: the domain's plan of a file's rows against the roster as stored
//! ([`alc_domain::import::plan_import`]), as a preview, or applied in one write
//! transaction when the preview it was shown is still what the file does.

use std::collections::HashSet;

use alc_domain::access::AuditKind;
use alc_domain::api::AgentDetail;
use alc_domain::import::{ImportPlan, ImportPreview, ImportQuery, ImportRow, Roster, plan_import};
use alc_domain::{AgentId, AgentSource, AgentUpdate, LicenseSummary, Version};

use super::access::Actor;
use super::audit::{self, Entry};
use super::{AGENT_COLUMNS, Sql, Store, StoreError, load_licenses_all, load_pool};

/// Why an import was not applied; each carries the plan as it stands now.
pub enum ImportRefused {
    /// The file or the agents changed since the preview (409).
    Changed(ImportPreview),
    /// Rows are in error and the request did not leave them out (422).
    HasErrors(ImportPreview),
}

/// The plan of `rows` against the roster as `conn` reads it.
async fn plan(
    conn: &mut sqlx::AnyConnection,
    file: &str,
    rows: &[ImportRow],
) -> Result<ImportPlan, StoreError> {
    let mut all = Sql::new(AGENT_COLUMNS);
    all.push(" ORDER BY id");
    let mut agents = all
        .query()?
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(super::agent_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let licenses = load_licenses_all(conn).await?;
    for a in &mut agents {
        a.licenses = licenses.get(&a.id).copied().unwrap_or_default();
    }
    let group_extensions: HashSet<String> =
        sqlx::query_scalar("SELECT extension FROM uc_groups WHERE extension IS NOT NULL")
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
    let pool = load_pool(conn).await?;
    Ok(plan_import(
        file,
        rows,
        &Roster {
            agents: &agents,
            group_extensions: &group_extensions,
            pool,
        },
    ))
}

impl Store {
    /// What `rows` of the file `q.file` do (a dry run: nothing is written), or, with
    /// `q.apply`, does it: every row that applies, in one transaction, if the plan's
    /// fingerprint is still `q.apply` and no row is in error (or `q.leave_out_errors`).
    pub async fn import(
        &self,
        actor: &Actor,
        q: &ImportQuery,
        rows: &[ImportRow],
    ) -> Result<Result<ImportPreview, ImportRefused>, StoreError> {
        let Some(expected) = q.apply.as_deref() else {
            let mut conn = self.read.acquire().await?;
            return Ok(Ok(plan(&mut conn, &q.file, rows).await?.preview));
        };
        let mut tx = self.begin_write().await?;
        let ImportPlan {
            mut preview,
            updates,
            creates,
        } = plan(&mut tx, &q.file, rows).await?;
        if preview.fingerprint != expected {
            return Ok(Err(ImportRefused::Changed(preview)));
        }
        if preview.errors > 0 && !q.leave_out_errors {
            return Ok(Err(ImportRefused::HasErrors(preview)));
        }
        let via = format!("Import of {}", q.file);

        // New agents first: their license rows need their ids.
        let mut created = Vec::with_capacity(creates.len());
        for c in &creates {
            created.push(super::agents::insert_webrtc(&mut tx, &c.profile).await?);
        }
        let mut writes: Vec<AgentUpdate> = updates
            .iter()
            .map(|u| AgentUpdate {
                agent_id: u.agent_id,
                before: u.before,
                after: u.after,
            })
            .collect();
        writes.extend(created.iter().zip(&creates).map(|(&id, c)| AgentUpdate {
            agent_id: id,
            before: Default::default(),
            after: c.licenses,
        }));
        super::agents::write_licenses(
            &mut tx,
            &alc_domain::Plan {
                updates: writes,
                delta: Default::default(),
                pool_after: Default::default(),
            },
        )
        .await?;
        let changed: Vec<AgentId> = updates.iter().map(|u| u.agent_id).collect();
        for chunk in changed.chunks(super::IN_CHUNK) {
            let mut qb = Sql::new(
                "UPDATE agents SET version = version + 1, updated_at = CURRENT_TIMESTAMP WHERE id",
            );
            qb.push_ids(chunk);
            qb.query()?.execute(&mut *tx).await?;
        }

        // One entry per agent, each naming the import, then the import's own.
        let names: std::collections::HashMap<AgentId, &str> = preview
            .rows
            .iter()
            .filter_map(|r| r.agent_id.map(|id| (id, r.name.as_str())))
            .collect();
        let details: Vec<AgentDetail> = created
            .iter()
            .zip(&creates)
            .map(|(&id, c)| AgentDetail {
                id,
                source: AgentSource::Webrtc,
                version: Version(1),
                licenses: c.licenses,
                profile: c.profile.clone(),
            })
            .collect();
        let entries = updates
            .iter()
            .map(|u| Entry {
                kind: AuditKind::Licenses,
                agent_id: Some(u.agent_id),
                subject: names.get(&u.agent_id).copied().unwrap_or_default(),
                before: serde_json::to_value(u.before).ok(),
                after: serde_json::to_value(u.after).ok(),
            })
            .chain(details.iter().map(|d| {
                Entry::agent(
                    AuditKind::AgentCreated,
                    d.id,
                    &d.profile.name,
                    None,
                    Some(d),
                )
            }));
        audit::record_many_via(&mut tx, actor, entries, Some(&via)).await?;
        audit::record(
            &mut tx,
            actor,
            Entry {
                kind: AuditKind::Import,
                agent_id: None,
                subject: &q.file,
                before: None,
                after: Some(serde_json::json!({
                    "file": q.file,
                    "changed": preview.changed,
                    "created": preview.created,
                    "unchanged": preview.unchanged,
                    "left_out": preview.errors,
                })),
            },
        )
        .await?;
        preview.summary = LicenseSummary::from_pool(&load_pool(&mut tx).await?);
        tx.commit().await?;
        preview.applied = true;
        // The new agents' ids, for the page's links.
        let mut ids = created.into_iter();
        for r in &mut preview.rows {
            if matches!(r.status, alc_domain::import::RowStatus::Create { .. }) {
                r.agent_id = ids.next();
            }
        }
        Ok(Ok(preview))
    }
}
