//! The end-to-end harness: the real server on the release build, a browser through
//! its WebDriver (Chromium by default; `ALC_E2E_BROWSER=firefox` for Firefox ESR,
//! `webkit` for WebKitGTK's MiniBrowser, which needs an X display in `DISPLAY`), and
//! helpers that find things the way a person does (labels, roles, visible text).
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use alc_domain::access::TokenIssued;
use alc_domain::{AgentPage, LicenseSummary};
use alc_server::{Config, Running};
use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use serde_json::json;

pub const WAIT: Duration = Duration::from_secs(20);

pub struct Session {
    pub server: Running,
    pub browser: Client,
    /// The WebDriver server of [`Session::browser`]. chromedriver serves
    /// [`Session::another_browser`] too; geckodriver has one session each.
    driver: Driver,
    /// Drivers started for [`Session::another_browser`] (Firefox).
    others: std::sync::Mutex<Vec<Driver>>,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// The browser the end-to-end suite drives: `ALC_E2E_BROWSER` (`chromium`, the
/// default, `firefox` or `webkit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Browser {
    Chromium,
    Firefox,
    WebKit,
}

impl Browser {
    pub fn current() -> Browser {
        match std::env::var("ALC_E2E_BROWSER").as_deref() {
            Ok("firefox") => Browser::Firefox,
            Ok("webkit") => Browser::WebKit,
            Ok("chromium") | Ok("") | Err(_) => Browser::Chromium,
            Ok(other) => panic!("ALC_E2E_BROWSER={other}: use chromium, firefox or webkit"),
        }
    }

    /// Whether one driver serves several sessions (only chromedriver does).
    fn shares_driver(self) -> bool {
        self == Browser::Chromium
    }
}

/// A WebDriver server (chromedriver or geckodriver) on a port of its own; its output
/// goes to a file in the test's folder (the page's console, in Firefox).
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Driver {
    pub fn start(browser: Browser, dir: &std::path::Path) -> Driver {
        let port = free_port();
        let log = dir.join(format!("driver-{port}.log"));
        let (program, args) = match browser {
            Browser::Chromium => (
                std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into()),
                vec![format!("--port={port}")],
            ),
            Browser::WebKit => (
                std::env::var("WEBKITDRIVER").unwrap_or_else(|_| "/usr/bin/WebKitWebDriver".into()),
                vec![format!("--port={port}")],
            ),
            Browser::Firefox => (
                std::env::var("GECKODRIVER").unwrap_or_else(|_| "geckodriver".into()),
                vec![
                    "--port".into(),
                    port.to_string(),
                    // Its own Marionette port: several drivers at once never collide.
                    "--marionette-port".into(),
                    free_port().to_string(),
                ],
            ),
        };
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(&program)
            .args(&args)
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e} (run `cargo xtask test`)"));
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn site_dir() -> PathBuf {
    let dir = std::env::var_os("ALC_SITE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../dist")));
    assert!(
        dir.join("index.html").is_file(),
        "no release build at {}: run `cargo xtask test`, which builds it first",
        dir.display()
    );
    let has_wasm = std::fs::read_dir(&dir)
        .unwrap()
        .any(|e| e.unwrap().path().extension().is_some_and(|x| x == "wasm"));
    assert!(
        has_wasm,
        "{} holds no wasm: not a Trunk build",
        dir.display()
    );
    dir
}

/// Copies a folder and everything in it (a test's own copy of the release build).
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

impl Session {
    pub async fn start_signed_out() -> Session {
        Self::start_signed_out_on(site_dir()).await
    }

