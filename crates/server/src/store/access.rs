//! Console users, their passwords (Argon2id), sessions and failed sign-ins.

use std::sync::atomic::Ordering;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use sqlx::Row;

use alc_domain::access::{AuditKind, ConsoleUser, MAX_EMAIL_BYTES, Role};
use alc_domain::email_key;

use super::{Store, StoreError, audit};

/// Who did something, for the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub id: Option<i64>,
    /// "Sam Supervisor <sam@example.com>".
    pub name: String,
}

/// A signed-in console user, as the access layer found them.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user_id: i64,
    pub user: ConsoleUser,
    pub kind: SessionKind,
    /// The session's anti-forgery token (cookie sessions).
    pub csrf: String,
    pub token_hash: String,
    /// Unix seconds.
    pub expires_at: i64,
    /// Signed in with a password someone else chose: only changing it is allowed.
    pub must_change_password: bool,
}

impl Principal {
    pub fn actor(&self) -> Actor {
        Actor {
            id: Some(self.user_id),
            name: user_label(&self.user.name, &self.user.email),
        }
    }
}

/// How a console user is named in the audit log: "Sam Supervisor <sam@example.com>".
pub(crate) fn user_label(name: &str, email: &str) -> String {
    format!("{name} <{email}>")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind {
    Cookie,
    Bearer,
}

impl SessionKind {
    fn key(self) -> &'static str {
        match self {
            SessionKind::Cookie => "cookie",
            SessionKind::Bearer => "bearer",
        }
    }
}

/// How long sessions live.
#[derive(Clone, Copy, Debug)]
pub struct SessionPolicy {
    /// Without use for this long, a session ends.
    pub idle: Duration,
    /// However much it is used, a session ends this long after sign-in.
    pub max: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle: Duration::from_secs(30 * 60),
            max: Duration::from_secs(12 * 60 * 60),
        }
    }
}

/// Password checks count within this window.
const WINDOW_SECS: i64 = 15 * 60;
/// Checks of one account from one address before the waits start (2, 4, 8 … 60 s).
const FREE_CHECKS: i64 = 3;
/// Checks of one account from all addresses in a window: beyond, everyone waits for
/// the window to end. High, so that a flood from elsewhere rarely locks the real user
/// out; low enough to cap a distributed guesser at 400 guesses an hour.
const ACCOUNT_CEILING: i64 = 100;

/// A throttling row's count, window start and last check; a passed window is none.
async fn throttle_row(
    conn: &mut sqlx::AnyConnection,
    key: &str,
    now: i64,
) -> Result<Option<(i64, i64, i64)>, StoreError> {
    let row: Option<(i64, i64, i64)> =
        sqlx::query_as("SELECT count, window_start, last_at FROM sign_in_throttle WHERE key = $1")
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.filter(|(_, start, _)| *start > now - WINDOW_SECS))
}

fn pair_key(email_key: &str, client: &str) -> String {
    format!("pair:{email_key}|{client}")
}

/// Argon2id runs at most this many at once (half the cores): a flood of sign-ins queues
/// here instead of taking every core and 19 MiB each from signed-in users' requests.
fn hashing() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| tokio::sync::Semaphore::new(hashing_permits()))
}

/// Half the cores (at least one): the other half is always free for requests.
fn hashing_permits() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

/// How long a request may wait for a hashing permit before it is answered "busy".
const HASHING_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

async fn off_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    let _permit = tokio::time::timeout(HASHING_WAIT, hashing().acquire())
        .await
        .map_err(|_| StoreError::Busy)?
        .map_err(|_| StoreError::Busy)?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    hash_threads()
        .send(Box::new(move || {
            let _ = tx.send(work());
        }))
        .map_err(|_| StoreError::Corrupt("the hashing threads are gone".into()))?;
    rx.await
        .map_err(|_| StoreError::Corrupt("the hashing task failed".into()))
}

type Job = Box<dyn FnOnce() + Send>;

