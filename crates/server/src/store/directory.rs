//! The UC directory in the store: its connection, and applying a refresh's snapshot in
//! one transaction with its report. What a refresh changes is decided by
//! `crate::reconcile`, without SQL; here our side is read and its answer written,
//! and no-answer forwarders pointing at an extension that no longer exists fall back
//! to "None", as when an agent is removed by hand.

use std::collections::{HashMap, HashSet};

use sqlx::Row;

use alc_directory::{Connection, Snapshot};
use alc_domain::connection::DirectoryAddress;
use alc_domain::directory::RefreshReport;
use alc_domain::{AgentId, AgentSource, email_key};

use alc_domain::access::AuditKind;

use super::access::Actor;
use super::audit::{self, Entry};
use super::{Sql, Store, StoreError, load_licenses_all};
use crate::connection::address_of;
use crate::reconcile::{KnownGroup, KnownUser, Ours, group_writes, reconcile, switch_note};
use crate::secrets::{Keyring, SecretsError};

/// Which of our sources a directory connection fills.
pub fn source_of(conn: &Connection) -> AgentSource {
    match conn {
        Connection::RingCentral(_) => AgentSource::RingCentral,
        Connection::AvayaCloudOffice(_) => AgentSource::AvayaCloudOffice,
        Connection::Netsapiens(_) => AgentSource::Netsapiens,
        Connection::Metaswitch(_) => AgentSource::Metaswitch,
    }
}

/// The stored connection: sealed, or plaintext from before sealing.
const STORED_CONNECTION: &str = "SELECT settings FROM directory_connection WHERE id = 1";

/// The stored connection and the directory it was switched from, if a refresh has not
/// followed the switch yet.
const STORED_WITH_SWITCH: &str =
    "SELECT settings, switched_from FROM directory_connection WHERE id = 1";

/// What a sealed connection is bound to: it opens as nothing else.
const SEALED_CONNECTION: &str = "directory_connection";

/// What the sealed address of a switch's old directory is bound to.
const SEALED_SWITCH: &str = "directory_switched_from";

impl Store {
    /// The stored connection, credentials included: for the refresh only.
    pub async fn directory_connection(&self) -> Result<Option<Connection>, StoreError> {
        let stored: Option<String> = sqlx::query_scalar(STORED_CONNECTION)
            .fetch_optional(&self.read)
            .await?;
        stored.map(|s| self.unseal_connection(&s)).transpose()
    }

