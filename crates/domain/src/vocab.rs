//! The words every other module uses: agent ids and versions, where an agent comes
//! from, and a problem tied to one input. At the bottom, so that `api` and `profile`
//! can both use them without using each other for it.

use serde::{Deserialize, Serialize};

pub type AgentId = i64;
/// Bumped on every change to an agent; a write names the version it was based on.
pub type Version = i64;

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
    pub field: String,
    pub code: String,
    pub message: String,
}
