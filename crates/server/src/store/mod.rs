//! Storage: the only module that speaks SQL. This file holds the connection set-up and
//! licensing; `agents.rs` the agent profiles.
//!
//! Handlers see [`Store`]'s methods and domain types, never a connection. The SQL is
//! plain (placeholders aside) so that a PostgreSQL store can offer the same methods;
//! what is SQLite-specific — opening the file, WAL, and `BEGIN IMMEDIATE` to take the
//! write lock up front — lives here.

use alc_domain::ErrorCode;
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool, Transaction};

use alc_domain::{
    Agent, AgentId, AgentKind, AgentPage, AgentQuery, AgentSource, BatchError, Counts, Current,
    Entitlements, LicenseChange, LicenseChangeResult, LicenseSet, LicenseSummary, LicenseType,
    Pool, Standing,
};

pub mod access;
mod agents;
pub mod audit;
mod directory;
mod extensions;
pub mod sso;
pub use directory::source_of;
mod uniqueness;
pub mod users;

/// An agent as lists show it: `gone` and `no_queue` are worked out here, once.
const AGENT_COLUMNS: &str = "SELECT id, name, email, extension, source, version,
        gone_since IS NOT NULL AS gone, directory_status,
        (source <> 'webrtc'
         AND EXISTS (SELECT 1 FROM agent_licenses l WHERE l.agent_id = agents.id)
         AND NOT EXISTS (SELECT 1 FROM uc_group_members m WHERE m.agent_id = agents.id)) AS no_queue
    FROM agents";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How many ids go into one `IN (...)` list.
const IN_CHUNK: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    /// A rule refused the write (422) or it was based on stale data (409).
    #[error(transparent)]
    Refused(#[from] BatchError),
    #[error("no such agent")]
    NotFound,
    #[error("no such console user")]
    UserNotFound,
    /// Too many password hashes waiting already (a sign-in flood).
    #[error("the server is busy checking passwords")]
    Busy,
    /// A refresh read one directory, and the connection was pointed at another
    /// before it could apply what it read: nothing is applied.
    #[error("the directory connection changed during the refresh")]
    ConnectionChanged,
    /// A secret cannot be sealed or opened (no key, an unknown key, a damaged value).
    #[error(transparent)]
    Secrets(#[from] crate::secrets::SecretsError),
}

/// A new agent, as the demo seed and tests create them.
#[derive(Clone, Debug)]
pub struct NewAgent {
    pub name: String,
    pub email: String,
    pub extension: String,
    pub source: AgentSource,
    pub licenses: LicenseSet,
    /// The directory's id, for UC users.
    pub directory_key: Option<String>,
}

/// A UC group, as the demo seed and tests create them.
#[derive(Clone, Debug)]
pub struct NewGroup {
    pub name: String,
    pub extension: String,
    pub directory_key: Option<String>,
    /// Directory keys of member UC users.
    pub members: Vec<String>,
}

#[derive(Clone)]
pub struct Store {
    /// Many connections: readers never block each other under WAL.
    read: SqlitePool,
    /// One connection: writes queue here, in order, instead of racing for SQLite's lock.
    write: SqlitePool,
    /// The file, for the readiness check's fresh connection.
    path: std::sync::Arc<std::path::PathBuf>,
    /// Password hashes checked by sign-in (what throttling must keep small).
    password_checks: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Seals and opens the directory's credentials.
    keys: crate::secrets::Keyring,
    /// The time sessions and sign-in limits are measured by.
    clock: crate::clock::Clock,
}

/// What `check-config` finds in a database it does not change.
#[derive(Debug)]
pub struct SchemaStatus {
    /// Migrations this build knows, applied or not.
    pub known: usize,
    /// Applied ones.
    pub applied: usize,
    /// Applied migrations this build does not know (a newer version wrote the file).
    pub unknown: usize,
}

/// Connection settings; [`Store::open`] adds WAL (a read-only look must not try to
/// switch a file's journal mode).
fn options(path: &Path) -> Result<SqliteConnectOptions, sqlx::Error> {
    Ok(SqliteConnectOptions::from_str("sqlite:")?
        .filename(path)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10)))
}

