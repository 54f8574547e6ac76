//! The Agent Licensing Console's HTTP server: the JSON API under `/api/v1` and the
//! built browser app (Trunk's `dist/`) from one address.

pub mod auth;
pub mod clock;
pub mod connection;
pub mod csp_reports;
#[cfg(feature = "demo")]
pub mod demo;
pub mod error;
pub mod logging;
pub mod reconcile;
pub mod refresh;
pub mod roster_csv;
pub mod routes;
pub mod secrets;
pub mod security;
pub mod site;
pub mod sso;
pub mod state;
pub mod store;
pub mod throttle;

use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::net::TcpListener;

pub use store::{NewAgent, NewGroup, Store, StoreError};

/// Largest request body the API reads (a full 20,000-change batch fits).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen; port 0 picks a free one.
    pub addr: SocketAddr,
    /// The database: a SQLite file (created with its folder if missing) or PostgreSQL.
    pub db: store::Database,
    /// How many database connections (PostgreSQL: per server; see docs/OPERATING.md).
    pub db_pool: u32,
    /// Trunk's output to serve at `/`; `None` serves the API only.
    pub site_dir: Option<PathBuf>,
    /// Seed the demo account when the database is empty, and start the demo's
    /// directory simulator.
    pub demo: bool,
    /// How patient directory refreshes are (tests use `Policy::quick()`).
    pub directory_policy: alc_directory::Policy,
    /// How long sign-in sessions last.
    pub sessions: store::access::SessionPolicy,
    /// Proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed.
    pub trusted_proxies: Vec<throttle::Cidr>,
    /// Directory hosts and address ranges allowed besides public `https://` ones.
    pub directory_allow: Vec<alc_directory::egress::Allowed>,
    /// The keys that seal the directory's credentials (none: they cannot be stored).
    pub secret_keys: secrets::Keyring,
    /// The time sessions and sign-in limits are measured by: the system's, or a
    /// test's [`clock::Clock::manual`].
    pub clock: clock::Clock,
    /// Portal single sign-on (`POST /auth/exchange`); `None`: not offered.
    pub sso: Option<sso::SsoConfig>,
    /// Whether `POST /auth/tokens` mints bearer tokens for a password (a portal that
    /// signs in by single sign-on only can switch it off).
    pub password_tokens: bool,
    /// Origins (`https://portal.example.com`) whose pages may call the API: they get
    /// CORS headers, for bearer requests only. Empty: same origin only.
    pub cors_origins: Vec<String>,
}

impl Config {
    /// For tests and benchmarks: a free port on loopback, the database `db`, no
    /// site, no demo, short waits for directories, the usual sessions, directories
    /// on loopback allowed (the fakes run there) and a key of its own for secrets.
    pub fn ephemeral(db: impl Into<store::Database>) -> Config {
        Config {
            addr: ([127, 0, 0, 1], 0).into(),
            db: db.into(),
            db_pool: store::DEFAULT_POOL,
            site_dir: None,
            demo: false,
            directory_policy: alc_directory::Policy::quick(),
            sessions: store::access::SessionPolicy::default(),
            trusted_proxies: Vec::new(),
            directory_allow: alc_directory::egress::Allowed::loopback(),
            secret_keys: secrets::Keyring::ephemeral(),
            clock: clock::Clock::system(),
            sso: None,
            password_tokens: true,
            cors_origins: Vec::new(),
        }
    }

    /// Where directories may be: the operator's list, and with the demo its simulator
    /// on this machine's loopback.
    pub fn egress(&self) -> alc_directory::Egress {
        let mut allow = self.directory_allow.clone();
        if self.demo {
            allow.extend(alc_directory::egress::Allowed::loopback());
        }
        alc_directory::Egress::new(allow)
    }

    /// The API's state for this configuration.
    pub fn state(&self, store: Store) -> routes::AppState {
        routes::AppState {
            store,
            refresher: refresh::Refresher::new(self.directory_policy.clone(), self.egress()),
            sessions: self.sessions,
            addresses: std::sync::Arc::new(throttle::AddressBuckets::default()),
            trusted_proxies: self.trusted_proxies.clone().into(),
            access: routes::access(),
            sso: self.sso.clone().map(std::sync::Arc::new),
            csp_reports: csp_reports::CspReports::default(),
            password_tokens: self.password_tokens,
            cors_origins: self
                .cors_origins
                .iter()
                .filter_map(|o| axum::http::HeaderValue::from_str(o).ok())
                .collect(),
        }
    }
}

