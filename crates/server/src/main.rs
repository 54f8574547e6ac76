//! `alc-server [--addr 127.0.0.1:8080] [--db data/console.db] [--site dist] [--no-demo]`

use std::path::PathBuf;
use std::process::ExitCode;

use alc_server::Config;

const USAGE: &str = "usage: alc-server [--addr HOST:PORT] [--db FILE] [--site DIR] [--no-demo]

  --addr HOST:PORT  where to listen (default 127.0.0.1:8080)
  --db FILE         the SQLite database, created if missing (default data/console.db)
  --site DIR        the built app to serve at / (default dist; the API alone if missing)
  --no-demo         do not seed the demo account into an empty database";

fn parse(mut args: impl Iterator<Item = String>) -> Result<Config, String> {
    let mut config = Config {
        addr: ([127, 0, 0, 1], 8080).into(),
        db_path: PathBuf::from("data/console.db"),
        site_dir: Some(PathBuf::from("dist")),
        demo: true,
        directory_policy: alc_directory::Policy::default(),
        sessions: Default::default(),
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--addr" => {
                let v = value("--addr")?;
                config.addr = v.parse().map_err(|e| format!("--addr {v}: {e}"))?;
            }
            "--db" => config.db_path = value("--db")?.into(),
            "--site" => config.site_dir = Some(value("--site")?.into()),
            "--no-demo" => config.demo = false,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(config)
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let mut config = match parse(std::env::args().skip(1)) {
        Ok(c) => c,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("error: {e}\n");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Some(site) = &config.site_dir
        && !site.join("index.html").is_file()
    {
        tracing::warn!(site = %site.display(), "no built site there; serving the API only (build it with `cargo xtask run`)");
        config.site_dir = None;
    }
    let (store, listener) = match alc_server::prepare(&config).await {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if config.demo {
        println!("Demo sign-ins (email / password):");
        for (role, _, email, password) in alc_server::demo::USERS {
            println!("  {:<10} {email} / {password}", role.label());
        }
    }
    let app = alc_server::routes::app(config.state(store.clone()), config.site_dir.clone());
    println!(
        "Agent Licensing Console: http://{}/  (database {}; Ctrl-C stops)",
        listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default(),
        config.db_path.display()
    );
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
            println!("\nstopping…");
        })
        .await;
    store.close().await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
