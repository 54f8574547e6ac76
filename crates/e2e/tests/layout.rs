//! End to end: the layout holds from 1440 px down to 768 px wide (the console alone,
//! or inside a portal's content pane). Every screen, at 1440, 1024 and 768 px, in the
//! browser the suite runs in: nothing spills out of a box that does not scroll, no two
//! controls overlap, no single-line control is stretched, the console's background
//! fills the window, and every license column header can be scrolled fully into view
//! and is then covered by nothing, with the name column still in view.
//!
//! All findings of a run are gathered and reported at once, so one failing run names
//! every screen and width that breaks. A screenshot of each screen at each width is
//! kept under `target/layout-screenshots/<browser>/` (test output, not committed).
//!
//! One browser session: each screen is reached the way a person reaches it (the
//! navigation, the list's links), then checked at each width in turn.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use alc_domain::LicenseType;
use common::{Browser, Session, WAIT, Window};
use fantoccini::Locator;
use serde_json::Value;

const WIDTHS: [u32; 3] = [1440, 1024, 768];
const HEIGHT: u32 = 1000;

/// The checks that need no scrolling, run in the page. Returns what is wrong, one
/// sentence each.
const CHECK_PAGE: &str = r#"
const problems = [];
const root = document.querySelector('.alc');
if (!root) return ['no .alc root on the page'];
const describe = (el) => {
  let s = el.tagName.toLowerCase();
  if (el.id) s += '#' + el.id;
  for (const c of el.classList) s += '.' + c;
  const name = el.getAttribute('aria-label')
    || (el.labels && el.labels[0] && el.labels[0].textContent)
    || el.textContent || el.value || '';
  const text = name.trim().replace(/\s+/g, ' ');
  return text ? `${s} "${text.slice(0, 50)}"` : s;
};
// Visually hidden on purpose (text for screen readers only).
const hiddenByDesign = (el) => el.closest('.alc-sr-only') !== null;
const scrolls = (cs) => cs.overflowX === 'auto' || cs.overflowX === 'scroll';

// 1. Overflow: an element that does not scroll is narrower than what it holds. A
// scroll container (overflow-x auto or scroll) may hold something wider: that is what
// it scrolls; what lies inside it is still checked against its own box. Form
// controls scroll their own value.
for (const el of [document.documentElement, document.body, ...document.body.querySelectorAll('*')]) {
  if (hiddenByDesign(el) || el.matches('input, select, textarea')) continue;
  const cs = getComputedStyle(el);
  if (cs.display === 'none' || cs.display === 'contents' || scrolls(cs)) continue;
  const over = el.scrollWidth - el.clientWidth;
  if (el.clientWidth > 0 && over > 1) {
    problems.push(`${describe(el)} overflows sideways by ${over} px (content ${el.scrollWidth} px, box ${el.clientWidth} px)`);
  }
}

// 2. No two controls' rectangles intersect (touching is fine). What stays put while
// the page scrolls under it (the sticky save bar) is compared only with what moves
// with it. (Sticky only sideways, as the name column is, scrolls with the page.)
const pinned = (el) => {
  for (let e = el; e; e = e.parentElement) {
    const s = getComputedStyle(e);
    if (s.position === 'fixed') return e;
    if (s.position === 'sticky' && (s.top !== 'auto' || s.bottom !== 'auto')) return e;
  }
  return null;
};
const visible = (el) => {
  if (hiddenByDesign(el)) return false;
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
};
const controls = [...root.querySelectorAll(
  'input:not([type=hidden]), select, textarea, button, a.alc-button')].filter(visible);
const rects = controls.map((el) => el.getBoundingClientRect());
const pins = controls.map(pinned);
for (let i = 0; i < controls.length; i++) {
  for (let j = i + 1; j < controls.length; j++) {
    if (pins[i] !== pins[j]) continue;
    const a = rects[i], b = rects[j];
    const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
    const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    if (x > 0.5 && y > 0.5) {
      problems.push(`${describe(controls[i])} and ${describe(controls[j])} overlap (${x.toFixed(1)} × ${y.toFixed(1)} px)`);
    }
  }
}