/// A server listening in the background, for tests and embedding in other tools.
pub struct Running {
    pub addr: SocketAddr,
    pub store: Store,
    /// What browsers reported of the pages' Content-Security-Policy.
    pub csp_reports: csp_reports::CspReports,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets requests in flight finish, and closes the database.
    pub async fn stop(self) -> std::io::Result<()> {
        let _ = self.shutdown.send(());
        let result = self.task.await.unwrap_or(Ok(()));
        self.store.close().await;
        result
    }
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Opens the store (seeding the demo if asked and empty) and binds the address.
pub async fn prepare(config: &Config) -> Result<(Store, TcpListener), BoxError> {
    if config.demo && !cfg!(feature = "demo") {
        // Before the database is touched: a refused start leaves no file behind.
        return start_demo_unavailable();
    }
    let store = Store::open_pooled(
        config.db.clone(),
        config.secret_keys.clone(),
        config.db_pool,
    )
    .await?
    .with_clock(config.clock.clone());
    seal_old_secrets(&store, &config.secret_keys).await;
    if config.demo {
        start_demo(&store).await?;
    }
    let sweeper = store.clone();
    tokio::spawn(async move {
        // Ends when the store is closed (the sweep then fails).
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            if sweeper.sweep_sign_in_throttle().await.is_err() {
                break;
            }
        }
    });
    let listener = TcpListener::bind(config.addr).await?;
    Ok((store, listener))
}

/// Credentials stored before they were sealed, or sealed with a previous key, are
/// sealed with the current key at start. Failing that, the server still starts (every
/// screen but the directory's works) and says why.
async fn seal_old_secrets(store: &Store, keys: &secrets::Keyring) {
    if keys.current().is_none() {
        if store.has_plaintext_secrets().await.unwrap_or(false) {
            tracing::warn!(
                "the directory's credentials are stored unencrypted: set ALC_SECRET_KEY_FILE and restart to seal them"
            );
        }
        return;
    }
    match store.reseal_secrets().await {
        Ok(true) => tracing::info!(
            key = keys.current().map(|k| k.id()),
            "sealed the directory's credentials with the current key"
        ),
        Ok(false) => {}
        Err(e) => tracing::error!(error = %e, "cannot read the directory's credentials"),
    }
}

#[cfg(feature = "demo")]
async fn start_demo(store: &Store) -> Result<(), BoxError> {
    // Once, even with several servers starting at once on one PostgreSQL.
    if store.if_empty(|| demo::seed(store)).await? {
        tracing::info!("seeded the demo account");
    }
    let url = demo::start_directory(store).await?;
    tracing::info!(%url, "demo directory (RingCentral simulator) is up");
    Ok(())
}

#[cfg(not(feature = "demo"))]
async fn start_demo(_: &Store) -> Result<(), BoxError> {
    start_demo_unavailable()
}

fn start_demo_unavailable<T>() -> Result<T, BoxError> {
    Err("this build of alc-server has no demo: build it with `--features demo` (as `cargo xtask run` does)".into())
}

/// The server's routes for `config` over `store`: the API, the site and, with the
/// demo, the example portal's token route. The demo's portal also sets up the single
/// sign-on it needs (`config.sso`), unless the operator set up their own.
pub fn router(
    config: &mut Config,
    store: Store,
) -> Result<(axum::Router, csp_reports::CspReports), BoxError> {
    let portal = demo_portal(config)?;
    let state = config.state(store);
    let csp_reports = state.csp_reports.clone();
    let extra = match portal {
        #[cfg(feature = "demo")]
        Some(portal) => portal.routes(state.clone()),
        _ => axum::Router::new(),
    };
    let app = routes::app_with(state, config.site_dir.clone(), config.demo, extra);
    Ok((app, csp_reports))
}

/// The demo portal's key (made beside the database at the demo's first start) and the
/// single sign-on that trusts it; none when the operator configured single sign-on.
#[cfg(feature = "demo")]
fn demo_portal(config: &mut Config) -> Result<Option<demo::portal::Portal>, BoxError> {
    if !config.demo {
        return Ok(None);
    }
    if config.sso.is_some() {
        tracing::info!("single sign-on is the operator's: the example portal gets no token");
        return Ok(None);
    }
    let portal = demo::portal::Portal::open(&config.db.files_dir())?;
    config.sso = Some(portal.sso());
    Ok(Some(portal))
}

#[cfg(not(feature = "demo"))]
fn demo_portal(_: &mut Config) -> Result<Option<std::convert::Infallible>, BoxError> {
    Ok(None)
}

/// Starts the server in the background.
pub async fn start(mut config: Config) -> Result<Running, BoxError> {
    let (store, listener) = prepare(&config).await?;
    let addr = listener.local_addr()?;
    let (app, csp_reports) = router(&mut config, store.clone())?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = rx.await;
        })
        .await
    });
    Ok(Running {
        addr,
        store,
        csp_reports,
        shutdown: tx,
        task,
    })
}
