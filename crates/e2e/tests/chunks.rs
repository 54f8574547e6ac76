//! The release build's screens in chunks (src/chunk.rs, xtask/src/split.rs): the first
//! load fetches none of them, a chunk that cannot be fetched says so with Try again
//! instead of breaking the console, and Try again loads it once it is there.

mod common;

use std::path::{Path, PathBuf};

use common::{Session, WAIT};

/// A copy of the release build, to take a chunk away from.
fn copy_site(to: &Path) -> PathBuf {
    let site = to.join("site");
    common::copy_dir(&common::site_dir(), &site);
    site
}

/// The chunk of the Audit Log and its precompressed twins.
fn audit_chunk(site: &Path) -> Vec<PathBuf> {
    let found: Vec<PathBuf> = std::fs::read_dir(site)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("split_audit-"))
        })
        .collect();
    assert!(
        !found.is_empty(),
        "the release build in {} has no Audit Log chunk: not split (cargo xtask site)",
        site.display()
    );
    found
}

fn hidden(f: &Path) -> PathBuf {
    let mut name = f.as_os_str().to_owned();
    name.push(".hidden");
    PathBuf::from(name)
}

fn hide(files: &[PathBuf]) {
    for f in files {
        std::fs::rename(f, hidden(f)).unwrap();
    }
}

fn restore(files: &[PathBuf]) {
    for f in files {
        std::fs::rename(hidden(f), f).unwrap();
    }
}

/// What the page has fetched so far (the resource timing entries' names).
async fn fetched(s: &Session) -> Vec<String> {
    let v = s
        .browser
        .execute(
            "return performance.getEntriesByType('resource').map(e => e.name)",
            vec![],
        )
        .await
        .unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n.as_str().map(String::from))
        .collect()
}

async fn wait_for_h1(s: &Session, text: &str) {
    let started = std::time::Instant::now();
    loop {
        let h1 = s.find("h1").await.text().await.unwrap_or_default();
        if h1 == text {
            return;
        }
        assert!(started.elapsed() < WAIT, "h1 is {h1:?}, never {text:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_screen_loads_on_first_use_and_a_missing_chunk_offers_try_again() {
    let dir = tempfile::tempdir().unwrap();
    let site = copy_site(dir.path());
    let chunk = audit_chunk(&site);
    hide(&chunk);
    let s = Session::start_signed_out_on(site.clone()).await;
    s.sign_in("supervisor@northwind.example", "supervisor-demo-2026")
        .await;
    wait_for_h1(&s, "Agent Licensing").await;
    s.wait_for_text("Showing 1–").await;

    // The sign-in page and Agent Licensing need no chunk.
    let first = fetched(&s).await;
    let chunks: Vec<&String> = first
        .iter()
        .filter(|n| n.contains("/split_") || n.contains("/chunk_"))
        .collect();
    assert!(chunks.is_empty(), "the first load fetched {chunks:?}");
    assert!(
        first.iter().any(|n| n.ends_with("_bg.wasm")),
        "the main module is not among {first:?}"
    );

    // The Audit Log's chunk is gone (as after a deployment): a message, not a crash.
    let audit = s.link("Audit Log").await;
    s.click(&audit).await;
    s.wait_for_text("This screen could not be loaded.").await;
    let alert = s.find("[role=alert]").await.text().await.unwrap();
    assert!(alert.contains("reload the page"), "{alert}");
    // The rest of the console still works.
    let agents = s.link("Agent Licensing").await;
    s.click(&agents).await;
    wait_for_h1(&s, "Agent Licensing").await;

    // Back: still missing, still said so; Try again once the chunk is there.
    let audit = s.link("Audit Log").await;
    s.click(&audit).await;
    let again = s.button("Try again").await;
    restore(&chunk);
    s.click(&again).await;
    wait_for_h1(&s, "Audit Log").await;
    assert!(
        fetched(&s)
            .await
            .iter()
            .any(|n| n.contains("/split_audit-")),
        "the Audit Log came without its chunk"
    );

    // Another screen's chunk, loaded on first use.
    let phone = s.link("Phone User Licensing").await;
    s.click(&phone).await;
    wait_for_h1(&s, "Phone User Licensing").await;
    s.wait_for_text("Showing 1–").await;
    assert!(
        fetched(&s)
            .await
            .iter()
            .any(|n| n.contains("/split_phone_users-")),
        "Phone User Licensing came without its chunk"
    );
    s.finish().await;
}
