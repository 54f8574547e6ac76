//! PostgreSQL for the tests, the benches and the demo: clusters of our own, run with the
//! machine's binaries (Debian's `postgresql`, `/usr/lib/postgresql/<version>/bin`). The
//! system's own cluster is never touched.
//!
//! A throwaway cluster ([`PgCluster::throwaway`]) lives in `target/postgres-<pid>-<n>`
//! (or `/tmp/alc-postgres-<pid>-<n>` when the postgres user cannot reach target/), with
//! durability off; dropping it stops the server (`pg_ctl -m immediate stop`) and deletes
//! the folder. The demo's cluster ([`PgCluster::kept`], `cargo xtask run --postgres`)
//! lives in `data/postgres/` and is only stopped. PostgreSQL refuses to run as root: as
//! root, initdb and pg_ctl run as the postgres user (`runuser -u postgres --`) in a
//! folder that belongs to it.
//!
//! `cargo xtask pg-smoke` ([`smoke`]) starts a throwaway cluster, asks it for
//! `select version()` with psql and stops it.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::{Result, apt_install, is_root, output, root, sh, step};

const PG_ROOT: &str = "/usr/lib/postgresql";
const PROGRAMS: [&str; 3] = ["initdb", "pg_ctl", "postgres"];
/// A Unix socket's path holds 107 bytes (108 with the NUL); the server's is
/// `DIR/.s.PGSQL.<port>` (and its `.lock`).
const SOCKET_PATH_MAX: usize = 107;
/// A throwaway cluster's settings: nothing it writes needs to survive a crash.
const THROWAWAY: [&str; 3] = [
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
];
/// The demo's cluster keeps its data: fsync and full-page writes stay on (either one off
/// can corrupt the files after a power cut); an unsynchronised commit only loses the
/// last few transactions.
const KEPT: [&str; 1] = ["synchronous_commit=off"];

/// The machine's PostgreSQL: the highest version in `/usr/lib/postgresql`.
pub struct Postgres {
    bin: PathBuf,
    /// What `postgres --version` says, e.g. `15.18`.
    pub version: String,
    /// The folder's name, e.g. `15`: what a data directory's PG_VERSION holds.
    major: String,
}

/// Finds PostgreSQL's binaries, installing Debian's `postgresql` if there are none.
pub fn ensure() -> Result<Postgres> {
    if let Some(pg) = find() {
        println!("PostgreSQL {}: present ({})", pg.version, pg.bin.display());
        return Ok(pg);
    }
    apt_install(&["postgresql"])?;
    let pg = find().ok_or_else(|| {
        format!(
            "postgresql is installed but {PG_ROOT}/<version>/bin has no initdb, pg_ctl, postgres"
        )
    })?;
    println!(
        "PostgreSQL {}: installed ({})",
        pg.version,
        pg.bin.display()
    );
    Ok(pg)
}

fn find() -> Option<Postgres> {
    let (_, major) = fs::read_dir(PG_ROOT)
        .ok()?
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            let key = name
                .split('.')
                .map(|part| part.parse::<u32>().ok())
                .collect::<Option<Vec<_>>>()?;
            let bin = Path::new(PG_ROOT).join(&name).join("bin");
            PROGRAMS
                .iter()
                .all(|p| bin.join(p).is_file())
                .then_some((key, name))
        })
        .max()?;
    let bin = Path::new(PG_ROOT).join(&major).join("bin");
    // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
    let version = output(bin.join("postgres").to_str()?, &["--version"])
        .and_then(|v| {
            v.split_whitespace()
                .skip_while(|w| *w != "(PostgreSQL)")
                .nth(1)
                .map(String::from)
        })
        .unwrap_or_else(|| major.clone());
    Some(Postgres {
        bin,
        version,
        major,
    })
}

