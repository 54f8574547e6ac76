//! `PUT /api/v1/directory`: the UC directory connection an admin saves, typed for the
//! app and the server alike. The JSON is what it always was (the server's stored
//! `alc_directory::Connection` has the same shape), so API clients did not change:
//!
//! ```json
//! {"system": "ring_central", "base_url": "…", "client_id": "…", "client_secret": "…", "jwt": "…"}
//! {"system": "netsapiens", "base_url": "…", "domain": "…", "auth": {"kind": "api_key", "key": "…"}}
//! {"system": "netsapiens", "base_url": "…", "domain": "…", "auth": {"kind": "password",
//!   "client_id": "…", "client_secret": "…", "username": "…", "password": "…"}}
//! {"system": "metaswitch", "base_url": "…", "username": "…", "password": "…",
//!   "metaswitch_name": "…", "business_group": "…"}
//! ```
//!
//! Also here, once for both sides: which fields are required ([`DirectoryConnection::validate`])
//! and which directory a connection points at ([`DirectoryAddress`]), the rule behind
//! "switching directories" (the Settings screen asks first; the server notes it in the
//! next refresh's report).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{AgentSource, ErrorCode, FieldError, FieldPath};

/// A credential typed by an admin: sent to the server once, never shown or printed.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Credential(String);

impl Credential {
    pub fn new(value: impl Into<String>) -> Self {
        Credential(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credential(***)")
    }
}

/// The connection to one UC directory, credentials included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "system", rename_all = "snake_case")]
pub enum DirectoryConnection {
    RingCentral(RingCentralSettings),
    /// The RingCentral API under Avaya's brand.
    AvayaCloudOffice(RingCentralSettings),
    Netsapiens(NetsapiensSettings),
    Metaswitch(MetaswitchSettings),
}

/// RingCentral and Avaya Cloud Office: an app's client id and secret and the
/// customer's JWT credential.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RingCentralSettings {
    pub base_url: String,
    pub client_id: String,
    pub client_secret: Credential,
    pub jwt: Credential,
}

/// Netsapiens (ns-api v2): a domain and one of the ways ns-api signs in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetsapiensSettings {
    pub base_url: String,
    pub domain: String,
    pub auth: NetsapiensAuth,
}

/// How the Netsapiens connector signs in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NetsapiensAuth {
    /// An API key (`nsd-…`) issued by the operator, sent as a bearer token.
    ApiKey { key: Credential },
    /// The OAuth password grant (`POST /tokens`): an API client's id and secret and a
    /// user's name and password.
    Password {
        client_id: String,
        client_secret: Credential,
        username: String,
        password: Credential,
    },
}

/// Metaswitch (MetaView Sh): a MetaView user and the business group to read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetaswitchSettings {
    pub base_url: String,
    pub username: String,
    pub password: Credential,
    pub metaswitch_name: String,
    pub business_group: String,
}

/// The systems a directory connection can name, in the order the form lists them.
pub const DIRECTORY_SYSTEMS: [AgentSource; 4] = [
    AgentSource::RingCentral,
    AgentSource::AvayaCloudOffice,
    AgentSource::Netsapiens,
    AgentSource::Metaswitch,
];

impl DirectoryConnection {
    pub fn source(&self) -> AgentSource {
        match self {
            DirectoryConnection::RingCentral(_) => AgentSource::RingCentral,
            DirectoryConnection::AvayaCloudOffice(_) => AgentSource::AvayaCloudOffice,
            DirectoryConnection::Netsapiens(_) => AgentSource::Netsapiens,
            DirectoryConnection::Metaswitch(_) => AgentSource::Metaswitch,
        }
    }

    pub fn base_url(&self) -> &str {
        match self {
            DirectoryConnection::RingCentral(s) | DirectoryConnection::AvayaCloudOffice(s) => {
                &s.base_url
            }
            DirectoryConnection::Netsapiens(s) => &s.base_url,
            DirectoryConnection::Metaswitch(s) => &s.base_url,
        }
    }

    /// Which directory this connection reads (no credentials).
    pub fn address(&self) -> DirectoryAddress {
        let account = match self {
            DirectoryConnection::RingCentral(_) | DirectoryConnection::AvayaCloudOffice(_) => {
                String::new()
            }
            DirectoryConnection::Netsapiens(s) => s.domain.trim().to_string(),
            DirectoryConnection::Metaswitch(s) => {
                format!("{}/{}", s.metaswitch_name.trim(), s.business_group.trim())
            }
        };
        DirectoryAddress {
            system: self.source(),
            base_url: self.base_url().trim().to_string(),
            account,
        }
    }

