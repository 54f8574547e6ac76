//! The words every other module uses: agent ids and versions, where an agent comes
//! from, and a problem tied to one input. At the bottom, so that `api` and `profile`
//! can both use them without using each other for it.

use serde::{Deserialize, Serialize};

pub use crate::error_code::ErrorCode;
use crate::license::LicenseType;

/// An agent's id. On the wire a plain number; in Rust a type of its own, so that an id
/// cannot be passed where a version (or a console user's id) is meant.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(transparent))]
pub struct AgentId(pub i64);

/// Bumped on every change to an agent; a write names the version it was based on.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(transparent))]
pub struct Version(pub i64);

impl Version {
    /// The version after one more change.
    pub const fn next(self) -> Version {
        Version(self.0 + 1)
    }
}

impl std::fmt::Display for AgentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for AgentId {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(AgentId)
    }
}

impl std::str::FromStr for Version {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Version)
    }
}

/// Where an agent comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentSource {
    /// Created by hand in the console; uses the embedded softphone.
    Webrtc,
    RingCentral,
    AvayaCloudOffice,
    Netsapiens,
    Metaswitch,
}

impl AgentSource {
    pub const ALL: [AgentSource; 5] = [
        AgentSource::Webrtc,
        AgentSource::RingCentral,
        AgentSource::AvayaCloudOffice,
        AgentSource::Netsapiens,
        AgentSource::Metaswitch,
    ];

    pub const fn label(self) -> &'static str {
        match self {
            AgentSource::Webrtc => "WebRTC",
            AgentSource::RingCentral => "RingCentral",
            AgentSource::AvayaCloudOffice => "Avaya Cloud Office",
            AgentSource::Netsapiens => "Netsapiens",
            AgentSource::Metaswitch => "Metaswitch",
        }
    }

    pub const fn key(self) -> &'static str {
        match self {
            AgentSource::Webrtc => "webrtc",
            AgentSource::RingCentral => "ring_central",
            AgentSource::AvayaCloudOffice => "avaya_cloud_office",
            AgentSource::Netsapiens => "netsapiens",
            AgentSource::Metaswitch => "metaswitch",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    /// UC users come from the phone system's directory; WebRTC agents do not.
    pub const fn is_uc(self) -> bool {
        !matches!(self, AgentSource::Webrtc)
    }
}

/// One problem tied to one input (a form field, or an entry of a batch such as
/// `changes[3]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: FieldPath,
    pub code: ErrorCode,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<FieldPath>, code: ErrorCode, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// Which input a [`FieldError`] is about. On the wire a string, as it always was:
/// `email`, `changes[3]`, `licenses.voice`, `agents[12].sms`; in Rust a value to match
/// on, so that no client parses those strings itself.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FieldPath {
    /// A named input of a form or body: `email`, `base_url`, `voice`.
    Input(String),
    /// `changes[i]`: the i-th change of a license batch, counted from 0.
    Change(usize),
    /// `licenses.<license>`: one license type of the account's pool.
    Pool(LicenseType),
    /// `agents[<id>].<license>`: one license of one agent.
    AgentLicense(AgentId, LicenseType),
}

impl FieldPath {
    /// Parses the wire form; anything that is not one of the indexed forms is a named
    /// input.
    pub fn parse(s: &str) -> FieldPath {
        let indexed = || -> Option<FieldPath> {
            if let Some(i) = s.strip_prefix("changes[").and_then(|r| r.strip_suffix(']')) {
                return i.parse().ok().map(FieldPath::Change);
            }
            if let Some(key) = s.strip_prefix("licenses.") {
                return LicenseType::from_key(key).map(FieldPath::Pool);
            }
            let (id, key) = s.strip_prefix("agents[")?.split_once("].")?;
            Some(FieldPath::AgentLicense(
                id.parse().ok()?,
                LicenseType::from_key(key)?,
            ))
        };
        indexed().unwrap_or_else(|| FieldPath::Input(s.to_string()))
    }

    /// The named input, if this is one.
    pub fn input(&self) -> Option<&str> {
        match self {
            FieldPath::Input(name) => Some(name),
            _ => None,
        }
    }
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FieldPath::Input(name) => f.write_str(name),
            FieldPath::Change(i) => write!(f, "changes[{i}]"),
            FieldPath::Pool(t) => write!(f, "licenses.{}", t.key()),
            FieldPath::AgentLicense(id, t) => write!(f, "agents[{id}].{}", t.key()),
        }
    }
}

impl From<&str> for FieldPath {
    fn from(s: &str) -> Self {
        FieldPath::parse(s)
    }
}

impl From<String> for FieldPath {
    fn from(s: String) -> Self {
        FieldPath::parse(&s)
    }
}

/// Compares with the wire form: `FieldPath::Change(3) == "changes[3]"`.
impl PartialEq<str> for FieldPath {
    fn eq(&self, other: &str) -> bool {
        match self {
            FieldPath::Input(name) => name == other,
            _ => FieldPath::parse(other) == *self,
        }
    }
}

impl PartialEq<&str> for FieldPath {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

impl Serialize for FieldPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FieldPath {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        Ok(FieldPath::parse(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_reads_back_as_it_was_written() {
        for path in [
            FieldPath::Input("email".into()),
            FieldPath::Input("base_url".into()),
            FieldPath::Change(0),
            FieldPath::Change(19_999),
            FieldPath::Pool(LicenseType::Transcription),
            FieldPath::AgentLicense(AgentId(12), LicenseType::WebChat),
        ] {
            let json = serde_json::to_string(&path).unwrap();
            assert_eq!(
                serde_json::from_str::<FieldPath>(&json).unwrap(),
                path,
                "{json}"
            );
        }
        assert_eq!(FieldPath::Change(3).to_string(), "changes[3]");
        assert_eq!(
            FieldPath::AgentLicense(AgentId(7), LicenseType::Sms).to_string(),
            "agents[7].sms"
        );
        assert_eq!(FieldPath::Pool(LicenseType::Voice), "licenses.voice");
        assert_eq!(FieldPath::Input("email".into()), "email");
        assert!(FieldPath::Change(1) != "changes[2]");
    }

    #[test]
    fn a_malformed_index_is_a_name_not_a_guess() {
        for s in [
            "changes[x]",
            "changes[-1]",
            "licenses.fax",
            "agents[1].fax",
            "agents[a].sms",
        ] {
            assert_eq!(FieldPath::parse(s), FieldPath::Input(s.into()));
        }
    }
}
