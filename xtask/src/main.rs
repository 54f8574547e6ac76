//! The project's commands. Each installs what it needs when missing and skips what is
//! already there, so that a fresh machine needs nothing but Rust (and Debian's apt).
//!
//!   cargo xtask run [server args]  build the site and serve it with the API (demo data)
//!   cargo xtask run --postgres     the same on a local PostgreSQL cluster in data/postgres/
//!   cargo xtask test               every test: lint, native (again on PostgreSQL), browser,
//!                                  end to end
//!   cargo xtask bench              every benchmark: the page in Chromium beside a vanilla
//!                                  reference, the API at scale; fails when over a budget
//!   cargo xtask site               only the release site: dist/ (split, precompressed)
//!   cargo xtask package            an operator's build: target/package/{alc-server,dist/}
//!   cargo xtask unicode-marks      regenerate the email rule's Unicode table (--check)
//!   cargo xtask pg-smoke           (not in the usage line) start a throwaway PostgreSQL
//!                                  cluster, print `select version()`, stop and delete it

use std::env;
use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

mod postgres;
mod split;
mod unicode;

use postgres::PgCluster;

const TRUNK_VERSION: &str = "0.21.14";
/// WebKitGTK's WebDriver server (Debian's webkit2gtk-driver, which brings MiniBrowser).
const WEBKIT_DRIVER: &str = "/usr/bin/WebKitWebDriver";
/// Firefox's WebDriver server (not in Debian): from crates.io.
const GECKODRIVER_VERSION: &str = "0.37.1";
/// binaryen's wasm-opt from npm. Debian's binaryen 108 breaks wasm-bindgen 0.2.130's
/// output without any error (see TOOLCHAIN.md); Trunk.toml pins this version too.
const BINARYEN_VERSION: &str = "132";
/// axe-core from npm: the end-to-end suite's accessibility check (crates/e2e/tests/a11y.rs).
/// Pinned exactly: a new release may add rules.
const AXE_VERSION: &str = "4.14.1";
const APP_PACKAGE: &str = "agent-licensing-console";
const E2E_PACKAGE: &str = "alc-e2e";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// The server's demo (seed, simulator): the tests use it; an operator's build has none.
const SERVER_DEMO: &str = "alc-server/demo";

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let mut args = env::args().skip(1);
    let cmd = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    let result = match cmd.as_str() {
        "run" => run(&rest),
        "test" => test(),
        "bench" => bench(),
        "package" => package(),
        "site" => Tools::ensure(false, false).and_then(|t| build_site(&t).map(|_| ())),
        "lint" => Tools::ensure(false, false).and_then(|t| lint(&t)),
        "unicode-marks" => unicode::marks(&root(), rest.iter().any(|a| a == "--check")),
        "pg-smoke" => postgres::smoke(),
        _ => {
            eprintln!(
                "usage: cargo xtask <run [--postgres] [server options] | test | bench | site | lint | package | unicode-marks [--check]>"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn step(what: &str) {
    println!("\n==> {what}");
}

/// Runs a command in the workspace root, failing on a non-zero exit.
fn sh(cmd: &mut Command) -> Result {
    let shown = format!("{cmd:?}");
    let status = cmd
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

/// A command's stdout, or `None` if it cannot run.
fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn cargo() -> Command {
    Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// The toolchain beyond Rust itself, installed where missing.
struct Tools {
    /// PATH with the pinned wasm-opt and cargo's bin folder first.
    path: OsString,
    /// Where `cargo install` puts programs (geckodriver).
    cargo_bin: PathBuf,
    /// axe-core's `axe.min.js` (installed only for the browser tests).
    axe: Option<PathBuf>,
    /// PostgreSQL's binaries (only when asked for).
    postgres: Option<postgres::Postgres>,
}

impl Tools {
    fn ensure(browser: bool, postgres: bool) -> Result<Tools> {
        step("checking tools (installing what is missing)");
        let cargo_bin = env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
            .ok_or("neither CARGO_HOME nor HOME is set")?
            .join("bin");
        let binaryen_bin = root().join(".tools/binaryen/node_modules/.bin");
        let mut paths = vec![binaryen_bin.clone(), cargo_bin.clone()];
        paths.extend(env::split_paths(&env::var_os("PATH").unwrap_or_default()));
        let path = env::join_paths(paths).map_err(|e| e.to_string())?;
        // SAFETY: single-threaded at this point; children inherit the PATH.
        unsafe { env::set_var("PATH", &path) };

        let targets = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
        if targets.lines().any(|l| l.trim() == WASM_TARGET) {
            println!("wasm32 target: present");
        } else {
            sh(Command::new("rustup").args(["target", "add", WASM_TARGET]))?;
        }

        let trunk = output("trunk", &["--version"]).unwrap_or_default();
        if trunk.contains(TRUNK_VERSION) {
            println!("trunk {TRUNK_VERSION}: present");
        } else {
            println!("installing trunk {TRUNK_VERSION} (several minutes on 2 cores)…");
            sh(cargo().args(["install", "trunk", "--version", TRUNK_VERSION, "--locked"]))?;
        }

        let wbg = wasm_bindgen_version()?;
        let have = output("wasm-bindgen", &["--version"]).unwrap_or_default();
        let runner = output("wasm-bindgen-test-runner", &["--version"]).unwrap_or_default();
        if have.contains(&wbg) && runner.contains(&wbg) {
            println!("wasm-bindgen {wbg}: present");
        } else {
            // Not --locked: its lockfile names a crate version the registry no longer serves.
            println!("installing wasm-bindgen-cli {wbg} (a few minutes)…");
            sh(cargo().args(["install", "wasm-bindgen-cli", "--version", &wbg, "--force"]))?;
        }

        let opt = binaryen_bin.join("wasm-opt");
        let have = output(opt.to_str().unwrap_or("wasm-opt"), &["--version"]).unwrap_or_default();
        if have.contains(&format!("version {BINARYEN_VERSION}")) {
            println!("wasm-opt (binaryen {BINARYEN_VERSION}): present");
        } else {
            npm_install(
                &root().join(".tools/binaryen"),
                &format!("binaryen@{BINARYEN_VERSION}"),
            )?;
        }

        let mut axe = None;
        if browser {
            axe = Some(ensure_axe()?);
            if Path::new(&chromedriver()).exists() && Path::new(&chromium()).exists() {
                println!("chromium and chromedriver: present");
            } else {
                apt_install(&["chromium", "chromium-driver"])?;
            }
            if Path::new(&firefox()).exists() {
                println!("firefox-esr: present");
            } else {
                apt_install(&["firefox-esr"])?;
            }
            if Path::new(WEBKIT_DRIVER).exists() && Path::new("/usr/bin/Xvfb").exists() {
                println!("WebKitWebDriver and Xvfb: present");
            } else {
                apt_install(&["webkit2gtk-driver", "xvfb"])?;
            }
            let gecko = output("geckodriver", &["--version"]).unwrap_or_default();
            if gecko.contains(GECKODRIVER_VERSION) {
                println!("geckodriver {GECKODRIVER_VERSION}: present");
            } else {
                println!(
                    "installing geckodriver {GECKODRIVER_VERSION} (several minutes on 2 cores)…"
                );
                sh(cargo().args([
                    "install",
                    "geckodriver",
                    "--version",
                    GECKODRIVER_VERSION,
                    "--locked",
                ]))?;
            }
        }
        let postgres = if postgres {
            Some(postgres::ensure()?)
        } else {
            None
        };
        Ok(Tools {
            path,
            cargo_bin,
            axe,
            postgres,
        })
    }
}

/// axe-core into `.tools/axe` unless that version is already there; its `axe.min.js`.
/// `npm install package` into `prefix` (under `.tools/`), with Debian's npm if the
/// machine has none.
fn npm_install(prefix: &Path, package: &str) -> Result {
    if output("npm", &["--version"]).is_none() {
        apt_install(&["nodejs", "npm"])?;
    }
    fs::create_dir_all(prefix).map_err(|e| e.to_string())?;
    sh(Command::new("npm")
        .arg("install")
        .arg("--prefix")
        .arg(prefix)
        .args(["--no-audit", "--no-fund", "--no-save", package]))
}

fn ensure_axe() -> Result<PathBuf> {
    let prefix = root().join(".tools/axe");
    let package = prefix.join("node_modules/axe-core");
    let script = package.join("axe.min.js");
    let installed = fs::read_to_string(package.join("package.json")).unwrap_or_default();
    if script.is_file() && installed.contains(&format!("\"version\": \"{AXE_VERSION}\"")) {
        println!("axe-core {AXE_VERSION}: present");
        return Ok(script);
    }
    npm_install(&prefix, &format!("axe-core@{AXE_VERSION}"))?;
    if !script.is_file() {
        return Err(format!(
            "npm installed axe-core but {} is missing",
            script.display()
        ));
    }
    Ok(script)
}

fn chromedriver() -> String {
    env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into())
}

fn firefox() -> String {
    env::var("FIREFOX").unwrap_or_else(|_| "/usr/bin/firefox-esr".into())
}

fn chromium() -> String {
    env::var("CHROME").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

/// Whether we run as root (effective user id 0).
fn is_root() -> bool {
    output("id", &["-u"]).is_some_and(|u| u.trim() == "0")
}

fn apt_install(packages: &[&str]) -> Result {
    println!("installing {} from Debian…", packages.join(" "));
    let root_user = is_root();
    let apt = |args: &[&str]| {
        let mut c = if root_user {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    sh(&mut apt(&["update", "-q"]))?;
    let mut install = vec!["install", "-y", "-q", "--no-install-recommends"];
    install.extend_from_slice(packages);
    sh(&mut apt(&install))
}

/// The `wasm-bindgen` version in Cargo.lock: the CLI must match it exactly.
fn wasm_bindgen_version() -> Result<String> {
    let lock = fs::read_to_string(root().join("Cargo.lock")).map_err(|e| e.to_string())?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(v.trim_end_matches('"').to_string());
        }
    }
    Err("wasm-bindgen is not in Cargo.lock".into())
}

/// Builds the release site into `dist/`: Trunk (offline, the pinned tools), then the
/// wasm split into chunks (split.rs), then every file precompressed.
fn build_site(tools: &Tools) -> Result<PathBuf> {
    step("building the release site (trunk build --release)");
    sh(cargo().args(["fetch", "--locked"]))?;
    sh(Command::new("trunk")
        .args(["build", "--release", "--offline"])
        .env("PATH", &tools.path))?;
    let dist = root().join("dist");
    if !dist.join("index.html").is_file() {
        return Err("trunk reported success but dist/index.html is missing".into());
    }
    split::install(tools, &dist)?;
    precompress(&dist)?;
    Ok(dist)
}

/// Writes `NAME.br` (quality 11) and `NAME.gz` (level 9) beside every text and wasm file
/// of the site, which the server sends as they are to browsers that accept them
/// (crates/server/src/site.rs): the best compression, paid once at build time.
fn precompress(dist: &Path) -> Result {
    step("precompressing the site (brotli 11, gzip 9)");
    let mut stack = vec![dist.to_path_buf()];
    let (mut raw, mut br) = (0usize, 0usize);
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).map_err(|e| e.to_string())? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let compressible = matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("wasm" | "js" | "css" | "html" | "svg" | "json" | "txt")
            );
            if !compressible {
                continue;
            }
            let data = fs::read(&path).map_err(|e| e.to_string())?;
            let (gz, b) = (gzip(&data)?, brotli(&data)?);
            raw += data.len();
            br += b.len();
            let twin = |ext: &str| {
                let mut name = path.as_os_str().to_owned();
                name.push(ext);
                PathBuf::from(name)
            };
            fs::write(twin(".gz"), gz).map_err(|e| e.to_string())?;
            fs::write(twin(".br"), b).map_err(|e| e.to_string())?;
        }
    }
    println!("{:.1} KB raw, {:.1} KB as brotli", kb(raw), kb(br));
    Ok(())
}

fn run(args: &[String]) -> Result {
    let on_postgres = args.iter().any(|a| a == "--postgres");
    let args: Vec<&String> = args.iter().filter(|a| *a != "--postgres").collect();
    if on_postgres && args.iter().any(|a| *a == "--db" || a.starts_with("--db=")) {
        return Err("--postgres chooses the database: leave out --db".into());
    }
    let tools = Tools::ensure(false, on_postgres)?;
    let dist = build_site(&tools)?;
    step("building the server");
    sh(cargo().args([
        "build",
        "--locked",
        "--profile",
        "server",
        "-p",
        "alc-server",
        "--features",
        "demo",
    ]))?;
    let server = root().join("target/server/alc-server");
    let mut cmd = Command::new(server);
    // The one-command demo: `serve --demo` on data/console.db unless told otherwise.
    cmd.current_dir(root())
        .args(["serve", "--demo", "--site"])
        .arg(&dist)
        .args(&args);
    if on_postgres {
        let pg = tools
            .postgres
            .as_ref()
            .ok_or("PostgreSQL was not looked for")?;
        step("starting PostgreSQL (data/postgres/)");
        let cluster = PgCluster::kept(pg, &root().join("data/postgres"))?;
        cmd.arg("--db").arg(cluster.url());
        step("starting the console");
        // Not exec: the cluster must be stopped when the server ends. Ctrl-C reaches the
        // server from the terminal; xtask outlives it (see PgCluster) and waits.
        let status = cmd
            .status()
            .map_err(|e| format!("cannot start the server: {e}"));
        drop(cluster);
        let status = status?;
        return status
            .success()
            .then_some(())
            .ok_or_else(|| format!("the server ended: {status}"));
    }
    if !args.iter().any(|a| *a == "--db") {
        cmd.args(["--db", "data/console.db"]);
    }
    step("starting the console");
    exec(cmd)
}

/// What an operator installs (docs/OPERATING.md): the server without the demo, and the
/// release site without the demo's example portal page.
fn package() -> Result {
    let tools = Tools::ensure(false, false)?;
    let dist = build_site(&tools)?;
    step("building the server (no demo)");
    sh(cargo().args([
        "build",
        "--locked",
        "--profile",
        "server",
        "-p",
        "alc-server",
    ]))?;
    let out = root().join("target/package");
    if out.exists() {
        fs::remove_dir_all(&out).map_err(|e| format!("cannot clear {}: {e}", out.display()))?;
    }
    fs::create_dir_all(out.join("dist")).map_err(|e| e.to_string())?;
    fs::copy(
        root().join("target/server/alc-server"),
        out.join("alc-server"),
    )
    .map_err(|e| format!("cannot copy the server: {e}"))?;
    copy_tree(&dist, &out.join("dist"), &|name| {
        !name.starts_with("example-portal.html")
    })?;
    println!(
        "\nPackaged into {}: copy alc-server and dist/ to the server (see docs/OPERATING.md).",
        out.display()
    );
    Ok(())
}

fn copy_tree(from: &Path, to: &Path, keep: &dyn Fn(&str) -> bool) -> Result {
    fs::create_dir_all(to).map_err(|e| e.to_string())?;
    for entry in fs::read_dir(from).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_dir() {
            copy_tree(&path, &to.join(name), keep)?;
        } else if keep(name) {
            fs::copy(&path, to.join(name)).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// Becomes the server, so that Ctrl-C reaches it directly and it stops cleanly.
#[cfg(unix)]
fn exec(mut cmd: Command) -> Result {
    use std::os::unix::process::CommandExt;
    Err(format!("cannot start the server: {}", cmd.exec()))
}

#[cfg(not(unix))]
fn exec(mut cmd: Command) -> Result {
    let status = cmd.status().map_err(|e| e.to_string())?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| status.to_string())
}

fn lint(tools: &Tools) -> Result {
    step("rustfmt");
    sh(cargo().args(["fmt", "--all", "--check"]))?;
    step("the email rule's Unicode table is what its generator makes");
    unicode::marks(&root(), true)?;
    step("clippy (native and wasm32)");
    sh(cargo()
        .args([
            "clippy",
            "--locked",
            "--workspace",
            "--exclude",
            APP_PACKAGE,
            "--all-targets",
            "--features",
            SERVER_DEMO,
            "--",
            "-D",
            "warnings",
        ])
        .env("PATH", &tools.path))?;
    // And the operator's build, without the demo, on its own.
    sh(cargo()
        .args([
            "clippy",
            "--locked",
            "-p",
            "alc-server",
            "--",
            "-D",
            "warnings",
        ])
        .env("PATH", &tools.path))?;
    sh(cargo()
        .args([
            "clippy",
            "--locked",
            "-p",
            APP_PACKAGE,
            "--all-targets",
            "--target",
            WASM_TARGET,
            "--",
            "-D",
            "warnings",
        ])
        .env("PATH", &tools.path))
}

/// Tallies `test result:` lines while passing cargo's output through.
#[derive(Default)]
struct Tally {
    passed: u64,
    failed: u64,
    ignored: u64,
}

impl Tally {
    fn cargo_test(&mut self, label: &str, cmd: &mut Command) -> Result {
        step(label);
        let started = std::time::Instant::now();
        let mut child = cmd
            .current_dir(root())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start cargo test: {e}"))?;
        let stdout = child.stdout.take().expect("piped");
        let (mut passed, mut failed) = (0, 0);
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|e| e.to_string())?;
            println!("{line}");
            if let Some(rest) = line.strip_prefix("test result: ") {
                let num = |word: &str| {
                    rest.split(';')
                        .find_map(|part| {
                            part.trim()
                                .strip_suffix(word)?
                                .trim()
                                .rsplit(' ')
                                .next()?
                                .parse::<u64>()
                                .ok()
                        })
                        .unwrap_or(0)
                };
                passed += num("passed");
                failed += num("failed");
                self.ignored += num("ignored");
            }
        }
        let _ = std::io::stdout().flush();
        let status = child.wait().map_err(|e| e.to_string())?;
        self.passed += passed;
        self.failed += failed;
        println!(
            "[{label}: {passed} passed, {failed} failed, {:.0} s]",
            started.elapsed().as_secs_f64()
        );
        if status.success() {
            Ok(())
        } else {
            Err(format!("{label} failed ({status})"))
        }
    }
}

