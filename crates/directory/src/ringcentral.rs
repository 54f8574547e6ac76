//! RingCentral and Avaya Cloud Office: one API (ACO is a RingCentral brand), so one
//! connector; the brand only changes what the supervisor is told.
//!
//! The access token comes from `POST /restapi/oauth/token` (HTTP Basic with the app's
//! client id and secret, the customer's JWT as the assertion). One token serves the
//! whole run: it is renewed shortly before it expires and once after a 401. The run is
//! sequential, so tokens are never requested in parallel. Lists are paged with
//! `page`/`perPage` and end when an answer has no `navigation.nextPage` (the totals
//! are optional in the API, so they are not trusted).
//!
//! Every request sends `Accept: application/json`, as RingCentral's own samples do
//! (a server that insists answers 406 to `*/*`).
//!
//! Only extensions of type `User` are read as users, whatever the server sends back
//! for the `type=User` filter: the published extension-list sample mixes `User` with
//! `Announcement`. `FaxUser`, `VirtualUser` and `DigitalUser` are left out too (see
//! docs/DECISIONS.md, issue 16), with a note counting what was left out by type.
//!
//! # Error codes
//!
//! [`PUBLISHED`] lists the codes this connector can meet, with RingCentral's published
//! message and what a supervisor is told. A 401 on a data request renews the token
//! once (OAU-128 "Access token expired", OAU-213 "Token not found", CMN-405 "Login to
//! extension required.", and a 401 without a code we know), except OAU-129 / OAU-149 (the token cannot be read) and OAU-151
//! (authorization method not supported): a new token would travel the same way, so
//! those fail at once. A 404 on a call queue's members (CMN-102) means the queue was
//! deleted since the list was read: it is left out with a note.
//!
//! # Unverified
//!
//! Written from RingCentral's public API reference and tested against our fake and
//! against fixtures shaped like the published samples (`tests/conformance.rs`):
//! - the codes' HTTP statuses are the published ones; which code a live server sends
//!   for a token it no longer knows (OAU-213) versus one that lapsed (OAU-128) is not
//!   documented beyond the lists, so both renew;
//! - ids may come as numbers or strings: both are accepted;
//! - a record without a `type` is taken as a `User` (we asked for `type=User`; a
//!   server that drops the field must not empty the directory);
//! - partner brand ids other than Avaya Cloud Office's 6010 are taken as RingCentral;
//! - renewing a token before it expires is unit-tested only (the fake's tokens live an
//!   hour); renewal after a 401 is tested against the fake.

use std::time::{Duration, Instant};

use reqwest::Url;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::http::{as_auth, join};
use crate::{Connector, DirGroup, DirUser, DirectoryError, Http, Secret, Snapshot};

/// The documented maximum of `perPage`, and what production asks for.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// `serviceInfo.brand.id` of Avaya Cloud Office accounts.
pub const ACO_BRAND_ID: &str = "6010";
const JWT_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const JSON: &str = "application/json";
/// The extension type of a person's own extension ("A user's primary extension").
const USER: &str = "User";

/// What RingCentral publishes about one of its error codes, and what we tell a
/// supervisor who meets it.
#[derive(Debug, PartialEq, Eq)]
pub struct Published {
    pub code: &'static str,
    /// The HTTP status it is published with.
    pub status: u16,
    /// RingCentral's message, as published (docs/basics/errors.md, or the OpenAPI
    /// specification's `x-error-codes` where errors.md lacks the code).
    pub message: &'static str,
    /// What to do about it, for the refresh report.
    pub advice: &'static str,
    /// On a data request's 401: get a new token once and try again.
    pub renew: bool,
}

const CREDENTIALS: &str = "an admin checks the client id and client secret in the settings";
const JWT: &str = "the JWT credential is wrong, expired or revoked: an admin creates a new one in the RingCentral developer console and enters it in the settings";
const TOKEN: &str =
    "a new access token was refused too: an admin checks the connection in the settings";
const GARBLED: &str = "something between this server and RingCentral (a proxy) may be altering the requests: an admin checks the network path";
const PERMISSION: &str = "the RingCentral app needs the ReadAccounts permission and the JWT's user must be an administrator: an admin checks both in RingCentral";

