//! Netsapiens (ns-api v2): the users and call queues of one domain.
//!
//! Every call carries `Authorization: Bearer <token>`. The token is either an API key
//! issued by the operator (it cannot be renewed, so a 401 is final) or an access token
//! from `POST /tokens` (renewed with the refresh token when it is rejected or about to
//! expire, falling back to the password grant when the refresh token is refused).
//!
//! Every request sends `Accept: application/json`, as the published client does.
//!
//! # Paging
//!
//! The specification (as published in a client generated from it) lists no
//! `limit`/`start` for any list. We send them anyway (a server that pages needs them)
//! and end a list on a page shorter than the limit, or on a page identical to the first
//! one: a server that ignores paging sends the whole list every time. For users the
//! identical page is ambiguous (a server that honours `limit` but not `start` sends the
//! same first page too, and the domain may be bigger), so the documented
//! `GET /domains/{domain}/users/count` settles it: the list is complete when the count
//! is what we read, else the run fails (never a truncated directory, which would mark
//! the rest as gone). Call queues and agents have no count: an identical page ends them.
//!
//! A call queue whose agents answer 404 was deleted since the queues were listed: it is
//! left out with a note.
//!
//! # Unverified
//!
//! Written from the public ns-api v2 reference (and the generated client's models:
//! `User`, `CallQueue`, `Agent`, `AccessToken`, `Count`, `ErrorResponse`), tested
//! against our fake and against fixtures shaped like those models
//! (`tests/conformance.rs`; the specification publishes no example bodies):
//! - which status a wrong password gets (400 or 401) is not documented: 400, 401 and
//!   403 from `/tokens` all mean "credentials refused";
//! - the models name the email field `email-address`; our notes also saw `email`: both
//!   are read;
//! - a page that repeats the first page's first record but differs from it is refused
//!   as malformed (neither paging nor ignoring it);
//! - falling back from a refused refresh token to the password grant, and renewing
//!   before expiry, are not exercised by the fake;
//! - rate limits are undocumented: 429/503 are treated like RingCentral's.

use std::time::{Duration, Instant};

use reqwest::Url;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::http::{as_auth, join};
use crate::{Connector, DirGroup, DirUser, DirectoryError, Http, Secret, Snapshot};

/// Records per page: the documented maximum, so a big domain takes few requests.
const PAGE_SIZE: u32 = 1000;
const JSON: &str = "application/json";

/// What a list does with a page identical to its first one (the server ignores paging).
#[derive(Clone, Copy)]
enum Repeated {
    /// Ends the list if the domain's user count is what was read, else fails.
    CheckUserCount,
    /// Ends the list.
    End,
}

/// Stored connection settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// `https://{server}/ns-api/v2`.
    pub base_url: String,
    /// The customer's domain on the Netsapiens platform.
    pub domain: String,
    pub auth: Auth,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Auth {
    /// An API key (`nsd-...`) issued by the operator, sent as a bearer token.
    ApiKey { key: Secret },
    /// `POST /tokens` with grant_type password.
    Password {
        client_id: String,
        client_secret: Secret,
        username: String,
        password: Secret,
    },
}

pub struct Netsapiens {
    settings: Settings,
    page_size: u32,
}

impl Netsapiens {
    pub fn new(settings: Settings) -> Self {
        Netsapiens {
            settings,
            page_size: PAGE_SIZE,
        }
    }

    /// Smaller pages, so tests can make the fake page without thousands of users.
    pub fn with_page_size(mut self, n: u32) -> Self {
        self.page_size = n.max(1);
        self
    }

    fn base_url(&self) -> Result<Url, DirectoryError> {
        let s = &self.settings;
        let raw = s.base_url.trim();
        if !(raw.starts_with("https://") || raw.starts_with("http://")) {
            return Err(DirectoryError::Config(
                "the Netsapiens address must start with https://".into(),
            ));
        }
        let url = Url::parse(raw).map_err(|e| {
            DirectoryError::Config(format!("the Netsapiens address is not a URL ({e})"))
        })?;
        if s.domain.trim().is_empty() {
            return Err(DirectoryError::Config("no Netsapiens domain is set".into()));
        }
        let complete = match &s.auth {
            Auth::ApiKey { key } => !key.expose().is_empty(),
            Auth::Password {
                client_id,
                client_secret,
                username,
                password,
            } => ![
                client_id,
                client_secret.expose(),
                username,
                password.expose(),
            ]
            .iter()
            .any(|v| v.is_empty()),
        };
        if !complete {
            return Err(DirectoryError::Config(
                "the Netsapiens credentials are incomplete".into(),
            ));
        }
        Ok(url)
    }

