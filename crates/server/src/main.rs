//! `alc-server`: serve the console, manage its users, migrate, check, back up.
//! `alc-server --help` lists everything; every setting is also an environment variable.

use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use alc_domain::access::{NewUser, Role, UserChange};
use alc_server::logging::LogFormat;
use alc_server::secrets::{Key, Keyring};
use alc_server::store::Database;
use alc_server::store::access::{Actor, SessionPolicy};
use alc_server::{Config, Store, StoreError};

#[derive(Parser, Debug)]
#[command(
    name = "alc-server",
    version,
    about = "The Agent Licensing Console: its HTTP API and the built app, from one address.",
    long_about = "The Agent Licensing Console: its HTTP API and the built app, from one address.\n\nWithout a subcommand it serves (as `alc-server serve`). Flags win over environment variables.",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
    #[command(flatten)]
    common: Common,
}

/// Settings every subcommand reads.
#[derive(Args, Debug, Clone)]
struct Common {
    /// The database: a SQLite file's path (created with its folder if missing), or
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE` for several servers on one
    /// PostgreSQL.
    #[arg(long, env = "ALC_DB", global = true, default_value = "data/console.db")]
    db: Database,
    /// Database connections this server opens (PostgreSQL: keep servers × pool below
    /// the database's max_connections; SQLite: readers, besides its one writer).
    #[arg(long, env = "ALC_DB_POOL", global = true, default_value_t = alc_server::store::DEFAULT_POOL,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    db_pool: u32,
    /// Log lines as text (for a person) or JSON lines (for a log collector).
    #[arg(long, env = "ALC_LOG_FORMAT", global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Which log lines, as in RUST_LOG (`info`, `debug,sqlx=warn`, …).
    #[arg(long, env = "ALC_LOG", global = true, default_value = "info,sqlx=warn")]
    log: String,
}

#[derive(Args, Debug, Clone)]
struct ServeArgs {
    /// Where to listen.
    #[arg(long, env = "ALC_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// The built app (Trunk's dist/) to serve at /; the API alone if it has no index.html.
    #[arg(long = "site", env = "ALC_SITE_DIR", default_value = "dist")]
    site: PathBuf,
    /// Seed the demo account into an empty database and start its directory simulator
    /// (only in builds with the `demo` feature, as `cargo xtask run` makes).
    #[arg(long, env = "ALC_DEMO")]
    demo: bool,
    /// Reverse proxies (addresses or ranges, comma-separated) whose X-Forwarded-For
    /// and X-Forwarded-Proto are believed: the client address for sign-in limits, and
    /// whether the session cookie is Secure. Without it, the socket's address counts.
    #[arg(
        long = "trusted-proxy",
        env = "ALC_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<alc_server::throttle::Cidr>,
    /// Directory hosts (names) and address ranges the console may call besides public
    /// https:// addresses, comma-separated: a directory or a simulator on your own
    /// network. They may also be http://.
    #[arg(
        long = "allow-directory",
        env = "ALC_DIRECTORY_ALLOW",
        value_delimiter = ','
    )]
    directory_allow: Vec<alc_directory::egress::Allowed>,
    #[command(flatten)]
    keys: KeyArgs,
    /// A session ends after this many idle minutes.
    #[arg(long, env = "ALC_SESSION_IDLE_MINUTES", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=1440))]
    session_idle_minutes: u64,
    /// A session ends this many hours after sign-in, however much it is used.
    #[arg(long, env = "ALC_SESSION_MAX_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=720))]
    session_max_hours: u64,
    #[command(flatten)]
    portal: PortalArgs,
}

/// Embedding in a portal: its origins, and its single sign-on.
#[derive(Args, Debug, Clone)]
struct PortalArgs {
    /// Origins of portal pages that may call the API (https://portal.example.com,
    /// comma-separated; exact origins, no paths). They get CORS headers and must use
    /// bearer tokens: the session cookie is never accepted from another site.
    #[arg(long = "cors-origin", env = "ALC_CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Vec<String>,
    /// Single sign-on: the issuer (`iss`) of the portal's assertions. With it, the
    /// audience and a key are needed too.
    #[arg(long, env = "ALC_SSO_ISSUER")]
    sso_issuer: Option<String>,
    /// Single sign-on: the audience (`aud`) the portal's assertions name.
    #[arg(long, env = "ALC_SSO_AUDIENCE")]
    sso_audience: Option<String>,
    /// Single sign-on: a JWKS file with the portal's public keys, each with its `kid`
    /// and `alg` (EdDSA, ES256 or RS256; or HS256 `oct` keys of at least 32 bytes).
    #[arg(long, env = "ALC_SSO_JWKS_FILE")]
    sso_jwks_file: Option<PathBuf>,
    /// Single sign-on: a file holding an HS256 shared secret (at least 32 bytes),
    /// for assertions whose `kid` is --sso-hs256-kid.
    #[arg(long, env = "ALC_SSO_HS256_SECRET_FILE")]
    sso_hs256_secret_file: Option<PathBuf>,
    #[arg(long, env = "ALC_SSO_HS256_KID", default_value = "hs256")]
    sso_hs256_kid: String,
    /// Single sign-on: the claim that carries the user's role in the portal.
    #[arg(long, env = "ALC_SSO_ROLE_CLAIM", default_value = "role")]
    sso_role_claim: String,
    /// Single sign-on: portal role values and the console role each maps to
    /// (`portal-admin=admin,team-lead=supervisor,staff=agent`). A value not listed
    /// is refused. Default: the console's own role names.
    #[arg(long, env = "ALC_SSO_ROLES")]
    sso_roles: Option<String>,
    /// Single sign-on may make someone an admin (off unless set).
    #[arg(long, env = "ALC_SSO_ALLOW_ADMIN")]
    sso_allow_admin: bool,
    /// Single sign-on: the longest an assertion may live (`exp − iat`), in seconds.
    #[arg(long, env = "ALC_SSO_MAX_AGE_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=300))]
    sso_max_age_seconds: u64,
    /// Single sign-on: clock difference forgiven on `exp` and `iat`, in seconds.
    #[arg(long, env = "ALC_SSO_LEEWAY_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(0..=120))]
    sso_leeway_seconds: u64,
    /// Refuse `POST /auth/tokens` (bearer tokens for a password): portals sign in by
    /// single sign-on only.
    #[arg(long, env = "ALC_NO_PASSWORD_TOKENS")]
    no_password_tokens: bool,
}

/// The single sign-on the settings describe, if any.
fn sso_config(p: &PortalArgs) -> Result<Option<alc_server::sso::SsoConfig>, Failure> {
    use alc_server::sso::{SsoConfig, VerifyKey};
    let Some(issuer) = &p.sso_issuer else {
        if p.sso_audience.is_some()
            || p.sso_jwks_file.is_some()
            || p.sso_hs256_secret_file.is_some()
        {
            return Err("single sign-on needs --sso-issuer too".into());
        }
        return Ok(None);
    };
    let audience = p
        .sso_audience
        .as_deref()
        .ok_or("single sign-on needs --sso-audience")?;
    let mut keys = Vec::new();
    if let Some(file) = &p.sso_jwks_file {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        keys.extend(VerifyKey::from_jwks(&text).map_err(|e| format!("{}: {e}", file.display()))?);
    }
    if let Some(file) = &p.sso_hs256_secret_file {
        let secret =
            std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let secret = secret.trim_ascii();
        keys.push(
            VerifyKey::hs256(&p.sso_hs256_kid, secret)
                .map_err(|e| format!("{}: {e}", file.display()))?,
        );
    }
    let mut sso = SsoConfig::new(issuer, audience, keys);
    sso.role_claim = p.sso_role_claim.clone();
    if let Some(spec) = &p.sso_roles {
        sso.roles = SsoConfig::parse_roles(spec)?;
    }
    sso.allow_admin = p.sso_allow_admin;
    sso.max_age = Duration::from_secs(p.sso_max_age_seconds);
    sso.leeway = Duration::from_secs(p.sso_leeway_seconds);
    sso.check()?;
    Ok(Some(sso))
}

/// Checks each portal origin: a scheme and a host (and port), nothing else.
fn cors_origins(p: &PortalArgs) -> Result<Vec<String>, Failure> {
    p.cors_origins
        .iter()
        .map(|o| o.trim().trim_end_matches('/').to_string())
        .filter(|o| !o.is_empty())
        .map(|o| {
            let rest = o
                .strip_prefix("https://")
                .or_else(|| o.strip_prefix("http://"))
                .ok_or_else(|| {
                    format!("the CORS origin {o:?} must start with https:// (or http://)")
                })?;
            if rest.is_empty() || rest.contains(['/', '?', '#', '*', ' ', '@']) {
                return Err(Failure::from(format!(
                    "the CORS origin {o:?} must be an exact origin: scheme, host and port only"
                )));
            }
            Ok(o)
        })
        .collect()
}

/// The keys that seal the directory's credentials in the database.
#[derive(Args, Debug, Clone)]
struct KeyArgs {
    /// The file with the key that seals directory credentials (base64 of 32 bytes, mode
    /// 600; make one with `alc-server generate-key FILE`). ALC_SECRET_KEY may carry the
    /// key itself instead. Without either, directory credentials cannot be saved (the
    /// demo makes its own key beside its database).
    #[arg(long, env = "ALC_SECRET_KEY_FILE")]
    secret_key_file: Option<PathBuf>,
    /// Files with keys that sealed values before the current one (comma-separated):
    /// values they sealed still open; `alc-server rotate-key` re-seals them.
    #[arg(
        long = "previous-secret-key-file",
        env = "ALC_PREVIOUS_SECRET_KEY_FILE",
        value_delimiter = ','
    )]
    previous_secret_key_files: Vec<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the console (the default).
    Serve(ServeArgs),
    /// Manage console users (works whether the server is running or not).
    #[command(subcommand)]
    Users(UsersCommand),
    /// Apply the database migrations, then exit (serve also applies them at start).
    Migrate,
    /// Check the settings and the database without changing anything; exit 0 if all is well.
    CheckConfig(ServeArgs),
    /// Write a consistent copy of the database to FILE while the server runs.
    Backup {
        /// The new file (it must not exist).
        file: PathBuf,
    },
    /// Write a new random key for sealing directory credentials to FILE (mode 600).
    GenerateKey {
        /// The new file (it must not exist).
        file: PathBuf,
    },
    /// Re-seal the stored directory credentials with the current key (after a new key
    /// was set and the old one given as a previous key), then exit.
    RotateKey(KeyArgs),
}

#[derive(Subcommand, Debug)]
enum UsersCommand {
    /// Add a console user; the password is read from standard input or asked for.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Make the user choose a new password at first sign-in (for a password you
        /// chose for someone else).
        #[arg(long)]
        temporary: bool,
        #[command(flatten)]
        refuse: NoPasswordArg,
    },
    /// List console users.
    List,
    /// Change a user's role.
    SetRole {
        #[arg(long)]
        email: String,
        #[arg(long, value_enum)]
        role: RoleArg,
    },
    /// Disable a user: they cannot sign in, and their sessions end at once.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled user.
    Enable {
        #[arg(long)]
        email: String,
    },
    /// Set a new password (read from standard input or asked for), which the user must
    /// change at their next sign-in; their sessions end.
    ResetPassword {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        refuse: NoPasswordArg,
    },
}

/// `--password` exists only to be refused with a reason: a password on the command
/// line is visible to every user of the machine (`ps`) and stays in shell history.
#[derive(Args, Debug)]
struct NoPasswordArg {
    #[arg(long, hide = true, value_name = "NEVER")]
    password: Option<String>,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum RoleArg {
    Admin,
    Supervisor,
    Agent,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Admin => Role::Admin,
            RoleArg::Supervisor => Role::Supervisor,
            RoleArg::Agent => Role::Agent,
        }
    }
}

/// A failure to report, and the exit code that goes with it.
struct Failure(String, u8);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string(), 1)
    }
}

type Outcome = Result<(), Failure>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    alc_server::logging::init(cli.common.log_format, &cli.common.log);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let common = cli.common.clone();
    let result = runtime.block_on(async move {
        match cli.command {
            None => serve(&common, cli.serve).await,
            Some(Command::Serve(args)) => serve(&common, args).await,
            Some(Command::Users(cmd)) => users(&common, cmd).await,
            Some(Command::Migrate) => migrate(&common).await,
            Some(Command::CheckConfig(args)) => check_config(&common, &args).await,
            Some(Command::Backup { file }) => backup(&common, &file).await,
            Some(Command::GenerateKey { file }) => generate_key(&file),
            Some(Command::RotateKey(keys)) => rotate_key(&common, &keys).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message, code)) => {
            eprintln!("error: {message}");
            ExitCode::from(code)
        }
    }
}

/// The keyring the settings name. With the demo and no key set, the demo's own key
/// beside its database (made at its first start).
fn keyring(keys: &KeyArgs, db: &Database, demo: bool) -> Result<Keyring, Failure> {
    let current = match (&keys.secret_key_file, std::env::var("ALC_SECRET_KEY")) {
        (Some(file), _) => Some(Key::from_file(file)?),
        (None, Ok(text)) if !text.trim().is_empty() => {
            Some(Key::from_base64(&text).map_err(|e| format!("ALC_SECRET_KEY: {e}"))?)
        }
        _ if demo => {
            let file = db.files_dir().join("demo-secret.key");
            if file.exists() {
                Some(Key::from_file(&file)?)
            } else {
                if let Some(dir) = file.parent() {
                    alc_server::store::create_private_dir(dir)?;
                }
                let key = Key::create_file(&file)?;
                tracing::info!(file = %file.display(), key = key.id(), "made the demo's secret key");
                Some(key)
            }
        }
        _ => None,
    };
    let previous = keys
        .previous_secret_key_files
        .iter()
        .map(|f| Key::from_file(f))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Keyring::new(current, previous))
}

fn config(common: &Common, args: &ServeArgs) -> Result<Config, Failure> {
    Ok(Config {
        addr: args.addr,
        db: common.db.clone(),
        db_pool: common.db_pool,
        site_dir: Some(args.site.clone()),
        demo: args.demo,
        directory_policy: alc_directory::Policy::default(),
        sessions: SessionPolicy {
            idle: Duration::from_secs(args.session_idle_minutes * 60),
            max: Duration::from_secs(args.session_max_hours * 3600),
        },
        trusted_proxies: args.trusted_proxies.clone(),
        directory_allow: args.directory_allow.clone(),
        secret_keys: keyring(&args.keys, &common.db, args.demo && cfg!(feature = "demo"))?,
        clock: alc_server::clock::Clock::system(),
        sso: sso_config(&args.portal)?,
        password_tokens: !args.portal.no_password_tokens,
        cors_origins: cors_origins(&args.portal)?,
    })
}

/// The exact command that creates the first admin, for this database.
fn first_admin_command(db: &Database) -> String {
    format!(
        "alc-server users add --db {} --email you@example.com --name \"Your Name\" --role admin",
        match db {
            Database::Sqlite(p) => p.display().to_string(),
            Database::Postgres(_) => "\"$ALC_DB\"".to_string(),
        }
    )
}

async fn serve(common: &Common, args: ServeArgs) -> Outcome {
    let mut config = config(common, &args)?;
    if let Some(site) = &config.site_dir
        && !site.join("index.html").is_file()
    {
        tracing::warn!(site = %site.display(), "no built site there; serving the API only (build it with `cargo xtask run`)");
        config.site_dir = None;
    }
    let (store, listener) = alc_server::prepare(&config).await?;
    #[cfg(feature = "demo")]
    if config.demo {
        println!("Demo sign-ins (email / password):");
        for (role, _, email, password) in alc_server::demo::USERS {
            println!("  {:<10} {email} / {password}", role.label());
        }
    }
    match config.secret_keys.current() {
        Some(key) => tracing::info!(
            key = key.id(),
            "directory credentials are sealed with this key"
        ),
        None => tracing::warn!(
            "no secret key: directory credentials cannot be saved until ALC_SECRET_KEY_FILE is set (see docs/OPERATING.md)"
        ),
    }
    if !store.has_users().await? {
        println!(
            "No console users yet. Create the first admin (its password is asked for, never taken from the command line):\n  {}",
            first_admin_command(&config.db)
        );
    }
    let (app, _) = alc_server::router(&mut config, store.clone())?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, db = %config.db, demo = config.demo, "listening");
    println!(
        "Agent Licensing Console: http://{addr}/  (database {}; Ctrl-C stops)",
        config.db
    );
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(stopped())
    .await;
    store.close().await;
    served.map_err(Failure::from)
}

/// Ctrl-C, or SIGTERM from systemd or a container runtime.
async fn stopped() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("stopping: finishing the requests in flight");
}

/// Who the audit log names for a change made on the command line.
fn operator() -> Actor {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    Actor {
        id: None,
        name: format!("operator {user} (command line)"),
    }
}

fn refuse_argv_password(refuse: &NoPasswordArg) -> Outcome {
    if refuse.password.is_some() {
        return Err(Failure(
            "passwords are never taken from the command line (anyone on this machine could read it in the process list, and it stays in your shell history). Type it when asked, or pipe it on standard input: `printf '%s\\n' \"$PASSWORD\" | alc-server users add …`".into(),
            2,
        ));
    }
    Ok(())
}

