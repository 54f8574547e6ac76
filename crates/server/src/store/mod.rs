//! Storage: the only module that speaks SQL. This file holds the connection set-up and
//! licensing; `agents.rs` the agent profiles.
//!
//! Handlers see [`Store`]'s methods and domain types, never a connection. One body of
//! SQL serves both backends, SQLite (one file, the default) and PostgreSQL (several
//! servers on one database): it runs through sqlx's `Any` driver, with `$1`
//! placeholders that both accept, and each backend has its own migrations
//! (`migrations/sqlite`, `migrations/postgres`) building the same tables. What differs
//! — opening, how a write transaction takes the account's write lock, the refresh lock
//! — is in [`Backend`]'s few methods, here and in `refresh_lock.rs`.

use alc_domain::ErrorCode;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyArguments, AnyPoolOptions, AnyRow};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Any, AnyPool, Arguments, Executor, Row, Transaction};

use alc_domain::{
    Agent, AgentId, AgentSource, BatchError, Counts, Current, Entitlements, LicenseChange,
    LicenseChangeResult, LicenseSet, LicenseSummary, LicenseType, Pool, Standing,
};

pub mod access;
mod agents;
pub mod audit;
mod directory;
mod extensions;
mod list;
pub mod refresh_lock;
mod search;
pub mod sso;
pub use directory::source_of;
mod import;
mod uniqueness;
pub use import::ImportRefused;
pub mod users;

/// Whether an agent of `agents` receives no queue calls ([`Agent::no_queue`]): a
/// licensed phone user in no UC group. The list's column and its filter alike.
macro_rules! no_queue {
    () => {
        "(source <> 'webrtc'
         AND EXISTS (SELECT 1 FROM agent_licenses l WHERE l.agent_id = agents.id)
         AND NOT EXISTS (SELECT 1 FROM uc_group_members m WHERE m.agent_id = agents.id))"
    };
}
use no_queue;

/// An agent as lists show it: `gone` and `no_queue` are worked out here, once.
const AGENT_COLUMNS: &str = concat!(
    "SELECT id, name, email, extension, source, version,
        gone_since IS NOT NULL AS gone, directory_status, ",
    no_queue!(),
    " AS no_queue FROM agents"
);

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// How many ids go into one `IN (...)` list.
const IN_CHUNK: usize = 500;

/// The key of PostgreSQL's transaction-level advisory lock that every write
/// transaction takes first: the account's one writer, as SQLite has (DECISIONS
/// "PostgreSQL: one writer at a time").
const WRITE_LOCK: i64 = 0x616c_635f_7772; // "alc_wr"

/// The advisory lock around first-run seeding ("alc_sd").
const SEED_LOCK: i64 = 0x616c_635f_7364;

/// PostgreSQL's smallest pool: a refresh holds a connection for its lock, seeding one
/// for its own, and requests need the rest.
pub const MIN_POSTGRES_POOL: u32 = 3;

/// Where the data lives (`--db` / `ALC_DB`): a SQLite file (a path, or `sqlite://path`)
/// or a PostgreSQL database (`postgres://…` / `postgresql://…`).
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Database {
    /// The backend this database runs on.
    pub fn backend(&self) -> Backend {
        match self {
            Database::Sqlite(_) => Backend::Sqlite,
            Database::Postgres(_) => Backend::Postgres,
        }
    }

    /// The SQLite file, if it is one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Database::Sqlite(p) => Some(p),
            Database::Postgres(_) => None,
        }
    }

    /// Whether there is anything there yet: a SQLite file that exists; a PostgreSQL
    /// database is made by its operator, so it is taken to be there.
    pub fn exists(&self) -> bool {
        match self {
            Database::Sqlite(p) => p.exists(),
            Database::Postgres(_) => true,
        }
    }

    /// Where files that go with the database are kept by default (the demo's keys):
    /// the SQLite file's folder, or `data/` for PostgreSQL.
    pub fn files_dir(&self) -> PathBuf {
        match self {
            Database::Sqlite(p) => p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_path_buf(),
            Database::Postgres(_) => PathBuf::from("data"),
        }
    }
}

