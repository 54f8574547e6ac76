//! The demo account a newcomer sees on an empty database: a realistic mix of phone
//! (UC) users and WebRTC agents, some licensed, with seats left of every type but SMS
//! nearly full, so that the limits are visible at once.
//!
//! The demo also has a directory to refresh from: a RingCentral simulator
//! (`alc-directory-sim`) on a local port, started with the server, which the demo
//! account's connection points at. Its directory is the seeded one moved on a little —
//! a few hundred new users, one renamed, one renumbered, two gone (one of them
//! licensed), a queue with a new member, a new user on a WebRTC agent's extension — so
//! that the first "Refresh Users and Groups" shows every part of the report.

use std::sync::Arc;

use alc_directory::ringcentral;
use alc_directory::{Connection, Secret};
use alc_directory_sim::{Credentials, Directory, Person, Queue, Sim, System};
use alc_domain::access::Role;
use alc_domain::{AgentSource, Counts, Entitlements, LicenseSet, LicenseType};

use crate::store::{NewAgent, NewGroup, Store, StoreError};

pub const ACCOUNT_NAME: &str = "Northwind Support (demo)";

/// The demo's console users: (role, name, email, password). `cargo xtask run` prints
/// them; they are for trying the console out, not for a real account.
pub const USERS: &[(Role, &str, &str, &str)] = &[
    (
        Role::Admin,
        "Alex Admin",
        "admin@northwind.example",
        "admin-demo-2026",
    ),
    (
        Role::Supervisor,
        "Sam Supervisor",
        "supervisor@northwind.example",
        "supervisor-demo-2026",
    ),
    (
        Role::Agent,
        "Avery Agent",
        "agent@northwind.example",
        "agent-demo-2026",
    ),
];

/// Voice 25, Web Chat 10 (channel purchased), SMS 5, Transcription 5.
pub fn entitlements() -> Entitlements {
    Entitlements {
        purchased: Counts::from_fn(|t| match t {
            LicenseType::Voice => 25,
            LicenseType::WebChat => 10,
            LicenseType::Sms => 5,
            LicenseType::Transcription => 5,
        }),
        web_chat_channel: true,
    }
}

const UC_USERS: &[&str] = &[
    "Amelia Hart",
    "Benjamin Okafor",
    "Carmen Delgado",
    "Daniel Kowalski",
    "Elena Petrova",
    "Farid Haddad",
    "Grace Liu",
    "Hiroshi Tanaka",
    "Isabel Moreau",
    "Jamal Carter",
    "Katarzyna Nowak",
    "Liam O'Brien",
    "Maya Patel",
    "Noah Fischer",
    "Olivia Bennett",
    "Pedro Alves",
    "Quinn Harper",
    "Rosa Jiménez",
    "Samuel Adeyemi",
    "Tara Sullivan",
    "Umar Siddiqui",
    "Valentina Rossi",
    "William Chen",
    "Ximena Castillo",
    "Yusuf Demir",
    "Zoe Lambert",
];

const WEBRTC_AGENTS: &[&str] = &[
    "Aaron Blake",
    "Bianca Ferreira",
    "Chloe Dubois",
    "Diego Ramírez",
    "Emma Lindqvist",
    "Felix Wagner",
    "Hannah Schmidt",
    "Ivan Horvat",
    "Julia Santos",
    "Kevin Murphy",
    "Leila Rahimi",
    "Marco Bianchi",
    "Nina Johansson",
    "Oscar Nilsson",
];

/// `Rosa Jiménez` → `rosa.jimenez`.
fn mailbox(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('.'),
            'á' | 'à' => Some('a'),
            'é' | 'è' => Some('e'),
            'í' => Some('i'),
            'ó' => Some('o'),
            'ú' => Some('u'),
            '\'' => None,
            c => Some(c),
        })
        .collect()
}