    /// Every field the connector needs that is empty (only spaces counts as empty), by
    /// its JSON name. Whether the address may be called is the server's to check.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut fields: Vec<(&'static str, &str)> = vec![("base_url", self.base_url())];
        match self {
            DirectoryConnection::RingCentral(s) | DirectoryConnection::AvayaCloudOffice(s) => {
                fields.extend([
                    ("client_id", s.client_id.as_str()),
                    ("client_secret", s.client_secret.expose()),
                    ("jwt", s.jwt.expose()),
                ]);
            }
            DirectoryConnection::Netsapiens(s) => {
                fields.push(("domain", &s.domain));
                match &s.auth {
                    NetsapiensAuth::ApiKey { key } => fields.push(("key", key.expose())),
                    NetsapiensAuth::Password {
                        client_id,
                        client_secret,
                        username,
                        password,
                    } => fields.extend([
                        ("client_id", client_id.as_str()),
                        ("client_secret", client_secret.expose()),
                        ("username", username.as_str()),
                        ("password", password.expose()),
                    ]),
                }
            }
            DirectoryConnection::Metaswitch(s) => fields.extend([
                ("username", s.username.as_str()),
                ("password", s.password.expose()),
                ("metaswitch_name", s.metaswitch_name.as_str()),
                ("business_group", s.business_group.as_str()),
            ]),
        }
        fields
            .into_iter()
            .filter(|(_, value)| value.trim().is_empty())
            .map(|(name, _)| FieldError {
                field: FieldPath::Input(name.to_string()),
                code: ErrorCode::Required,
                message: format!("Enter the {}.", field_noun(self.source(), name)),
            })
            .collect()
    }
}

/// What the message for an empty field calls it.
fn field_noun(system: AgentSource, name: &str) -> &'static str {
    match name {
        "base_url" => "address",
        "client_id" => "client ID",
        "client_secret" => "client secret",
        "jwt" => "JWT credential",
        "domain" => "domain",
        "key" => "API key",
        "username" if system == AgentSource::Metaswitch => "MetaView username",
        "username" => "username",
        "password" => "password",
        "metaswitch_name" => "MetaSwitch name",
        "business_group" => "business group",
        _ => "value",
    }
}

/// Which directory a connection reads: its system, its address and, where the system
/// has one, the account at that address (Netsapiens' domain, Metaswitch's
/// `MetaSwitch name/business group`; a RingCentral account is chosen by its JWT
/// credential, which cannot be compared without being kept, so it is not part of it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryAddress {
    pub system: AgentSource,
    pub base_url: String,
    #[serde(default)]
    pub account: String,
}

impl DirectoryAddress {
    /// Whether both name the same directory: same system, and the same address and
    /// account ignoring case, surrounding spaces and a trailing `/`. Users are matched
    /// across refreshes by the directory's own ids, so pointing the connection at any
    /// other directory replaces the phone users (see docs/DECISIONS.md).
    pub fn same_directory(&self, other: &DirectoryAddress) -> bool {
        fn norm(s: &str) -> String {
            s.trim().trim_end_matches('/').to_ascii_lowercase()
        }
        self.system == other.system
            && norm(&self.base_url) == norm(&other.base_url)
            && norm(&self.account) == norm(&other.account)
    }

