//! Connectors to the customers' UC directories.
//!
//! One interface, [`Connector`]: read the whole directory (users and groups) into a
//! [`Snapshot`], or fail with a [`DirectoryError`] that a supervisor can read. A
//! snapshot is complete or it is nothing: a connector never returns half a directory,
//! so the server can apply it in one transaction or leave its data as it was.
//!
//! Every connector talks HTTP through [`http::Http`], which owns the rules they share:
//! a timeout per request, a deadline and a page cap per run, `Retry-After` on 429 and
//! 503, backoff on other 5xx and on network failures, and progress counters.
//!
//! Credentials are [`Secret`]s: they serialise (the server stores them) but never
//! print, and no error message carries one.

pub mod egress;
pub mod http;
pub mod metaswitch;
pub mod netsapiens;
pub mod ringcentral;

use std::fmt;
use std::future::Future;

use alc_domain::ErrorCode;
use serde::{Deserialize, Serialize};

pub use egress::Egress;
pub use http::{Http, Policy, Progress};

/// A person in the directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirUser {
    /// The directory's own stable id for the user (RingCentral's extension id,
    /// Netsapiens' `user`, Metaswitch's directory number). Matching across refreshes
    /// goes by this key, so a renumbered user stays the same user.
    pub key: String,
    /// Empty when the directory has no name for the user (Metaswitch lines).
    pub name: String,
    /// Empty when the directory has none.
    pub email: String,
    /// Empty when the directory has none (e.g. RingCentral's unassigned extensions).
    pub extension: String,
    /// The directory's own word for the user's state ("Enabled", "Disabled", ...).
    pub status: String,
}

/// A group (queue, hunt group) in the directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirGroup {
    pub key: String,
    pub name: String,
    pub extension: String,
    /// Keys of the member users ([`DirUser::key`]). Members the directory lists but
    /// that are not users of the snapshot are dropped by the server, not here.
    pub members: Vec<String>,
}

/// The whole directory, read consistently.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub users: Vec<DirUser>,
    pub groups: Vec<DirGroup>,
    /// What a supervisor should know about this read, e.g. "lines have no names".
    pub notes: Vec<String>,
}

/// A group listed at the start of a run but gone when its members were read (RingCentral
/// and Netsapiens answer 404, Metaswitch "unknown identity"): deleted in between. It is
/// left out of the snapshot with a note, rather than failing the whole run.
pub(crate) struct Vanished {
    name: String,
    extension: String,
}

impl Vanished {
    pub(crate) fn of(g: &DirGroup) -> Self {
        Vanished {
            name: g.name.clone(),
            extension: g.extension.clone(),
        }
    }

    /// The report's note about the `vanished` of `listed` groups (`kind`: "call
    /// queue"), or none. When every one of two or more listed groups is gone, the
    /// members endpoint is what fails, not a deletion: the run fails instead, as a
    /// snapshot without any group would remove them all.
    pub(crate) fn note(
        vanished: Vec<Vanished>,
        listed: usize,
        kind: &str,
    ) -> Result<Option<String>, DirectoryError> {
        if vanished.is_empty() {
            return Ok(None);
        }
        if listed >= 2 && vanished.len() == listed {
            return Err(DirectoryError::Refused {
                what: format!("members of the {kind}s"),
                status: 404,
                message: format!(
                    "none of the {listed} {kind}s listed was found when its members were read"
                ),
                code: None,
            });
        }
        let names: Vec<String> = vanished
            .iter()
            .map(|v| match v.extension.as_str() {
                "" => v.name.clone(),
                ext => format!("{} ({ext})", v.name),
            })
            .collect();
        Ok(Some(match names.as_slice() {
            [one] => format!(
                "The {kind} {one} was deleted in the directory while this refresh read it: it is left out, as deleted."
            ),
            _ => format!(
                "{} {kind}s were deleted in the directory while this refresh read them: {}. They are left out, as deleted.",
                names.len(),
                names.join(", ")
            ),
        }))
    }
}

/// A credential: stored and sent, never printed.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Why a refresh could not read the directory. The message is for a supervisor and
/// names the step that failed; it never contains a credential.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DirectoryError {
    /// The directory refused our credentials, also after asking for a new token.
    #[error("the directory refused the credentials ({what}): {message}")]
    Auth {
        what: String,
        message: String,
        /// The directory's own error code (RingCentral's `errorCode`, e.g. "OAU-140"),
        /// when its answer had one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
    },
    /// A request the directory answered with an error that retrying cannot fix.
    #[error("{what}: the directory answered {status}: {message}")]
    Refused {
        what: String,
        status: u16,
        message: String,
        /// The directory's own error code, as for [`DirectoryError::Auth`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
    },
    /// Still failing (5xx, timeouts, connection errors) after the allowed retries.
    #[error("{what}: still failing after {attempts} attempts ({last})")]
    Unavailable {
        what: String,
        attempts: u32,
        last: String,
    },
    /// The directory asked us to wait longer than the run may take.
    #[error("{what}: the directory is rate limiting and asked to wait {seconds} s")]
    RateLimited { what: String, seconds: u64 },
    /// An answer we cannot read as the documented format.
    #[error("{what}: unreadable answer ({detail})")]
    Malformed { what: String, detail: String },
    /// More pages than a directory of any plausible size has.
    #[error("the directory returned more than {max} pages; stopped")]
    TooManyPages { max: u32 },
    /// The run went past its deadline.
    #[error("reading the directory took longer than {seconds} s; stopped")]
    TimedOut { seconds: u64 },
    /// The stored connection settings cannot work (bad URL, missing field).
    #[error("the directory connection is not usable: {0}")]
    Config(String),
    /// The address may not be called (see [`egress`]): it is, or now resolves to, an
    /// address inside our own network.
    #[error("{what}: the address is not allowed ({reason})")]
    Blocked { what: String, reason: String },
}

