//! Fake UC directory servers: each speaks one system's wire format (paging, tokens that
//! expire, 429 with `Retry-After`, 5xx, malformed pages) over real HTTP on 127.0.0.1.
//!
//! They are test fixtures for the connectors in `alc-directory`, and the demo's
//! directory (`cargo xtask run` starts the RingCentral one). Not product: they check
//! only what the tests need.
//!
//! One [`Sim`] holds the directory's content ([`Directory`]), the faults to inject
//! ([`Faults`]) and counters of what clients did ([`Stats`]); each system module turns
//! it into an axum router in its own wire format.

pub mod metaswitch;
pub mod netsapiens;
pub mod recorded;
pub mod ringcentral;

use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Instant;

/// A person in the fake directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// The directory's id: RingCentral extension id, Netsapiens user, Metaswitch DN.
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub extension: String,
    /// RingCentral's words: "Enabled", "Disabled", "NotActivated", "Unassigned", ...
    pub status: String,
}

impl Person {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_string()
    }
}

/// A queue / hunt group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queue {
    pub id: String,
    pub name: String,
    pub extension: String,
    /// Ids of member people.
    pub members: Vec<String>,
}

/// A RingCentral extension that is neither a person nor a queue (`Announcement`,
/// `FaxUser`, `IvrMenu`, ...), served only when the list's `type` filter lets it
/// through (or [`Faults::ignore_type_filter`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtherExtension {
    pub id: String,
    pub name: String,
    pub extension: String,
    /// RingCentral's `type`.
    pub kind: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Directory {
    pub people: Vec<Person>,
    pub queues: Vec<Queue>,
}

const FIRST: &[&str] = &[
    "Ada", "Bruno", "Chiara", "Dmitri", "Esther", "Felipe", "Gita", "Hugo", "Ines", "Jonas",
    "Keiko", "Lars", "Mina", "Nadia", "Omar", "Priya", "Ravi", "Sofia", "Tomas", "Ulla", "Victor",
    "Wen", "Yara", "Zane",
];
const LAST: &[&str] = &[
    "Abbott", "Brandt", "Costa", "Dalton", "Eriksen", "Fontaine", "Garcia", "Holm", "Ito",
    "Jansen", "Keller", "Lopez", "Mensah", "Novak", "Ortiz", "Park", "Quist", "Reyes", "Singh",
    "Tran", "Ueda", "Varga", "Weber", "Young",
];

impl Directory {
    /// `users` people with extensions from `first_extension` up, ids `1001..`, emails
    /// at `example.com`, all "Enabled"; `queues` queues with extensions 3001.. whose
    /// members are every `queues`-th person (so every person is in exactly one queue).
    /// Deterministic: the same arguments give the same directory.
    pub fn generated(users: usize, queues: usize, first_extension: u32) -> Directory {
        let people: Vec<Person> = (0..users)
            .map(|i| {
                let first = FIRST[i % FIRST.len()];
                let last = LAST[(i / FIRST.len()) % LAST.len()];
                let round = i / (FIRST.len() * LAST.len());
                let last = if round == 0 {
                    last.to_string()
                } else {
                    format!("{last} {}", round + 1)
                };
                let email = format!(
                    "{}.{}@example.com",
                    first.to_lowercase(),
                    last.to_lowercase().replace(' ', "")
                );
                Person {
                    id: (1001 + i).to_string(),
                    first_name: first.to_string(),
                    last_name: last,
                    email,
                    extension: (first_extension as usize + i).to_string(),
                    status: "Enabled".to_string(),
                }
            })
            .collect();
        let queues = (0..queues)
            .map(|q| Queue {
                id: (900_001 + q).to_string(),
                name: format!("Queue {}", q + 1),
                extension: (3001 + q).to_string(),
                members: people
                    .iter()
                    .skip(q)
                    .step_by(queues.max(1))
                    .map(|p| p.id.clone())
                    .collect(),
            })
            .collect();
        Directory { people, queues }
    }
}

/// Faults to inject. Request numbers count the data requests (not token requests)
/// the server has answered, from 1.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// A token stops working after this many data requests made with it (the next
    /// one gets 401): expiry in the middle of a run.
    pub token_uses: Option<u32>,
    /// Data request number N gets 429 with `Retry-After: secs` (once).
    pub rate_limit_at: Option<(u32, u64)>,
    /// From data request number N on, `count` requests get 500.
    pub server_errors_at: Option<(u32, u32)>,
    /// Data request number N gets a 200 whose body is not the documented format.
    pub malformed_at: Option<u32>,
    /// Every token request is refused (bad credentials).
    pub refuse_credentials: bool,
    /// Data request number N gets a hostile 200 (see [`Hostile`]).
    pub hostile_at: Option<(u32, Hostile)>,
    /// Queues (by id) that are listed but gone when their members are read (404, or
    /// Metaswitch's "unknown identity"): deleted between the two requests.
    pub vanished_queues: Vec<String>,
    /// RingCentral: the extension list ignores its `type` filter and sends every type.
    pub ignore_type_filter: bool,
    /// RingCentral: the `errorCode` of every 401 on a data request (default: OAU-128
    /// for a used-up token, OAU-213 for an unknown one).
    pub unauthorized_code: Option<&'static str>,
    /// Netsapiens: the users list ignores paging.
    pub paging_ignored: Option<PagingIgnored>,
}

