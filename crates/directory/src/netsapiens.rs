//! Netsapiens (ns-api v2).
//! STUB: to be written.

use serde::{Deserialize, Serialize};

use crate::{Connector, DirectoryError, Http, Secret, Snapshot};

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
}

impl Netsapiens {
    pub fn new(settings: Settings) -> Self {
        Netsapiens { settings }
    }
}

impl Connector for Netsapiens {
    async fn snapshot(&self, _http: &Http) -> Result<Snapshot, DirectoryError> {
        let _ = &self.settings;
        Err(DirectoryError::Config("not written yet".into()))
    }
}