/// The codes this connector can meet (sign-in, data requests), as published.
pub const PUBLISHED: &[Published] = &[
    Published {
        code: "OAU-112",
        status: 403,
        message: "The client is unauthorized for the required grant type: [${grant_type}]",
        advice: "the RingCentral app does not allow JWT sign-in: an admin enables the JWT auth flow for the app in the RingCentral developer console",
        renew: false,
    },
    Published {
        code: "OAU-120",
        status: 401,
        message: "Wrong Application ID",
        advice: CREDENTIALS,
        renew: false,
    },
    Published {
        code: "OAU-121",
        status: 401,
        message: "Wrong Application",
        advice: CREDENTIALS,
        renew: false,
    },
    Published {
        code: "OAU-123",
        status: 401,
        message: "Invalid Authorization header value: ${parameter}",
        advice: CREDENTIALS,
        renew: false,
    },
    Published {
        code: "OAU-125",
        status: 401,
        message: "Grant type is not allowed for application.",
        advice: "the RingCentral app does not allow JWT sign-in: an admin enables the JWT auth flow for the app in the RingCentral developer console",
        renew: false,
    },
    Published {
        code: "OAU-128",
        status: 401,
        message: "Access token expired.",
        advice: TOKEN,
        renew: true,
    },
    Published {
        code: "OAU-129",
        status: 401,
        message: "Access token corrupted.",
        advice: GARBLED,
        renew: false,
    },
    Published {
        code: "OAU-134",
        status: 401,
        message: "Invalid Authorization header.",
        advice: GARBLED,
        renew: false,
    },
    Published {
        code: "OAU-140",
        status: 401,
        message: "Invalid resource owner credentials.",
        advice: JWT,
        renew: false,
    },
    Published {
        code: "OAU-141",
        status: 401,
        message: "Login for extension in current state is not allowed.",
        advice: "the JWT's user may not sign in in its current state (disabled, not activated): an admin checks that user in RingCentral or creates a JWT for another administrator",
        renew: false,
    },
    Published {
        code: "OAU-142",
        status: 401,
        message: "Login to account in current state is not allowed.",
        advice: "the RingCentral account may not sign in in its current state: an admin checks the account with RingCentral",
        renew: false,
    },
    Published {
        code: "OAU-146",
        status: 401,
        message: "Invalid client credentials",
        advice: CREDENTIALS,
        renew: false,
    },
    Published {
        code: "OAU-147",
        status: 400,
        message: "The account is locked out due to multiple unsuccessful logon attempts.",
        advice: "the RingCentral user is locked out after failed sign-ins: an admin unlocks it in RingCentral",
        renew: false,
    },
    Published {
        code: "OAU-149",
        status: 401,
        message: "Unparsable access token",
        advice: GARBLED,
        renew: false,
    },
    Published {
        code: "OAU-151",
        status: 401,
        message: "Authorization method not supported",
        advice: GARBLED,
        renew: false,
    },
    Published {
        code: "OAU-213",
        status: 401,
        message: "Token not found",
        advice: TOKEN,
        renew: true,
    },
    Published {
        code: "CMN-401",
        status: 403,
        message: "Specific application permission required",
        advice: PERMISSION,
        renew: false,
    },
    Published {
        code: "CMN-402",
        status: 403,
        message: "Administrator permission required",
        advice: PERMISSION,
        renew: false,
    },
    Published {
        code: "CMN-405",
        status: 401,
        message: "Login to extension required.",
        advice: TOKEN,
        renew: true,
    },
    Published {
        code: "CMN-408",
        status: 403,
        message: "[{permissionName}] permission required",
        advice: PERMISSION,
        renew: false,
    },
];

/// What RingCentral publishes about `code`, if it is one this connector can meet.
pub fn published(code: &str) -> Option<&'static Published> {
    PUBLISHED.iter().find(|p| p.code == code)
}

/// Stored connection settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// `https://platform.ringcentral.com` in production.
    pub base_url: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// The customer's JWT credential (opaque to us).
    pub jwt: Secret,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Brand {
    RingCentral,
    AvayaCloudOffice,
}

impl Brand {
    pub fn label(self) -> &'static str {
        match self {
            Brand::RingCentral => "RingCentral",
            Brand::AvayaCloudOffice => "Avaya Cloud Office",
        }
    }
}

pub struct RingCentral {
    settings: Settings,
    brand: Brand,
    page_size: u32,
}

impl RingCentral {
    pub fn new(settings: Settings, brand: Brand) -> Self {
        RingCentral {
            settings,
            brand,
            page_size: MAX_PAGE_SIZE,
        }
    }

    /// Smaller pages, so tests can make the fake page without thousands of users.
    /// Never more than the API's maximum, which RingCentral refuses.
    pub fn with_page_size(mut self, n: u32) -> Self {
        self.page_size = n.clamp(1, MAX_PAGE_SIZE);
        self
    }