fn licenses(i: usize) -> LicenseSet {
    use LicenseType::*;
    // With the WebRTC agents below, the demo starts at 20 Voice, 7 Web Chat, 4 SMS
    // (one seat left) and 3 Transcription.
    let plan: &[&[LicenseType]] = &[
        &[Voice, Transcription],
        &[Voice, WebChat],
        &[Voice],
        &[Voice, Sms],
        &[Voice],
        &[],
        &[Voice, WebChat],
        &[Voice, Transcription],
        &[Voice],
        &[],
        &[Voice, Sms],
        &[Voice],
        &[WebChat, Sms],
        &[],
        &[Voice, WebChat],
        &[Voice],
        &[],
        &[Voice, Sms, Transcription],
        &[Voice],
        &[],
    ];
    plan.get(i)
        .map(|l| l.iter().copied().collect())
        .unwrap_or_default()
}

/// The directory's id of the i-th UC user.
fn uc_key(i: usize) -> String {
    (1001 + i).to_string()
}

/// UC groups (queues) from the directory: name, and which UC users are members. The
/// seeded copy has these three; the directory has nine more.
const GROUPS: &[(&str, std::ops::Range<usize>)] = &[
    ("Sales", 0..8),
    ("Support", 8..16),
    // Samuel Adeyemi (18) is licensed but in no queue until the directory adds him.
    ("Billing", 16..18),
];
const MORE_GROUPS: &[&str] = &[
    "Renewals",
    "Technical L2",
    "VIP",
    "Spanish",
    "French",
    "Onboarding",
    "Collections",
    "After Hours",
    "Escalations",
];

fn group_key(i: usize) -> String {
    (900_001 + i).to_string()
}

fn group_extension(i: usize) -> String {
    (3001 + i).to_string()
}

fn groups() -> Vec<NewGroup> {
    GROUPS
        .iter()
        .enumerate()
        .map(|(g, (name, members))| NewGroup {
            name: name.to_string(),
            extension: group_extension(g),
            directory_key: Some(group_key(g)),
            members: members.clone().map(uc_key).collect(),
        })
        .collect()
}

/// Noah Fischer (unlicensed) and Olivia Bennett (licensed) left the company.
const GONE: [usize; 2] = [13, 14];

/// What the simulator's directory holds: see the module's comment.
pub fn directory() -> Directory {
    let mut people: Vec<Person> = UC_USERS
        .iter()
        .enumerate()
        .filter(|(i, _)| !GONE.contains(i))
        .map(|(i, name)| {
            let (first, last) = name.split_once(' ').unwrap_or((name, ""));
            Person {
                id: uc_key(i),
                first_name: first.to_string(),
                last_name: last.to_string(),
                email: format!("{}@northwind.example", mailbox(name)),
                extension: (2001 + i).to_string(),
                status: "Enabled".to_string(),
            }
        })
        .collect();
    for p in &mut people {
        match p.id.as_str() {
            // Isabel Moreau married.
            "1009" => {
                p.last_name = "Moreau-Dupont".into();
                p.email = "isabel.moreau-dupont@northwind.example".into();
            }
            // Jamal Carter moved desk.
            "1010" => p.extension = "2100".into(),
            _ => {}
        }
    }
    let mut more = Directory::generated(274, 0, 2201).people;
    for (i, p) in more.iter_mut().enumerate() {
        p.id = (5001 + i).to_string();
        p.email = p.email.replace("@example.com", "@northwind.example");
    }
    // The directory gave a new user the extension of WebRTC agent Chloe Dubois.
    more[5].extension = "4003".into();
    let all_groups = GROUPS.len() + MORE_GROUPS.len();
    let queues = GROUPS
        .iter()
        .map(|(name, _)| *name)
        .chain(MORE_GROUPS.iter().copied())
        .enumerate()
        .map(|(g, name)| {
            let mut members: Vec<String> = match GROUPS.get(g) {
                Some((_, m)) => m
                    .clone()
                    .filter(|i| !GONE.contains(i))
                    .map(uc_key)
                    .collect(),
                None => Vec::new(),
            };
            if name == "Billing" {
                members.push(uc_key(18));
            }
            members.extend(
                more.iter()
                    .skip(g)
                    .step_by(all_groups)
                    .map(|p| p.id.clone()),
            );
            Queue {
                id: group_key(g),
                name: name.to_string(),
                extension: group_extension(g),
                members,
            }
        })
        .collect();
    people.extend(more);
    Directory { people, queues }
}