    /// How a person reads it: "RingCentral (https://platform.ringcentral.com)",
    /// "Netsapiens (https://pbx.example.net/ns-api/v2, domain acme)".
    pub fn describe(&self) -> String {
        let account = match self.system {
            _ if self.account.is_empty() => String::new(),
            AgentSource::Metaswitch => format!(", business group {}", self.account),
            _ => format!(", domain {}", self.account),
        };
        format!("{} ({}{account})", self.system.label(), self.base_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn netsapiens(auth: NetsapiensAuth) -> DirectoryConnection {
        DirectoryConnection::Netsapiens(NetsapiensSettings {
            base_url: "https://pbx.example.net/ns-api/v2".into(),
            domain: "acme".into(),
            auth,
        })
    }

    #[test]
    fn the_wire_shape_is_the_stored_connections() {
        let cases = [
            (
                DirectoryConnection::RingCentral(RingCentralSettings {
                    base_url: "https://platform.ringcentral.com".into(),
                    client_id: "id".into(),
                    client_secret: Credential::new("s"),
                    jwt: Credential::new("j"),
                }),
                json!({"system": "ring_central", "base_url": "https://platform.ringcentral.com",
                       "client_id": "id", "client_secret": "s", "jwt": "j"}),
            ),
            (
                DirectoryConnection::AvayaCloudOffice(RingCentralSettings::default()),
                json!({"system": "avaya_cloud_office", "base_url": "", "client_id": "",
                       "client_secret": "", "jwt": ""}),
            ),
            (
                netsapiens(NetsapiensAuth::ApiKey {
                    key: Credential::new("nsd-1"),
                }),
                json!({"system": "netsapiens", "base_url": "https://pbx.example.net/ns-api/v2",
                       "domain": "acme", "auth": {"kind": "api_key", "key": "nsd-1"}}),
            ),
            (
                netsapiens(NetsapiensAuth::Password {
                    client_id: "c".into(),
                    client_secret: Credential::new("cs"),
                    username: "u".into(),
                    password: Credential::new("p"),
                }),
                json!({"system": "netsapiens", "base_url": "https://pbx.example.net/ns-api/v2",
                       "domain": "acme", "auth": {"kind": "password", "client_id": "c",
                       "client_secret": "cs", "username": "u", "password": "p"}}),
            ),
            (
                DirectoryConnection::Metaswitch(MetaswitchSettings {
                    base_url: "https://mv.example.net".into(),
                    username: "u".into(),
                    password: Credential::new("p"),
                    metaswitch_name: "NorthMS".into(),
                    business_group: "Northwind".into(),
                }),
                json!({"system": "metaswitch", "base_url": "https://mv.example.net",
                       "username": "u", "password": "p", "metaswitch_name": "NorthMS",
                       "business_group": "Northwind"}),
            ),
        ];
        for (conn, wire) in cases {
            assert_eq!(serde_json::to_value(&conn).unwrap(), wire);
            assert_eq!(
                serde_json::from_value::<DirectoryConnection>(wire).unwrap(),
                conn
            );
        }
    }

    #[test]
    fn credentials_never_print() {
        let conn = netsapiens(NetsapiensAuth::Password {
            client_id: "c".into(),
            client_secret: Credential::new("very-secret"),
            username: "u".into(),
            password: Credential::new("hunter2"),
        });
        let shown = format!("{conn:?}");
        assert!(
            !shown.contains("very-secret") && !shown.contains("hunter2"),
            "{shown}"
        );
    }

    #[test]
    fn every_empty_field_is_named() {
        let conn = netsapiens(NetsapiensAuth::Password {
            client_id: " ".into(),
            client_secret: Credential::default(),
            username: "u".into(),
            password: Credential::default(),
        });
        let problems: Vec<(String, ErrorCode, String)> = conn
            .validate()
            .into_iter()
            .map(|f| (f.field.to_string(), f.code, f.message))
            .collect();
        assert_eq!(
            problems,
            vec![
                (
                    "client_id".into(),
                    ErrorCode::Required,
                    "Enter the client ID.".into()
                ),
                (
                    "client_secret".into(),
                    ErrorCode::Required,
                    "Enter the client secret.".into()
                ),
                (
                    "password".into(),
                    ErrorCode::Required,
                    "Enter the password.".into()
                ),
            ]
        );
        let api_key = netsapiens(NetsapiensAuth::ApiKey {
            key: Credential::new("k"),
        });
        assert!(api_key.validate().is_empty());
        let empty = DirectoryConnection::Metaswitch(MetaswitchSettings::default());
        let names: Vec<String> = empty
            .validate()
            .iter()
            .map(|f| f.field.to_string())
            .collect();
        assert_eq!(
            names,
            [
                "base_url",
                "username",
                "password",
                "metaswitch_name",
                "business_group"
            ]
        );
    }

    #[test]
    fn a_switch_is_another_system_address_or_account() {
        let key = NetsapiensAuth::ApiKey {
            key: Credential::new("k"),
        };
        let here = netsapiens(key.clone()).address();
        assert_eq!(
            here.describe(),
            "Netsapiens (https://pbx.example.net/ns-api/v2, domain acme)"
        );
        // Other credentials, case, spaces and a trailing slash: the same directory.
        let same = DirectoryAddress {
            base_url: " HTTPS://PBX.example.net/ns-api/v2/ ".into(),
            account: "ACME".into(),
            ..here.clone()
        };
        assert!(here.same_directory(&same));
        assert!(
            here.same_directory(
                &netsapiens(NetsapiensAuth::Password {
                    client_id: "c".into(),
                    client_secret: Credential::new("s"),
                    username: "u".into(),
                    password: Credential::new("p"),
                })
                .address()
            )
        );
        for other in [
            DirectoryAddress {
                system: AgentSource::RingCentral,
                ..here.clone()
            },
            DirectoryAddress {
                base_url: "https://other.example.net/ns-api/v2".into(),
                ..here.clone()
            },
            DirectoryAddress {
                account: "globex".into(),
                ..here.clone()
            },
        ] {
            assert!(!here.same_directory(&other), "{other:?}");
        }
        let rc = DirectoryConnection::RingCentral(RingCentralSettings {
            base_url: "https://platform.ringcentral.com".into(),
            ..RingCentralSettings::default()
        });
        assert_eq!(
            rc.address().describe(),
            "RingCentral (https://platform.ringcentral.com)"
        );
    }
}
