//! The HTTP rules every connector shares: per-request timeout, run deadline, page cap,
//! `Retry-After` on 429/503, backoff on other 5xx and network failures, progress.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde::Serialize;

use crate::DirectoryError;
use crate::egress::{Egress, Refused};

/// How patient a run is. [`Policy::default`] is what production uses.
#[derive(Clone, Debug)]
pub struct Policy {
    /// For one request, connection to last byte.
    pub request_timeout: Duration,
    /// For the whole run: past it, the run stops with [`DirectoryError::TimedOut`].
    pub deadline: Duration,
    /// Past this many pages (users, groups and members together) the run stops.
    pub max_pages: u32,
    /// Retries of one request after 5xx, timeouts or connection failures.
    pub max_retries: u32,
    /// Waits between those retries, in order (the last one repeats).
    pub backoff: Vec<Duration>,
    /// The wait after a 429 or 503 without a usable `Retry-After`.
    pub default_retry_after: Duration,
    /// Rate-limit waits in a row allowed for one request before giving up.
    pub max_rate_limit_waits: u32,
    /// The largest answer read (one page): beyond it, the run fails as malformed
    /// instead of taking the server's memory.
    pub max_body_bytes: usize,
}

/// A refusal's body is only summarised: this much of it is read.
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

impl Default for Policy {
    /// RingCentral's published guidance, which we apply to every system: back off 2, 3,
    /// 5, 8, 13, 21, 30 s, at most 3 retries; 30 s when a 429 names no wait.
    fn default() -> Self {
        Policy {
            request_timeout: Duration::from_secs(30),
            deadline: Duration::from_secs(15 * 60),
            max_pages: 10_000,
            max_retries: 3,
            backoff: [2, 3, 5, 8, 13, 21, 30]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            default_retry_after: Duration::from_secs(30),
            max_rate_limit_waits: 5,
            // Pages hold at most 1,000 users: far below this.
            max_body_bytes: 16 * 1024 * 1024,
        }
    }
}

impl Policy {
    /// The same rules with short waits, for tests against the fake servers. The
    /// `Retry-After` a server sends is still honoured as sent.
    pub fn quick() -> Self {
        Policy {
            request_timeout: Duration::from_secs(2),
            deadline: Duration::from_secs(60),
            backoff: vec![Duration::from_millis(10), Duration::from_millis(20)],
            default_retry_after: Duration::from_millis(50),
            ..Policy::default()
        }
    }
}

/// Counters a running refresh exposes (the page polls them for its progress bar).
#[derive(Debug, Default)]
pub struct Progress {
    pub pages: AtomicU32,
    pub users: AtomicU32,
    pub groups: AtomicU32,
    pub retries: AtomicU32,
    /// Total milliseconds spent waiting for rate limits and backoff.
    pub waited_ms: AtomicU64,
}

/// A copy of [`Progress`] at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProgressNow {
    pub pages: u32,
    pub users: u32,
    pub groups: u32,
    pub retries: u32,
    pub waited_ms: u64,
}

impl Progress {
    pub fn now(&self) -> ProgressNow {
        ProgressNow {
            pages: self.pages.load(Ordering::Relaxed),
            users: self.users.load(Ordering::Relaxed),
            groups: self.groups.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            waited_ms: self.waited_ms.load(Ordering::Relaxed),
        }
    }

    /// Adds `n` users read (connectors call this per page).
    pub fn add_users(&self, n: usize) {
        self.users.fetch_add(n as u32, Ordering::Relaxed);
    }

    pub fn add_groups(&self, n: usize) {
        self.groups.fetch_add(n as u32, Ordering::Relaxed);
    }
}

/// One run's HTTP client: create one per refresh.
pub struct Http {
    client: Client,
    policy: Policy,
    started: Instant,
    progress: std::sync::Arc<Progress>,
    egress: std::sync::Arc<Egress>,
}

