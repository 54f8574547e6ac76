//! The built site as a browser receives it: the precompressed twins chosen by
//! `Accept-Encoding`, a year's caching for content-hashed names, `ETag` revalidation
//! for the stable ones, and `index.html` (with its own tag) for every other path.

use alc_server::Config;
use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, ETAG, IF_NONE_MATCH, VARY,
};

mod common;

const WASM: &str = "agent-licensing-console-0123456789abcdef_bg.wasm";
const ELEMENT: &str = "agent-licensing-console-element.js";
/// The site's files and their bodies.
const FILES: [(&str, &str); 3] = [
    ("index.html", "<!doctype html><title>console</title>"),
    (WASM, "wasm"),
    (ELEMENT, "export {}"),
];

struct Site {
    _dir: tempfile::TempDir,
    server: alc_server::Running,
    http: reqwest::Client,
}

/// A site whose twins differ from their originals (so the test can tell which file
/// was sent), served by the real server.
async fn site() -> Site {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    std::fs::create_dir(&site).unwrap();
    for (name, body) in FILES {
        std::fs::write(site.join(name), body).unwrap();
        std::fs::write(site.join(format!("{name}.br")), format!("br of {name}")).unwrap();
        std::fs::write(site.join(format!("{name}.gz")), format!("gz of {name}")).unwrap();
    }
    let server = alc_server::start(Config {
        site_dir: Some(site),
        ..Config::ephemeral(common::database(dir.path().join("console.db")).await)
    })
    .await
    .unwrap();
    Site {
        _dir: dir,
        server,
        // reqwest is built without its decompression features: the test reads what
        // was sent.
        http: reqwest::Client::new(),
    }
}

impl Site {
    async fn get(&self, path: &str, accept: &str) -> reqwest::Response {
        self.http
            .get(format!("{}/{path}", self.server.url()))
            .header(ACCEPT_ENCODING, accept)
            .send()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn the_twin_the_browser_accepts_is_sent_as_written() {
    let s = site().await;
    for (name, body) in FILES {
        let r = s.get(name, "gzip, deflate, br").await;
        assert_eq!(r.status(), StatusCode::OK, "{name}");
        assert_eq!(r.headers()[CONTENT_ENCODING], "br", "{name}");
        assert!(
            r.headers()
                .get_all(VARY)
                .iter()
                .any(|v| v.to_str().unwrap().contains("accept-encoding")),
            "{name}: {:?}",
            r.headers()
        );
        assert_eq!(r.text().await.unwrap(), format!("br of {name}"));

        let r = s.get(name, "gzip").await;
        assert_eq!(r.headers()[CONTENT_ENCODING], "gzip", "{name}");
        assert_eq!(r.text().await.unwrap(), format!("gz of {name}"));

        let r = s.get(name, "identity").await;
        assert!(r.headers().get(CONTENT_ENCODING).is_none(), "{name}");
        assert_eq!(r.text().await.unwrap(), body);
    }
    // A missing file is a 404, not the console's page.
    let r = s.get("split_audit-00000000000000aa.wasm", "br").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.headers().get(ETAG).is_none());
    // A path that names no file is the console's page, precompressed as well.
    let r = s.get("agents?q=ann", "br").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[CONTENT_ENCODING], "br");
    assert_eq!(r.text().await.unwrap(), "br of index.html");
}

#[tokio::test]
async fn hashed_names_are_kept_a_year_and_stable_names_revalidate() {
    let s = site().await;
    let wasm = s.get(WASM, "br").await;
    assert_eq!(
        wasm.headers()[CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    for name in [ELEMENT, "index.html", "", "agents/12"] {
        let r = s.get(name, "br").await;
        assert_eq!(r.status(), StatusCode::OK, "{name}");
        assert_eq!(r.headers()[CACHE_CONTROL], "no-cache", "{name}");
        let tag = r.headers()[ETAG].clone();
        assert!(tag.to_str().unwrap().starts_with("W/\""), "{tag:?}");

        let again = s
            .http
            .get(format!("{}/{name}", s.server.url()))
            .header(ACCEPT_ENCODING, "gzip")
            .header(IF_NONE_MATCH, tag.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{name}");
        assert_eq!(again.headers()[ETAG], tag, "{name}");
        assert!(again.bytes().await.unwrap().is_empty());

        let stale = s
            .http
            .get(format!("{}/{name}", s.server.url()))
            .header(IF_NONE_MATCH, "W/\"000000000000000000000000\"")
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), StatusCode::OK, "{name}");
    }
    // Every path that is answered with index.html carries index.html's tag; the embed
    // file has its own.
    let index = s.get("index.html", "br").await.headers()[ETAG].clone();
    assert_eq!(s.get("agents/12", "br").await.headers()[ETAG], index);
    assert_ne!(s.get(ELEMENT, "br").await.headers()[ETAG], index);
    // The API is not the site: no site caching there.
    let api = s.get("api/v1/licenses", "br").await;
    assert!(api.headers().get(ETAG).is_none());
}
