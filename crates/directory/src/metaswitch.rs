//! Metaswitch (MetaView Sh SOAP service). Built from public client code, not verified
//! against a live system.
//! STUB: to be written.

use serde::{Deserialize, Serialize};

use crate::{Connector, DirectoryError, Http, Secret, Snapshot};

/// Stored connection settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// The MetaView server, e.g. `https://metaview.example.net`; the connector posts to
    /// `<base_url>/mvweb/services/ShService`.
    pub base_url: String,
    pub username: String,
    pub password: Secret,
    pub metaswitch_name: String,
    pub business_group: String,
}

pub struct Metaswitch {
    settings: Settings,
}

impl Metaswitch {
    pub fn new(settings: Settings) -> Self {
        Metaswitch { settings }
    }
}

impl Connector for Metaswitch {
    async fn snapshot(&self, _http: &Http) -> Result<Snapshot, DirectoryError> {
        let _ = &self.settings;
        Err(DirectoryError::Config("not written yet".into()))
    }
}