/// A PostgreSQL server of our own on 127.0.0.1, for as long as this lives.
pub struct PgCluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    /// Running as root: initdb and pg_ctl run as the postgres user.
    as_postgres: bool,
    /// Dropping it deletes the folder (and stops the server without a checkpoint).
    throwaway: bool,
}

static CLUSTERS: AtomicU32 = AtomicU32::new(0);

impl PgCluster {
    /// A new, empty cluster that disappears when dropped.
    pub fn throwaway(pg: &Postgres) -> Result<PgCluster> {
        let as_postgres = is_root();
        sweep_stale(pg, as_postgres);
        let name = format!(
            "postgres-{}-{}",
            std::process::id(),
            CLUSTERS.fetch_add(1, Ordering::Relaxed)
        );
        let dir = new_dir(&root().join("target"), &name, as_postgres).or_else(|why| {
            println!("({why}: the cluster goes under /tmp instead)");
            new_dir(Path::new("/tmp"), &format!("alc-{name}"), as_postgres)
        })?;
        // From here on, Drop cleans up whatever fails (Ctrl-C included).
        let mut cluster = PgCluster {
            bin: pg.bin.clone(),
            dir,
            port: 0,
            as_postgres,
            throwaway: true,
        };
        outlive_ctrl_c(true);
        cluster.initdb()?;
        cluster.start(&THROWAWAY)?;
        println!(
            "PostgreSQL {}: throwaway cluster on port {} in {}",
            pg.version,
            cluster.port,
            cluster.dir.display()
        );
        Ok(cluster)
    }