/// How a server ignores `limit`/`start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PagingIgnored {
    /// Neither is read: the whole list, every time (the specification lists neither).
    Both,
    /// `limit` is honoured, `start` is not: the first page, every time.
    Start,
}

/// An answer meant to hurt the reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hostile {
    /// 100,000 levels of nesting in under 1 MB (XML for Metaswitch, JSON otherwise).
    DeepNesting,
    /// 100 MiB, streamed without a declared length.
    Huge,
}

/// The answer [`Gate::Hostile`] asks for, in `content_type` (XML or JSON).
pub fn hostile(kind: Hostile, content_type: &'static str) -> axum::response::Response {
    use axum::response::IntoResponse;
    let header = [(axum::http::header::CONTENT_TYPE, content_type)];
    match kind {
        Hostile::DeepNesting if content_type.contains("xml") => (
            header,
            format!("<soapenv:Envelope><soapenv:Body>{}", "<a>".repeat(100_000)),
        )
            .into_response(),
        Hostile::DeepNesting => (header, "[".repeat(100_000)).into_response(),
        Hostile::Huge => {
            static CHUNK: [u8; 64 * 1024] = [b' '; 64 * 1024];
            let chunks = futures_util::stream::iter(
                (0..1600).map(|_| Ok::<_, std::io::Error>(axum::body::Bytes::from_static(&CHUNK))),
            );
            (header, axum::body::Body::from_stream(chunks)).into_response()
        }
    }
}

/// What the fake did, for assertions.
#[derive(Debug, Default)]
pub struct Stats {
    pub data_requests: AtomicU32,
    pub token_requests: AtomicU32,
    pub unauthorized: AtomicU32,
    pub rate_limited: AtomicU32,
    pub server_errors: AtomicU32,
    /// Requests refused with 406 for their `Accept` header.
    pub not_acceptable: AtomicU32,
    /// When each data request arrived, in order.
    pub arrivals: Mutex<Vec<Instant>>,
}

/// What a system module must answer to one data request, before looking at its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// Serve the request normally.
    Serve,
    /// 401: the token is missing, unknown or used up.
    Unauthorized,
    /// 429 with `Retry-After` this many seconds.
    RateLimited(u64),
    /// 500.
    ServerError,
    /// 200 with a body that is not the documented format.
    Malformed,
    /// 200 with a hostile body: answer it with [`hostile`].
    Hostile(Hostile),
}

/// One fake directory server's state, shared with its router.
#[derive(Debug)]
pub struct Sim {
    pub directory: Mutex<Directory>,
    /// RingCentral's other extensions (not people, not queues).
    pub other_extensions: Mutex<Vec<OtherExtension>>,
    pub faults: Mutex<Faults>,
    pub stats: Stats,
    /// Issued tokens and how many data requests each has served.
    tokens: Mutex<Vec<(String, u32)>>,
    /// Credentials the fake accepts, compared by the system module.
    pub credentials: Credentials,
}

/// What the fake accepts. Each system uses the fields it needs.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
    /// RingCentral's JWT assertion, Netsapiens' API key.
    pub secret: String,
    pub username: String,
    pub password: String,
    /// Netsapiens domain; Metaswitch "MetaSwitchName/BusinessGroupName".
    pub tenant: String,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            client_id: "test-client".into(),
            client_secret: "test-client-secret".into(),
            secret: "test-jwt-or-api-key".into(),
            username: "test-user".into(),
            password: "test-password".into(),
            tenant: "example".into(),
        }
    }
}

impl Sim {
    pub fn new(directory: Directory) -> Sim {
        Sim {
            directory: Mutex::new(directory),
            other_extensions: Mutex::new(Vec::new()),
            faults: Mutex::new(Faults::default()),
            stats: Stats::default(),
            tokens: Mutex::new(Vec::new()),
            credentials: Credentials::default(),
        }
    }

    pub fn with_faults(self, faults: Faults) -> Sim {
        *self.faults.lock().unwrap() = faults;
        self
    }

    pub fn with_credentials(mut self, credentials: Credentials) -> Sim {
        self.credentials = credentials;
        self
    }

    /// A fresh token (the system module checks the credentials first).
    pub fn issue_token(&self) -> String {
        let n = self.stats.token_requests.fetch_add(1, Ordering::SeqCst) + 1;
        let token = format!("tok-{n}-{:08x}", n.wrapping_mul(2_654_435_761));
        self.tokens.lock().unwrap().push((token.clone(), 0));
        token
    }