/// A full test run writes about 5 GB under target/ (debug, wasm32, release). A disk
/// that fills up mid-build shows as a linker crash (SIGBUS), not as "disk full", so
/// say how much room there is before starting.
const TEST_DISK_NEED_GB: u64 = 6;

fn disk_check() {
    let target = root().join("target");
    let at = if target.exists() { target } else { root() };
    let free_kb = output("df", &["-Pk", at.to_str().unwrap_or(".")]).and_then(|out| {
        out.lines()
            .nth(1)?
            .split_whitespace()
            .nth(3)?
            .parse::<u64>()
            .ok()
    });
    match free_kb {
        Some(kb) if kb < TEST_DISK_NEED_GB * 1024 * 1024 => println!(
            "warning: {:.1} GB free under {}; a full test run needs about {TEST_DISK_NEED_GB} GB \
             (a full disk shows up as a linker crash, `signal 7 [Bus error]`)",
            kb as f64 / 1024.0 / 1024.0,
            at.display()
        ),
        Some(kb) => println!("disk: {:.1} GB free", kb as f64 / 1024.0 / 1024.0),
        None => println!("disk: free space unknown (df failed)"),
    }
}

fn test() -> Result {
    disk_check();
    let tools = Tools::ensure(true, true)?;
    lint(&tools)?;
    no_demo_in_the_operators_build()?;
    let dist = build_site(&tools)?;
    let mut tally = Tally::default();
    let result = (|| {
        tally.cargo_test(
            "native tests: domain, server over HTTP, tools",
            cargo().args([
                "test",
                "--locked",
                "--workspace",
                "--exclude",
                APP_PACKAGE,
                "--exclude",
                E2E_PACKAGE,
                "--features",
                SERVER_DEMO,
            ]),
        )?;
        // The server's suite once more, on PostgreSQL (the tests that take a database read
        // ALC_TEST_POSTGRES). The cluster is stopped and deleted when it drops, also when
        // the step fails.
        {
            let pg = tools
                .postgres
                .as_ref()
                .ok_or("PostgreSQL was not looked for")?;
            let cluster = PgCluster::throwaway(pg)?;
            tally.cargo_test(
                &format!(
                    "server tests again on PostgreSQL {} (throwaway cluster)",
                    pg.version
                ),
                cargo()
                    .args(["test", "--locked", "-p", "alc-server", "--features", "demo"])
                    .env("ALC_TEST_POSTGRES", cluster.url())
                    .env("ALC_TEST_PG_DATA", cluster.data_dir()),
            )?;
        }
        // The components' tests in each browser: the runner drives the one whose
        // driver variable is set (exactly one per run).
        for (driver_var, driver, label) in [
            (
                "CHROMEDRIVER",
                chromedriver(),
                "browser tests: components in headless Chromium (wasm-bindgen-test)",
            ),
            (
                "GECKODRIVER",
                tools.cargo_bin.join("geckodriver").display().to_string(),
                "browser tests: components in headless Firefox ESR (wasm-bindgen-test)",
            ),
            (
                "SAFARIDRIVER",
                WEBKIT_DRIVER.to_string(),
                "browser tests: components in WebKitGTK under Xvfb (wasm-bindgen-test)",
            ),
        ] {
            let display = if driver_var == "SAFARIDRIVER" {
                Some(Xvfb::start()?)
            } else {
                None
            };
            let mut cmd = cargo();
            cmd.args([
                "test",
                "--locked",
                "-p",
                APP_PACKAGE,
                "--target",
                WASM_TARGET,
            ])
            .env("PATH", &tools.path)
            .env_remove("CHROMEDRIVER")
            .env_remove("GECKODRIVER")
            .env_remove("SAFARIDRIVER")
            .env(driver_var, driver)
            .env("WASM_BINDGEN_TEST_TIMEOUT", "120");
            if let Some(x) = &display {
                cmd.env("DISPLAY", x.display());
            }
            tally.cargo_test(label, &mut cmd)?;
            drop(display);
        }
        // The same suite, the same binaries, in each browser.
        for (browser, label) in [
            (
                "chromium",
                "end-to-end tests: the release build, the real server, headless Chromium",
            ),
            (
                "firefox",
                "end-to-end tests: the release build, the real server, headless Firefox ESR",
            ),
            (
                "webkit",
                "end-to-end tests: the release build, the real server, WebKitGTK under Xvfb",
            ),
        ] {
            // WebKit has no headless mode: a virtual display for its run.
            let display = if browser == "webkit" {
                Some(Xvfb::start()?)
            } else {
                None
            };
            let mut cmd = cargo();
            if let Some(x) = &display {
                cmd.env("DISPLAY", x.display());
            }
            tally.cargo_test(
                label,
                cmd.args([
                    "test",
                    "--locked",
                    "-p",
                    E2E_PACKAGE,
                    "--",
                    "--test-threads=1",
                ])
                .env("PATH", &tools.path)
                .env("ALC_E2E_BROWSER", browser)
                .env("ALC_SITE_DIR", &dist)
                .env("CHROMEDRIVER", chromedriver())
                .env("CHROME", chromium())
                .env("FIREFOX", firefox())
                .env(
                    "ALC_AXE_JS",
                    tools.axe.as_ref().ok_or("axe-core not installed")?,
                ),
            )?;
            drop(display);
        }
        Ok(())
    })();
    println!(
        "\ntotal: {} passed, {} failed, {} skipped",
        tally.passed, tally.failed, tally.ignored
    );
    result
}