// 3. Nothing covers a control in the window, but what is pinned over the page (the
// save bar over the rows beneath it) may cover one that is not. A control scrolled
// out of its scroll container's view is not covered: the container clips it.
const clipped = (el, x, y) => {
  for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
    if (getComputedStyle(e).overflowX === 'visible') continue;
    const c = e.getBoundingClientRect();
    const left = c.left + e.clientLeft, top = c.top + e.clientTop;
    if (x < left || x > left + e.clientWidth || y < top || y > top + e.clientHeight) return true;
  }
  return false;
};
for (let i = 0; i < controls.length; i++) {
  const el = controls[i], r = rects[i];
  const x = (r.left + r.right) / 2, y = (r.top + r.bottom) / 2;
  if (x < 0 || y < 0 || x >= window.innerWidth || y >= window.innerHeight) continue;
  if (clipped(el, x, y)) continue;
  const hit = document.elementFromPoint(x, y);
  if (!hit || el.contains(hit) || (el.labels && [...el.labels].some((l) => l.contains(hit)))) continue;
  if (pinned(hit) && !pins[i]) continue;
  problems.push(`${describe(el)} is covered at its centre by ${describe(hit)}`);
}

// 4. What is pinned to the window (the save bar) lies over everything else.
for (const el of root.querySelectorAll('*')) {
  const pos = getComputedStyle(el).position;
  if (pos !== 'sticky' && pos !== 'fixed') continue;
  let inScroller = false;
  for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
    if (getComputedStyle(e).overflowX !== 'visible') { inScroller = true; break; }
  }
  if (inScroller || !visible(el)) continue;
  const r = el.getBoundingClientRect();
  const top = Math.max(r.top, 0) + 3, bottom = Math.min(r.bottom, window.innerHeight) - 3;
  const left = Math.max(r.left, 0) + 3, right = Math.min(r.right, window.innerWidth) - 3;
  if (top >= bottom || left >= right) continue;
  for (const [x, y] of [[left, top], [right, top], [left, bottom], [right, bottom], [(left + right) / 2, (top + bottom) / 2]]) {
    const hit = document.elementFromPoint(x, y);
    if (hit && !el.contains(hit)) {
      problems.push(`${describe(el)} (pinned to the window) is covered at (${x.toFixed(0)}, ${y.toFixed(0)}) by ${describe(hit)}`);
      break;
    }
  }
}

// 5. A single-line control keeps a single line's height.
for (let i = 0; i < controls.length; i++) {
  const el = controls[i];
  if (!el.matches('input:not([type=checkbox]):not([type=radio]), select')) continue;
  const limit = 3 * parseFloat(getComputedStyle(el).fontSize);
  if (rects[i].height > limit) {
    problems.push(`${describe(el)} is ${rects[i].height.toFixed(0)} px tall (a single line: at most ${limit.toFixed(0)} px)`);
  }
}

// 6. The console's background fills the window.
const rootRect = root.getBoundingClientRect();
if (rootRect.height < window.innerHeight - 1) {
  problems.push(`the console (.alc) is ${rootRect.height.toFixed(0)} px tall in a ${window.innerHeight} px window: its background stops short`);
}
return problems;
"#;

/// One license column header (`arguments[0]`): scrolled into view from the start of
/// its scroll container, it lies fully inside the container's visible box and the
/// window, nothing covers it, and the row headers (the sticky name column) are still
/// in view. At the widest width (`arguments[1]` true) the table needs no scrolling at
/// all: the Transcription column once hid past the card's edge at 1400 px. Scrolls
/// back afterwards.
const CHECK_HEADER: &str = r#"
const th = arguments[0];
const problems = [];
const name = th.textContent.trim();
let sc = th.parentElement;
while (sc && !['auto', 'scroll'].includes(getComputedStyle(sc).overflowX)) sc = sc.parentElement;
if (!sc) return [`the ${name} column's table has no scroll container`];
if (arguments[1] && sc.scrollWidth > sc.clientWidth + 1) {
  problems.push(`the ${name} column's table is ${sc.scrollWidth} px wide in a ${sc.clientWidth} px card: at the widest width it should fit`);
}
sc.scrollLeft = 0;
th.scrollIntoView({block: 'nearest', inline: 'nearest'});
const r = th.getBoundingClientRect();
const c = sc.getBoundingClientRect();
const box = {
  left: c.left + sc.clientLeft, top: c.top + sc.clientTop,
  right: c.left + sc.clientLeft + sc.clientWidth, bottom: c.top + sc.clientTop + sc.clientHeight,
};
// One pixel of slack: clientWidth is rounded to whole pixels, rectangles are not.
const inside = (r, b) => r.left >= b.left - 1 && r.right <= b.right + 1
  && r.top >= b.top - 1 && r.bottom <= b.bottom + 1;