/// The credentials the simulator accepts and the demo connection sends. The demo's
/// connection is recognised by its client id, so a restart can point it at the new
/// simulator's port.
fn demo_credentials() -> Credentials {
    Credentials {
        client_id: "demo-console".into(),
        client_secret: "demo-client-secret".into(),
        secret: "demo-jwt-assertion".into(),
        ..Credentials::default()
    }
}

/// Starts the demo directory on a free local port and points the demo account's
/// connection at it (unless an admin connected a real directory).
pub async fn start_directory(
    store: &Store,
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let creds = demo_credentials();
    if let Some(existing) = store.directory_connection().await?
        && !matches!(&existing, Connection::RingCentral(s) if s.client_id == creds.client_id)
    {
        return Ok(existing.base_url().to_string());
    }
    let sim = Arc::new(Sim::new(directory()).with_credentials(creds.clone()));
    let base_url = alc_directory_sim::serve(System::RingCentral, sim).await?;
    store
        .set_directory_connection(
            None,
            &Connection::RingCentral(ringcentral::Settings {
                base_url: base_url.clone(),
                client_id: creds.client_id,
                client_secret: Secret(creds.client_secret),
                jwt: Secret(creds.secret),
            }),
        )
        .await?;
    Ok(base_url)
}

pub fn agents() -> Vec<NewAgent> {
    let uc = UC_USERS.iter().enumerate().map(|(i, name)| NewAgent {
        name: name.to_string(),
        email: format!("{}@northwind.example", mailbox(name)),
        extension: (2001 + i).to_string(),
        source: AgentSource::RingCentral,
        licenses: licenses(i),
        directory_key: Some(uc_key(i)),
    });
    let webrtc = WEBRTC_AGENTS.iter().enumerate().map(|(i, name)| NewAgent {
        name: name.to_string(),
        email: format!("{}@northwind.example", mailbox(name)),
        extension: (4001 + i).to_string(),
        source: AgentSource::Webrtc,
        licenses: match i {
            0 | 3 | 6 => [LicenseType::Voice].into_iter().collect(),
            1 | 4 => [LicenseType::Voice, LicenseType::WebChat]
                .into_iter()
                .collect(),
            8 => [LicenseType::WebChat, LicenseType::Voice]
                .into_iter()
                .collect(),
            _ => LicenseSet::EMPTY,
        },
        directory_key: None,
    });
    uc.chain(webrtc).collect()
}

pub async fn seed(store: &Store) -> Result<(), StoreError> {
    store
        .set_entitlements(ACCOUNT_NAME, &entitlements())
        .await?;
    store.insert_agents(&agents()).await?;
    store.insert_groups(&groups()).await?;
    for (role, name, email, password) in USERS {
        store
            .upsert_console_user(email, name, *role, password)
            .await?;
    }
    Ok(())
}

/// The example portal (`/example-portal.html`) signs its users in by single sign-on,
/// as a real portal's back end would: [`Portal`] is that back end's key and users.
pub mod portal {
    use std::path::{Path, PathBuf};

    use alc_domain::access::Role;
    use axum::Router;
    use axum::extract::{Query, State};
    use axum::http::{HeaderMap, HeaderValue, header};
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use jsonwebtoken::{Algorithm, EncodingKey, Header};

    use crate::error::ApiError;
    use crate::sso::{JWT_BEARER, SsoConfig, VerifyKey};
    use crate::state::AppState;

    /// Who the demo's portal says its assertions come from, and for whom.
    pub const ISSUER: &str = "https://portal.northwind.example";
    pub const AUDIENCE: &str = "agent-licensing-console (demo)";
    pub const KID: &str = "northwind-portal-demo";
    /// The key's file, beside the database: 32 random bytes (the Ed25519 seed), made at
    /// the demo's first start, readable by its owner only.
    pub const KEY_FILE: &str = "demo-portal-ed25519.key";