    /// Extensions of other types alongside the people and queues (RingCentral).
    pub fn with_other_extensions(self, others: Vec<OtherExtension>) -> Sim {
        *self.other_extensions.lock().unwrap() = others;
        self
    }

    /// Whether `token` was issued by this fake (used up or not).
    pub fn issued(&self, token: &str) -> bool {
        self.tokens.lock().unwrap().iter().any(|(t, _)| t == token)
    }

    /// Whether a queue is listed but gone ([`Faults::vanished_queues`]).
    pub fn vanished(&self, queue_id: &str) -> bool {
        let faults = self.faults.lock().unwrap();
        faults.vanished_queues.iter().any(|q| q == queue_id)
    }

    /// Counts one token request that the module refuses.
    pub fn refuse_token(&self) {
        self.stats.token_requests.fetch_add(1, Ordering::SeqCst);
    }

    /// Decides the fate of one data request carrying `token` (`None` = no token).
    /// Modules that use a fixed secret instead of issued tokens (API keys, HTTP Basic)
    /// pass `Some("")` once they have checked it themselves.
    pub fn gate(&self, token: Option<&str>) -> Gate {
        let n = self.stats.data_requests.fetch_add(1, Ordering::SeqCst) + 1;
        self.stats.arrivals.lock().unwrap().push(Instant::now());
        let faults = self.faults.lock().unwrap().clone();
        let authorised = match token {
            None => false,
            Some("") => true,
            Some(t) => {
                let mut tokens = self.tokens.lock().unwrap();
                match tokens.iter_mut().find(|(k, _)| k == t) {
                    Some((_, uses)) if faults.token_uses.is_none_or(|max| *uses < max) => {
                        *uses += 1;
                        true
                    }
                    _ => false,
                }
            }
        };
        if !authorised {
            self.stats.unauthorized.fetch_add(1, Ordering::SeqCst);
            return Gate::Unauthorized;
        }
        if let Some((at, secs)) = faults.rate_limit_at
            && at == n
        {
            self.stats.rate_limited.fetch_add(1, Ordering::SeqCst);
            return Gate::RateLimited(secs);
        }
        if let Some((at, count)) = faults.server_errors_at
            && n >= at
            && n - at < count
        {
            self.stats.server_errors.fetch_add(1, Ordering::SeqCst);
            return Gate::ServerError;
        }
        if faults.malformed_at == Some(n) {
            return Gate::Malformed;
        }
        if let Some((at, kind)) = faults.hostile_at
            && at == n
        {
            return Gate::Hostile(kind);
        }
        Gate::Serve
    }
}

/// The `Authorization` header value for HTTP Basic with these credentials.
pub fn basic_auth(user: &str, password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// Refuses with 406 every request whose `Accept` header does not name `media`
/// (`application/json`, `text/xml`) exactly: as a server that insists does, `*/*`
/// and a missing header are refused too, so a call that forgets it fails its test.
pub fn require_accept(
    router: axum::Router,
    sim: std::sync::Arc<Sim>,
    media: &'static str,
) -> axum::Router {
    use axum::extract::{Request, State};
    use axum::middleware::Next;
    use axum::response::IntoResponse;
    async fn guard(
        State((sim, media)): State<(std::sync::Arc<Sim>, &'static str)>,
        request: Request,
        next: Next,
    ) -> axum::response::Response {
        let accepted = request
            .headers()
            .get_all(axum::http::header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|m| {
                m.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .eq_ignore_ascii_case(media)
            });
        if accepted {
            return next.run(request).await;
        }
        sim.stats.not_acceptable.fetch_add(1, Ordering::SeqCst);
        let message = format!("Not Acceptable: this server answers {media} only");
        (axum::http::StatusCode::NOT_ACCEPTABLE, message).into_response()
    }
    router.layer(axum::middleware::from_fn_with_state((sim, media), guard))
}

/// The supported systems, for [`serve`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum System {
    RingCentral,
    Netsapiens,
    Metaswitch,
}

/// Serves `sim` in `system`'s wire format on 127.0.0.1 (a free port) until the
/// process ends; returns the base URL to give the connector.
pub async fn serve(system: System, sim: std::sync::Arc<Sim>) -> std::io::Result<String> {
    serve_on(system, sim, "127.0.0.1:0".parse().expect("address")).await
}

/// [`serve`] on a chosen address.
pub async fn serve_on(
    system: System,
    sim: std::sync::Arc<Sim>,
    addr: SocketAddr,
) -> std::io::Result<String> {
    let (router, base_path) = match system {
        System::RingCentral => (
            require_accept(ringcentral::router(sim.clone()), sim, "application/json"),
            "",
        ),
        System::Netsapiens => (
            require_accept(netsapiens::router(sim.clone()), sim, "application/json"),
            "/ns-api/v2",
        ),
        System::Metaswitch => (
            require_accept(metaswitch::router(sim.clone()), sim, "text/xml"),
            "",
        ),
    };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(format!("http://{addr}{base_path}"))
}