    /// [`Session::start_signed_out`] with the server serving the site in `site` (a
    /// test's altered copy of the release build).
    pub async fn start_signed_out_on(site: PathBuf) -> Session {
        let dir = tempfile::tempdir().unwrap();
        let server = alc_server::start(Config {
            site_dir: Some(site),
            demo: true,
            ..Config::ephemeral(dir.path().join("console.db"))
        })
        .await
        .unwrap();

        let driver = Driver::start(Browser::current(), dir.path());
        let browser = connect(&driver.url, &dir.path().join("profile")).await;
        // The test's own API calls: an admin's bearer token, got the way a portal's
        // back end gets one.
        let issued: TokenIssued = reqwest::Client::new()
            .post(format!("{}/api/v1/auth/tokens", server.url()))
            .json(&json!({"email": "admin@northwind.example", "password": "admin-demo-2026"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {}", issued.token).parse().unwrap(),
        );
        Session {
            server,
            browser,
            driver,
            others: Default::default(),
            http: reqwest::Client::builder()
                .default_headers(headers)
                .build()
                .unwrap(),
            _dir: dir,
        }
    }

    /// The demo, with the browser signed in as its supervisor.
    pub async fn start() -> Session {
        let s = Self::start_signed_out().await;
        s.sign_in("supervisor@northwind.example", "supervisor-demo-2026")
            .await;
        s.wait_for_text("Sign out").await;
        s
    }

    /// The helpers below, on this session's browser.
    pub fn window(&self) -> Window<'_> {
        self.window_of(&self.browser)
    }

    /// The helpers below, on another browser of this server (see
    /// [`Session::another_browser`]).
    pub fn window_of<'a>(&self, client: &'a Client) -> Window<'a> {
        Window {
            client,
            url: self.server.url(),
        }
    }

    /// A second person: a fresh browser with its own profile (so its own cookies and
    /// session) on the same chromedriver and server. Close it with
    /// [`Session::close_browser`], which also checks its log for CSP violations.
    pub async fn another_browser(&self, name: &str) -> Client {
        let profile = self._dir.path().join(format!("profile-{name}"));
        match Browser::current() {
            b if b.shares_driver() => connect(&self.driver.url, &profile).await,
            b => {
                let driver = Driver::start(b, self._dir.path());
                let client = connect(&driver.url, &profile).await;
                self.others.lock().unwrap().push(driver);
                client
            }
        }
    }

    /// Signs in through the sign-in page, as a person does.
    pub async fn sign_in(&self, email: &str, password: &str) {
        self.window().sign_in(email, password).await
    }

    /// What the Content-Security-Policy refused since the last look: the reports the
    /// browsers sent to the server (`report-uri`, every browser; any window of this
    /// test), and in Chromium also `client`'s log, read through chromedriver (reading
    /// it empties it).
    pub async fn csp_violations(&self, client: &Client) -> Vec<String> {
        csp_violations(&self.server, &self.driver.url, client).await
    }

    /// Fails the test if `client` logged any CSP violation.
    pub async fn assert_no_csp_violations(&self, client: &Client) {
        let v = self.csp_violations(client).await;
        assert!(
            v.is_empty(),
            "the page broke its Content-Security-Policy: {v:#?}"
        );
    }

    /// Closes a browser from [`Session::another_browser`] after checking its log.
    pub async fn close_browser(&self, client: Client) {
        self.assert_no_csp_violations(&client).await;
        let _ = client.close().await;
    }

    pub async fn open(&self, path: &str) {
        self.window().open(path).await
    }

    pub async fn find(&self, css: &str) -> Element {
        self.window().find(css).await
    }

    pub async fn checkbox(&self, label: &str) -> Element {
        self.window().checkbox(label).await
    }

    pub async fn button(&self, text: &str) -> Element {
        self.window().button(text).await
    }

    /// A button by its accessible name (its `aria-label`, else its text).
    pub async fn button_named(&self, name: &str) -> Element {
        self.window().button_named(name).await
    }

    pub async fn link(&self, text: &str) -> Element {
        self.window().link(text).await
    }

    /// The input a `<label>` names.
    pub async fn labelled(&self, label: &str) -> Element {
        self.window().labelled(label).await
    }

    /// Scrolls `el` to the middle of the window, as a person would before clicking it
    /// (the save bar is sticky at the bottom), then clicks.
    pub async fn click(&self, el: &Element) {
        self.window().click(el).await
    }

    /// What the input a `<label>` names holds now.
    pub async fn value(&self, label: &str) -> String {
        self.window().value(label).await
    }

    pub async fn page_text(&self) -> String {
        self.window().page_text().await
    }

    /// An element's visible text, the same way in every browser.
    pub async fn text_of(&self, el: &Element) -> String {
        self.window().text_of(el).await
    }

    /// Waits until the page shows `text`.
    pub async fn wait_for_text(&self, text: &str) {
        self.window().wait_for_text(text).await
    }

    pub async fn counter(&self, license: &str) -> String {
        self.window().counter(license).await
    }

    pub async fn api_summary(&self) -> LicenseSummary {
        let url = format!("{}/api/v1/licenses", self.server.url());
        self.http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// `GET /api/v1{path}` as the test's admin, read as `T`.
    pub async fn api_get<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let r = self
            .http
            .get(format!("{}/api/v1{path}", self.server.url()))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap()
    }

    /// A page of `GET /api/v1/agents?{query}`, as the server answers it.
    pub async fn api_agents(&self, query: &str) -> AgentPage {
        let url = format!("{}/api/v1/agents?{query}", self.server.url());
        let r = self.http.get(url).send().await.unwrap();
        assert!(r.status().is_success(), "{query}: {}", r.status());
        r.json().await.unwrap()
    }

    pub async fn api_agent(&self, name: &str) -> alc_domain::Agent {
        let url = format!(
            "{}/api/v1/agents?q={}",
            self.server.url(),
            name.replace(' ', "%20")
        );
        let page: AgentPage = self
            .http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        page.agents
            .into_iter()
            .find(|a| a.name == name)
            .expect("agent exists")
    }

    /// Ends the test: the browser's log must hold no CSP violation (every end-to-end
    /// test runs under the server's real Content-Security-Policy).
    pub async fn finish(self) {
        self.assert_no_csp_violations(&self.browser).await;
        let _ = self.browser.close().await;
        self.driver.stop();
        for d in self.others.lock().unwrap().drain(..) {
            d.stop();
        }
        self.server.stop().await.unwrap();
    }
}