const fmt = (r) => `${r.left.toFixed(0)}–${r.right.toFixed(0)} × ${r.top.toFixed(0)}–${r.bottom.toFixed(0)}`;
if (!inside(r, box)) {
  problems.push(`the ${name} column header (${fmt(r)}) is not inside its scroll container's visible box (${fmt(box)})`);
}
const view = {left: 0, top: 0, right: document.documentElement.clientWidth, bottom: document.documentElement.clientHeight};
if (!inside(r, view)) {
  problems.push(`the ${name} column header (${fmt(r)}) is not inside the window (${fmt(view)})`);
}
// 4 px in from each corner: the card's rounded corners (8 px) clip the outermost
// pixels of the corner headers, by design.
const points = [
  [r.left + 4, r.top + 4], [r.right - 4, r.top + 4], [r.left + 4, r.bottom - 4],
  [r.right - 4, r.bottom - 4], [(r.left + r.right) / 2, (r.top + r.bottom) / 2],
];
for (const [x, y] of points) {
  const hit = document.elementFromPoint(x, y);
  if (!hit || !th.contains(hit)) {
    const what = hit ? hit.tagName.toLowerCase() + [...hit.classList].map((k) => '.' + k).join('') : 'nothing';
    problems.push(`the ${name} column header is covered at (${x.toFixed(0)}, ${y.toFixed(0)}) by ${what}`);
    break;
  }
}
// The name column stays in view while the table scrolls sideways.
const table = th.closest('table');
for (const cell of [table.querySelector('thead th.alc-name-col'), table.querySelector('tbody th[scope=row]')]) {
  if (!cell) continue;
  const n = cell.getBoundingClientRect();
  if (n.left < box.left - 1 || n.right > box.right + 1) {
    problems.push(`scrolled to the ${name} column (by ${sc.scrollLeft} px), the name cell "${cell.textContent.trim().slice(0, 40)}" (${fmt(n)}) is out of view (${fmt(box)})`);
  }
}
sc.scrollLeft = 0;
window.scrollTo(0, 0);
return problems;
"#;

struct Findings {
    browser: &'static str,
    dir: PathBuf,
    problems: Vec<String>,
    checked: usize,
}

impl Findings {
    fn new() -> Findings {
        let browser = match Browser::current() {
            Browser::Chromium => "chromium",
            Browser::Firefox => "firefox",
            Browser::WebKit => "webkit",
        };
        let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target"))
            .join("layout-screenshots")
            .join(browser);
        std::fs::create_dir_all(&dir).unwrap();
        Findings {
            browser,
            dir,
            problems: Vec::new(),
            checked: 0,
        }
    }

    /// The screen now shown, at each width: screenshot, then every check.
    /// `license_columns`: how many license column headers the screen shows.
    async fn check(&mut self, w: &Window<'_>, screen: &str, license_columns: usize) {
        for width in WIDTHS {
            resize(w, width).await;
            let png = w.client.screenshot().await.unwrap();
            let file = self.dir.join(format!("{}-{width}.png", slug(screen)));
            std::fs::write(&file, png).unwrap();

            let mut found = strings(w.client.execute(CHECK_PAGE, vec![]).await.unwrap());
            let headers = w
                .client
                .find_all(Locator::Css("th.alc-lic-col"))
                .await
                .unwrap();
            assert_eq!(
                headers.len(),
                license_columns,
                "{screen}: license column headers (th.alc-lic-col)"
            );
            for th in &headers {
                let args = vec![
                    serde_json::to_value(th).unwrap(),
                    (width == WIDTHS[0]).into(),
                ];
                found.extend(strings(w.client.execute(CHECK_HEADER, args).await.unwrap()));
            }
            if !headers.is_empty() {
                // The table scrolled to its last column: the name column still beside it.
                w.client
                    .execute(
                        "const th = [...document.querySelectorAll('th.alc-lic-col')].pop();
                         th.scrollIntoView({block: 'nearest', inline: 'nearest'});",
                        vec![],
                    )
                    .await
                    .unwrap();
                let png = w.client.screenshot().await.unwrap();
                let scrolled = self
                    .dir
                    .join(format!("{}-{width}-scrolled.png", slug(screen)));
                std::fs::write(scrolled, png).unwrap();
                w.client
                    .execute(
                        "document.querySelector('.alc-table-wrap').scrollLeft = 0; window.scrollTo(0, 0);",
                        vec![],
                    )
                    .await
                    .unwrap();
            }
            let inner: Value = w
                .client
                .execute("return window.innerWidth", vec![])
                .await
                .unwrap();
            self.problems.extend(found.into_iter().map(|p| {
                format!(
                    "{screen} at {width} px (viewport {inner} px, {}): {p}",
                    file.display()
                )
            }));
            self.checked += 1;
        }
        // Back to the widest, where the next screen is reached.
        resize(w, WIDTHS[0]).await;
    }
}