/// One line from standard input, or asked for twice on a terminal without echo.
fn read_password() -> Result<String, Failure> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password (at least 12 characters): ")?;
        let again = rpassword::prompt_password("The same password again: ")?;
        if first != again {
            return Err(Failure(
                "the two passwords differ; nothing was changed".into(),
                1,
            ));
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        return Err(Failure(
            "no password on standard input; nothing was changed".into(),
            1,
        ));
    }
    Ok(password)
}

/// A store refusal as a person reads it: the message and each field's.
fn explain(e: StoreError) -> Failure {
    match e {
        StoreError::Refused(alc_domain::BatchError::Invalid {
            message, fields, ..
        }) => {
            let mut text = message;
            for f in fields {
                text.push_str(&format!("\n  {}: {}", f.field, f.message));
            }
            Failure(text, 1)
        }
        StoreError::UserNotFound => Failure("there is no console user with that email".into(), 1),
        other => Failure(other.to_string(), 1),
    }
}

async fn users(common: &Common, cmd: UsersCommand) -> Outcome {
    if let UsersCommand::Add { refuse, .. } | UsersCommand::ResetPassword { refuse, .. } = &cmd {
        refuse_argv_password(refuse)?;
    }
    let store = Store::open(&common.db).await?;
    let result = users_on(&store, cmd).await;
    store.close().await;
    result
}