    fn base_url(&self) -> Result<Url, DirectoryError> {
        let s = &self.settings;
        let label = self.brand.label();
        let raw = s.base_url.trim();
        if !(raw.starts_with("https://") || raw.starts_with("http://")) {
            return Err(DirectoryError::Config(format!(
                "the {label} address must start with https://"
            )));
        }
        let url = Url::parse(raw).map_err(|e| {
            DirectoryError::Config(format!("the {label} address is not a URL ({e})"))
        })?;
        if s.client_id.trim().is_empty()
            || s.client_secret.expose().is_empty()
            || s.jwt.expose().is_empty()
        {
            return Err(DirectoryError::Config(format!(
                "the {label} client id, client secret or JWT is missing"
            )));
        }
        Ok(url)
    }

    /// `POST /restapi/oauth/token` with the JWT grant.
    async fn sign_in(&self, http: &Http, base: &Url) -> Result<Token, DirectoryError> {
        let s = &self.settings;
        let url = join(base, &["restapi", "oauth", "token"]);
        let form = [("grant_type", JWT_GRANT), ("assertion", s.jwt.expose())];
        let asked = Instant::now();
        // Read as a Value, not a typed struct: serde's type errors quote the offending
        // value, which here could be a token.
        let v: Value = http
            .json("sign-in", |c| {
                c.post(url.clone())
                    .header(reqwest::header::ACCEPT, JSON)
                    .basic_auth(&s.client_id, Some(s.client_secret.expose()))
                    .form(&form)
            })
            .await
            .map_err(|e| match e.status() {
                Some(400 | 401 | 403) => as_auth(e),
                _ => e,
            })?;
        let bearer = v
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| DirectoryError::Malformed {
                what: "sign-in".into(),
                detail: "no access_token in the answer".into(),
            })?;
        Ok(Token {
            bearer: Secret(bearer.into()),
            renew_at: v
                .get("expires_in")
                .and_then(Value::as_u64)
                .map(|s| asked + renew_after(s)),
        })
    }
}

/// How long a token may be used: its lifetime less a margin, so no request leaves
/// with a token about to lapse (a minute, or a tenth of a short lifetime).
fn renew_after(expires_in: u64) -> Duration {
    Duration::from_secs(expires_in - (expires_in / 10).min(60))
}

struct Token {
    bearer: Secret,
    /// `None` when the server gave no lifetime: then only a 401 renews it.
    renew_at: Option<Instant>,
}

/// One read of the directory: the parsed base URL and the current token.
struct Run<'a> {
    rc: &'a RingCentral,
    http: &'a Http,
    base: Url,
    token: Token,
}