fn strings(v: Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("the check returned {v}"))
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect()
}

fn slug(screen: &str) -> String {
    screen
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// Sets the window to `width` and waits until the page has seen it (the resize event
/// may land after the driver answers).
async fn resize(w: &Window<'_>, width: u32) {
    w.client.set_window_size(width, HEIGHT).await.unwrap();
    let deadline = Instant::now() + WAIT;
    let mut last = Value::Null;
    loop {
        let now: Value = w
            .client
            .execute(
                "return [window.outerWidth, window.innerWidth, document.documentElement.clientWidth]",
                vec![],
            )
            .await
            .unwrap();
        if now[0] == width && now == last {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the window never became {width} px wide: {now}"
        );
        last = now;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the main heading says `h1`, the page shows `text`, and nothing on it
/// is still loading.
async fn ready(w: &Window<'_>, h1: &str, text: &str) {
    w.wait_for_text(text).await;
    let deadline = Instant::now() + WAIT;
    loop {
        let state: Value = w
            .client
            .execute(
                "const h = document.querySelector('h1');
                 return [h ? h.textContent.trim() : '', document.querySelectorAll('.alc-loading').length]",
                vec![],
            )
            .await
            .unwrap();
        if state[0] == h1 && state[1] == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the {h1} screen never settled: {state}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn go(w: &Window<'_>, link: &str) {
    let a = w.link(link).await;
    w.click(&a).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_screen_holds_its_layout_from_1440_to_768_px() {
    let started = Instant::now();
    let s = Session::start_signed_out().await;
    let w = s.window();
    let mut f = Findings::new();
    resize(&w, WIDTHS[0]).await;

    w.open("/").await;
    ready(&w, "Sign in", "Sign in").await;
    f.check(&w, "Sign in", 0).await;

    // An admin sees every screen.
    s.sign_in("admin@northwind.example", "admin-demo-2026")
        .await;
    ready(&w, "Agent Licensing", "Showing 1–40 of 40 agents").await;
    f.check(&w, "Agent Licensing", LicenseType::ALL.len()).await;

    go(&w, "Add Agent").await;
    ready(&w, "Add Agent", "Recording Mode").await;
    f.check(&w, "Add Agent", 0).await;

    go(&w, "Agent Licensing").await;
    ready(&w, "Agent Licensing", "Showing 1–40 of 40 agents").await;
    go(&w, "Aaron Blake").await;
    ready(&w, "Aaron Blake", "Recording Mode").await;
    f.check(&w, "Agent profile", 0).await;

    go(&w, "Phone User Licensing").await;
    ready(&w, "Phone User Licensing", "of 26 phone users").await;
    f.check(&w, "Phone User Licensing", LicenseType::ALL.len())
        .await;

    go(&w, "Settings").await;
    ready(&w, "Settings", "Save extension plan").await;
    f.check(&w, "Settings", 0).await;

    go(&w, "Audit Log").await;
    ready(&w, "Audit Log", "Signed in").await;
    f.check(&w, "Audit Log", 0).await;

    go(&w, "Console Users").await;
    ready(&w, "Console Users", "Sam Supervisor").await;
    f.check(&w, "Console Users", 0).await;

    go(&w, "Change password").await;
    ready(&w, "Change password", "Confirm new password").await;
    f.check(&w, "Change password", 0).await;

    s.finish().await;
    println!(
        "layout: {} screens × widths checked in {} in {:.1} s; screenshots in {}",
        f.checked,
        f.browser,
        started.elapsed().as_secs_f64(),
        f.dir.display()
    );
    assert_eq!(f.checked, 9 * WIDTHS.len());
    assert!(
        f.problems.is_empty(),
        "{} layout problems in {}:\n{}",
        f.problems.len(),
        f.browser,
        f.problems.join("\n")
    );
}