/// One person's browser window on the console, with the helpers that find things the
/// way a person does (labels, roles, visible text).
pub struct Window<'a> {
    pub client: &'a Client,
    url: String,
}

impl<'a> Window<'a> {
    /// The helpers on any browser of the server at `url` (`http://host:port`).
    pub fn new(client: &'a Client, url: String) -> Window<'a> {
        Window { client, url }
    }

    /// Signs in through the sign-in page, as a person does.
    pub async fn sign_in(&self, email: &str, password: &str) {
        self.open("/").await;
        self.labelled("Email").await.send_keys(email).await.unwrap();
        self.labelled("Password")
            .await
            .send_keys(password)
            .await
            .unwrap();
        let button = self.button("Sign in").await;
        self.click(&button).await;
    }

    pub async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.url))
            .await
            .unwrap();
    }

    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
    }

    pub async fn checkbox(&self, label: &str) -> Element {
        self.find(&format!("input[type=checkbox][aria-label=\"{label}\"]"))
            .await
    }

    pub async fn button(&self, text: &str) -> Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::XPath(&format!(
                "//button[normalize-space()='{text}']"
            )))
            .await
            .unwrap_or_else(|e| panic!("no button {text}: {e}"))
    }

    /// A button by its accessible name (its `aria-label`, else its text): row actions
    /// read "Disable Sam Supervisor" to a screen reader and "Disable" on screen.
    pub async fn button_named(&self, name: &str) -> Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::XPath(&format!(
                "//button[@aria-label='{name}' or (not(@aria-label) and normalize-space()='{name}')]"
            )))
            .await
            .unwrap_or_else(|e| panic!("no button named {name}: {e}"))
    }

    pub async fn link(&self, text: &str) -> Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::XPath(&format!("//a[normalize-space()='{text}']")))
            .await
            .unwrap_or_else(|e| panic!("no link {text}: {e}"))
    }

    /// The input a `<label>` names.
    pub async fn labelled(&self, label: &str) -> Element {
        let l = self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::XPath(&format!(
                "//label[normalize-space()='{label}']"
            )))
            .await
            .unwrap_or_else(|e| panic!("no label {label}: {e}"));
        let id = l.attr("for").await.unwrap().expect("label has for");
        self.find(&format!("#{id}")).await
    }

    /// Scrolls `el` to the middle of the window, as a person would before clicking it
    /// (the save bar is sticky at the bottom), then clicks.
    pub async fn click(&self, el: &Element) {
        self.client
            .execute(
                "arguments[0].scrollIntoView({block: 'center'})",
                vec![serde_json::to_value(el).unwrap()],
            )
            .await
            .unwrap();
        el.click().await.unwrap();
    }

    /// What the input a `<label>` names holds now.
    pub async fn value(&self, label: &str) -> String {
        let input = self.labelled(label).await;
        input.prop("value").await.unwrap().unwrap_or_default()
    }

    /// The page's visible text. Read as `innerText` in every browser: WebDriver's
    /// element text has no line breaks between blocks in WebKit, so it would compare
    /// differently there.
    pub async fn page_text(&self) -> String {
        let body = self.find("body").await;
        self.text_of(&body).await
    }

    /// An element's visible text, as [`Window::page_text`] reads it.
    pub async fn text_of(&self, el: &Element) -> String {
        self.client
            .execute(
                "return arguments[0].innerText",
                vec![serde_json::to_value(el).unwrap()],
            )
            .await
            .unwrap()
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits until the page shows `text`.
    pub async fn wait_for_text(&self, text: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let body = self.page_text().await;
            if body.contains(text) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "never saw {text:?}; the page says:\n{body}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn counter(&self, license: &str) -> String {
        let group = self
            .find(&format!("[role=group][aria-label=\"{license}\"]"))
            .await;
        self.text_of(&group).await
    }
}

