//! The page in a real browser (issue 13): the release build served by the real server,
//! driven in headless Chromium side by side with a hand-written vanilla-JS page of the
//! same table from the same API (benches/vanilla/), in one run. Prints
//!
//! - the first load: what the browser fetched to show the sign-in page and then Agent
//!   Licensing, as the server sends it (each file's brotli and gzip twin);
//! - load to rows: navigation start to the first frame painted with 50 rows (median of 9);
//! - a tick: a click on a license box to the first frame painted once the page has
//!   stopped changing, on a page of 200 rows (median of 18), with two of its parts: the
//!   page's change handler and that last frame (style, layout, paint);
//!
//! each next to the reference and its budget, and exits with status 1 when one is over.
//! Run by `cargo xtask bench` after it builds the site (`ALC_SITE_DIR`, else `dist/`).
//! With `ALC_BENCH_TRACE` set it also prints, for each load, when each file and API
//! call started and ended on the page's clock.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use alc_domain::{AgentSource, Counts, Entitlements, LicenseSet};
use alc_server::{Config, NewAgent};
use common::{Browser, Driver, Window};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

const LOAD_RUNS: usize = 9;
const TICK_RUNS: usize = 18;
const EXTRA_AGENTS: usize = 260;
const FIRST_LOAD_BUDGET_KB: f64 = 150.0;
const TICK_BUDGET_MS: f64 = 16.0;
const TICK_RATIO: f64 = 2.0;
const LOAD_RATIO: f64 = 1.3;