    /// `POST /tokens`: the refresh-token grant when `refresh` is given, else the
    /// password grant.
    async fn grant(
        &self,
        http: &Http,
        base: &Url,
        refresh: Option<&Secret>,
    ) -> Result<Token, DirectoryError> {
        let Auth::Password {
            client_id,
            client_secret,
            username,
            password,
        } = &self.settings.auth
        else {
            return Err(DirectoryError::Config(
                "an API key cannot be renewed".into(),
            ));
        };
        let (what, body) = match refresh {
            Some(r) => (
                "token refresh",
                json!({"grant_type": "refresh_token", "refresh_token": r.expose(),
                       "client_id": client_id, "client_secret": client_secret.expose()}),
            ),
            None => (
                "sign-in",
                json!({"grant_type": "password", "client_id": client_id,
                       "client_secret": client_secret.expose(),
                       "username": username, "password": password.expose()}),
            ),
        };
        let url = join(base, &["tokens"]);
        // Read as a Value, not a typed struct: serde's type errors quote the offending
        // value, which here could be a token.
        let v: Value = http
            .json(what, |c| {
                c.post(url.clone())
                    .header(reqwest::header::ACCEPT, JSON)
                    .json(&body)
            })
            .await
            .map_err(|e| match e.status() {
                Some(400 | 401 | 403) => as_auth(e),
                _ => e,
            })?;
        let text = |k: &str| v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
        let bearer = text("access_token").ok_or_else(|| DirectoryError::Malformed {
            what: what.into(),
            detail: "no access_token in the answer".into(),
        })?;
        let expires_in = v
            .get("expires_in")
            .and_then(|e| e.as_u64().or_else(|| e.as_str()?.trim().parse().ok()));
        Ok(Token {
            bearer: Secret(bearer.into()),
            refresh: text("refresh_token").map(|r| Secret(r.into())),
            // Renew a little early so a request never leaves with a token about to lapse.
            renew_at: expires_in
                .map(|s| Instant::now() + Duration::from_secs(s - (s / 10).min(60))),
        })
    }
}

/// The bearer token in use.
struct Token {
    bearer: Secret,
    refresh: Option<Secret>,
    renew_at: Option<Instant>,
}

/// One read of the directory: the parsed base URL and the current token.
struct Run<'a> {
    ns: &'a Netsapiens,
    http: &'a Http,
    base: Url,
    token: Token,
}

impl Connector for Netsapiens {
    async fn snapshot(&self, http: &Http) -> Result<Snapshot, DirectoryError> {
        let base = self.base_url()?;
        let token = match &self.settings.auth {
            Auth::ApiKey { key } => Token {
                bearer: key.clone(),
                refresh: None,
                renew_at: None,
            },
            Auth::Password { .. } => self.grant(http, &base, None).await?,
        };
        Run {
            ns: self,
            http,
            base,
            token,
        }
        .read()
        .await
    }
}