/// Creates `dir` and any missing parents, each readable by its owner only (0700); an
/// existing folder is left as the operator made it.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

impl Store {
    /// Opens (creating if needed) the SQLite file at `path` and brings its schema up
    /// to date, with no key for secrets: what the commands that never touch them use.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, crate::secrets::Keyring::none()).await
    }

    /// [`Store::open`], sealing and opening the directory's credentials with `keys`.
    /// A folder it creates for the file is its owner's only (0700).
    pub async fn open_with(
        path: &Path,
        keys: crate::secrets::Keyring,
    ) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir).map_err(|e| {
                StoreError::Corrupt(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let options = options(path)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&write).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options.read_only(true))
            .await?;
        // The file holds credentials and password hashes: owner only. On a new file
        // this runs before anything is in it.
        #[cfg(unix)]
        for suffix in ["", "-wal", "-shm"] {
            use std::os::unix::fs::PermissionsExt;
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            if Path::new(&file).exists() {
                let _ = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600));
            }
        }
        Ok(Store {
            read,
            write,
            path: std::sync::Arc::new(path.to_path_buf()),
            password_checks: Default::default(),
            keys,
            clock: crate::clock::Clock::system(),
        })
    }

    /// This store, reading the time from `clock` (a test's manual clock).
    pub fn with_clock(mut self, clock: crate::clock::Clock) -> Store {
        self.clock = clock;
        self
    }

    /// Now, in Unix seconds, by the store's clock.
    pub(crate) fn now_secs(&self) -> i64 {
        self.clock.now_secs()
    }

    /// Reads the schema's state of the file at `path` without creating or changing it.
    pub async fn inspect(path: &Path) -> Result<SchemaStatus, StoreError> {
        use sqlx::Connection;
        let mut conn =
            sqlx::SqliteConnection::connect_with(&options(path)?.read_only(true)).await?;
        let has_table: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
        )
        .fetch_one(&mut conn)
        .await?;
        let applied: Vec<i64> = if has_table > 0 {
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&mut conn)
                .await?
        } else {
            Vec::new()
        };
        conn.close().await?;
        let known: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
        Ok(SchemaStatus {
            known: known.len(),
            applied: applied.iter().filter(|v| known.contains(v)).count(),
            unknown: applied.iter().filter(|v| !known.contains(v)).count(),
        })
    }

    /// Whether the database answers with this version's schema. A fresh connection to
    /// the file, not a pooled one: an open connection keeps answering from a file
    /// that was deleted or replaced underneath it.
    pub async fn ready(&self) -> Result<(), String> {
        let status = Store::inspect(&self.path)
            .await
            .map_err(|e| format!("the database cannot be opened ({e})"))?;
        if status.applied < status.known || status.unknown > 0 {
            return Err(format!(
                "the database schema is not this version's ({} of {} migrations applied, {} unknown)",
                status.applied, status.known, status.unknown
            ));
        }
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM account")
            .fetch_one(&self.read)
            .await
            .map_err(|e| format!("the database does not answer ({e})"))?;
        Ok(())
    }

    /// Writes a consistent copy of the whole database to `dest` (which must not exist)
    /// while the server goes on: SQLite's `VACUUM INTO` reads one snapshot.
    pub async fn backup(&self, dest: &Path) -> Result<(), StoreError> {
        if dest.exists() {
            return Err(StoreError::Corrupt(format!(
                "{} already exists; choose a new file name",
                dest.display()
            )));
        }
        let dest = dest
            .to_str()
            .ok_or_else(|| StoreError::Corrupt("the backup path is not valid UTF-8".into()))?;
        // Its own connection: not the writer (writes go on meanwhile, under WAL), and
        // not a read-only one: SQLite opens the new file with the connection's own
        // flags, so this one may create files.
        use sqlx::Connection;
        let mut conn =
            sqlx::SqliteConnection::connect_with(&options(&self.path)?.create_if_missing(true))
                .await?;
        sqlx::query("VACUUM INTO ?")
            .bind(dest)
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(dest, std::fs::Permissions::from_mode(0o600));
        }
        Ok(())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }

    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        // IMMEDIATE: take the write lock before the first read, so that what this
        // transaction reads (counts, versions) cannot change before it writes.
        self.write.begin_with("BEGIN IMMEDIATE").await
    }

    /// Nothing anyone made yet: no agent and no console user (the account row and
    /// its zero purchases come with the schema).
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM agents) + (SELECT COUNT(*) FROM console_users)",
        )
        .fetch_one(&self.read)
        .await?;
        Ok(n == 0)
    }

    /// Creates the account and what it bought. Used by the demo seed and by tests;
    /// settings screens will come with their own issue.
    pub async fn set_entitlements(&self, name: &str, ent: &Entitlements) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO account (id, name, web_chat_channel) VALUES (1, ?, ?)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, web_chat_channel = excluded.web_chat_channel",
        )
        .bind(name)
        .bind(ent.web_chat_channel)
        .execute(&mut *tx)
        .await?;
        for t in LicenseType::ALL {
            sqlx::query(
                "INSERT INTO license_pool (license, purchased) VALUES (?, ?)
                 ON CONFLICT (license) DO UPDATE SET purchased = excluded.purchased",
            )
            .bind(t.key())
            .bind(ent.purchased[t])
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Inserts agents as they are, in one transaction. Pool limits are not checked: this
    /// is for seeding, not for supervisors.
    pub async fn insert_agents(&self, agents: &[NewAgent]) -> Result<Vec<AgentId>, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut ids = Vec::with_capacity(agents.len());
        for a in agents {
            let id: AgentId = sqlx::query_scalar(
                "INSERT INTO agents (name, email, email_key, extension, source, directory_key, directory_status)
                 VALUES (?, ?, ?, ?, ?, ?, CASE WHEN ? IS NULL THEN '' ELSE 'Enabled' END) RETURNING id",
            )
            .bind(&a.name)
            .bind(&a.email)
            .bind(alc_domain::email_key(&a.email))
            .bind(&a.extension)
            .bind(a.source.key())
            .bind(&a.directory_key)
            .bind(&a.directory_key)
            .fetch_one(&mut *tx)
            .await?;
            for t in a.licenses.iter() {
                sqlx::query("INSERT INTO agent_licenses (agent_id, license) VALUES (?, ?)")
                    .bind(id)
                    .bind(t.key())
                    .execute(&mut *tx)
                    .await?;
            }
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Changes what the account bought (admins), checked against what is assigned
    /// inside the write transaction, and audited with it.
    pub async fn set_purchases(
        &self,
        actor: &access::Actor,
        purchases: &alc_domain::Purchases,
    ) -> Result<LicenseSummary, StoreError> {
        let mut tx = self.begin_write().await?;
        let pool = load_pool(&mut tx).await?;
        let problems = purchases.check(&pool);
        if !problems.is_empty() {
            return Err(BatchError::Invalid {
                code: ErrorCode::InvalidPurchases,
                message: "These numbers would leave more licenses assigned than bought; nothing was saved.".into(),
                fields: problems,
            }
            .into());
        }
        let ent = purchases.entitlements();
        sqlx::query("UPDATE account SET web_chat_channel = ? WHERE id = 1")
            .bind(ent.web_chat_channel)
            .execute(&mut *tx)
            .await?;
        for t in LicenseType::ALL {
            sqlx::query("UPDATE license_pool SET purchased = ? WHERE license = ?")
                .bind(ent.purchased[t])
                .bind(t.key())
                .execute(&mut *tx)
                .await?;
        }
        audit::record(
            &mut tx,
            actor,
            audit::Entry {
                kind: alc_domain::access::AuditKind::Settings,
                agent_id: None,
                subject: "Licenses purchased",
                before: serde_json::to_value(alc_domain::Purchases::from_pool(&pool)).ok(),
                after: serde_json::to_value(purchases).ok(),
            },
        )
        .await?;
        let summary = LicenseSummary::from_pool(&load_pool(&mut tx).await?);
        tx.commit().await?;
        Ok(summary)
    }

    pub async fn license_summary(&self) -> Result<LicenseSummary, StoreError> {
        let mut conn = self.read.acquire().await?;
        Ok(LicenseSummary::from_pool(&load_pool(&mut conn).await?))
    }

    pub async fn list_agents(&self, query: &AgentQuery) -> Result<AgentPage, StoreError> {
        let search = query.search().map(|q| contains_pattern(&q));
        let filter = |qb: &mut QueryBuilder<'_, Sqlite>| {
            qb.push(match query.kind {
                None => " WHERE TRUE",
                Some(AgentKind::Phone) => " WHERE source <> 'webrtc'",
                Some(AgentKind::Webrtc) => " WHERE source = 'webrtc'",
            });
            if let Some(pattern) = &search {
                qb.push(" AND (lower(name) LIKE ")
                    .push_bind(pattern.clone())
                    .push(" ESCAPE '\\' OR extension LIKE ")
                    .push_bind(pattern.clone())
                    .push(" ESCAPE '\\' OR lower(email) LIKE ")
                    .push_bind(pattern.clone())
                    .push(" ESCAPE '\\')");
            }
        };
        // One connection for both reads: under WAL it sees one snapshot per statement,
        // which is enough for a list a person pages through.
        let mut conn = self.read.acquire().await?;
        let mut count = QueryBuilder::new("SELECT COUNT(*) FROM agents");
        filter(&mut count);
        let total: i64 = count.build_query_scalar().fetch_one(&mut *conn).await?;

        let mut rows = QueryBuilder::new(AGENT_COLUMNS);
        filter(&mut rows);
        rows.push(" ORDER BY lower(name), id LIMIT ")
            .push_bind(i64::from(query.per_page()))
            .push(" OFFSET ")
            .push_bind(query.offset() as i64);
        let rows = rows.build().fetch_all(&mut *conn).await?;
        let mut agents = rows
            .iter()
            .map(agent_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let ids: Vec<AgentId> = agents.iter().map(|a| a.id).collect();
        let licenses = load_licenses(&mut conn, &ids).await?;
        for a in &mut agents {
            a.licenses = licenses.get(&a.id).copied().unwrap_or_default();
        }
        Ok(AgentPage {
            agents,
            total: total as u64,
            page: query.page(),
            per_page: query.per_page(),
        })
    }

    /// Applies a batch of license changes atomically: all of them, or none.
    ///
    /// The rules are [`alc_domain::plan`]'s; this runs it on the counts and versions read
    /// inside the write transaction, so no other write can slip in between the check
    /// and the write.
    pub async fn apply_license_changes(
        &self,
        actor: &access::Actor,
        changes: &[LicenseChange],
    ) -> Result<LicenseChangeResult, StoreError> {
        let mut tx = self.begin_write().await?;
        let pool = load_pool(&mut tx).await?;
        let mut ids: Vec<AgentId> = changes.iter().map(|c| c.agent_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let current = load_current(&mut tx, &ids).await?;
        let plan = alc_domain::plan(&pool, |id| current.get(&id).copied(), changes)?;
        agents::write_licenses(&mut tx, &plan).await?;
        for update in &plan.updates {
            sqlx::query(
                "UPDATE agents SET version = version + 1, updated_at = CURRENT_TIMESTAMP WHERE id = ?",
            )
            .bind(update.agent_id)
            .execute(&mut *tx)
            .await?;
        }
        let changed: Vec<AgentId> = plan.updates.iter().map(|u| u.agent_id).collect();
        let agents = load_agents(&mut tx, &changed).await?;
        for (update, agent) in plan.updates.iter().zip(&agents) {
            audit::record(
                &mut tx,
                actor,
                audit::Entry {
                    kind: alc_domain::access::AuditKind::Licenses,
                    agent_id: Some(update.agent_id),
                    subject: &agent.name,
                    before: serde_json::to_value(update.before).ok(),
                    after: serde_json::to_value(update.after).ok(),
                },
            )
            .await?;
        }
        let summary = LicenseSummary::from_pool(&load_pool(&mut tx).await?);
        tx.commit().await?;
        Ok(LicenseChangeResult { agents, summary })
    }

    /// Creates UC groups (queues) as they are, with members given by their directory
    /// keys. For seeding and tests; refreshes write groups themselves.
    pub async fn insert_groups(&self, groups: &[NewGroup]) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for g in groups {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO uc_groups (name, extension, directory_key) VALUES (?, ?, ?) RETURNING id",
            )
            .bind(&g.name)
            .bind(&g.extension)
            .bind(&g.directory_key)
            .fetch_one(&mut *tx)
            .await?;
            for key in &g.members {
                sqlx::query(
                    "INSERT INTO uc_group_members (group_id, agent_id)
                     SELECT ?, id FROM agents WHERE directory_key = ?",
                )
                .bind(id)
                .bind(key)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Agents by id, with their licenses, in the order of `ids` (unknown ids are skipped).
    pub async fn agents_by_id(&self, ids: &[AgentId]) -> Result<Vec<Agent>, StoreError> {
        let mut conn = self.read.acquire().await?;
        load_agents(&mut conn, ids).await
    }
}

/// A `LIKE … ESCAPE '\\'` pattern matching `text` anywhere, without regard to case
/// (the column is compared lowercased).
pub(crate) fn contains_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Every agent's licenses (for a refresh, which looks at all UC users).
pub(crate) async fn load_licenses_all(
    conn: &mut sqlx::SqliteConnection,
) -> Result<HashMap<AgentId, LicenseSet>, StoreError> {
    licenses_by_agent(
        &sqlx::query("SELECT agent_id, license FROM agent_licenses")
            .fetch_all(&mut *conn)
            .await?,
    )
}

fn licenses_by_agent(
    rows: &[sqlx::sqlite::SqliteRow],
) -> Result<HashMap<AgentId, LicenseSet>, StoreError> {
    let mut map: HashMap<AgentId, LicenseSet> = HashMap::new();
    for row in rows {
        let t = license_from(row.try_get("license")?)?;
        map.entry(row.try_get("agent_id")?)
            .or_default()
            .set(t, true);
    }
    Ok(map)
}

pub(crate) async fn load_pool(conn: &mut sqlx::SqliteConnection) -> Result<Pool, StoreError> {
    let channel: Option<bool> =
        sqlx::query_scalar("SELECT web_chat_channel FROM account WHERE id = 1")
            .fetch_optional(&mut *conn)
            .await?;
    let mut pool = Pool {
        entitlements: Entitlements {
            purchased: Counts::default(),
            web_chat_channel: channel.unwrap_or(false),
        },
        assigned: Counts::default(),
    };
    for row in sqlx::query("SELECT license, purchased FROM license_pool")
        .fetch_all(&mut *conn)
        .await?
    {
        let t = license_from(row.try_get("license")?)?;
        pool.entitlements.purchased[t] = row.try_get("purchased")?;
    }
    for row in sqlx::query("SELECT license, COUNT(*) AS n FROM agent_licenses GROUP BY license")
        .fetch_all(&mut *conn)
        .await?
    {
        let t = license_from(row.try_get("license")?)?;
        pool.assigned[t] = row.try_get("n")?;
    }
    Ok(pool)
}

pub(crate) fn license_from(key: &str) -> Result<LicenseType, StoreError> {
    LicenseType::from_key(key)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown license type {key:?}")))
}

fn agent_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Agent, StoreError> {
    let source: &str = row.try_get("source")?;
    Ok(Agent {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        extension: row.try_get("extension")?,
        source: AgentSource::from_key(source)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown agent source {source:?}")))?,
        licenses: LicenseSet::EMPTY,
        version: row.try_get("version")?,
        gone: row.try_get("gone")?,
        disabled: Standing::of(false, row.try_get("directory_status")?) == Standing::Disabled,
        no_queue: row.try_get("no_queue")?,
    })
}

/// Runs `SELECT ... WHERE <column> IN (ids)` in chunks, keeping SQL variable counts small.
async fn select_in(
    conn: &mut sqlx::SqliteConnection,
    head: &str,
    ids: &[AgentId],
) -> Result<Vec<sqlx::sqlite::SqliteRow>, sqlx::Error> {
    let mut out = Vec::new();
    for chunk in ids.chunks(IN_CHUNK) {
        let mut qb = QueryBuilder::<Sqlite>::new(head);
        qb.push(" IN (");
        let mut list = qb.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        qb.push(")");
        out.extend(qb.build().fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

pub(crate) async fn load_licenses(
    conn: &mut sqlx::SqliteConnection,
    ids: &[AgentId],
) -> Result<HashMap<AgentId, LicenseSet>, StoreError> {
    licenses_by_agent(
        &select_in(
            conn,
            "SELECT agent_id, license FROM agent_licenses WHERE agent_id",
            ids,
        )
        .await?,
    )
}

/// The standing columns of `agents`, read by [`standing_from_row`].
const STANDING_COLUMNS: &str = "gone_since IS NOT NULL AS gone, directory_status";

fn standing_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Standing, sqlx::Error> {
    Ok(Standing::of(
        row.try_get("gone")?,
        row.try_get("directory_status")?,
    ))
}

/// Where one agent stands in its directory (an unknown id: listed).
pub(crate) async fn load_standing(
    conn: &mut sqlx::SqliteConnection,
    id: AgentId,
) -> Result<Standing, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {STANDING_COLUMNS} FROM agents WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some(row) => standing_from_row(&row)?,
        None => Standing::Listed,
    })
}

/// The agents as a license change is checked against them: version, licenses, and
/// where they stand in their directory.
pub(crate) async fn load_current(
    conn: &mut sqlx::SqliteConnection,
    ids: &[AgentId],
) -> Result<HashMap<AgentId, Current>, StoreError> {
    let licenses = load_licenses(conn, ids).await?;
    select_in(
        conn,
        &format!("SELECT id, version, {STANDING_COLUMNS} FROM agents WHERE id"),
        ids,
    )
    .await?
    .iter()
    .map(|row| {
        let id: AgentId = row.try_get("id")?;
        Ok((
            id,
            Current {
                version: row.try_get("version")?,
                licenses: licenses.get(&id).copied().unwrap_or_default(),
                standing: standing_from_row(row)?,
            },
        ))
    })
    .collect()
}

async fn load_agents(
    conn: &mut sqlx::SqliteConnection,
    ids: &[AgentId],
) -> Result<Vec<Agent>, StoreError> {
    let rows = select_in(conn, &format!("{AGENT_COLUMNS} WHERE id"), ids).await?;
    let mut by_id: HashMap<AgentId, Agent> = rows
        .iter()
        .map(|r| agent_from_row(r).map(|a| (a.id, a)))
        .collect::<Result<_, _>>()?;
    let licenses = load_licenses(conn, ids).await?;
    Ok(ids
        .iter()
        .filter_map(|id| {
            by_id.remove(id).map(|mut a| {
                a.licenses = licenses.get(id).copied().unwrap_or_default();
                a
            })
        })
        .collect())
}