/// Injected into every document before its own scripts (CDP
/// `Page.addScriptToEvaluateOnNewDocument`): the moments measured, on the page's clock.
const MEASURE: &str = r#"
(() => {
  const wanted = Number(new URLSearchParams(location.search).get("rows_wanted") || 0);
  window.__rowsAt = null;
  window.__tick = null;
  let t0 = null, mark = 0, changeAt = null, firstChange = null, frameAt = null;
  // The end of the first frame after `fn` is armed, if nothing changed since.
  const afterFrame = (fn) => requestAnimationFrame(() => { frameAt = performance.now(); setTimeout(fn, 0); });
  const settle = () => {
    const m = ++mark;
    afterFrame(() => {
      if (m !== mark || t0 === null) return;
      const now = performance.now();
      // [click to painted, the page's change handler to its first DOM change, the
      // last frame: its start (animation frame callbacks) to painted]
      window.__tick = [now - t0, (firstChange ?? now) - (changeAt ?? now), now - frameAt];
    });
  };
  const rows = () => document.querySelectorAll("tbody tr").length;
  let rowsSeen = false;
  new MutationObserver(() => {
    if (t0 !== null) {
      firstChange ??= performance.now();
      settle();
    }
    if (!rowsSeen && wanted && rows() >= wanted) {
      rowsSeen = true;
      window.__rowsBuilt = performance.now();
      afterFrame(() => { window.__rowsAt = performance.now(); });
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  document.addEventListener("change", () => { changeAt ??= performance.now(); }, true);
  document.addEventListener("click", (e) => {
    if (e.target && e.target.type === "checkbox") {
      t0 = e.timeStamp;
      changeAt = firstChange = window.__tick = null;
      settle();
    }
  }, true);
})();
"#;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn cdp(driver: &str, client: &Client, cmd: &str, params: Value) -> Value {
    let r = common::driver_command(
        driver,
        client,
        "goog/cdp/execute",
        json!({"cmd": cmd, "params": params}),
    )
    .await;
    assert!(r["value"].get("error").is_none(), "{cmd}: {r}");
    r
}

/// Waits for `expr` (JavaScript) to give a number, and gives it.
async fn number(client: &Client, expr: &str) -> f64 {
    let started = Instant::now();
    loop {
        let v = client
            .execute(&format!("return {expr}"), vec![])
            .await
            .unwrap();
        if let Some(n) = v.as_f64() {
            return n;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{expr} never came"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Navigation start to the frame painted with `rows` rows, in ms.
async fn load_to_rows(client: &Client, url: &str, rows: usize) -> f64 {
    client
        .goto(&format!("{url}&rows_wanted={rows}"))
        .await
        .unwrap();
    let n = number(client, "window.__rowsAt").await;
    if std::env::var_os("ALC_BENCH_TRACE").is_some() {
        let t = client.execute("return JSON.stringify(performance.getEntriesByType('resource').map(e => [e.name.split('/').pop().slice(0, 40), Math.round(e.startTime), Math.round(e.responseEnd)]).concat([['built', Math.round(window.__rowsBuilt)]]))", vec![]).await.unwrap();
        println!("{url} rows at {n:.1}: {}", t.as_str().unwrap_or(""));
    }
    n
}

/// Ticks `runs` Web Chat boxes one after another on the page at `url`; for each, in
/// ms: the click to the painted frame after it, the page's own change handler, and
/// that last frame (style, layout, paint).
async fn ticks(client: &Client, url: &str, rows: usize, runs: usize) -> [Vec<f64>; 3] {
    load_to_rows(client, url, rows).await;
    let boxes = client
        .find_all(Locator::Css(
            "input[type=checkbox][aria-label^='Web Chat license for']",
        ))
        .await
        .unwrap();
    assert!(boxes.len() >= runs, "{} boxes on {url}", boxes.len());
    let mut out = [Vec::new(), Vec::new(), Vec::new()];
    for b in boxes.iter().take(runs) {
        // Out of the way of the measurement: scrolled to first.
        client
            .execute(
                "arguments[0].scrollIntoView({block: 'center'})",
                vec![serde_json::to_value(b).unwrap()],
            )
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        b.click().await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        for (i, o) in out.iter_mut().enumerate() {
            o.push(number(client, &format!("window.__tick && window.__tick[{i}]")).await);
        }
    }
    out
}

/// What the page fetched (but the API's answers): (name in the site, bytes as
/// brotli, bytes as gzip), from the site's precompressed twins.
async fn first_load(client: &Client, site: &Path) -> Vec<(String, usize, usize)> {
    let names = client
        .execute(
            "return [location.origin + '/index.html'].concat(performance.getEntriesByType('resource').map(e => e.name))",
            vec![],
        )
        .await
        .unwrap();
    let mut out = Vec::new();
    for name in names.as_array().unwrap().iter().filter_map(Value::as_str) {
        let path = name.split_once("://").map(|(_, p)| p).unwrap_or(name);
        let path = path.split_once('/').map(|(_, p)| p).unwrap_or("");
        let path = path.split(['?', '#']).next().unwrap_or(path);
        if path.starts_with("api/") || path.is_empty() {
            continue;
        }
        let size = |ext: &str| {
            std::fs::metadata(site.join(format!("{path}.{ext}")))
                .or_else(|_| std::fs::metadata(site.join(path)))
                .map(|m| m.len() as usize)
                .unwrap_or_default()
        };
        out.push((path.to_string(), size("br"), size("gz")));
    }
    out.sort();
    out.dedup();
    out
}

#[tokio::main]
async fn main() {
    assert_eq!(
        Browser::current(),
        Browser::Chromium,
        "the page bench drives Chromium"
    );
    let dir = tempfile::tempdir().unwrap();
    let site: PathBuf = dir.path().join("site");
    common::copy_dir(&common::site_dir(), &site);
    let vanilla = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/vanilla");
    common::copy_dir(&vanilla, &site);

    let server = alc_server::start(Config {
        site_dir: Some(site.clone()),
        demo: true,
        ..Config::ephemeral(dir.path().join("console.db"))
    })
    .await
    .unwrap();
    // Enough seats that every box may be ticked; enough agents for a page of 200.
    server
        .store
        .set_entitlements(
            "Northwind",
            &Entitlements {
                purchased: Counts::from_fn(|_| 1000),
                web_chat_channel: true,
            },
        )
        .await
        .unwrap();
    let extra: Vec<NewAgent> = (0..EXTRA_AGENTS)
        .map(|i| NewAgent {
            name: format!("Bench Agent {i:03}"),
            email: format!("bench{i}@northwind.example"),
            extension: (7000 + i).to_string(),
            source: AgentSource::Webrtc,
            licenses: LicenseSet::EMPTY,
            directory_key: None,
        })
        .collect();
    server.store.insert_agents(&extra).await.unwrap();

    let driver = Driver::start(Browser::Chromium, dir.path());
    let client = common::connect(&driver.url, &dir.path().join("profile")).await;
    cdp(
        &driver.url,
        &client,
        "Page.addScriptToEvaluateOnNewDocument",
        json!({"source": MEASURE}),
    )
    .await;
    // The cache would hide what a first visit costs: every load fetches again.
    cdp(
        &driver.url,
        &client,
        "Network.setCacheDisabled",
        json!({"cacheDisabled": true}),
    )
    .await;
    cdp(&driver.url, &client, "Network.enable", json!({})).await;

    let window = Window::new(&client, server.url());
    window
        .sign_in("supervisor@northwind.example", "supervisor-demo-2026")
        .await;
    window.wait_for_text("Showing 1–").await;
    let files = first_load(&client, &site).await;
    let (br, gz): (usize, usize) = files
        .iter()
        .fold((0, 0), |(b, g), (_, fb, fg)| (b + fb, g + fg));
    println!("first load (sign-in page, then Agent Licensing), as the server sends it:");
    for (name, b, g) in &files {
        println!(
            "  {:>7.1} KB br  {:>7.1} KB gzip  {name}",
            *b as f64 / 1000.0,
            *g as f64 / 1000.0
        );
    }
    let gz_kb = gz as f64 / 1000.0;
    let mut over = Vec::new();
    println!(
        "  {:>7.1} KB br  {gz_kb:>7.1} KB gzip  in all (budget: {FIRST_LOAD_BUDGET_KB} KB gzip) {}",
        br as f64 / 1000.0,
        if gz_kb <= FIRST_LOAD_BUDGET_KB {
            "within budget"
        } else {
            "OVER BUDGET"
        }
    );
    if gz_kb > FIRST_LOAD_BUDGET_KB {
        over.push("first load");
    }

    let base = server.url();
    let console = |rows: usize| format!("{base}/agents?per_page={rows}");
    let reference = |rows: usize| format!("{base}/vanilla.html?per_page={rows}");
    let (mut c_load, mut v_load) = (Vec::new(), Vec::new());
    for i in 0..LOAD_RUNS {
        // Alternated, so that neither always goes first.
        if i % 2 == 0 {
            c_load.push(load_to_rows(&client, &console(50), 50).await);
            v_load.push(load_to_rows(&client, &reference(50), 50).await);
        } else {
            v_load.push(load_to_rows(&client, &reference(50), 50).await);
            c_load.push(load_to_rows(&client, &console(50), 50).await);
        }
    }
    let (c, v) = (median(c_load), median(v_load));
    let ratio = c / v;
    println!(
        "load to rows (50 rows, median of {LOAD_RUNS}): console {c:6.1} ms  vanilla {v:6.1} ms  ratio {ratio:4.2} (budget ≤ {LOAD_RATIO}) {}",
        if ratio <= LOAD_RATIO {
            "within budget"
        } else {
            "OVER BUDGET"
        }
    );
    if ratio > LOAD_RATIO {
        over.push("load to rows");
    }

    let [c, c_handler, c_frame] = ticks(&client, &console(200), 200, TICK_RUNS)
        .await
        .map(median);
    let [v, v_handler, v_frame] = ticks(&client, &reference(200), 200, TICK_RUNS)
        .await
        .map(median);
    let ratio = c / v;
    let ok = c <= TICK_BUDGET_MS && ratio <= TICK_RATIO;
    println!(
        "tick to painted (200 rows, median of {TICK_RUNS}): console {c:6.1} ms  vanilla {v:6.1} ms  ratio {ratio:4.2} (budget ≤ {TICK_BUDGET_MS} ms and ≤ {TICK_RATIO}×) {}",
        if ok { "within budget" } else { "OVER BUDGET" }
    );
    println!(
        "  of which the change handler: console {c_handler:5.1} ms  vanilla {v_handler:5.1} ms; the last frame: console {c_frame:5.1} ms  vanilla {v_frame:5.1} ms"
    );
    if !ok {
        over.push("tick");
    }

    let _ = client.close().await;
    driver.stop();
    server.stop().await.unwrap();
    if !over.is_empty() {
        eprintln!("page bench: over budget: {}", over.join(", "));
        std::process::exit(1);
    }
}