impl DirectoryError {
    /// The HTTP status behind a [`DirectoryError::Refused`], for connectors that act
    /// on it (401 → new token).
    pub fn status(&self) -> Option<u16> {
        match self {
            DirectoryError::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The directory's own error code behind a refusal ("OAU-128", "CMN-102", a
    /// Metaswitch `ResultCode`), for connectors that act on it.
    pub fn directory_code(&self) -> Option<&str> {
        match self {
            DirectoryError::Auth { code, .. } | DirectoryError::Refused { code, .. } => {
                code.as_deref()
            }
            _ => None,
        }
    }

    /// A stable code for the API and the tests.
    pub fn code(&self) -> ErrorCode {
        match self {
            DirectoryError::Auth { .. } => ErrorCode::DirectoryAuth,
            DirectoryError::Refused { .. } => ErrorCode::DirectoryRefused,
            DirectoryError::Unavailable { .. } => ErrorCode::DirectoryUnavailable,
            DirectoryError::RateLimited { .. } => ErrorCode::DirectoryRateLimited,
            DirectoryError::Malformed { .. } => ErrorCode::DirectoryMalformed,
            DirectoryError::TooManyPages { .. } => ErrorCode::DirectoryTooManyPages,
            DirectoryError::TimedOut { .. } => ErrorCode::DirectoryTimedOut,
            DirectoryError::Config(_) => ErrorCode::DirectoryConfig,
            DirectoryError::Blocked { .. } => ErrorCode::DirectoryBlocked,
        }
    }

    /// What a supervisor reads in the refresh report: what went wrong, in the
    /// console's words, and what to do. The directory's own bodies, socket errors
    /// and the step's details stay in the server log (this error's `Display`): a
    /// report must not tell anyone what answers at an address.
    pub fn for_people(&self) -> String {
        match self {
            // A code we know is explained in our words (the table's, never the body's).
            DirectoryError::Auth { code, .. } => match code.as_deref().and_then(ringcentral::published) {
                Some(p) => format!("the directory refused the sign-in ({} \"{}\"): {}", p.code, p.message, p.advice),
                None => "the directory refused the sign-in. An admin checks the connection's credentials in the settings".into(),
            },
            DirectoryError::Refused { status, code, .. } => match code.as_deref().and_then(ringcentral::published) {
                Some(p) => format!("the directory refused a request (HTTP {status}, {} \"{}\"): {}", p.code, p.message, p.advice),
                None => format!("the directory refused a request (HTTP {status})"),
            },
            DirectoryError::Unavailable { .. } => "the directory did not answer. Try again later".into(),
            DirectoryError::RateLimited { .. } => "the directory asked us to slow down for longer than a refresh may take. Try again later".into(),
            DirectoryError::Malformed { .. } => "the directory sent an invalid page".into(),
            DirectoryError::TooManyPages { max } => format!("the directory sent more than {max} pages"),
            DirectoryError::TimedOut { seconds } => format!("reading the directory took longer than {} minutes", seconds.div_ceil(60)),
            DirectoryError::Config(_) => "the directory connection is not usable. An admin checks it in the settings".into(),
            DirectoryError::Blocked { .. } => "the directory's address is not allowed: it points inside this network. An admin checks it in the settings".into(),
        }
    }
}

/// One UC system's way of reading its directory.
pub trait Connector {
    /// Reads every user and group, through `http` (which applies the shared retry,
    /// time and page rules and counts progress).
    fn snapshot(
        &self,
        http: &Http,
    ) -> impl Future<Output = Result<Snapshot, DirectoryError>> + Send;
}

/// The account's directory connection, as stored by the server (credentials included:
/// never send this to a browser).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "system", rename_all = "snake_case")]
pub enum Connection {
    RingCentral(ringcentral::Settings),
    AvayaCloudOffice(ringcentral::Settings),
    Netsapiens(netsapiens::Settings),
    Metaswitch(metaswitch::Settings),
}

impl Connection {
    /// The base URL, which is not a secret and may be shown to admins.
    pub fn base_url(&self) -> &str {
        match self {
            Connection::RingCentral(s) | Connection::AvayaCloudOffice(s) => &s.base_url,
            Connection::Netsapiens(s) => &s.base_url,
            Connection::Metaswitch(s) => &s.base_url,
        }
    }

    /// Reads the directory this connection points at.
    pub async fn snapshot(&self, http: &Http) -> Result<Snapshot, DirectoryError> {
        match self {
            Connection::RingCentral(s) => {
                ringcentral::RingCentral::new(s.clone(), ringcentral::Brand::RingCentral)
                    .snapshot(http)
                    .await
            }
            Connection::AvayaCloudOffice(s) => {
                ringcentral::RingCentral::new(s.clone(), ringcentral::Brand::AvayaCloudOffice)
                    .snapshot(http)
                    .await
            }
            Connection::Netsapiens(s) => {
                netsapiens::Netsapiens::new(s.clone()).snapshot(http).await
            }
            Connection::Metaswitch(s) => {
                metaswitch::Metaswitch::new(s.clone()).snapshot(http).await
            }
        }
    }
}
