//! The directory connection between its two forms: the request body an admin sends
//! (`alc_domain::connection::DirectoryConnection`, which the app can type) and the
//! connector settings the server stores and reads with (`alc_directory::Connection`,
//! credentials as `Secret`s). Both have the same JSON; the conversion is written out so
//! that a field added to one side and not the other is a compile error, not a field
//! silently dropped.

use alc_directory::{Connection, Secret, metaswitch, netsapiens, ringcentral};
use alc_domain::connection::{
    Credential, DirectoryAddress, DirectoryConnection, MetaswitchSettings, NetsapiensAuth,
    NetsapiensSettings, RingCentralSettings,
};

fn secret(c: Credential) -> Secret {
    Secret(c.expose().to_string())
}

fn credential(s: &Secret) -> Credential {
    Credential::new(s.expose())
}

fn rc(s: RingCentralSettings) -> ringcentral::Settings {
    ringcentral::Settings {
        base_url: s.base_url.trim().to_string(),
        client_id: s.client_id.trim().to_string(),
        client_secret: secret(s.client_secret),
        jwt: secret(s.jwt),
    }
}

fn rc_back(s: &ringcentral::Settings) -> RingCentralSettings {
    RingCentralSettings {
        base_url: s.base_url.clone(),
        client_id: s.client_id.clone(),
        client_secret: credential(&s.client_secret),
        jwt: credential(&s.jwt),
    }
}

/// What the server stores for a connection an admin sent. Names and addresses are
/// trimmed (the form's fields are typed by hand); credentials are kept as sent.
pub fn to_stored(c: DirectoryConnection) -> Connection {
    match c {
        DirectoryConnection::RingCentral(s) => Connection::RingCentral(rc(s)),
        DirectoryConnection::AvayaCloudOffice(s) => Connection::AvayaCloudOffice(rc(s)),
        DirectoryConnection::Netsapiens(s) => Connection::Netsapiens(netsapiens::Settings {
            base_url: s.base_url.trim().to_string(),
            domain: s.domain.trim().to_string(),
            auth: match s.auth {
                NetsapiensAuth::ApiKey { key } => netsapiens::Auth::ApiKey { key: secret(key) },
                NetsapiensAuth::Password {
                    client_id,
                    client_secret,
                    username,
                    password,
                } => netsapiens::Auth::Password {
                    client_id: client_id.trim().to_string(),
                    client_secret: secret(client_secret),
                    username: username.trim().to_string(),
                    password: secret(password),
                },
            },
        }),
        DirectoryConnection::Metaswitch(s) => Connection::Metaswitch(metaswitch::Settings {
            base_url: s.base_url.trim().to_string(),
            username: s.username.trim().to_string(),
            password: secret(s.password),
            metaswitch_name: s.metaswitch_name.trim().to_string(),
            business_group: s.business_group.trim().to_string(),
        }),
    }
}

/// The stored connection as the domain types it (for the rules written there).
pub fn from_stored(c: &Connection) -> DirectoryConnection {
    match c {
        Connection::RingCentral(s) => DirectoryConnection::RingCentral(rc_back(s)),
        Connection::AvayaCloudOffice(s) => DirectoryConnection::AvayaCloudOffice(rc_back(s)),
        Connection::Netsapiens(s) => DirectoryConnection::Netsapiens(NetsapiensSettings {
            base_url: s.base_url.clone(),
            domain: s.domain.clone(),
            auth: match &s.auth {
                netsapiens::Auth::ApiKey { key } => NetsapiensAuth::ApiKey {
                    key: credential(key),
                },
                netsapiens::Auth::Password {
                    client_id,
                    client_secret,
                    username,
                    password,
                } => NetsapiensAuth::Password {
                    client_id: client_id.clone(),
                    client_secret: credential(client_secret),
                    username: username.clone(),
                    password: credential(password),
                },
            },
        }),
        Connection::Metaswitch(s) => DirectoryConnection::Metaswitch(MetaswitchSettings {
            base_url: s.base_url.clone(),
            username: s.username.clone(),
            password: credential(&s.password),
            metaswitch_name: s.metaswitch_name.clone(),
            business_group: s.business_group.clone(),
        }),
    }
}

/// Which directory a stored connection reads.
pub fn address_of(c: &Connection) -> DirectoryAddress {
    from_stored(c).address()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Each wire form, read as the request type and converted, is what the connector
    /// settings read from the same JSON: the two types cannot drift apart.
    #[test]
    fn both_forms_read_the_same_json_alike() {
        for wire in [
            json!({"system": "ring_central", "base_url": "https://a", "client_id": "i",
                   "client_secret": "s", "jwt": "j"}),
            json!({"system": "avaya_cloud_office", "base_url": "https://a", "client_id": "i",
                   "client_secret": "s", "jwt": "j"}),
            json!({"system": "netsapiens", "base_url": "https://a", "domain": "d",
                   "auth": {"kind": "api_key", "key": "k"}}),
            json!({"system": "netsapiens", "base_url": "https://a", "domain": "d",
                   "auth": {"kind": "password", "client_id": "i", "client_secret": "s",
                            "username": "u", "password": "p"}}),
            json!({"system": "metaswitch", "base_url": "https://a", "username": "u",
                   "password": "p", "metaswitch_name": "m", "business_group": "b"}),
        ] {
            let typed: DirectoryConnection = serde_json::from_value(wire.clone()).unwrap();
            let stored: Connection = serde_json::from_value(wire.clone()).unwrap();
            assert_eq!(to_stored(typed.clone()), stored, "{wire}");
            assert_eq!(from_stored(&stored), typed, "{wire}");
            assert_eq!(serde_json::to_value(&stored).unwrap(), wire);
        }
    }

    #[test]
    fn typed_names_and_addresses_are_trimmed() {
        let typed: DirectoryConnection = serde_json::from_value(json!({
            "system": "netsapiens", "base_url": " https://a ", "domain": " d ",
            "auth": {"kind": "api_key", "key": " k "}}))
        .unwrap();
        let Connection::Netsapiens(s) = to_stored(typed) else {
            panic!("not Netsapiens");
        };
        assert_eq!((s.base_url.as_str(), s.domain.as_str()), ("https://a", "d"));
        assert_eq!(
            s.auth,
            netsapiens::Auth::ApiKey {
                key: Secret(" k ".into())
            }
        );
    }
}