impl Connector for RingCentral {
    async fn snapshot(&self, http: &Http) -> Result<Snapshot, DirectoryError> {
        let base = self.base_url()?;
        let token = self.sign_in(http, &base).await?;
        Run {
            rc: self,
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
        let mut notes = Vec::new();

        let url = self.url(&[]);
        let account: Value = self.get("account", &url).await?;
        notes.extend(brand_note(self.rc.brand, &account));

        let mut users = Vec::new();
        let mut skipped = 0usize;
        let mut not_users = std::collections::BTreeMap::<String, usize>::new();
        self.list(
            "users",
            &["extension"],
            &[("type", USER)],
            |page: Vec<Extension>| {
                let before = users.len();
                users.extend(page.into_iter().filter_map(|e| {
                    // The filter is the server's; what we import is ours to decide.
                    if let Some(kind) = e.kind.as_deref().filter(|k| *k != USER) {
                        *not_users.entry(kind.to_string()).or_default() += 1;
                        return None;
                    }
                    let user = user(e);
                    skipped += usize::from(user.is_none());
                    user
                }));
                http.progress().add_users(users.len() - before);
            },
        )
        .await?;
        if !not_users.is_empty() {
            let total: usize = not_users.values().sum();
            let kinds: Vec<String> = not_users
                .iter()
                .map(|(kind, n)| format!("{kind}: {n}"))
                .collect();
            notes.push(format!(
                "{total} directory {} left out ({}).",
                if total == 1 {
                    "entry that is not a user was"
                } else {
                    "entries that are not users were"
                },
                kinds.join(", ")
            ));
        }
        if skipped > 0 {
            notes.push(format!(
                "{skipped} {} without an extension number or not assigned to anyone {} left out.",
                if skipped == 1 { "entry" } else { "entries" },
                if skipped == 1 { "was" } else { "were" },
            ));
        }

        let mut queues = Vec::new();
        self.list("call queues", &["call-queues"], &[], |page: Vec<Queue>| {
            http.progress().add_groups(page.len());
            queues.extend(page);
        })
        .await?;

        let listed = queues.len();
        let mut groups = Vec::with_capacity(listed);
        let mut vanished = Vec::new();
        for q in queues {
            let mut members = Vec::new();
            let read = self
                .list(
                    &format!("members of call queue {}", q.id),
                    &["call-queues", &q.id, "members"],
                    &[],
                    |page: Vec<Member>| members.extend(page.into_iter().map(|m| m.id)),
                )
                .await;
            let extension = q.extension_number.unwrap_or_default();
            let name = match q.name {
                Some(n) if !n.trim().is_empty() => n,
                _ => format!("Call queue {extension}").trim().to_string(),
            };
            let group = DirGroup {
                key: q.id,
                name,
                extension,
                members,
            };
            match read {
                Ok(()) => groups.push(group),
                // CMN-102 "Resource for parameter [groupId] is not found": deleted
                // since the list was read.
                Err(e) if e.status() == Some(404) => {
                    tracing::info!(queue = %group.key, "call queue gone before its members were read");
                    vanished.push(crate::Vanished::of(&group));
                }
                Err(e) => return Err(e),
            }
        }
        notes.extend(crate::Vanished::note(vanished, listed, "call queue")?);

        Ok(Snapshot {
            users,
            groups,
            notes,
        })
    }

    /// Reads every page of a list under `/restapi/v1.0/account/~/`, until an answer
    /// has no next page. The next page is asked for by number on the configured host,
    /// not by following `nextPage.uri`, so the token never goes anywhere else.
    async fn list<T: DeserializeOwned>(
        &mut self,
        what: &str,
        path: &[&str],
        filter: &[(&str, &str)],
        mut take: impl FnMut(Vec<T>),
    ) -> Result<(), DirectoryError> {
        let per_page = self.rc.page_size.to_string();
        for n in 1u32.. {
            self.http.page()?;
            let what = format!("{what} page {n}");
            let mut url = self.url(path);
            url.query_pairs_mut()
                .extend_pairs(filter)
                .append_pair("page", &n.to_string())
                .append_pair("perPage", &per_page);
            let page: Page<T> = self.get(&what, &url).await?;
            // A server that ignores `page` would send page 1 forever.
            if let Some(got) = page.paging.page
                && got != u64::from(n)
            {
                return Err(DirectoryError::Malformed {
                    what,
                    detail: format!("the server sent page {got} instead"),
                });
            }
            take(page.records);
            if page.navigation.next_page.is_none() {
                break;
            }
        }
        Ok(())
    }

    /// GET with the current token: renewed first if about to expire, and once more
    /// after a 401; a second 401 in a row means the credentials no longer work.
    async fn get<T: DeserializeOwned>(
        &mut self,
        what: &str,
        url: &Url,
    ) -> Result<T, DirectoryError> {
        if self.token.renew_at.is_some_and(|at| Instant::now() >= at) {
            self.token = self.rc.sign_in(self.http, &self.base).await?;
        }
        match self.fetch(what, url).await {
            // A token that cannot be read would be sent the same way again.
            Err(e)
                if e.status() == Some(401)
                    && e.directory_code()
                        .and_then(published)
                        .is_some_and(|p| !p.renew) =>
            {
                Err(as_auth(e))
            }
            Err(e) if e.status() == Some(401) => {
                tracing::info!(
                    code = e.directory_code(),
                    what,
                    "the directory refused the access token; getting a new one"
                );
                self.token = self.rc.sign_in(self.http, &self.base).await?;
                self.fetch(what, url).await.map_err(|e| match e.status() {
                    Some(401) => as_auth(e),
                    _ => e,
                })
            }
            r => r,
        }
    }

    async fn fetch<T: DeserializeOwned>(&self, what: &str, url: &Url) -> Result<T, DirectoryError> {
        let bearer = self.token.bearer.expose();
        self.http
            .json(what, |c| {
                c.get(url.clone())
                    .header(reqwest::header::ACCEPT, JSON)
                    .bearer_auth(bearer)
            })
            .await
    }

    /// `/restapi/v1.0/account/~/<path>`.
    fn url(&self, path: &[&str]) -> Url {
        let mut url = join(&self.base, &["restapi", "v1.0", "account", "~"]);
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.extend(path);
        }
        url
    }
}

/// A directory entry as a user, or `None` for one nobody can be licensed on: no
/// extension number, or an extension not assigned to anyone.
fn user(e: Extension) -> Option<DirUser> {
    let extension = e.extension_number.filter(|x| !x.trim().is_empty())?;
    let status = e.status.unwrap_or_default();
    if status == "Unassigned" {
        return None;
    }
    let contact = e.contact.unwrap_or_default();
    let name = match e.name {
        Some(n) if !n.trim().is_empty() => n,
        _ => format!(
            "{} {}",
            contact.first_name.as_deref().unwrap_or("").trim(),
            contact.last_name.as_deref().unwrap_or("").trim()
        )
        .trim()
        .to_string(),
    };
    Some(DirUser {
        key: e.id,
        name,
        email: contact.email.unwrap_or_default(),
        extension,
        status,
    })
}

