//! "Refresh Users and Groups": one run at a time, in the background, with progress.
//!
//! A run reads the whole directory first (no transaction is open while we wait on the
//! network), then applies it in one write transaction. If reading fails, nothing is
//! written but the failed report, which says why.

use alc_domain::ErrorCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use alc_directory::{DirectoryError, Egress, Http, Policy, Progress};
use alc_domain::directory::{RefreshProgress, RefreshReport, RefreshStatus};
use alc_domain::{AgentSource, ErrorBody};
use axum::http::StatusCode;

use crate::error::ApiError;
use crate::store::access::Actor;
use crate::store::{Store, StoreError, source_of};

/// The state shared by every request: at most one run.
#[derive(Clone)]
pub struct Refresher {
    running: Arc<Mutex<Option<Run>>>,
    policy: Policy,
    egress: Arc<Egress>,
}

#[derive(Clone)]
struct Run {
    started_at: String,
    applying: Arc<AtomicBool>,
    progress: Arc<Progress>,
}

impl Run {
    fn now(&self) -> RefreshProgress {
        let p = self.progress.now();
        RefreshProgress {
            started_at: self.started_at.clone(),
            phase: if self.applying.load(Ordering::Relaxed) {
                "applying"
            } else {
                "reading"
            }
            .to_string(),
            pages: p.pages,
            users: p.users,
            groups: p.groups,
            retries: p.retries,
        }
    }
}

/// Clears the running slot when the run ends, however it ends.
struct Finish(Arc<Mutex<Option<Run>>>);

impl Drop for Finish {
    fn drop(&mut self) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = None;
        }
    }
}

impl Refresher {
    /// Runs under `policy`, calling only the addresses `egress` allows.
    pub fn new(policy: Policy, egress: Egress) -> Self {
        Refresher {
            running: Arc::new(Mutex::new(None)),
            policy,
            egress: Arc::new(egress),
        }
    }

    /// The rule for the directory's address, also checked when it is saved.
    pub fn egress(&self) -> &Egress {
        &self.egress
    }

    fn current(&self) -> Option<Run> {
        self.running.lock().ok().and_then(|r| r.clone())
    }

    /// This server's run, or another server's on the same database (PostgreSQL).
    pub async fn status(&self, store: &Store) -> Result<RefreshStatus, ApiError> {
        let running = match self.current() {
            Some(run) => Some(run.now()),
            None => store.refresh_elsewhere().await?,
        };
        Ok(RefreshStatus {
            running,
            last: store.latest_refresh().await?,
        })
    }

    /// Starts a run in the background. A second start while one runs is refused
    /// (409), not queued: the first run's result is what the second would have got.
    pub async fn start(&self, store: &Store, actor: Actor) -> Result<RefreshStatus, ApiError> {
        let Some(conn) = store.directory_connection().await? else {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::DirectoryNotConnected,
                "No UC directory is connected to this account. An admin connects one in the settings.",
            ));
        };
        let started_at = store.now().await?;
        let run = Run {
            started_at: started_at.clone(),
            applying: Arc::new(AtomicBool::new(false)),
            progress: Arc::new(Progress::default()),
        };
        {
            let mut slot = self
                .running
                .lock()
                .map_err(|_| ApiError::internal("refresh state poisoned"))?;
            if let Some(other) = slot.as_ref() {
                return Err(running_already(Some(&other.started_at)));
            }
            *slot = Some(run.clone());
        }
        let finish = Finish(self.running.clone());
        // Another server on the same database may be running one.
        let mut claim = match store.claim_refresh(&started_at).await? {
            Ok(claim) => claim,
            Err(other) => {
                return Err(running_already(
                    other.as_ref().map(|p| p.started_at.as_str()),
                ));
            }
        };
        let policy = self.policy.clone();
        let egress = self.egress.clone();
        let store2 = store.clone();
        let run2 = run.clone();
        tokio::spawn(async move {
            let _finish = finish;
            let progress = run2.clone();
            let work = async move {
                let source = source_of(&conn);
                let read_from = crate::connection::address_of(&conn);
                let read = match Http::new(policy, run2.progress.clone(), egress) {
                    Ok(http) => conn.snapshot(&http).await,
                    Err(e) => Err(e),
                };
                let outcome = match read {
                    Ok(snapshot) => {
                        run2.applying.store(true, Ordering::Relaxed);
                        store2
                        .apply_snapshot(&actor, source, &snapshot, &started_at, &read_from)
                        .await
                        .map(|_| ())
                        .map_err(|e| match e {
                            StoreError::ConnectionChanged => {
                                tracing::info!("the directory connection changed during the refresh; nothing applied");
                                failed(source, &started_at, ErrorCode::DirectoryChanged, format!("The connection was changed to another directory while this refresh read {}; nothing was applied. Refresh again to read the new one.", read_from.describe()))
                            }
                            e => {
                                tracing::error!(error = %e, "applying the directory failed");
                                failed(source, &started_at, ErrorCode::RefreshFailed, "The directory was read, but saving it failed; nothing was changed. Try again; if it keeps failing, the server log has the details.".into())
                            }
                        })
                    }
                    Err(e) => {
                        tracing::warn!(code = e.code().as_str(), error = %e, "directory refresh failed");
                        Err(failed(source, &started_at, e.code(), describe(&e)))
                    }
                };
                if let Err(report) = outcome
                    && let Err(e) = store2.record_failed_refresh(&actor, report).await
                {
                    tracing::error!(error = %e, "could not record the failed refresh");
                }
            };
            // The run's progress, for the other servers, while it works.
            tokio::pin!(work);
            let mut beat = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                tokio::select! {
                    () = &mut work => break,
                    _ = beat.tick() => {
                        if let Err(e) = claim.beat(&progress.now()).await {
                            tracing::warn!(error = %e, "could not publish the refresh's progress");
                        }
                    }
                }
            }
            claim.release().await;
        });
        Ok(RefreshStatus {
            running: Some(run.now()),
            last: store.latest_refresh().await?,
        })
    }
}

/// 409: one run at a time (`started_at`: the running one's, when known).
fn running_already(started_at: Option<&str>) -> ApiError {
    let when = started_at
        .map(|s| format!(" (started {s})"))
        .unwrap_or_default();
    ApiError::new(
        StatusCode::CONFLICT,
        ErrorCode::RefreshRunning,
        format!("A refresh is already running{when}. Its report appears here when it ends."),
    )
}

fn failed(
    source: AgentSource,
    started_at: &str,
    code: ErrorCode,
    message: String,
) -> RefreshReport {
    RefreshReport {
        source: Some(source),
        started_at: started_at.to_string(),
        error: Some(ErrorBody {
            code,
            message,
            fields: Vec::new(),
        }),
        ..RefreshReport::default()
    }
}

/// The connector's error, in the words a supervisor reads (its details are logged).
fn describe(e: &DirectoryError) -> String {
    format!("Nothing was changed: {}.", e.for_people())
}