impl Run<'_> {
    async fn read(mut self) -> Result<Snapshot, DirectoryError> {
        let http = self.http;
        let domain = self.ns.settings.domain.trim().to_string();

        let mut users = Vec::new();
        let mut system = 0usize;
        self.list(
            "users",
            &["domains", &domain, "users"],
            Repeated::CheckUserCount,
            |page: Vec<NsUser>| {
                let before = users.len();
                for u in page {
                    // Queues and auto attendants are users too on Netsapiens, not people.
                    if u.service_code
                        .as_deref()
                        .unwrap_or("")
                        .starts_with("system-")
                    {
                        system += 1;
                        continue;
                    }
                    let name = format!(
                        "{} {}",
                        u.first.as_deref().unwrap_or("").trim(),
                        u.last.as_deref().unwrap_or("").trim()
                    );
                    let email = first_email(u.email.as_deref())
                        .or_else(|| first_email(u.email_address.as_deref()))
                        .unwrap_or("");
                    users.push(DirUser {
                        name: name.trim().to_string(),
                        email: email.to_string(),
                        extension: u.user.clone(),
                        key: u.user,
                        status: "Enabled".into(),
                    });
                }
                http.progress().add_users(users.len() - before);
            },
        )
        .await?;

        let mut queues = Vec::new();
        self.list(
            "call queues",
            &["domains", &domain, "callqueues"],
            Repeated::End,
            |page: Vec<NsQueue>| {
                http.progress().add_groups(page.len());
                queues.extend(page);
            },
        )
        .await?;

        let listed = queues.len();
        let mut groups = Vec::with_capacity(listed);
        let mut vanished = Vec::new();
        for q in queues {
            let mut members = Vec::new();
            let read = self
                .list(
                    &format!("agents of call queue {}", q.callqueue),
                    &["domains", &domain, "callqueues", &q.callqueue, "agents"],
                    Repeated::End,
                    |page: Vec<NsAgent>| {
                        members.extend(page.iter().filter_map(|a| member(a, &domain)))
                    },
                )
                .await;
            let name = match q.description.as_deref().map(str::trim) {
                Some(d) if !d.is_empty() => d.to_string(),
                _ => format!("Queue {}", q.callqueue),
            };
            let group = DirGroup {
                key: q.callqueue.clone(),
                name,
                extension: q.callqueue,
                members,
            };
            match read {
                Ok(()) => groups.push(group),
                // Deleted since the queues were listed.
                Err(e) if e.status() == Some(404) => {
                    tracing::info!(queue = %group.key, "call queue gone before its agents were read");
                    vanished.push(crate::Vanished::of(&group));
                }
                Err(e) => return Err(e),
            }
        }

        let mut notes = Vec::new();
        notes.extend(crate::Vanished::note(vanished, listed, "call queue")?);
        if system > 0 {
            notes.push(format!(
                "{system} system users (call queues, auto attendants) were left out: they are not people."
            ));
        }
        Ok(Snapshot {
            users,
            groups,
            notes,
        })
    }

    /// Reads every page of a list with `limit`/`start`, until a page is shorter than
    /// the limit (a server that ignores `limit` sends a longer one: that ends it too),
    /// or is the first page again (see the module's Paging section).
    async fn list<T: DeserializeOwned + PartialEq + Clone>(
        &mut self,
        what: &str,
        path: &[&str],
        repeated: Repeated,
        mut take: impl FnMut(Vec<T>),
    ) -> Result<(), DirectoryError> {
        let url = join(&self.base, path);
        let limit = u64::from(self.ns.page_size);
        let mut start = 0u64;
        let mut first: Option<Vec<T>> = None;
        for n in 1u32.. {
            self.http.page()?;
            let step = format!("{what} page {n}");
            let page: Vec<T> = self
                .get(&step, &url, &[("limit", limit), ("start", start)])
                .await?;
            if let Some(first) = &first
                && !page.is_empty()
                && page.first() == first.first()
            {
                if page != *first {
                    return Err(DirectoryError::Malformed {
                        what: step,
                        detail: "the server sent the first page again, changed".into(),
                    });
                }
                // The server ignores paging: what it sent first was all it sends.
                if let Repeated::CheckUserCount = repeated {
                    self.check_user_count(path, start).await?;
                }
                tracing::info!(what, "the server ignores paging; the list ends here");
                break;
            }
            let len = page.len() as u64;
            if n == 1 && len == limit {
                // Kept to recognise a server that ignores `start`.
                first = Some(page.clone());
            }
            take(page);
            if len != limit {
                break;
            }
            start += len;
        }
        Ok(())
    }

    /// After a users page that repeated the first one: `GET .../users/count` must say
    /// the domain has the `read` users we have, else the rest cannot be read.
    async fn check_user_count(&mut self, path: &[&str], read: u64) -> Result<(), DirectoryError> {
        self.http.page()?;
        let mut count_path = path.to_vec();
        count_path.push("count");
        let url = join(&self.base, &count_path);
        let what = "user count";
        let count: Value = self.get(what, &url, &[]).await?;
        let total = count.get("total").and_then(|t| {
            t.as_u64()
                .or_else(|| t.as_str().and_then(|s| s.trim().parse().ok()))
        });
        match total {
            Some(total) if total == read => Ok(()),
            Some(total) => Err(DirectoryError::Malformed {
                what: what.into(),
                detail: format!(
                    "the server ignores paging (start) and sends the same {read} users every time, but the domain has {total}"
                ),
            }),
            None => Err(DirectoryError::Malformed {
                what: what.into(),
                detail: "no total in the answer".into(),
            }),
        }
    }

    /// GET with the current token: renewed first if about to expire, and once more
    /// after a 401 (an API key cannot be renewed: its 401 is final).
    async fn get<T: DeserializeOwned>(
        &mut self,
        what: &str,
        url: &Url,
        query: &[(&str, u64)],
    ) -> Result<T, DirectoryError> {
        if self.token.renew_at.is_some_and(|at| Instant::now() >= at) {
            self.renew().await?;
        }
        match self.fetch(what, url, query).await {
            Err(e) if e.status() == Some(401) => {
                if matches!(self.ns.settings.auth, Auth::ApiKey { .. }) {
                    return Err(as_auth(e));
                }
                tracing::info!(what, "Netsapiens refused the access token; renewing it");
                self.renew().await?;
                self.fetch(what, url, query)
                    .await
                    .map_err(|e| match e.status() {
                        Some(401) => as_auth(e),
                        _ => e,
                    })
            }
            r => r,
        }
    }

    async fn fetch<T: DeserializeOwned>(
        &self,
        what: &str,
        url: &Url,
        query: &[(&str, u64)],
    ) -> Result<T, DirectoryError> {
        let bearer = self.token.bearer.expose();
        self.http
            .json(what, |c| {
                c.get(url.clone())
                    .query(query)
                    .header(reqwest::header::ACCEPT, JSON)
                    .bearer_auth(bearer)
            })
            .await
    }

    async fn renew(&mut self) -> Result<(), DirectoryError> {
        if let Some(refresh) = self.token.refresh.take() {
            match self.ns.grant(self.http, &self.base, Some(&refresh)).await {
                Ok(token) => {
                    self.token = token;
                    return Ok(());
                }
                Err(e) => tracing::info!(error = %e, "refresh token refused; signing in again"),
            }
        }
        self.token = self.ns.grant(self.http, &self.base, None).await?;
        Ok(())
    }
}