    /// The cluster in `dir`, made on first use and kept; dropping it only stops it.
    pub fn kept(pg: &Postgres, dir: &Path) -> Result<PgCluster> {
        let as_postgres = is_root();
        socket_fits(dir)?;
        let fresh = !dir.join("PG_VERSION").is_file();
        if fresh {
            let empty = fs::read_dir(dir).map_or(true, |mut d| d.next().is_none());
            if !empty {
                return Err(format!(
                    "{} is not empty but holds no PostgreSQL cluster (no PG_VERSION): \
                     move it away",
                    dir.display()
                ));
            }
            fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            hand_over(dir, as_postgres)?;
        } else {
            let made = fs::read_to_string(dir.join("PG_VERSION")).unwrap_or_default();
            if made.trim() != pg.major {
                return Err(format!(
                    "{} was made by PostgreSQL {}, this machine has {}: remove it (the demo \
                     data is made again) or pg_upgrade it",
                    dir.display(),
                    made.trim(),
                    pg.major
                ));
            }
        }
        let mut cluster = PgCluster {
            bin: pg.bin.clone(),
            dir: dir.to_path_buf(),
            port: 0,
            as_postgres,
            throwaway: false,
        };
        outlive_ctrl_c(true);
        if fresh {
            println!(
                "creating a PostgreSQL {} cluster in {}",
                pg.version,
                dir.display()
            );
            cluster.initdb()?;
        } else if cluster
            .pg_ctl()
            .arg("status")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            // Left running by a run that was killed before it could stop it.
            println!(
                "stopping the PostgreSQL server an earlier run left in {}",
                dir.display()
            );
            quiet(cluster.pg_ctl().args(["-m", "fast", "stop"]))?;
        }
        cluster.start(&KEPT)?;
        println!(
            "PostgreSQL {}: {} on port {}",
            pg.version,
            dir.display(),
            cluster.port
        );
        Ok(cluster)
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres` (trust authentication, no password).
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn data_dir(&self) -> &Path {
        &self.dir
    }

    pub fn bin_dir(&self) -> &Path {
        &self.bin
    }

    /// One of PostgreSQL's programs, as the postgres user when we are root.
    fn program(&self, name: &str) -> Command {
        let path = self.bin.join(name);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        };
        // The postgres user may not be allowed into our working directory.
        cmd.current_dir(&self.dir);
        cmd
    }

    fn pg_ctl(&self) -> Command {
        let mut cmd = self.program("pg_ctl");
        cmd.arg("-D").arg(&self.dir);
        cmd
    }

    fn initdb(&self) -> Result {
        let mut cmd = self.program("initdb");
        cmd.arg("-D").arg(&self.dir).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-locale",
        ]);
        if self.throwaway {
            // Its fsync of every file can take seconds on a busy disk, for data that
            // never needs to survive a crash (the server runs with fsync=off too).
            cmd.arg("--no-sync");
        }
        quiet(&mut cmd).map(drop)
    }

    /// Starts the server on a free port (another try if someone takes the port first).
    fn start(&mut self, settings: &[&str]) -> Result {
        let log = self.dir.join("log");
        for attempt in 1.. {
            let port = free_port()?;
            let mut options = format!(
                "-c listen_addresses=127.0.0.1 -p {port} -k '{}'",
                self.dir.display()
            );
            for setting in settings {
                options.push_str(&format!(" -c {setting}"));
            }
            options.push_str(" -c max_connections=300");
            // The log grows across the kept cluster's runs: only this start's lines count.
            let seen = fs::metadata(&log).map_or(0, |m| m.len() as usize);
            let mut cmd = self.pg_ctl();
            cmd.arg("-l")
                .arg(&log)
                .args(["-w", "-o", &options, "start"]);
            let out = cmd
                .output()
                .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
            if out.status.success() {
                self.port = port;
                return Ok(());
            }
            let written = fs::read(&log).unwrap_or_default();
            let new = String::from_utf8_lossy(written.get(seen..).unwrap_or_default());
            if attempt < 3 && new.contains("could not bind") {
                continue;
            }
            let lines: Vec<&str> = new.lines().collect();
            return Err(format!(
                "PostgreSQL did not start ({cmd:?}: {}):\n{}{}\nlast lines of {}:\n{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                log.display(),
                lines[lines.len().saturating_sub(20)..].join("\n")
            ));
        }
        unreachable!("the loop returns")
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let running = self.dir.join("postmaster.pid").exists();
        if running {
            let mode = if self.throwaway { "immediate" } else { "fast" };
            match self.pg_ctl().args(["-m", mode, "stop"]).output() {
                Ok(out) if out.status.success() => {}
                Ok(out) => eprintln!(
                    "warning: could not stop PostgreSQL in {}: {}{}",
                    self.dir.display(),
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
                Err(e) => eprintln!("warning: cannot run pg_ctl stop: {e}"),
            }
        }
        if !self.throwaway {
            if running {
                println!("PostgreSQL in {} stopped", self.dir.display());
            }
        } else if self.dir.exists()
            && let Err(e) = fs::remove_dir_all(&self.dir)
        {
            eprintln!("warning: cannot remove {}: {e}", self.dir.display());
        }
        outlive_ctrl_c(false);
    }
}

/// A new empty folder `parent/name` that the user running PostgreSQL can write to.
fn new_dir(parent: &Path, name: &str, as_postgres: bool) -> Result<PathBuf> {
    let dir = parent.join(name);
    socket_fits(&dir)?;
    fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    if dir.exists() {
        fs::remove_dir_all(&dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    // 0755 by the umask; initdb makes it 0700.
    fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    hand_over(&dir, as_postgres).inspect_err(|_| {
        let _ = fs::remove_dir_all(&dir);
    })?;
    Ok(dir)
}

/// As root: gives `dir` to the postgres user and checks that it can get there (every
/// folder above must let it through).
fn hand_over(dir: &Path, as_postgres: bool) -> Result {
    if !as_postgres {
        return Ok(());
    }
    sh(Command::new("chown").arg("postgres:postgres").arg(dir))?;
    let reachable = Command::new("runuser")
        .args(["-u", "postgres", "--", "test", "-w"])
        .arg(dir)
        .args(["-a", "-x"])
        .arg(dir)
        .current_dir("/")
        .status()
        .is_ok_and(|s| s.success());
    if reachable {
        Ok(())
    } else {
        Err(format!(
            "the postgres user cannot get into {}",
            dir.display()
        ))
    }
}

fn socket_fits(dir: &Path) -> Result {
    let len = dir.as_os_str().len() + "/.s.PGSQL.65535.lock".len();
    if len <= SOCKET_PATH_MAX {
        Ok(())
    } else {
        Err(format!(
            "{} is too long a path for PostgreSQL's socket ({len} > {SOCKET_PATH_MAX} bytes)",
            dir.display()
        ))
    }
}

fn free_port() -> Result<u16> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free port: {e}"))
}

/// Runs a command with its output captured, shown only if it fails.
fn quiet(cmd: &mut Command) -> Result<Output> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(format!(
            "{cmd:?} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Throwaway clusters that an earlier xtask left behind (killed before its Drop ran):
/// those whose process is gone are stopped and deleted.
fn sweep_stale(pg: &Postgres, as_postgres: bool) {
    if !Path::new("/proc/self").exists() {
        return; // no way to tell whether their xtask still runs
    }
    for (parent, prefix) in [
        (root().join("target"), "postgres-"),
        (PathBuf::from("/tmp"), "alc-postgres-"),
    ] {
        let Ok(entries) = fs::read_dir(&parent) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(pid) = name
                .strip_prefix(prefix)
                .and_then(|rest| rest.split_once('-'))
                .and_then(|(pid, n)| n.parse::<u32>().ok().and(pid.parse::<u32>().ok()))
            else {
                continue;
            };
            if Path::new(&format!("/proc/{pid}")).exists() {
                continue;
            }
            println!(
                "removing a cluster an earlier run left: {}",
                entry.path().display()
            );
            drop(PgCluster {
                bin: pg.bin.clone(),
                dir: entry.path(),
                port: 0,
                as_postgres,
                throwaway: true,
            });
        }
    }
}

/// While a cluster runs, Ctrl-C must not end xtask before Drop has stopped the server
/// (pg_ctl puts it in a session of its own, so the terminal's SIGINT never reaches it).
/// The children in the foreground (cargo test, the server) still get the SIGINT and end;
/// xtask then carries on to its clean-up. A handler that does nothing, not SIG_IGN:
/// an ignored signal stays ignored in the children, a handler is reset by exec.
#[cfg(unix)]
fn outlive_ctrl_c(on: bool) {
    unsafe extern "C" {
        fn signal(signum: i32, handler: usize) -> usize;
    }
    extern "C" fn carry_on(_: i32) {}
    const SIGINT: i32 = 2;
    const SIG_DFL: usize = 0;
    let handler = if on {
        carry_on as *const () as usize
    } else {
        SIG_DFL
    };
    // SAFETY: the handler does nothing, so it is async-signal-safe.
    unsafe { signal(SIGINT, handler) };
}

#[cfg(not(unix))]
fn outlive_ctrl_c(_on: bool) {}

/// `cargo xtask pg-smoke`: a throwaway cluster, `select version()`, stopped and gone.
pub fn smoke() -> Result {
    let pg = ensure()?;
    step("a throwaway PostgreSQL cluster: psql -c 'select version()', then stop it");
    let cluster = PgCluster::throwaway(&pg)?;
    println!("url: {}", cluster.url());
    let psql = cluster.bin_dir().join("psql");
    let psql = if psql.is_file() {
        psql
    } else {
        PathBuf::from("/usr/bin/psql")
    };
    let asked = sh(Command::new(psql)
        .args(["-X", "-h", "127.0.0.1", "-p"])
        .arg(cluster.port().to_string())
        .args(["-U", "postgres", "-c", "select version()"]));
    let dir = cluster.data_dir().to_path_buf();
    drop(cluster);
    asked?;
    if dir.exists() {
        return Err(format!("{} is still there after the stop", dir.display()));
    }
    println!("stopped; {} removed", dir.display());
    Ok(())
}