/// A new browser session on the WebDriver server at `url`, with its profile in
/// `profile` (Chromium; Firefox makes a fresh profile for each session itself).
pub async fn connect(url: &str, profile: &std::path::Path) -> Client {
    let caps = match Browser::current() {
        Browser::Chromium => json!({
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": std::env::var("CHROME").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--window-size=1400,1000",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        }),
        Browser::WebKit => json!({
            "browserName": "MiniBrowser",
            "webkitgtk:browserOptions": {
                "binary": std::env::var("MINIBROWSER").unwrap_or_else(|_| {
                    "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser".into()
                }),
                // Without it (or without a display) session creation hangs.
                "args": ["--automation"]
            }
        }),
        Browser::Firefox => json!({
            "browserName": "firefox",
            "moz:firefoxOptions": {
                "binary": std::env::var("FIREFOX").unwrap_or_else(|_| "/usr/bin/firefox-esr".into()),
                "args": ["-headless", "--width=1400", "--height=1000"],
                "prefs": {
                    // The page's console on the driver's output, for a failing test.
                    "devtools.console.stdout.content": true,
                    // No calls home on a closed network.
                    "app.update.enabled": false,
                    "browser.shell.checkDefaultBrowser": false,
                    "datareporting.policy.dataSubmissionEnabled": false,
                    "toolkit.telemetry.enabled": false,
                    "network.captive-portal-service.enabled": false,
                    "extensions.update.enabled": false,
                    "browser.safebrowsing.malware.enabled": false,
                    "browser.safebrowsing.phishing.enabled": false,
                }
            }
        }),
    };
    if Browser::current() == Browser::WebKit && std::env::var_os("DISPLAY").is_none() {
        panic!("WebKit needs an X display: set DISPLAY (cargo xtask test starts Xvfb)");
    }
    let deadline = Instant::now() + WAIT;
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let mut builder = ClientBuilder::new(connector);
        builder.capabilities(caps.as_object().unwrap().clone());
        let attempt = builder.connect(url);
        // WebKit's session creation hangs instead of failing without `--automation`
        // or a display: bounded, with a message that says so.
        let Ok(attempt) = tokio::time::timeout(WAIT, attempt).await else {
            panic!(
                "no browser session from {url} within {WAIT:?} (WebKit: is DISPLAY={:?} an X display, and MiniBrowser started with --automation?)",
                std::env::var("DISPLAY").unwrap_or_default()
            );
        };
        match attempt {
            Ok(c) => return c,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("the WebDriver server at {url} did not come up: {e}"),
        }
    }
}

/// A command of chromedriver's own for `client`'s session (`POST
/// /session/{id}/{path}`: `se/log`, `goog/cdp/execute`), and its answer.
pub async fn driver_command(
    driver_url: &str,
    client: &Client,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let id = client
        .session_id()
        .await
        .unwrap()
        .expect("a WebDriver session");
    reqwest::Client::new()
        .post(format!("{driver_url}/session/{id}/{path}"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// What the Content-Security-Policy refused since the last look: the reports browsers
/// sent to `server` (`report-uri`, every browser), and in Chromium also `client`'s log,
/// read through the chromedriver at `driver_url` (reading it empties it).
pub async fn csp_violations(server: &Running, driver_url: &str, client: &Client) -> Vec<String> {
    let mut found = server.csp_reports.take();
    if Browser::current() == Browser::Chromium {
        let r = driver_command(driver_url, client, "se/log", json!({"type": "browser"})).await;
        let entries = r["value"]
            .as_array()
            .unwrap_or_else(|| panic!("chromedriver has no browser log: {r}"));
        found.extend(
            entries
                .iter()
                .filter_map(|e| e["message"].as_str())
                .filter(|m| {
                    m.contains("Content Security Policy") || m.contains("Content-Security-Policy")
                })
                .map(str::to_string),
        );
    }
    found
}