/// Threads that only hash passwords, one per hashing permit, at a lower CPU priority
/// (nice 10) than the threads that answer requests: under a flood of sign-ins the
/// kernel gives the cores to signed-in users' requests first, and hashing takes what
/// is left. (Not tokio's blocking pool: a thread's priority cannot be raised back
/// without privileges, and that pool serves other work too.)
fn hash_threads() -> &'static std::sync::mpsc::Sender<Job> {
    static JOBS: std::sync::OnceLock<std::sync::mpsc::Sender<Job>> = std::sync::OnceLock::new();
    JOBS.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        for i in 0..hashing_permits() {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("alc-hash-{i}"))
                .spawn(move || {
                    lower_priority();
                    loop {
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        match job {
                            // A panic ends the job (its answer is dropped: "failed"),
                            // not the thread.
                            Ok(job) => {
                                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                            }
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        tx
    })
}

/// nice 10 for the calling thread (Linux: priorities are per thread, and lowering
/// needs no privilege). Not `SCHED_IDLE`: on a server kept busy by its users, sign-ins
/// must still get some CPU (about a tenth of a core's share), not wait forever.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority on our own thread id with a valid `which`; it only changes a
    // number the scheduler reads.
    unsafe {
        let tid = libc::gettid();
        if libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 10) != 0 {
            tracing::warn!("cannot lower the password hashing thread's priority");
        }
    }
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub fn hash_password(password: &str) -> Result<String, StoreError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Corrupt(format!("cannot hash a password: {e}")))
}

/// [`hash_password`] off the async threads, within the cap on concurrent hashes:
/// Argon2id takes tens of milliseconds and 19 MiB by design.
pub(crate) async fn hash_off_thread(password: &str) -> Result<String, StoreError> {
    let password = password.to_string();
    off_thread(move || hash_password(&password)).await?
}

/// [`verify_password`] off the async threads, within the same cap.
pub(crate) async fn verify_off_thread(password: &str, hash: String) -> Result<bool, StoreError> {
    let password = password.to_string();
    off_thread(move || verify_password(&password, &hash)).await
}

/// The password hash of a console user who signs in by a portal's single sign-on
/// only: not a PHC string, so no password ever verifies against it.
pub(crate) const NO_PASSWORD: &str = "!single-sign-on";

/// A hash to verify against when the email is unknown, so that the answer takes as
/// long as for a known one (no user enumeration by timing).
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("not a password of anyone").unwrap_or_default())
}

pub(crate) fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Opens a session for console user `id` at `now`, inside the caller's transaction,
/// and answers its token (only the token's hash is stored).
pub(crate) async fn open_session(
    tx: &mut sqlx::AnyConnection,
    id: i64,
    kind: SessionKind,
    policy: SessionPolicy,
    now: i64,
) -> Result<String, StoreError> {
    let token = random_token();
    let max = now + policy.max.as_secs() as i64;
    let expires = (now + policy.idle.as_secs() as i64).min(max);
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, kind, csrf, created_at, expires_at, max_expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(token_hash(&token))
    .bind(id)
    .bind(kind.key())
    .bind(random_token())
    .bind(now)
    .bind(expires)
    .bind(max)
    .execute(&mut *tx)
    .await?;
    // Old sessions go when new ones come: the table stays small without a sweeper.
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE console_users SET last_sign_in_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(token)
}

/// Why a sign-in failed.
#[derive(Debug)]
pub enum SignInRefused {
    /// Wrong email or password (which one is not said).
    Invalid,
    /// The right password for a disabled account.
    Disabled,
    /// Too many failures lately: try again after this many seconds.
    SlowDown(u64),
}

impl Store {
    /// Creates (or replaces the password and role of) a console user.
    pub async fn upsert_console_user(
        &self,
        email: &str,
        name: &str,
        role: Role,
        password: &str,
    ) -> Result<i64, StoreError> {
        let hash = hash_password(password)?;
        Ok(sqlx::query_scalar(
            "INSERT INTO console_users (email, email_key, name, role, password_hash) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (email_key) DO UPDATE SET name = excluded.name, role = excluded.role,
                 password_hash = excluded.password_hash
             RETURNING id",
        )
        .bind(email)
        .bind(email_key(email))
        .bind(name)
        .bind(role.key())
        .bind(hash)
        .fetch_one(&self.write)
        .await?)
    }