impl FromStr for Database {
    type Err = String;
    fn from_str(s: &str) -> Result<Database, String> {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(Database::Postgres(s.to_string()));
        }
        let path = s
            .strip_prefix("sqlite://")
            .or_else(|| s.strip_prefix("sqlite:"))
            .unwrap_or(s);
        if path.is_empty() {
            return Err("the database setting is empty".into());
        }
        if path.contains("://") {
            return Err(format!(
                "{s:?} is not a database this server knows: give a SQLite file's path, \
                 sqlite://PATH or postgres://USER@HOST/DATABASE"
            ));
        }
        Ok(Database::Sqlite(PathBuf::from(path)))
    }
}

impl From<PathBuf> for Database {
    fn from(p: PathBuf) -> Database {
        Database::Sqlite(p)
    }
}

impl From<&Database> for Database {
    fn from(d: &Database) -> Database {
        d.clone()
    }
}

impl From<&PathBuf> for Database {
    fn from(p: &PathBuf) -> Database {
        Database::Sqlite(p.clone())
    }
}

impl From<&Path> for Database {
    fn from(p: &Path) -> Database {
        Database::Sqlite(p.to_path_buf())
    }
}

/// Shown in logs and messages: a SQLite path, or the URL without its password.
impl std::fmt::Display for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(p) => write!(f, "{}", p.display()),
            Database::Postgres(url) => f.write_str(&redact_url(url)),
        }
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Database({self})")
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth, host) = match rest.rsplit_once('@') {
        Some(parts) => parts,
        None => return url.to_string(),
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

/// The two storage backends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// How many connections a store opens (`--db-pool`): PostgreSQL's one pool, or SQLite's
/// readers (its writer is always one connection).
pub const DEFAULT_POOL: u32 = 10;

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
    /// What this backend does not do (a SQLite file copy on PostgreSQL).
    #[error("{0}")]
    Unsupported(String),
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
    /// Readers. SQLite: many read-only connections (readers never block each other
    /// under WAL). PostgreSQL: the same pool as `write`.
    read: AnyPool,
    /// Writers. SQLite: one connection, so writes queue here in order instead of racing
    /// for the file's lock. PostgreSQL: the pool; write transactions take the account's
    /// advisory lock.
    write: AnyPool,
    /// Where the data lives.
    db: std::sync::Arc<Database>,
    /// This server's turn to write (PostgreSQL; SQLite's one writer connection is its
    /// queue).
    writers: std::sync::Arc<tokio::sync::Mutex<()>>,
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

/// SQLite connection settings for the file-level commands (inspect, backup), which use
/// SQLite's own driver.
fn options(path: &Path) -> Result<SqliteConnectOptions, sqlx::Error> {
    Ok(SqliteConnectOptions::from_str("sqlite:")?
        .filename(path)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10)))
}

/// A `sqlite://` URL for the `Any` driver (which takes URLs only), percent-encoding
/// what a URL would misread.
fn sqlite_url(path: &Path, mode: &str) -> String {
    let mut url = String::from("sqlite://");
    for b in path.as_os_str().as_encoded_bytes() {
        match b {
            b'%' | b'?' | b'#' | b' ' | b'"' | b'<' | b'>' | b'`' | b'{' | b'}' => {
                url.push_str(&format!("%{b:02X}"))
            }
            b if *b < 0x20 || *b >= 0x7f => url.push_str(&format!("%{b:02X}")),
            b => url.push(*b as char),
        }
    }
    url.push_str("?mode=");
    url.push_str(mode);
    url
}

/// The drivers the `Any` pools may use, installed once per process.
fn install_drivers() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        sqlx::any::install_drivers(&[sqlx::sqlite::any::DRIVER, sqlx::postgres::any::DRIVER])
            .expect("sqlx drivers installed once");
    });
}