    /// A stored connection: sealed, or plaintext JSON from before sealing.
    fn unseal_connection(&self, stored: &str) -> Result<Connection, StoreError> {
        let json = if Keyring::is_sealed(stored) {
            let plain = self.keys.open(SEALED_CONNECTION, stored)?;
            String::from_utf8(plain)
                .map_err(|_| StoreError::Corrupt("directory connection: not UTF-8".into()))?
        } else {
            stored.to_string()
        };
        serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("directory connection: {e}")))
    }

    /// Seals the stored connection with the current key if it is plaintext (from
    /// before sealing) or sealed with a previous key; answers whether it did. After
    /// sealing plaintext, the file is vacuumed and the log truncated, so the old bytes
    /// are gone from the file, not just unreferenced.
    pub async fn reseal_secrets(&self) -> Result<bool, StoreError> {
        let current = self
            .keys
            .current()
            .ok_or(SecretsError::NoKey)?
            .id()
            .to_string();
        let mut tx = self.begin_write().await?;
        let stored: Option<(String, Option<String>)> = sqlx::query_as(STORED_WITH_SWITCH)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((stored, switched_from)) = stored else {
            return Ok(false);
        };
        let was_plain = !Keyring::is_sealed(&stored);
        let stale = |v: &str| Keyring::key_id(v) != Some(current.as_str());
        let switch_stale = switched_from.as_deref().is_some_and(stale);
        if !stale(&stored) && !switch_stale {
            return Ok(false);
        }
        if stale(&stored) {
            let conn = self.unseal_connection(&stored)?;
            let sealed = self.seal_connection(&conn)?;
            sqlx::query("UPDATE directory_connection SET settings = $1 WHERE id = 1")
                .bind(sealed)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(from) = switched_from.filter(|_| switch_stale) {
            let plain = self.keys.open(SEALED_SWITCH, &from)?;
            sqlx::query("UPDATE directory_connection SET switched_from = $1 WHERE id = 1")
                .bind(self.keys.seal(SEALED_SWITCH, &plain)?)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        if was_plain {
            let mut conn = self.write.acquire().await?;
            sqlx::query("VACUUM").execute(&mut *conn).await?;
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&mut *conn)
                .await?;
        }
        Ok(true)
    }

    /// Whether the stored connection is still plaintext (from before sealing).
    pub async fn has_plaintext_secrets(&self) -> Result<bool, StoreError> {
        let stored: Option<String> = sqlx::query_scalar(STORED_CONNECTION)
            .fetch_optional(&self.read)
            .await?;
        Ok(stored.is_some_and(|s| !Keyring::is_sealed(&s)))
    }

    fn seal_connection(&self, conn: &Connection) -> Result<String, StoreError> {
        let json = serde_json::to_string(conn)
            .map_err(|e| StoreError::Corrupt(format!("directory connection: {e}")))?;
        Ok(self.keys.seal(SEALED_CONNECTION, json.as_bytes())?)
    }

    /// Stores the connection. The audit entry names the system and address, never the
    /// credentials.
    ///
    /// A connection that reads another directory than the one the phone users came
    /// from ([`DirectoryAddress::same_directory`]) is remembered as a switch, in the same
    /// transaction, for the next refresh's report: the old directory is the one saved
    /// before, or, if a switch is pending already (no refresh since), the one before
    /// that switch; saving that one again is no switch any more.
    ///
    /// `actor` is `None` only for the demo's own set-up, which is not a change anyone
    /// made (it re-points the demo at its simulator on every start): it is no switch.
    pub async fn set_directory_connection(
        &self,
        actor: Option<&Actor>,
        conn: &Connection,
    ) -> Result<(), StoreError> {
        // Sealed before anything is written: without a key, nothing is.
        let sealed = self.seal_connection(conn)?;
        let now = address_of(conn);
        let shown =
            |c: &Connection| serde_json::json!({"system": source_of(c), "base_url": c.base_url()});
        let mut tx = self.begin_write().await?;
        let stored: Option<(String, Option<String>)> = sqlx::query_as(STORED_WITH_SWITCH)
            .fetch_optional(&mut *tx)
            .await?;
        let (settings, pending) = stored.unzip();
        let pending = pending.flatten();
        // A connection sealed with a key this server no longer has is replaced, not a
        // reason to refuse: losing the key loses only the credentials (and the old
        // directory's name, so such a change is not noted as a switch).
        let (before, before_shown) = match settings.map(|s| self.unseal_connection(&s)) {
            None => (None, None),
            Some(Ok(c)) => {
                let shown = shown(&c);
                (Some(c), Some(shown))
            }
            Some(Err(StoreError::Secrets(e))) => {
                (None, Some(serde_json::json!({"unreadable": e.to_string()})))
            }
            Some(Err(e)) => return Err(e),
        };
        let switched_from = match actor {
            None => pending,
            Some(_) => {
                let origin = match pending.as_deref().map(|p| self.open_address(p)) {
                    Some(Ok(origin)) => Some(origin),
                    Some(Err(StoreError::Secrets(_))) | None => before.as_ref().map(address_of),
                    Some(Err(e)) => return Err(e),
                };
                origin
                    .filter(|o| !o.same_directory(&now))
                    .map(|o| self.seal_address(&o))
                    .transpose()?
            }
        };
        if let Some(actor) = actor {
            audit::record(
                &mut tx,
                actor,
                Entry {
                    kind: AuditKind::Settings,
                    agent_id: None,
                    subject: "Directory connection",
                    before: before_shown,
                    after: Some(shown(conn)),
                },
            )
            .await?;
        }
        sqlx::query(
            "INSERT INTO directory_connection (id, settings, switched_from) VALUES (1, $1, $2)
             ON CONFLICT (id) DO UPDATE SET settings = excluded.settings,
                 switched_from = excluded.switched_from, updated_at = CURRENT_TIMESTAMP",
        )
        .bind(sealed)
        .bind(switched_from)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether a switch waits for its refresh, and from which directory (for tests and
    /// the operator; the report is where people read it).
    pub async fn pending_switch(&self) -> Result<Option<DirectoryAddress>, StoreError> {
        let stored: Option<Option<String>> =
            sqlx::query_scalar("SELECT switched_from FROM directory_connection WHERE id = 1")
                .fetch_optional(&self.read)
                .await?;
        stored.flatten().map(|s| self.open_address(&s)).transpose()
    }

    fn seal_address(&self, a: &DirectoryAddress) -> Result<String, StoreError> {
        let json = serde_json::to_string(a)
            .map_err(|e| StoreError::Corrupt(format!("directory switch: {e}")))?;
        Ok(self.keys.seal(SEALED_SWITCH, json.as_bytes())?)
    }

    fn open_address(&self, stored: &str) -> Result<DirectoryAddress, StoreError> {
        let plain = self.keys.open(SEALED_SWITCH, stored)?;
        serde_json::from_slice(&plain)
            .map_err(|e| StoreError::Corrupt(format!("directory switch: {e}")))
    }

    /// The note of the first refresh applied after a switch, which it clears. `None`
    /// when no switch is pending.
    async fn take_switch(
        &self,
        tx: &mut sqlx::AnyConnection,
        report: &RefreshReport,
    ) -> Result<Option<String>, StoreError> {
        let stored: Option<(String, Option<String>)> = sqlx::query_as(STORED_WITH_SWITCH)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((settings, Some(from))) = stored else {
            return Ok(None);
        };
        let to = address_of(&self.unseal_connection(&settings)?);
        // An old directory sealed with a key the server lost is still a switch.
        let from = match self.open_address(&from) {
            Ok(from) => Some(from),
            Err(StoreError::Secrets(_)) => None,
            Err(e) => return Err(e),
        };
        sqlx::query("UPDATE directory_connection SET switched_from = NULL WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        Ok(Some(switch_note(from.as_ref(), &to, report)))
    }

    /// The current time as the store writes it (RFC 3339, UTC, milliseconds).
    pub async fn now(&self) -> Result<String, StoreError> {
        Ok(now_text())
    }

    pub async fn latest_refresh(&self) -> Result<Option<RefreshReport>, StoreError> {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT id, report FROM directory_refreshes ORDER BY id DESC LIMIT 1")
                .fetch_optional(&self.read)
                .await?;
        row.map(|(id, j)| {
            serde_json::from_str(&j)
                .map(|r: RefreshReport| RefreshReport { id, ..r })
                .map_err(|e| StoreError::Corrupt(format!("refresh report: {e}")))
        })
        .transpose()
    }

    /// Records a refresh that changed nothing because it failed.
    pub async fn record_failed_refresh(
        &self,
        actor: &Actor,
        mut report: RefreshReport,
    ) -> Result<RefreshReport, StoreError> {
        let mut tx = self.begin_write().await?;
        report.finished_at = now_text();
        report.id = insert_report(&mut tx, &report, true).await?;
        audit_refresh(&mut tx, actor, &report).await?;
        tx.commit().await?;
        Ok(report)
    }

    /// Makes our UC users and groups match `snapshot`, all in one transaction, and
    /// returns (and records) what changed. What changes is decided by
    /// [`reconcile`](crate::reconcile::reconcile); this reads our side and writes its
    /// answer.
    ///
    /// `read_from` is the directory the snapshot was read from: if the connection now
    /// names another (an admin switched while the refresh ran), nothing is applied
    /// ([`StoreError::ConnectionChanged`]) and a pending switch stays pending.
    pub async fn apply_snapshot(
        &self,
        actor: &Actor,
        source: AgentSource,
        snapshot: &Snapshot,
        started_at: &str,
        read_from: &DirectoryAddress,
    ) -> Result<RefreshReport, StoreError> {
        let mut tx = self.begin_write().await?;
        let stored: Option<String> = sqlx::query_scalar(STORED_CONNECTION)
            .fetch_optional(&mut *tx)
            .await?;
        let still = match stored {
            Some(settings) => {
                address_of(&self.unseal_connection(&settings)?).same_directory(read_from)
            }
            None => false,
        };
        if !still {
            return Err(StoreError::ConnectionChanged);
        }
        let ours = read_ours(&mut tx).await?;
        let (changes, mut report) = reconcile(source, &ours, snapshot);
        report.started_at = started_at.to_string();

        let mut ids: HashMap<&str, AgentId> = ours
            .users
            .iter()
            .map(|(key, k)| (key.as_str(), k.id))
            .collect();
        // New users, many to a statement; then their ids, by their keys.
        // On SQLite the search text goes in with the row (PostgreSQL generates it).
        let with_search_text = self.backend() == super::Backend::Sqlite;
        for chunk in changes.add.chunks(ROWS_PER_INSERT) {
            let mut q = Sql::new(if with_search_text {
                "INSERT INTO agents (name, email, email_key, extension, source, directory_key, directory_status, search_text) VALUES "
            } else {
                "INSERT INTO agents (name, email, email_key, extension, source, directory_key, directory_status) VALUES "
            });
            for (i, u) in chunk.iter().enumerate() {
                q.push(if i == 0 { "(" } else { ", (" })
                    .bind(u.name.clone())
                    .push(", ")
                    .bind(u.email.clone())
                    .push(", ")
                    .bind(email_key(&u.email))
                    .push(", ")
                    .bind(u.extension.clone())
                    .push(", ")
                    .bind(source.key())
                    .push(", ")
                    .bind(u.key.clone())
                    .push(", ")
                    .bind(u.status.clone());
                if with_search_text {
                    q.push(", ")
                        .bind(super::search::text(&u.name, &u.email, &u.extension));
                }
                q.push(")");
            }
            q.query()?.execute(&mut *tx).await?;
        }
        if !changes.add.is_empty() {
            let added: HashSet<&str> = changes.add.iter().map(|u| u.key.as_str()).collect();
            for row in
                sqlx::query("SELECT id, directory_key FROM agents WHERE directory_key IS NOT NULL")
                    .fetch_all(&mut *tx)
                    .await?
            {
                let key: String = row.try_get("directory_key")?;
                if let Some(k) = added.get(key.as_str()) {
                    ids.insert(k, row.try_get("id")?);
                }
            }
            if let Some(missing) = changes
                .add
                .iter()
                .find(|u| !ids.contains_key(u.key.as_str()))
            {
                return Err(StoreError::Corrupt(format!(
                    "user {} was not inserted",
                    missing.key
                )));
            }
        }
        for (id, u) in &changes.update {
            sqlx::query(
                "UPDATE agents SET name = $1, email = $2, email_key = $3, extension = $4, source = $5,
                        directory_status = $6, gone_since = NULL, version = version + 1,
                        updated_at = CURRENT_TIMESTAMP
                 WHERE id = $7",
            )
            .bind(&u.name)
            .bind(&u.email)
            .bind(email_key(&u.email))
            .bind(&u.extension)
            .bind(source.key())
            .bind(&u.status)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        for id in &changes.remove {
            sqlx::query("DELETE FROM agents WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        for id in &changes.mark_gone {
            sqlx::query(
                "UPDATE agents SET gone_since = CURRENT_TIMESTAMP, version = version + 1,
                        updated_at = CURRENT_TIMESTAMP WHERE id = $1",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }

        // Groups: made to match the directory's, writing only what changed.
        write_groups(&mut tx, &ours, &changes.groups, &ids).await?;

        // A forwarder to an extension that no longer exists falls back to "None", as
        // when an agent is removed by hand.
        let reset = sqlx::query(
            "UPDATE agents SET no_answer_kind = 'none', no_answer_extension = NULL,
                    version = version + 1, updated_at = CURRENT_TIMESTAMP
             WHERE no_answer_kind = 'extension'
               AND no_answer_extension NOT IN (SELECT extension FROM agents UNION SELECT extension FROM uc_groups)",
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if reset > 0 {
            report.notes.push(format!(
                "{reset} agents sent unanswered calls to an extension that is gone; their No Answer Destination is now None."
            ));
        }

        if let Some(note) = self.take_switch(&mut tx, &report).await? {
            report.notes.insert(0, note);
        }

        report.finished_at = now_text();
        report.id = insert_report(&mut tx, &report, false).await?;
        audit_refresh(&mut tx, actor, &report).await?;
        tx.commit().await?;
        Ok(report)
    }
}

/// How many rows go into one multi-row `INSERT`. Measured on 50,000 new users with
/// SQLite: 500 rows a statement took 1.8 s, 100 took 0.83 s, 25 took 0.68 s (statements
/// with thousands of values are slow to prepare); 50 keeps the statement count low too.
const ROWS_PER_INSERT: usize = 50;

/// Writes [`group_writes`]' answer: groups dropped and inserted, members added and
/// removed; an unchanged directory writes nothing.
async fn write_groups(
    tx: &mut sqlx::AnyConnection,
    ours: &Ours,
    groups: &[crate::reconcile::GroupRow],
    users: &HashMap<&str, AgentId>,
) -> Result<(), StoreError> {
    let w = group_writes(&ours.groups, groups);
    // Groups seeded without a directory key cannot be matched: the directory's replace them.
    sqlx::query("DELETE FROM uc_groups WHERE directory_key IS NULL")
        .execute(&mut *tx)
        .await?;
    if w.is_empty() {
        return Ok(());
    }
    for key in &w.drop {
        sqlx::query("DELETE FROM uc_groups WHERE directory_key = $1")
            .bind(*key)
            .execute(&mut *tx)
            .await?;
    }
    let mut group_ids: HashMap<String, i64> = HashMap::new();
    for row in sqlx::query("SELECT id, directory_key FROM uc_groups")
        .fetch_all(&mut *tx)
        .await?
    {
        if let Some(key) = row.try_get::<Option<String>, _>("directory_key")? {
            group_ids.insert(key, row.try_get("id")?);
        }
    }
    let mut add: Vec<(i64, AgentId)> = Vec::new();
    let member = |m: &str| {
        users.get(m).copied().ok_or_else(|| {
            StoreError::Corrupt(format!("group member {m} is not a user of the refresh"))
        })
    };
    for g in &w.insert {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO uc_groups (name, extension, directory_key) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(&g.name)
        .bind(&g.extension)
        .bind(&g.key)
        .fetch_one(&mut *tx)
        .await?;
        for m in &g.members {
            add.push((id, member(m)?));
        }
    }
    for (g, m) in &w.add_members {
        add.push((group_ids[*g], member(m)?));
    }
    for chunk in add.chunks(ROWS_PER_INSERT) {
        let mut q = Sql::new("INSERT INTO uc_group_members (group_id, agent_id) VALUES ");
        for (i, (g, a)) in chunk.iter().enumerate() {
            q.push(if i == 0 { "(" } else { ", (" })
                .bind(*g)
                .push(", ")
                .bind(*a)
                .push(")");
        }
        q.query()?.execute(&mut *tx).await?;
    }
    for (g, m) in &w.remove_members {
        // A member removed from the directory altogether went with its agent already.
        sqlx::query(
            "DELETE FROM uc_group_members WHERE group_id = $1
               AND agent_id = (SELECT id FROM agents WHERE directory_key = $2)",
        )
        .bind(group_ids[*g])
        .bind(*m)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Our UC users, WebRTC agents, groups and licenses, as a refresh compares them.
async fn read_ours(conn: &mut sqlx::AnyConnection) -> Result<Ours, StoreError> {
    let mut ours = Ours {
        licenses: load_licenses_all(&mut *conn).await?,
        ..Ours::default()
    };
    for row in sqlx::query(
        "SELECT id, name, email, email_key, extension, source, directory_key, directory_status,
                gone_since IS NOT NULL AS gone
         FROM agents",
    )
    .fetch_all(&mut *conn)
    .await?
    {
        let source_key: String = row.try_get("source")?;
        let name: String = row.try_get("name")?;
        match row.try_get::<Option<String>, _>("directory_key")? {
            Some(key) => {
                ours.users.insert(
                    key,
                    KnownUser {
                        id: row.try_get("id")?,
                        name,
                        email: row.try_get("email")?,
                        extension: row.try_get("extension")?,
                        status: row.try_get("directory_status")?,
                        source: source_key,
                        gone: super::flag(&row, "gone")?,
                    },
                );
            }
            None if source_key == AgentSource::Webrtc.key() => {
                ours.webrtc_by_extension
                    .insert(row.try_get("extension")?, name.clone());
                ours.webrtc_by_email.insert(row.try_get("email_key")?, name);
            }
            // A UC user without a key (seeded before directories had keys): the
            // refresh cannot match it, so it is left alone.
            None => {}
        }
    }
    for row in sqlx::query(
        "SELECT g.directory_key, g.name, g.extension, a.directory_key AS member
         FROM uc_groups g
         LEFT JOIN uc_group_members m ON m.group_id = g.id
         LEFT JOIN agents a ON a.id = m.agent_id
         WHERE g.directory_key IS NOT NULL",
    )
    .fetch_all(&mut *conn)
    .await?
    {
        let g = ours
            .groups
            .entry(row.try_get("directory_key")?)
            .or_insert(KnownGroup {
                name: row.try_get("name")?,
                extension: row.try_get("extension")?,
                members: HashSet::new(),
            });
        if let Some(m) = row.try_get::<Option<String>, _>("member")? {
            g.members.insert(m);
        }
    }
    Ok(ours)
}

/// The current time as the store writes it: RFC 3339, UTC, milliseconds (what
/// SQLite's `strftime('%Y-%m-%dT%H:%M:%fZ')` gave; worked out here, so both backends
/// write the same text).
fn now_text() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let secs = crate::clock::rfc3339(ms.div_euclid(1000));
    format!("{}.{:03}Z", secs.trim_end_matches('Z'), ms.rem_euclid(1000))
}

/// The refresh in the audit log: its outcome and counts (the report has the rest).
async fn audit_refresh(
    conn: &mut sqlx::AnyConnection,
    actor: &Actor,
    r: &RefreshReport,
) -> Result<(), StoreError> {
    let subject = r.source.map(|s| s.label()).unwrap_or("Directory");
    let after = match &r.error {
        Some(e) => serde_json::json!({"report": r.id, "failed": e.code, "message": e.message}),
        None => serde_json::json!({
            "report": r.id,
            "users_added": r.added.total,
            "users_changed": r.changed.total,
            "users_removed": r.removed.total,
            "users_held": r.held.total,
            "groups_added": r.groups_added.total,
            "groups_changed": r.groups_changed.total,
            "groups_removed": r.groups_removed.total,
            "conflicts": r.conflicts.total,
        }),
    };
    audit::record(
        conn,
        actor,
        Entry {
            kind: AuditKind::DirectoryRefresh,
            agent_id: None,
            subject,
            before: None,
            after: Some(after),
        },
    )
    .await
}

async fn insert_report(
    conn: &mut sqlx::AnyConnection,
    report: &RefreshReport,
    failed: bool,
) -> Result<i64, StoreError> {
    let json = serde_json::to_string(report)
        .map_err(|e| StoreError::Corrupt(format!("refresh report: {e}")))?;
    Ok(sqlx::query_scalar(
        "INSERT INTO directory_refreshes (started_at, finished_at, failed, report) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(&report.started_at)
    .bind(&report.finished_at)
    .bind(failed)
    .bind(json)
    .fetch_one(&mut *conn)
    .await?)
}