#[derive(Clone, PartialEq, Deserialize)]
struct NsUser {
    user: String,
    #[serde(rename = "name-first-name")]
    first: Option<String>,
    #[serde(rename = "name-last-name")]
    last: Option<String>,
    email: Option<String>,
    #[serde(rename = "email-address")]
    email_address: Option<String>,
    #[serde(rename = "service-code")]
    service_code: Option<String>,
}

#[derive(Clone, PartialEq, Deserialize)]
struct NsQueue {
    callqueue: String,
    description: Option<String>,
}

#[derive(Clone, PartialEq, Deserialize)]
struct NsAgent {
    #[serde(rename = "callqueue-agent-id")]
    id: Option<String>,
}

/// `user@domain` → `user`. An agent of another domain is not one of our users.
fn member(agent: &NsAgent, domain: &str) -> Option<String> {
    let id = agent.id.as_deref()?.trim();
    let (user, at) = id.split_once('@').unwrap_or((id, ""));
    (!user.is_empty() && (at.is_empty() || at.eq_ignore_ascii_case(domain)))
        .then(|| user.to_string())
}

/// `email` may list several addresses separated by `;`: the first one is the user's.
fn first_email(list: Option<&str>) -> Option<&str> {
    list?.split(';').map(str::trim).find(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_email_skips_empty_entries() {
        assert_eq!(first_email(Some(" ; a@x ;b@x")), Some("a@x"));
        assert_eq!(first_email(Some(" ; ")), None);
        assert_eq!(first_email(None), None);
    }

    #[test]
    fn members_of_other_domains_are_dropped() {
        let agent = |id: &str| NsAgent {
            id: Some(id.into()),
        };
        assert_eq!(
            member(&agent("1001@Example"), "example"),
            Some("1001".into())
        );
        assert_eq!(member(&agent("1001"), "example"), Some("1001".into()));
        assert_eq!(member(&agent("1001@other"), "example"), None);
        assert_eq!(member(&agent("@example"), "example"), None);
    }
}