/// A virtual X display (Xvfb) for as long as this lives.
struct Xvfb {
    child: std::process::Child,
    number: u32,
}

impl Xvfb {
    fn start() -> Result<Xvfb> {
        let number = (99..200)
            .find(|n| !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists())
            .ok_or("no free X display number")?;
        let child = Command::new("Xvfb")
            .arg(format!(":{number}"))
            .args(["-screen", "0", "1600x1200x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start Xvfb: {e}"))?;
        let socket = format!("/tmp/.X11-unix/X{number}");
        for _ in 0..100 {
            if Path::new(&socket).exists() {
                return Ok(Xvfb { child, number });
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Err(format!("Xvfb :{number} did not come up"))
    }

    fn display(&self) -> String {
        format!(":{}", self.number)
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The demo's simulator (a fake directory server with well-known credentials) must not
/// be linked into the server an operator builds: `cargo tree` of the plain build.
fn no_demo_in_the_operators_build() -> Result {
    step("the operator's build has no demo (cargo tree -p alc-server, normal dependencies)");
    let out = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "tree",
            "--locked",
            "-p",
            "alc-server",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .current_dir(root())
        .output()
        .map_err(|e| format!("cannot run cargo tree: {e}"))?;
    let tree = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() || !tree.contains("alc-directory ") {
        return Err(format!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    if tree.contains("alc-directory-sim") {
        return Err("alc-server without features depends on alc-directory-sim".into());
    }
    println!("alc-directory-sim: not linked without --features demo");
    Ok(())
}

fn bench() -> Result {
    let tools = Tools::ensure(true, true)?;
    let dist = build_site(&tools)?;
    step("what the page loads (gzip 9 and brotli 11, as the server sends it)");
    let index = fs::read_to_string(dist.join("index.html")).map_err(|e| e.to_string())?;
    let mut total = (0usize, 0usize);
    let mut rows = Vec::new();
    for entry in fs::read_dir(&dist).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let kind = match path.extension().and_then(|e| e.to_str()) {
            Some("wasm") => "wasm",
            Some("js") => "js",
            Some("css") => "css",
            _ => continue,
        };
        // Only what index.html actually references counts.
        if !index.contains(&name) {
            continue;
        }
        // The twins precompress() wrote: what the server sends.
        let len = |ext: &str| -> Result<usize> {
            let mut twin = path.as_os_str().to_owned();
            twin.push(ext);
            fs::metadata(&twin)
                .map(|m| m.len() as usize)
                .map_err(|e| format!("{}: {e}", PathBuf::from(twin).display()))
        };
        let (raw, gz, br) = (len("")?, len(".gz")?, len(".br")?);
        total.0 += gz;
        total.1 += br;
        rows.push((kind, name, raw, gz, br));
    }
    rows.sort();
    for (kind, name, raw, gz, br) in &rows {
        println!(
            "{kind:>5}  {:>8.1} KB gzip  {:>8.1} KB br  ({:>8.1} KB raw)  {name}",
            kb(*gz),
            kb(*br),
            kb(*raw)
        );
    }
    println!(
        "total  {:>8.1} KB gzip  {:>8.1} KB br",
        kb(total.0),
        kb(total.1)
    );
    // The benches print a PostgreSQL column against this cluster (ALC_BENCH_POSTGRES);
    // it is stopped and deleted when bench() returns.
    step("a throwaway PostgreSQL cluster for the benches");
    let pg = tools
        .postgres
        .as_ref()
        .ok_or("PostgreSQL was not looked for")?;
    let cluster = PgCluster::throwaway(pg)?;
    let bench = |name: &str| {
        let mut cmd = cargo();
        cmd.args(["bench", "--locked", "-p", "alc-server", "--bench", name])
            .env("ALC_BENCH_POSTGRES", cluster.url());
        cmd
    };
    // Every bench runs, whatever an earlier one found; a budget exceeded (a bench's
    // exit status) fails the command at the end.
    let mut over = Vec::new();
    step("the page in Chromium beside a vanilla-JS reference: first load, load to rows, a tick");
    if let Err(e) = sh(cargo()
        .args(["bench", "--locked", "-p", E2E_PACKAGE, "--bench", "page"])
        .env("PATH", &tools.path)
        .env("ALC_E2E_BROWSER", "chromium")
        .env("ALC_SITE_DIR", &dist)
        .env("CHROMEDRIVER", chromedriver())
        .env("CHROME", chromium()))
    {
        over.push(format!("page: {e}"));
    }
    for (name, what) in [
        (
            "scale",
            "the API with 50,000 agents (real server, real SQLite file)",
        ),
        (
            "refresh",
            "Refresh Users and Groups: 50,000 users from the RingCentral fake",
        ),
        (
            "startup",
            "start-up: `alc-server serve` until /readyz answers, empty and 50,000 agents",
        ),
        (
            "flood",
            "a sign-in flood against signed-in users: GET /licenses p99, quiet and flooded",
        ),
    ] {
        step(what);
        if let Err(e) = sh(&mut bench(name)) {
            over.push(format!("{name}: {e}"));
        }
    }
    if over.is_empty() {
        Ok(())
    } else {
        Err(format!("over budget or failed: {}", over.join("; ")))
    }
}

fn kb(bytes: usize) -> f64 {
    bytes as f64 / 1000.0
}

fn gzip(data: &[u8]) -> Result<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).map_err(|e| e.to_string())?;
    enc.finish().map_err(|e| e.to_string())
}

/// Brotli at its best quality and a 4 MB window, as browsers accept.
fn brotli(data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let params = ::brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    ::brotli::BrotliCompress(&mut &data[..], &mut out, &params).map_err(|e| e.to_string())?;
    Ok(out)
}