/// A note when the account's brand is not the one the connection was set up as. Not
/// an error: the API is the same, but the supervisor may have picked the wrong system.
fn brand_note(configured: Brand, account: &Value) -> Option<String> {
    let brand = account.get("serviceInfo")?.get("brand")?;
    let aco = match brand.get("id")? {
        Value::String(id) => id == ACO_BRAND_ID,
        id => id.as_u64().is_some() && id.as_u64() == ACO_BRAND_ID.parse().ok(),
    };
    // Other brands are RingCentral's carrier partners: the same product.
    let actual = if aco {
        Brand::AvayaCloudOffice
    } else {
        Brand::RingCentral
    };
    if actual == configured {
        return None;
    }
    let name = brand
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(actual.label());
    Some(format!(
        "The account is branded {name}, but the connection is set up as {}.",
        configured.label()
    ))
}

#[derive(Deserialize)]
struct Page<T> {
    records: Vec<T>,
    #[serde(default)]
    paging: Paging,
    #[serde(default)]
    navigation: Navigation,
}

#[derive(Default, Deserialize)]
struct Paging {
    page: Option<u64>,
}

#[derive(Default, Deserialize)]
struct Navigation {
    #[serde(rename = "nextPage")]
    next_page: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Extension {
    #[serde(deserialize_with = "id")]
    id: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    extension_number: Option<String>,
    name: Option<String>,
    status: Option<String>,
    contact: Option<Contact>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Contact {
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Queue {
    #[serde(deserialize_with = "id")]
    id: String,
    name: Option<String>,
    extension_number: Option<String>,
}

#[derive(Deserialize)]
struct Member {
    #[serde(deserialize_with = "id")]
    id: String,
}

/// Ids are int64 numbers for extensions and members, but strings for call queues:
/// accept both, as text.
fn id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Number(i64),
        Text(String),
    }
    Ok(match Id::deserialize(d)? {
        Id::Number(n) => n.to_string(),
        Id::Text(t) => t,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tokens_are_renewed_before_they_expire() {
        assert_eq!(renew_after(3600), Duration::from_secs(3540));
        assert_eq!(renew_after(100), Duration::from_secs(90));
        assert_eq!(renew_after(0), Duration::ZERO);
    }

    #[test]
    fn a_user_without_a_name_is_named_from_the_contact() {
        let e: Extension = serde_json::from_value(json!({
            "id": 7, "extensionNumber": "101", "status": "Enabled",
            "contact": {"firstName": "Ada", "lastName": " Abbott"}
        }))
        .expect("extension");
        let u = user(e).expect("a user");
        assert_eq!(
            (u.key.as_str(), u.name.as_str(), u.email.as_str()),
            ("7", "Ada Abbott", "")
        );
    }

    #[test]
    fn the_published_codes_are_listed_once_and_only_401s_renew() {
        for (i, p) in PUBLISHED.iter().enumerate() {
            assert!(
                PUBLISHED[..i].iter().all(|q| q.code != p.code),
                "{} twice",
                p.code
            );
            assert!(!p.renew || p.status == 401, "{}", p.code);
            assert!(!p.advice.is_empty() && !p.message.is_empty());
        }
        let renews: Vec<&str> = PUBLISHED
            .iter()
            .filter(|p| p.renew)
            .map(|p| p.code)
            .collect();
        assert_eq!(renews, ["OAU-128", "OAU-213", "CMN-405"]);
        assert!(published("OAU-129").is_some_and(|p| !p.renew));
        assert_eq!(published("XYZ-321"), None);
    }

    #[test]
    fn other_partner_brands_are_ringcentral() {
        let account = |id: Value| json!({"serviceInfo": {"brand": {"id": id, "name": "Partner"}}});
        assert_eq!(
            brand_note(Brand::RingCentral, &account(json!("3420"))),
            None
        );
        assert_eq!(
            brand_note(Brand::RingCentral, &account(json!(6010))).as_deref(),
            Some("The account is branded Partner, but the connection is set up as RingCentral.")
        );
        let note = brand_note(Brand::AvayaCloudOffice, &account(json!("3420")));
        assert!(note.is_some_and(|n| n.ends_with("set up as Avaya Cloud Office.")));
    }
}