async fn users_on(store: &Store, cmd: UsersCommand) -> Outcome {
    let actor = operator();
    match cmd {
        UsersCommand::Add {
            email,
            name,
            role,
            temporary,
            ..
        } => {
            let password = read_password()?;
            let user = store
                .add_user(
                    &actor,
                    &NewUser {
                        name,
                        email,
                        role: role.into(),
                        password,
                    },
                    temporary,
                )
                .await
                .map_err(explain)?;
            println!(
                "Added {} <{}> as {}.{}",
                user.name,
                user.email,
                user.role.label(),
                if temporary {
                    " They choose their own password when they first sign in."
                } else {
                    ""
                }
            );
        }
        UsersCommand::List => {
            let users = store.list_users().await?;
            if users.is_empty() {
                println!("No console users.");
            }
            for u in users {
                println!(
                    "{:<32} {:<28} {:<10} {:<8} last sign-in {}",
                    u.email,
                    u.name,
                    u.role.label(),
                    if u.active { "active" } else { "disabled" },
                    u.last_sign_in_at.as_deref().unwrap_or("never"),
                );
            }
        }
        UsersCommand::SetRole { email, role } => {
            let id = store.user_by_email(&email).await.map_err(explain)?.id;
            let change = UserChange {
                role: Some(role.into()),
                active: None,
            };
            let u = store
                .change_user(&actor, id, &change)
                .await
                .map_err(explain)?;
            println!("{} <{}> is now {}.", u.name, u.email, u.role.label());
        }
        UsersCommand::Disable { email } => set_active(store, &actor, &email, false).await?,
        UsersCommand::Enable { email } => set_active(store, &actor, &email, true).await?,
        UsersCommand::ResetPassword { email, .. } => {
            let id = store.user_by_email(&email).await.map_err(explain)?.id;
            let password = read_password()?;
            let u = store
                .reset_password(&actor, id, &password)
                .await
                .map_err(explain)?;
            println!(
                "New password set for {} <{}>; they choose their own at their next sign-in.",
                u.name, u.email
            );
        }
    }
    Ok(())
}