impl Http {
    /// A client that connects only where `egress` allows, follows no redirect (a
    /// redirect would re-send the credentials to wherever it points) and ignores the
    /// environment's proxy settings (through a proxy, the rule could not see where a
    /// connection goes).
    pub fn new(
        policy: Policy,
        progress: std::sync::Arc<Progress>,
        egress: std::sync::Arc<Egress>,
    ) -> Result<Self, DirectoryError> {
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(egress.resolver())
            .timeout(policy.request_timeout)
            .connect_timeout(policy.request_timeout.min(Duration::from_secs(10)))
            .user_agent(concat!(
                "agent-licensing-console/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .map_err(|e| DirectoryError::Config(format!("cannot make an HTTP client: {e}")))?;
        Ok(Http {
            client,
            policy,
            started: Instant::now(),
            progress,
            egress,
        })
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// Counts one page against the cap (call it before fetching each page of users,
    /// groups or members).
    pub fn page(&self) -> Result<(), DirectoryError> {
        let n = self.progress.pages.fetch_add(1, Ordering::Relaxed) + 1;
        if n > self.policy.max_pages {
            return Err(DirectoryError::TooManyPages {
                max: self.policy.max_pages,
            });
        }
        Ok(())
    }

    /// Sends the request `make` builds (once per attempt, so each attempt is fresh).
    ///
    /// - 2xx: the response.
    /// - 429 and 503: waits `Retry-After` seconds (or the policy's default) and tries
    ///   again, up to `max_rate_limit_waits` times.
    /// - other 5xx, timeouts and connection failures: waits the backoff and tries
    ///   again, up to `max_retries` times, then [`DirectoryError::Unavailable`].
    /// - anything else (401, 403, 404, other 4xx, and redirects, which are never
    ///   followed): [`DirectoryError::Refused`] with the status and the body's text,
    ///   at once. Connectors act on 401 themselves.
    /// - an address [`Egress`] does not allow: [`DirectoryError::Blocked`], before
    ///   any byte is sent.
    ///
    /// `what` names the step for messages ("users page 3").
    pub async fn send(
        &self,
        what: &str,
        make: impl Fn(&Client) -> RequestBuilder,
    ) -> Result<Response, DirectoryError> {
        let mut failures = 0u32;
        let mut rate_limited = 0u32;
        loop {
            self.check_deadline()?;
            let request = make(&self.client)
                .build()
                .map_err(|e| DirectoryError::Config(format!("{what}: {}", without_url(e))))?;
            self.egress
                .check_url(request.url())
                .map_err(|e| blocked(what, e))?;
            let last = match self.client.execute(request).await {
                Ok(resp) if resp.status().is_success() => return Ok(resp),
                Ok(resp)
                    if resp.status() == StatusCode::TOO_MANY_REQUESTS
                        || resp.status() == StatusCode::SERVICE_UNAVAILABLE =>
                {
                    let wait = retry_after(&resp).unwrap_or(self.policy.default_retry_after);
                    rate_limited += 1;
                    if rate_limited > self.policy.max_rate_limit_waits {
                        return Err(DirectoryError::RateLimited {
                            what: what.to_string(),
                            seconds: wait.as_secs(),
                        });
                    }
                    tracing::info!(what, status = %resp.status(), wait_ms = wait.as_millis() as u64, "directory asks us to wait");
                    self.wait(what, wait).await?;
                    continue;
                }
                Ok(resp) if resp.status().is_server_error() => {
                    format!("HTTP {}", resp.status().as_u16())
                }
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let body = read_limited(resp, MAX_ERROR_BODY_BYTES)
                        .await
                        .map(|(b, _)| String::from_utf8_lossy(&b).into_owned())
                        .unwrap_or_default();
                    return Err(DirectoryError::Refused {
                        what: what.to_string(),
                        status,
                        message: summarise(&body),
                        code: error_code(&body),
                    });
                }
                Err(e) => match refusal(&e) {
                    Some(r) => return Err(blocked(what, r.clone())),
                    None if e.is_timeout() => "timed out".to_string(),
                    None if e.is_builder() => {
                        return Err(DirectoryError::Config(format!(
                            "{what}: {}",
                            without_url(e)
                        )));
                    }
                    None => without_url(e),
                },
            };
            failures += 1;
            if failures > self.policy.max_retries {
                return Err(DirectoryError::Unavailable {
                    what: what.to_string(),
                    attempts: failures,
                    last,
                });
            }
            let backoff = self
                .policy
                .backoff
                .get((failures - 1) as usize)
                .or(self.policy.backoff.last())
                .copied()
                .unwrap_or_default();
            tracing::info!(what, %last, attempt = failures, "directory request failed; retrying");
            self.progress.retries.fetch_add(1, Ordering::Relaxed);
            self.wait(what, backoff).await?;
        }
    }

    /// Sends and reads the body as JSON of type `T`; a body that is not is
    /// [`DirectoryError::Malformed`].
    pub async fn json<T: serde::de::DeserializeOwned>(
        &self,
        what: &str,
        make: impl Fn(&Client) -> RequestBuilder,
    ) -> Result<T, DirectoryError> {
        let resp = self.send(what, make).await?;
        let bytes = self.body(what, resp).await?;
        serde_json::from_slice(&bytes).map_err(|e| DirectoryError::Malformed {
            what: what.to_string(),
            detail: e.to_string(),
        })
    }

    /// Reads a response's body; a connection that breaks mid-body is
    /// [`DirectoryError::Unavailable`] (the caller's page is then lost, and so is
    /// the run: all or nothing).
    ///
    /// At most [`Policy::max_body_bytes`] are read: a larger answer is
    /// [`DirectoryError::Malformed`], and the rest of it is never read.
    pub async fn body(&self, what: &str, resp: Response) -> Result<Vec<u8>, DirectoryError> {
        let limit = self.policy.max_body_bytes;
        match read_limited(resp, limit).await {
            Ok((bytes, false)) => Ok(bytes),
            Ok((_, true)) => Err(DirectoryError::Malformed {
                what: what.to_string(),
                detail: format!("the answer is larger than {} MiB", limit / (1024 * 1024)),
            }),
            Err(e) => Err(DirectoryError::Unavailable {
                what: what.to_string(),
                attempts: 1,
                last: without_url(e),
            }),
        }
    }

    fn check_deadline(&self) -> Result<(), DirectoryError> {
        if self.started.elapsed() > self.policy.deadline {
            return Err(DirectoryError::TimedOut {
                seconds: self.policy.deadline.as_secs(),
            });
        }
        Ok(())
    }

    async fn wait(&self, what: &str, wait: Duration) -> Result<(), DirectoryError> {
        if self.started.elapsed() + wait > self.policy.deadline {
            return Err(DirectoryError::RateLimited {
                what: what.to_string(),
                seconds: wait.as_secs(),
            });
        }
        tokio::time::sleep(wait).await;
        self.progress
            .waited_ms
            .fetch_add(wait.as_millis() as u64, Ordering::Relaxed);
        Ok(())
    }
}

/// `Retry-After: <seconds>`. (The HTTP-date form is not used by the directories we
/// know; it falls back to the policy's default.)
fn retry_after(resp: &Response) -> Option<Duration> {
    resp.headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

fn blocked(what: &str, e: Refused) -> DirectoryError {
    DirectoryError::Blocked {
        what: what.to_string(),
        reason: e.0,
    }
}

/// The egress rule's refusal inside a connection error (from the resolver).
fn refusal(e: &reqwest::Error) -> Option<&Refused> {
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        if let Some(r) = inner.downcast_ref::<Refused>() {
            return Some(r);
        }
        source = inner.source();
    }
    None
}

/// reqwest's errors print the URL, and a URL may carry a token in its query; we keep
/// the kind of failure only.
fn without_url(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut s = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

/// An error body for a person: the directory's own message if it is JSON with one,
/// else the start of the text.
pub fn summarise(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        // RingCentral: {"errors":[{"errorCode","message"}]} (also {"message"});
        // Netsapiens: {"code","message"}.
        let first = v.get("errors").and_then(|e| e.get(0)).unwrap_or(&v);
        let code = first
            .get("errorCode")
            .or_else(|| first.get("code"))
            .map(|c| c.to_string().trim_matches('"').to_string());
        if let Some(msg) = first.get("message").and_then(|m| m.as_str()) {
            return match code {
                Some(code) => format!("{code} {msg}"),
                None => msg.to_string(),
            };
        }
    }
    let t = body.trim();
    match t.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None if t.is_empty() => "no details".to_string(),
        None => t.to_string(),
    }
}

/// The directory's own error code in an error body: RingCentral's
/// `errors[0].errorCode` (or a top-level `errorCode`), Netsapiens' `code`.
pub fn error_code(body: &str) -> Option<String> {
    let v = serde_json::from_str::<serde_json::Value>(body).ok()?;
    let first = v.get("errors").and_then(|e| e.get(0)).unwrap_or(&v);
    let code = first.get("errorCode").or_else(|| first.get("code"))?;
    let code = match code {
        serde_json::Value::String(s) => s.trim().to_string(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!code.is_empty() && code.len() <= 32).then_some(code)
}

/// `base` with `segments` appended as path segments (each one escaped).
pub(crate) fn join(base: &reqwest::Url, segments: &[&str]) -> reqwest::Url {
    let mut url = base.clone();
    // Only cannot-be-a-base URLs refuse, and connectors check theirs is http(s).
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// A refusal while signing in is a refusal of our credentials, with the server's
/// message (never a credential).
pub(crate) fn as_auth(e: DirectoryError) -> DirectoryError {
    match e {
        DirectoryError::Refused {
            what,
            message,
            code,
            ..
        } => DirectoryError::Auth {
            what,
            message,
            code,
        },
        e => e,
    }
}

/// Up to `limit` bytes of a body, and whether there was more (then the rest is left
/// unread: the connection is dropped).
async fn read_limited(mut resp: Response, limit: usize) -> Result<(Vec<u8>, bool), reqwest::Error> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Ok((Vec::new(), true));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if bytes.len() + chunk.len() > limit {
            return Ok((bytes, true));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok((bytes, false))
}