/// SQLite's settings on each new connection (the `Any` driver's URLs cannot carry
/// them): wait for the writer rather than fail, enforce foreign keys.
async fn sqlite_pragmas(conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
    conn.execute("PRAGMA busy_timeout = 10000").await?;
    conn.execute("PRAGMA foreign_keys = ON").await?;
    conn.execute("PRAGMA synchronous = NORMAL").await?;
    Ok(())
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
    /// Opens (creating if needed) the database and brings its schema up to date, with
    /// no key for secrets: what the commands that never touch them use.
    pub async fn open(db: impl Into<Database>) -> Result<Store, StoreError> {
        Store::open_with(db, crate::secrets::Keyring::none()).await
    }

    /// [`Store::open`], sealing and opening the directory's credentials with `keys`.
    pub async fn open_with(
        db: impl Into<Database>,
        keys: crate::secrets::Keyring,
    ) -> Result<Store, StoreError> {
        Store::open_pooled(db, keys, DEFAULT_POOL).await
    }

    /// [`Store::open_with`] with `pool` connections. A folder it creates for a SQLite
    /// file is its owner's only (0700).
    pub async fn open_pooled(
        db: impl Into<Database>,
        keys: crate::secrets::Keyring,
        pool: u32,
    ) -> Result<Store, StoreError> {
        install_drivers();
        let db = db.into();
        let pool = pool.max(1);
        let (read, write) = match &db {
            Database::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    create_private_dir(dir).map_err(|e| {
                        StoreError::Corrupt(format!("cannot create {}: {e}", dir.display()))
                    })?;
                }
                let write = AnyPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            sqlite_pragmas(conn).await?;
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            // A refresh writes tens of thousands of rows in one
                            // transaction: room for them in memory (64 MiB at most),
                            // instead of SQLite's 2 MiB default spilling mid-transaction.
                            conn.execute("PRAGMA cache_size = -65536").await?;
                            Ok(())
                        })
                    })
                    .connect(&sqlite_url(path, "rwc"))
                    .await?;
                SQLITE_MIGRATOR.run(&write).await?;
                let read = AnyPoolOptions::new()
                    .max_connections(pool.max(2))
                    .after_connect(|conn, _| Box::pin(async move { sqlite_pragmas(conn).await }))
                    .connect(&sqlite_url(path, "ro"))
                    .await?;
                // The file holds credentials and password hashes: owner only. On a new
                // file this runs before anything is in it.
                #[cfg(unix)]
                for suffix in ["", "-wal", "-shm"] {
                    use std::os::unix::fs::PermissionsExt;
                    let mut file = path.as_os_str().to_owned();
                    file.push(suffix);
                    if Path::new(&file).exists() {
                        let _ =
                            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600));
                    }
                }
                (read, write)
            }
            Database::Postgres(url) => {
                let pool = AnyPoolOptions::new()
                    .max_connections(pool.max(MIN_POSTGRES_POOL))
                    // JIT compiling pays for long analytic queries only: on this one's
                    // short statements it added milliseconds each. A random page read
                    // costs little more than a sequential one on the SSDs and caches
                    // this runs on (the default, 4, models spinning disks); with it the
                    // planner counts a broad search through the narrow index on
                    // `search_text`, three times faster than reading the table's rows.
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute("SET jit = off").await?;
                            conn.execute("SET random_page_cost = 1.1").await?;
                            Ok(())
                        })
                    })
                    .acquire_timeout(Duration::from_secs(30))
                    .connect(url)
                    .await?;
                // sqlx takes an advisory lock of its own around migrating: two servers
                // starting at once migrate one after the other.
                POSTGRES_MIGRATOR.run(&pool).await?;
                (pool.clone(), pool)
            }
        };
        Ok(Store {
            read,
            write,
            db: std::sync::Arc::new(db),
            writers: Default::default(),
            password_checks: Default::default(),
            keys,
            clock: crate::clock::Clock::system(),
        })
    }

    /// The backend the store runs on.
    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// Where the data lives.
    pub fn database(&self) -> &Database {
        &self.db
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

    /// Reads the schema's state of the database without creating or changing it.
    pub async fn inspect(db: &Database) -> Result<SchemaStatus, StoreError> {
        use sqlx::Connection;
        install_drivers();
        let (url, has_table, migrator) = match db {
            Database::Sqlite(path) => (
                sqlite_url(path, "ro"),
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
                &SQLITE_MIGRATOR,
            ),
            Database::Postgres(url) => (
                url.clone(),
                "SELECT COUNT(*) FROM pg_tables WHERE tablename = '_sqlx_migrations'
                   AND schemaname = current_schema()",
                &POSTGRES_MIGRATOR,
            ),
        };
        let mut conn = sqlx::AnyConnection::connect(&url).await?;
        let has_table: i64 = sqlx::query_scalar(has_table).fetch_one(&mut conn).await?;
        let applied: Vec<i64> = if has_table > 0 {
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&mut conn)
                .await?
        } else {
            Vec::new()
        };
        conn.close().await?;
        let known: Vec<i64> = migrator.iter().map(|m| m.version).collect();
        Ok(SchemaStatus {
            known: known.len(),
            applied: applied.iter().filter(|v| known.contains(v)).count(),
            unknown: applied.iter().filter(|v| !known.contains(v)).count(),
        })
    }

    /// Whether the database answers with this version's schema. A fresh connection,
    /// not a pooled one: an open SQLite connection keeps answering from a file that
    /// was deleted or replaced underneath it.
    pub async fn ready(&self) -> Result<(), String> {
        let status = Store::inspect(&self.db)
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

    /// Writes a consistent copy of the whole SQLite database to `dest` (which must not
    /// exist) while the server goes on: SQLite's `VACUUM INTO` reads one snapshot.
    /// PostgreSQL is backed up with its own tools (`pg_dump`).
    pub async fn backup(&self, dest: &Path) -> Result<(), StoreError> {
        let Database::Sqlite(path) = &*self.db else {
            return Err(StoreError::Unsupported(
                "a PostgreSQL database is backed up with pg_dump (docs/OPERATING.md)".into(),
            ));
        };
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
            sqlx::SqliteConnection::connect_with(&options(path)?.create_if_missing(true)).await?;
        sqlx::query("VACUUM INTO $1")
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

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }

    /// A write transaction that holds the account's write lock from its first
    /// statement, so that what it reads (counts, versions) cannot change before it
    /// writes. SQLite: `BEGIN IMMEDIATE` on the one writer connection. PostgreSQL: this
    /// server's writers queue in process first (one at a time asks the database), then
    /// a transaction-level advisory lock, shared by every server on the database and
    /// released at commit, rollback, or when the connection dies.
    pub(crate) async fn begin_write(&self) -> Result<WriteTx, sqlx::Error> {
        match self.backend() {
            Backend::Sqlite => Ok(WriteTx {
                tx: self.write.begin_with("BEGIN IMMEDIATE").await?,
                _turn: None,
            }),
            Backend::Postgres => {
                // Waiting here rather than in PostgreSQL: no pooled connection is held
                // idle in a lock wait, and the database wakes one waiter per server.
                let turn = self.writers.clone().lock_owned().await;
                let mut tx = self.write.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)::text")
                    .bind(WRITE_LOCK)
                    .execute(&mut *tx)
                    .await?;
                Ok(WriteTx {
                    tx,
                    _turn: Some(turn),
                })
            }
        }
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

    /// Runs `seed` if nothing has been made yet ([`Store::is_empty`]), once: on
    /// PostgreSQL under an advisory lock, so that servers starting together on an empty
    /// database seed it one time between them. Answers whether it ran.
    pub async fn if_empty<F, Fut>(&self, seed: F) -> Result<bool, StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<(), StoreError>>,
    {
        let mut guard = match self.backend() {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let mut conn = self.write.acquire().await?;
                sqlx::query("SELECT pg_advisory_lock($1)::text")
                    .bind(SEED_LOCK)
                    .execute(&mut *conn)
                    .await?;
                Some(conn)
            }
        };
        let result = match self.is_empty().await {
            Ok(true) => seed().await.map(|()| true),
            other => other.map(|_| false),
        };
        if let Some(conn) = guard.as_mut() {
            let unlocked = sqlx::query_scalar::<_, bool>("SELECT pg_advisory_unlock($1)")
                .bind(SEED_LOCK)
                .fetch_one(&mut **conn)
                .await;
            if !matches!(unlocked, Ok(true))
                && let Some(conn) = guard.take()
            {
                drop(conn.detach());
            }
        }
        result
    }

    /// Creates the account and what it bought. Used by the demo seed and by tests;
    /// settings screens will come with their own issue.
    pub async fn set_entitlements(&self, name: &str, ent: &Entitlements) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO account (id, name, web_chat_channel) VALUES (1, $1, $2)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, web_chat_channel = excluded.web_chat_channel",
        )
        .bind(name)
        .bind(ent.web_chat_channel)
        .execute(&mut *tx)
        .await?;
        for t in LicenseType::ALL {
            sqlx::query(
                "INSERT INTO license_pool (license, purchased) VALUES ($1, $2)
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
                 VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7 IS NULL THEN '' ELSE 'Enabled' END) RETURNING id",
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
                sqlx::query("INSERT INTO agent_licenses (agent_id, license) VALUES ($1, $2)")
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
        sqlx::query("UPDATE account SET web_chat_channel = $1 WHERE id = 1")
            .bind(ent.web_chat_channel)
            .execute(&mut *tx)
            .await?;
        for t in LicenseType::ALL {
            sqlx::query("UPDATE license_pool SET purchased = $1 WHERE license = $2")
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
        let changed: Vec<AgentId> = plan.updates.iter().map(|u| u.agent_id).collect();
        for chunk in changed.chunks(IN_CHUNK) {
            let mut qb = Sql::new(
                "UPDATE agents SET version = version + 1, updated_at = CURRENT_TIMESTAMP WHERE id",
            );
            qb.push_ids(chunk);
            qb.query()?.execute(&mut *tx).await?;
        }
        // Their licenses are the plan's: only their rows are read back.
        let mut agents = load_agent_rows(&mut tx, &changed).await?;
        for (update, agent) in plan.updates.iter().zip(agents.iter_mut()) {
            agent.licenses = update.after;
        }
        let entries = plan
            .updates
            .iter()
            .zip(&agents)
            .map(|(update, agent)| audit::Entry {
                kind: alc_domain::access::AuditKind::Licenses,
                agent_id: Some(update.agent_id),
                subject: &agent.name,
                before: serde_json::to_value(update.before).ok(),
                after: serde_json::to_value(update.after).ok(),
            });
        audit::record_many(&mut tx, actor, entries).await?;
        // Counted inside the lock from what was read and what was written.
        let summary = LicenseSummary::from_pool(&plan.pool_after);
        tx.commit().await?;
        Ok(LicenseChangeResult { agents, summary })
    }

    /// Creates UC groups (queues) as they are, with members given by their directory
    /// keys. For seeding and tests; refreshes write groups themselves.
    pub async fn insert_groups(&self, groups: &[NewGroup]) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for g in groups {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO uc_groups (name, extension, directory_key) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(&g.name)
            .bind(&g.extension)
            .bind(&g.directory_key)
            .fetch_one(&mut *tx)
            .await?;
            for key in &g.members {
                sqlx::query(
                    "INSERT INTO uc_group_members (group_id, agent_id)
                     SELECT $1, id FROM agents WHERE directory_key = $2",
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
    conn: &mut sqlx::AnyConnection,
) -> Result<HashMap<AgentId, LicenseSet>, StoreError> {
    licenses_by_agent(
        &sqlx::query("SELECT agent_id, license FROM agent_licenses")
            .fetch_all(&mut *conn)
            .await?,
    )
}

fn licenses_by_agent(
    rows: &[sqlx::any::AnyRow],
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

/// What the account bought and what is assigned, in one statement (every write that
/// checks seats reads it first, inside its write lock). `assigned` is kept by triggers
/// on `agent_licenses` (migration 0010).
pub(crate) async fn load_pool(conn: &mut sqlx::AnyConnection) -> Result<Pool, StoreError> {
    let mut pool = Pool {
        entitlements: Entitlements {
            purchased: Counts::default(),
            web_chat_channel: false,
        },
        assigned: Counts::default(),
    };
    for row in sqlx::query(
        "SELECT p.license, p.purchased, p.assigned AS n,
                COALESCE((SELECT web_chat_channel FROM account WHERE id = 1), FALSE) AS channel
         FROM license_pool p",
    )
    .fetch_all(&mut *conn)
    .await?
    {
        let t = license_from(row.try_get("license")?)?;
        pool.entitlements.purchased[t] = row.try_get("purchased")?;
        pool.assigned[t] = row.try_get("n")?;
        pool.entitlements.web_chat_channel = flag(&row, "channel")?;
    }
    Ok(pool)
}

pub(crate) fn license_from(key: &str) -> Result<LicenseType, StoreError> {
    LicenseType::from_key(key)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown license type {key:?}")))
}

fn agent_from_row(row: &sqlx::any::AnyRow) -> Result<Agent, StoreError> {
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
        gone: flag(row, "gone")?,
        disabled: Standing::of(false, row.try_get("directory_status")?) == Standing::Disabled,
        no_queue: flag(row, "no_queue")?,
    })
}

/// Runs `SELECT ... WHERE <column> IN (ids)` in chunks, keeping SQL variable counts small.
async fn select_in(
    conn: &mut sqlx::AnyConnection,
    head: &str,
    ids: &[AgentId],
) -> Result<Vec<AnyRow>, sqlx::Error> {
    let mut out = Vec::new();
    for chunk in ids.chunks(IN_CHUNK) {
        let mut qb = Sql::new(head);
        qb.push_ids(chunk);
        out.extend(qb.query()?.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

pub(crate) async fn load_licenses(
    conn: &mut sqlx::AnyConnection,
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

fn standing_from_row(row: &sqlx::any::AnyRow) -> Result<Standing, sqlx::Error> {
    Ok(Standing::of(
        flag(row, "gone")?,
        row.try_get("directory_status")?,
    ))
}

/// Where one agent stands in its directory (an unknown id: listed).
pub(crate) async fn load_standing(
    conn: &mut sqlx::AnyConnection,
    id: AgentId,
) -> Result<Standing, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {STANDING_COLUMNS} FROM agents WHERE id = $1"
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
    conn: &mut sqlx::AnyConnection,
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
    conn: &mut sqlx::AnyConnection,
    ids: &[AgentId],
) -> Result<Vec<Agent>, StoreError> {
    let mut agents = load_agent_rows(conn, ids).await?;
    let licenses = load_licenses(conn, ids).await?;
    for a in &mut agents {
        a.licenses = licenses.get(&a.id).copied().unwrap_or_default();
    }
    Ok(agents)
}

/// Agents by id without their licenses, in the order of `ids` (unknown ids skipped).
async fn load_agent_rows(
    conn: &mut sqlx::AnyConnection,
    ids: &[AgentId],
) -> Result<Vec<Agent>, StoreError> {
    let rows = select_in(conn, &format!("{AGENT_COLUMNS} WHERE id"), ids).await?;
    let mut by_id: HashMap<AgentId, Agent> = rows
        .iter()
        .map(|r| agent_from_row(r).map(|a| (a.id, a)))
        .collect::<Result<_, _>>()?;
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// A write transaction and this server's turn to write ([`Store::begin_write`]); it
/// reads as its connection, and ends with [`WriteTx::commit`] (dropped: rolled back).
pub(crate) struct WriteTx {
    tx: Transaction<'static, Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &sqlx::AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }
}

/// SQL built piece by piece with `$n` placeholders, which both backends read (sqlx's
/// `QueryBuilder` writes `?` for the `Any` driver, which PostgreSQL does not).
pub(crate) struct Sql {
    text: String,
    args: AnyArguments<'static>,
    n: usize,
    failed: Option<String>,
}

impl Sql {
    pub(crate) fn new(head: &str) -> Sql {
        Sql {
            text: head.to_string(),
            args: AnyArguments::default(),
            n: 0,
            failed: None,
        }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub(crate) fn bind<T>(&mut self, value: T) -> &mut Sql
    where
        T: 'static + Send + sqlx::Encode<'static, Any> + sqlx::Type<Any>,
    {
        if let Err(e) = self.args.add(value) {
            self.failed.get_or_insert(e.to_string());
        }
        self.n += 1;
        self.text.push_str(&format!("${}", self.n));
        self
    }

    /// Appends ` IN ($a, $b, …)` for `ids` (keep them to [`IN_CHUNK`]).
    pub(crate) fn push_ids(&mut self, ids: &[AgentId]) -> &mut Sql {
        self.push(" IN (");
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(*id);
        }
        self.push(")")
    }

    /// The query, its values taken (build it once).
    pub(crate) fn query(
        &mut self,
    ) -> Result<sqlx::query::Query<'_, Any, AnyArguments<'_>>, sqlx::Error> {
        if let Some(e) = self.failed.take() {
            return Err(sqlx::Error::Encode(e.into()));
        }
        Ok(sqlx::query_with(&self.text, std::mem::take(&mut self.args)))
    }

    /// The query of one value, its values taken (build it once).
    pub(crate) fn query_scalar<O>(
        &mut self,
    ) -> Result<sqlx::query::QueryScalar<'_, Any, O, AnyArguments<'_>>, sqlx::Error>
    where
        (O,): for<'r> sqlx::FromRow<'r, AnyRow>,
    {
        if let Some(e) = self.failed.take() {
            return Err(sqlx::Error::Encode(e.into()));
        }
        Ok(sqlx::query_scalar_with(
            &self.text,
            std::mem::take(&mut self.args),
        ))
    }
}

/// A boolean a query worked out (`x IS NOT NULL AS gone`): PostgreSQL answers a
/// BOOLEAN, SQLite an integer.
pub(crate) fn flag(row: &AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    match row.try_get::<bool, _>(column) {
        Ok(b) => Ok(b),
        Err(sqlx::Error::ColumnDecode { .. }) => Ok(row.try_get::<i64, _>(column)? != 0),
        Err(e) => Err(e),
    }
}