async fn set_active(store: &Store, actor: &Actor, email: &str, active: bool) -> Outcome {
    let id = store.user_by_email(email).await.map_err(explain)?.id;
    let change = UserChange {
        role: None,
        active: Some(active),
    };
    let u = store
        .change_user(actor, id, &change)
        .await
        .map_err(explain)?;
    println!(
        "{} <{}> is {}.",
        u.name,
        u.email,
        if u.active {
            "enabled"
        } else {
            "disabled; their sessions have ended"
        }
    );
    Ok(())
}

async fn migrate(common: &Common) -> Outcome {
    let before = if common.db.exists() {
        Store::inspect(&common.db).await?.applied
    } else {
        0
    };
    let store = Store::open(&common.db).await?;
    store.close().await;
    let after = Store::inspect(&common.db).await?;
    println!(
        "{}: {} migration(s) applied now, {} in all; the schema is up to date.",
        common.db,
        after.applied - before,
        after.applied
    );
    Ok(())
}

async fn check_config(common: &Common, args: &ServeArgs) -> Outcome {
    let mut problems = Vec::new();
    println!("listen address  {}", args.addr);
    if args.site.join("index.html").is_file() {
        println!("site            {} (built app found)", args.site.display());
    } else {
        println!(
            "site            {}: no index.html, so only the API will be served",
            args.site.display()
        );
    }
    match keyring(&args.keys, &common.db, false) {
        Ok(keys) => match keys.current() {
            Some(key) => println!(
                "secret key      id {} (seals directory credentials)",
                key.id()
            ),
            None => println!(
                "secret key      none: directory credentials cannot be saved (set ALC_SECRET_KEY_FILE{})",
                if args.demo {
                    "; the demo makes its own at start"
                } else {
                    ""
                }
            ),
        },
        Err(Failure(e, _)) => problems.push(e),
    }
    if args.demo && !cfg!(feature = "demo") {
        problems.push(
            "--demo / ALC_DEMO is set, but this build has no demo (build with --features demo)"
                .to_string(),
        );
    }
    if common.db.exists() {
        match Store::inspect(&common.db).await {
            Ok(s) if s.unknown > 0 => problems.push(format!(
                "{}: written by a newer alc-server ({} migration(s) this version does not know); run that version",
                common.db,
                s.unknown
            )),
            Ok(s) => println!(
                "database        {}: {} of {} migrations applied{}",
                common.db,
                s.applied,
                s.known,
                if s.applied < s.known {
                    " (the rest are applied at start, or by `alc-server migrate`)"
                } else {
                    ""
                }
            ),
            Err(e) => problems.push(format!(
                "{}: cannot be read as a console database ({e})",
                common.db
            )),
        }
    } else {
        let dir = common.db.files_dir();
        println!(
            "database        {}: does not exist yet; the first start creates it (in {})",
            common.db,
            dir.display()
        );
    }
    println!(
        "sessions        end after {} idle minutes, at most {} hours after sign-in",
        args.session_idle_minutes, args.session_max_hours
    );
    if problems.is_empty() {
        println!("All settings are usable.");
        Ok(())
    } else {
        Err(Failure(problems.join("\n"), 1))
    }
}

