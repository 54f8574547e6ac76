//! RingCentral and Avaya Cloud Office (the same API; ACO is a RingCentral brand).
//! STUB: to be written.

use serde::{Deserialize, Serialize};

use crate::{Connector, DirectoryError, Http, Secret, Snapshot};

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

pub struct RingCentral {
    settings: Settings,
    brand: Brand,
}

impl RingCentral {
    pub fn new(settings: Settings, brand: Brand) -> Self {
        RingCentral { settings, brand }
    }
}

impl Connector for RingCentral {
    async fn snapshot(&self, _http: &Http) -> Result<Snapshot, DirectoryError> {
        let _ = (&self.settings, self.brand);
        Err(DirectoryError::Config("not written yet".into()))
    }
}
