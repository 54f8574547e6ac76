//! "One refresh at a time" across every server on the database, and its progress for
//! any of them to show.
//!
//! SQLite has one server process per file: the refresher's own slot is the lock, and
//! this module does nothing. PostgreSQL may have several: a run holds a session-level
//! advisory lock on a connection of its own for its whole run (PostgreSQL releases it
//! when that connection ends, so a server killed mid-run leaves no lock behind), and
//! writes its progress to the one row of `refresh_runs` with a heartbeat, so another
//! server answers `GET /directory/refresh` with it and refuses a second start.

use alc_domain::directory::RefreshProgress;
use sqlx::pool::PoolConnection;
use sqlx::{Any, Executor};

use super::{Backend, Store, StoreError};

/// The advisory lock's key ("alc_rf").
const REFRESH_LOCK: i64 = 0x616c_635f_7266;

/// A run's progress row older than this is a dead server's, not a run.
pub const STALE_SECS: i64 = 15;

/// Held for the length of a run: the lock (PostgreSQL) and its progress row.
pub struct Claim {
    conn: Option<PoolConnection<Any>>,
    store: Store,
}

impl Store {
    /// Takes the refresh lock for a run starting at `started_at`, or says which run
    /// holds it (`Err(Some(progress))`; `Err(None)` when the holder left no progress).
    pub async fn claim_refresh(
        &self,
        started_at: &str,
    ) -> Result<Result<Claim, Option<RefreshProgress>>, StoreError> {
        if self.backend() == Backend::Sqlite {
            return Ok(Ok(Claim {
                conn: None,
                store: self.clone(),
            }));
        }
        // A connection of its own, out of the pool's reach: the lock lives as long as
        // it does.
        let mut conn = self.write.acquire().await?;
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(REFRESH_LOCK)
            .fetch_one(&mut *conn)
            .await?;
        if !got {
            drop(conn);
            return Ok(Err(self.refresh_elsewhere().await?));
        }
        let progress = RefreshProgress {
            started_at: started_at.to_string(),
            phase: "reading".into(),
            ..RefreshProgress::default()
        };
        write_progress(&mut conn, self.now_secs(), &progress).await?;
        Ok(Ok(Claim {
            conn: Some(conn),
            store: self.clone(),
        }))
    }

    /// The run another server is making, if any (PostgreSQL; SQLite: never).
    pub async fn refresh_elsewhere(&self) -> Result<Option<RefreshProgress>, StoreError> {
        if self.backend() == Backend::Sqlite {
            return Ok(None);
        }
        let row: Option<String> = sqlx::query_scalar(
            "SELECT progress FROM refresh_runs WHERE id = 1 AND heartbeat_at >= $1",
        )
        .bind(self.now_secs() - STALE_SECS)
        .fetch_optional(&self.read)
        .await?;
        Ok(row.and_then(|j| serde_json::from_str(&j).ok()))
    }
}

async fn write_progress(
    conn: &mut sqlx::AnyConnection,
    now: i64,
    progress: &RefreshProgress,
) -> Result<(), StoreError> {
    let json = serde_json::to_string(progress).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO refresh_runs (id, progress, heartbeat_at) VALUES (1, $1, $2)
         ON CONFLICT (id) DO UPDATE SET progress = excluded.progress, heartbeat_at = excluded.heartbeat_at",
    )
    .bind(json)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Claim {
    /// Publishes the run's progress (and that it is alive).
    pub async fn beat(&mut self, progress: &RefreshProgress) -> Result<(), StoreError> {
        let now = self.store.now_secs();
        if let Some(conn) = self.conn.as_mut() {
            write_progress(conn, now, progress).await?;
        }
        Ok(())
    }

    /// Ends the run: the row goes, then the lock.
    pub async fn release(mut self) {
        if let Some(mut conn) = self.conn.take() {
            let _ = conn.execute("DELETE FROM refresh_runs WHERE id = 1").await;
            let unlocked = sqlx::query_scalar::<_, bool>("SELECT pg_advisory_unlock($1)")
                .bind(REFRESH_LOCK)
                .fetch_one(&mut *conn)
                .await;
            if !matches!(unlocked, Ok(true)) {
                // Never hand a connection that may still hold the lock back to the pool.
                let _ = conn.detach();
            }
        }
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        // A run that ended without `release` (a panic): close the connection, which
        // releases the lock, rather than return it to the pool holding it.
        if let Some(conn) = self.conn.take() {
            drop(conn.detach());
        }
    }
}