fn generate_key(file: &std::path::Path) -> Outcome {
    let key = Key::create_file(file)?;
    println!(
        "Wrote a new key (id {}) to {} (mode 600). Keep a copy apart from the database's backups: without it, the directory credentials in them cannot be read.",
        key.id(),
        file.display()
    );
    Ok(())
}

async fn rotate_key(common: &Common, keys: &KeyArgs) -> Outcome {
    let keys = keyring(keys, &common.db, false)?;
    let Some(current) = keys.current() else {
        return Err(Failure(
            "no current key: set ALC_SECRET_KEY_FILE to the new key and ALC_PREVIOUS_SECRET_KEY_FILE to the old one".into(),
            2,
        ));
    };
    let current = current.id().to_string();
    let store = Store::open_with(&common.db, keys).await?;
    let result = store.reseal_secrets().await;
    store.close().await;
    if result? {
        println!(
            "Re-sealed the directory credentials with key {current}. The previous key is no longer needed."
        );
    } else {
        println!(
            "Nothing to re-seal: the directory credentials (if any) are sealed with key {current} already."
        );
    }
    Ok(())
}

async fn backup(common: &Common, file: &std::path::Path) -> Outcome {
    if !common.db.exists() {
        return Err(Failure(
            format!("{} does not exist: nothing to back up", common.db),
            1,
        ));
    }
    let store = Store::open(&common.db).await?;
    let result = store.backup(file).await;
    store.close().await;
    result?;
    let copy = Store::inspect(&Database::Sqlite(file.to_path_buf())).await?;
    println!(
        "Backed up {} to {} ({} migrations; restore by stopping the server and putting this file in place of the database).",
        common.db,
        file.display(),
        copy.applied
    );
    Ok(())
}