    /// Checks a password, slowing down repeated attempts for the same email from the
    /// same `client` address (and capping them per email), and opens a session on
    /// success.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        kind: SessionKind,
        policy: SessionPolicy,
        client: &str,
    ) -> Result<Result<(String, Principal), SignInRefused>, StoreError> {
        // The API refuses these with 422 first; nothing is stored or hashed for them.
        if email.len() > MAX_EMAIL_BYTES || password.len() > alc_domain::password::MAX_BYTES {
            return Ok(Err(SignInRefused::Invalid));
        }
        let key = email_key(email);
        let now = self.now_secs();
        if let Some(wait) = self.reserve_check(&key, client, now).await? {
            tracing::info!(wait_secs = wait, "sign-in throttled");
            return Ok(Err(SignInRefused::SlowDown(wait)));
        }
        let row = sqlx::query(
            "SELECT id, name, email, password_hash, COALESCE(active, FALSE) AS active FROM console_users WHERE email_key = $1",
        )
        .bind(&key)
        .fetch_optional(&self.read)
        .await?;
        let (known, hash) = match &row {
            Some(r) => (
                Some((
                    r.try_get::<i64, _>("id")?,
                    Actor {
                        id: Some(r.try_get("id")?),
                        name: user_label(r.try_get("name")?, r.try_get("email")?),
                    },
                    super::flag(r, "active")?,
                )),
                // A user of single sign-on has no password: checked against the decoy
                // (so the answer takes as long) and never matched.
                Some(r.try_get::<String, _>("password_hash")?)
                    .filter(|h| h != NO_PASSWORD)
                    .unwrap_or_else(|| decoy_hash().to_string()),
            ),
            None => (None, decoy_hash().to_string()),
        };
        self.password_checks.fetch_add(1, Ordering::Relaxed);
        let ok = verify_off_thread(password, hash).await?;
        let ok = ok
            && row
                .as_ref()
                .and_then(|r| r.try_get::<String, _>("password_hash").ok())
                .is_some_and(|h| h != NO_PASSWORD);
        let Some((id, actor, active)) = known.clone().filter(|_| ok) else {
            tracing::info!(user_id = known.as_ref().map(|k| k.0), "sign-in failed");
            // Audited for real accounts only: an unknown email is nobody's event, and
            // recording it would let a stranger grow the append-only log at will.
            if let Some((_, actor, _)) = &known {
                let mut tx = self.begin_write().await?;
                audit::record(
                    &mut tx,
                    actor,
                    audit::Entry::user(AuditKind::SignInFailed, &actor.name),
                )
                .await?;
                tx.commit().await?;
            }
            return Ok(Err(SignInRefused::Invalid));
        };
        if !active {
            return Ok(Err(SignInRefused::Disabled));
        }
        // The session starts now, after the (slow, by design) hash: with a short idle
        // policy, a clock read before it could open a session that is already over.
        let now = self.now_secs();
        let mut tx = self.begin_write().await?;
        // The right password from this address: its slowdown starts over. The
        // account's ceiling does not (a guesser elsewhere keeps counting).
        sqlx::query("DELETE FROM sign_in_throttle WHERE key = $1")
            .bind(pair_key(&key, client))
            .execute(&mut *tx)
            .await?;
        let token = open_session(&mut tx, id, kind, policy, now).await?;
        audit::record(
            &mut tx,
            &actor,
            audit::Entry {
                after: Some(serde_json::json!({"session": kind.key()})),
                ..audit::Entry::user(AuditKind::SignInSucceeded, &actor.name)
            },
        )
        .await?;
        tx.commit().await?;
        tracing::info!(user_id = id, session = kind.key(), "signed in");
        let principal = self
            .session(&token, policy)
            .await?
            .ok_or_else(|| StoreError::Corrupt("a new session vanished".into()))?;
        Ok(Ok((token, principal)))
    }

    /// Counts one password check of `email_key` from `client` before it is made, or
    /// answers how many seconds to wait. On the single writer, so that however many
    /// attempts arrive at once, no more checks are made than the limits allow.
    async fn reserve_check(
        &self,
        email_key: &str,
        client: &str,
        now: i64,
    ) -> Result<Option<u64>, StoreError> {
        let pair = pair_key(email_key, client);
        let account = format!("account:{email_key}");
        let mut tx = self.begin_write().await?;
        if let Some((count, _, last)) = throttle_row(&mut tx, &pair, now).await?
            && count >= FREE_CHECKS
        {
            let wait = (1i64 << (count - FREE_CHECKS + 1).min(6)).min(60);
            if now < last + wait {
                return Ok(Some((last + wait - now) as u64));
            }
        }
        if let Some((count, start, _)) = throttle_row(&mut tx, &account, now).await?
            && count >= ACCOUNT_CEILING
        {
            return Ok(Some((start + WINDOW_SECS - now).max(1) as u64));
        }
        for key in [pair, account] {
            sqlx::query(
                "INSERT INTO sign_in_throttle (key, count, window_start, last_at) VALUES ($1, 1, $2, $3)
                 ON CONFLICT (key) DO UPDATE SET
                     count = CASE WHEN sign_in_throttle.window_start <= $4 THEN 1
                                  ELSE sign_in_throttle.count + 1 END,
                     window_start = CASE WHEN sign_in_throttle.window_start <= $5
                                         THEN excluded.window_start
                                         ELSE sign_in_throttle.window_start END,
                     last_at = excluded.last_at",
            )
            .bind(key)
            .bind(now)
            .bind(now)
            .bind(now - WINDOW_SECS)
            .bind(now - WINDOW_SECS)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(None)
    }

    /// Forgets throttling rows whose window has passed (run every minute by the
    /// server), so that anonymous attempts cannot grow the table without bound.
    pub async fn sweep_sign_in_throttle(&self) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("DELETE FROM sign_in_throttle WHERE last_at <= $1")
                .bind(self.now_secs() - WINDOW_SECS)
                .execute(&self.write)
                .await?
                .rows_affected(),
        )
    }

    /// How many password hashes sign-in has checked since the store was opened.
    pub fn password_checks(&self) -> u64 {
        self.password_checks.load(Ordering::Relaxed)
    }

    /// The session `token` opens, if it is live; using it moves its idle expiry.
    pub async fn session(
        &self,
        token: &str,
        policy: SessionPolicy,
    ) -> Result<Option<Principal>, StoreError> {
        let now = self.now_secs();
        let hash = token_hash(token);
        let row = sqlx::query(
            "SELECT s.user_id, s.kind, s.csrf, s.expires_at, s.max_expires_at, u.name, u.email, u.role,
                    COALESCE(u.must_change_password, FALSE) AS must_change_password
             FROM sessions s JOIN console_users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND u.active",
        )
        .bind(&hash)
        .fetch_optional(&self.read)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let expires_at: i64 = row.try_get("expires_at")?;
        if expires_at <= now {
            return Ok(None);
        }
        let max: i64 = row.try_get("max_expires_at")?;
        let renewed = (now + policy.idle.as_secs() as i64).min(max);
        // Written at most once a minute per session: reads stay reads.
        if renewed - expires_at >= 60 {
            sqlx::query("UPDATE sessions SET expires_at = $1 WHERE token_hash = $2")
                .bind(renewed)
                .bind(&hash)
                .execute(&self.write)
                .await?;
        }
        let role: String = row.try_get("role")?;
        Ok(Some(Principal {
            user_id: row.try_get("user_id")?,
            user: ConsoleUser {
                name: row.try_get("name")?,
                email: row.try_get("email")?,
                role: Role::from_key(&role)
                    .ok_or_else(|| StoreError::Corrupt(format!("unknown role {role:?}")))?,
            },
            kind: if row.try_get::<String, _>("kind")? == "bearer" {
                SessionKind::Bearer
            } else {
                SessionKind::Cookie
            },
            csrf: row.try_get("csrf")?,
            token_hash: hash,
            expires_at: renewed.max(expires_at),
            must_change_password: super::flag(&row, "must_change_password")?,
        }))
    }

    /// Signs out: ends this one session, and records it.
    pub async fn end_session(&self, actor: &Actor, token_hash: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            actor,
            audit::Entry::user(AuditKind::SignedOut, &actor.name),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(user_id = actor.id, "signed out");
        Ok(())
    }
}