    /// The portal's people, by `as`: (as, subject, name, email, role). They are not
    /// the password accounts of [`super::USERS`]: single sign-on makes its own
    /// console users at their first exchange.
    pub const USERS: &[(&str, &str, &str, &str, Role)] = &[
        (
            "supervisor",
            "portal-user-1042",
            "Dana Park",
            "dana.park@northwind.example",
            Role::Supervisor,
        ),
        (
            "admin",
            "portal-user-1001",
            "Lee Okafor",
            "lee.okafor@northwind.example",
            Role::Admin,
        ),
    ];

    /// The portal's signing key.
    #[derive(Clone)]
    pub struct Portal {
        signing: EncodingKey,
        /// The public half, as the JWKS document an operator would be given.
        jwks: String,
    }

    impl std::fmt::Debug for Portal {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("Portal(..)")
        }
    }

    fn key_file(dir: &Path) -> PathBuf {
        dir.join(KEY_FILE)
    }

    impl Portal {
        /// The demo portal's key beside the database `db`, made if missing.
        /// The demo portal, its key kept in `dir` (the database's folder).
        pub fn open(dir: &Path) -> Result<Portal, String> {
            let file = key_file(dir);
            let seed: [u8; 32] = match std::fs::read(&file) {
                Ok(bytes) => bytes.try_into().map_err(|_| {
                    format!("{} is not a demo portal key (32 bytes)", file.display())
                })?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let mut seed = [0u8; 32];
                    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut seed);
                    if let Some(dir) = file.parent() {
                        crate::store::create_private_dir(dir).map_err(|e| e.to_string())?;
                    }
                    let mut options = std::fs::OpenOptions::new();
                    options.write(true).create_new(true);
                    #[cfg(unix)]
                    {
                        use std::os::unix::fs::OpenOptionsExt;
                        options.mode(0o600);
                    }
                    let mut out = options
                        .open(&file)
                        .map_err(|e| format!("cannot create {}: {e}", file.display()))?;
                    std::io::Write::write_all(&mut out, &seed)
                        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
                    tracing::info!(file = %file.display(), "made the demo portal's signing key");
                    seed
                }
                Err(e) => return Err(format!("cannot read {}: {e}", file.display())),
            };
            Ok(Portal::from_seed(&seed))
        }

        fn from_seed(seed: &[u8; 32]) -> Portal {
            let public = ed25519_dalek::SigningKey::from_bytes(seed)
                .verifying_key()
                .to_bytes();
            // PKCS#8 v1 of an Ed25519 key (RFC 8410): a fixed prefix, then the seed.
            let mut der = vec![
                0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
                0x04, 0x20,
            ];
            der.extend_from_slice(seed);
            let jwks = serde_json::json!({"keys": [{
                "kty": "OKP", "crv": "Ed25519", "kid": KID, "alg": "EdDSA",
                "x": URL_SAFE_NO_PAD.encode(public),
            }]})
            .to_string();
            Portal {
                signing: EncodingKey::from_ed_der(&der),
                jwks,
            }
        }

        /// The single sign-on the demo sets up: this portal's key, its issuer and
        /// audience, the console's own role names, admins allowed.
        pub fn sso(&self) -> SsoConfig {
            let keys = VerifyKey::from_jwks(&self.jwks).expect("the demo's own JWKS");
            let mut sso = SsoConfig::new(ISSUER, AUDIENCE, keys);
            sso.allow_admin = true;
            sso
        }

        /// A signed assertion for the portal user `as_`, issued at `now`.
        pub fn assertion(&self, as_: &str, now: i64) -> Option<String> {
            let (_, subject, name, email, role) = USERS.iter().find(|u| u.0 == as_)?;
            let mut jti = [0u8; 16];
            rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut jti);
            let claims = serde_json::json!({
                "iss": ISSUER, "aud": AUDIENCE, "sub": subject,
                "iat": now, "exp": now + 60, "jti": URL_SAFE_NO_PAD.encode(jti),
                "role": role.key(), "name": name, "email": email,
            });
            let mut header = Header::new(Algorithm::EdDSA);
            header.kid = Some(KID.into());
            jsonwebtoken::encode(&header, &claims, &self.signing).ok()
        }

        /// `GET /example-portal/token?as=supervisor`: what a portal's back end does for
        /// its page — sign an assertion for the signed-in portal user and exchange it
        /// (through the very handler of `POST /api/v1/auth/exchange`) — answered with
        /// the console's token only. The page never sees the key, the assertion or a
        /// password.
        pub fn routes(self, state: AppState) -> Router {
            Router::new()
                .route("/example-portal/token", get(token))
                .with_state((self, state))
        }
    }

    #[derive(serde::Deserialize)]
    struct TokenQuery {
        #[serde(rename = "as")]
        as_: Option<String>,
    }

    async fn token(
        State((portal, state)): State<(Portal, AppState)>,
        Query(q): Query<TokenQuery>,
    ) -> Response {
        let who = q.as_.as_deref().unwrap_or("supervisor");
        let Some(assertion) = portal.assertion(who, state.store.now_secs()) else {
            return ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                alc_domain::ErrorCode::NotFound,
                format!("The demo portal has no user {who:?} (try supervisor or admin)."),
            )
            .into_response();
        };
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let body =
            serde_urlencoded::to_string([("grant_type", JWT_BEARER), ("assertion", &assertion)])
                .unwrap_or_default();
        let mut response = crate::sso::exchange(State(state), headers, body.into())
            .await
            .into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn its_assertions_verify_under_the_sso_it_sets_up() {
            let portal = Portal::from_seed(&[7; 32]);
            let sso = portal.sso();
            let a = portal.assertion("supervisor", 1_000_000).unwrap();
            let verified = sso.verify(&a, 1_000_010).unwrap();
            assert_eq!(verified.email, "dana.park@northwind.example");
            assert_eq!(verified.role, Role::Supervisor);
            // Another seed's assertion does not.
            let other = Portal::from_seed(&[8; 32])
                .assertion("supervisor", 1_000_000)
                .unwrap();
            assert!(sso.verify(&other, 1_000_010).is_err());
            assert!(portal.assertion("nobody", 1_000_000).is_none());
        }

        fn alc_server_db(path: PathBuf) -> PathBuf {
            crate::store::Database::Sqlite(path).files_dir()
        }

        #[test]
        fn the_key_is_made_once_beside_the_database() {
            let dir = tempfile::tempdir().unwrap();
            let db = alc_server_db(dir.path().join("data/console.db"));
            let first = Portal::open(&db).unwrap();
            let again = Portal::open(&db).unwrap();
            assert_eq!(first.jwks, again.jwks);
            let file = dir.path().join("data").join(KEY_FILE);
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&file).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600);
            }
            std::fs::write(&file, b"short").unwrap();
            assert!(Portal::open(&db).is_err());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_fits_its_purchases_and_rules() {
        let ent = entitlements();
        let mut assigned = Counts::default();
        let agents = agents();
        for a in &agents {
            for t in a.licenses.iter() {
                assigned[t] += 1;
            }
            assert!(
                !a.licenses.has(LicenseType::Transcription) || a.licenses.has(LicenseType::Voice)
            );
            assert!(a.email.is_ascii(), "{}", a.email);
        }
        for t in LicenseType::ALL {
            assert!(
                assigned[t] < ent.purchased[t],
                "{t}: some seats must be left"
            );
        }
        // SMS is nearly full so that the limit shows at once (the e2e tests use it).
        assert_eq!(
            ent.purchased[LicenseType::Sms] - assigned[LicenseType::Sms],
            1
        );
        assert_eq!(agents.len(), 40);
        let mut ext: Vec<_> = agents.iter().map(|a| &a.extension).collect();
        ext.dedup();
        assert_eq!(ext.len(), 40);
    }
}
