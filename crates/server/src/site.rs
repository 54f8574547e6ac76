//! The built console: its files as written at build time (`cargo xtask` writes a `.br`
//! and a `.gz` beside each text and wasm file, served to browsers that accept them, so
//! nothing is compressed per request), `index.html` for every other path (a reload of
//! `/agents?q=ann` works), and caching: content-hashed names (`…-<hash>_bg.wasm`, the
//! split chunks) are kept for a year, the stable names (`index.html`, the embed file
//! `agent-licensing-console-element.js`) revalidate with an `ETag`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

/// A year: what a name with its content's hash in it may be cached for.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Every use asks first; an unchanged file costs a 304.
const REVALIDATE: &str = "no-cache";

/// The site's files and their tags, read once at start.
#[derive(Debug, Default)]
pub struct Tags {
    /// Path under the site (`/`-separated, no leading slash) → `W/"…"`.
    by_path: HashMap<String, HeaderValue>,
    index: Option<HeaderValue>,
}

impl Tags {
    /// Tags every file under `dir` but the precompressed twins (a twin's tag is its
    /// original's: a weak tag names the content, whatever its encoding).
    pub fn read(dir: &Path) -> std::io::Result<Tags> {
        let mut by_path = HashMap::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(at) = stack.pop() {
            for entry in std::fs::read_dir(&at)? {
                let path = entry?.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let Ok(rel) = path.strip_prefix(dir) else {
                    continue;
                };
                let rel = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                if rel.ends_with(".br") || rel.ends_with(".gz") {
                    continue;
                }
                by_path.insert(rel, tag(&std::fs::read(&path)?));
            }
        }
        let index = by_path.get("index.html").cloned();
        Ok(Tags { by_path, index })
    }

    /// The tag of what `path` (a request's) is answered with: its file, or
    /// `index.html` for a path that names none.
    fn of(&self, path: &str) -> Option<(&HeaderValue, bool)> {
        let rel = path.trim_start_matches('/');
        let rel = if rel.is_empty() || rel.ends_with('/') {
            format!("{rel}index.html")
        } else {
            rel.to_string()
        };
        match self.by_path.get(&rel) {
            Some(tag) => Some((tag, is_content_hashed(&rel))),
            None if names_a_file(path) => None,
            None => self.index.as_ref().map(|t| (t, false)),
        }
    }
}

/// Whether a path names a file (its last segment has an extension) rather than a
/// screen of the console.
fn names_a_file(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
}

/// A weak tag of `content`: the first 12 bytes of its SHA-256.
fn tag(content: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(content);
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    HeaderValue::from_str(&format!("W/\"{hex}\"")).expect("hex is a valid header value")
}

/// Whether a file's path carries its content's hash: a run of at least 16 lowercase hex
/// digits between `/`, `-`, `_` or `.` (Trunk's `…-1a2b…_bg.wasm`, the split chunks'
/// `…-1a2b….wasm`, wasm-bindgen's `snippets/<crate>-<hash>/…`). Such a path changes
/// whenever its content does, so it is never revalidated; and names cannot mix across
/// deployments.
fn is_content_hashed(path: &str) -> bool {
    path.split(['/', '-', '_', '.']).any(|part| {
        part.len() >= 16
            && part
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The site as a service: precompressed files, `index.html` as the fallback, and the
/// caching headers.
pub fn service(dir: &Path) -> MethodRouter {
    let index = ServeFile::new(dir.join("index.html"))
        .precompressed_br()
        .precompressed_gzip();
    // A screen's address (`/agents/12`) is the console's page; a missing file
    // (`/split_audit-….wasm` of another deployment) is a 404, not a page of HTML
    // that a module loader would choke on.
    let fallback = axum::routing::any(move |request: Request| {
        let index = index.clone();
        async move {
            if names_a_file(request.uri().path()) {
                return crate::error::ApiError::not_found().into_response();
            }
            match index.oneshot(request).await {
                Ok(response) => response.into_response(),
                Err(never) => match never {},
            }
        }
    });
    let files = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(fallback);
    let tags = Arc::new(Tags::read(dir).unwrap_or_else(|e| {
        tracing::warn!(site = %dir.display(), error = %e, "the site's files could not be read: no ETags");
        Tags::default()
    }));
    axum::routing::any_service(files).layer(axum::middleware::from_fn_with_state(tags, caching))
}

/// `ETag`, `Cache-Control` and `Vary` on every file, and a 304 when the browser's copy
/// is current.
async fn caching(State(tags): State<Arc<Tags>>, request: Request, next: Next) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return next.run(request).await;
    }
    let Some((tag, hashed)) = tags.of(request.uri().path()) else {
        return next.run(request).await;
    };
    let tag = tag.clone();
    let control = HeaderValue::from_static(if hashed { IMMUTABLE } else { REVALIDATE });
    if matches_tag(request.headers(), &tag) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        let h = response.headers_mut();
        h.insert(header::ETAG, tag);
        h.insert(header::CACHE_CONTROL, control);
        h.append(header::VARY, HeaderValue::from_static("accept-encoding"));
        return response;
    }
    let mut response = next.run(request).await;
    if response.status().is_success() {
        let h = response.headers_mut();
        h.insert(header::ETAG, tag);
        h.insert(header::CACHE_CONTROL, control);
        let varies = h.get_all(header::VARY).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.to_ascii_lowercase().contains("accept-encoding"))
        });
        if !varies {
            h.append(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
    }
    response
}

/// `If-None-Match` names `tag` (weakly compared, as RFC 9110 asks for it) or is `*`.
fn matches_tag(headers: &HeaderMap, tag: &HeaderValue) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let ours = opaque(tag.to_str().unwrap_or_default());
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || opaque(t) == ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_recognised() {
        assert!(is_content_hashed(
            "agent-licensing-console-4f2ad5c1b0e9a7d3_bg.wasm"
        ));
        assert!(is_content_hashed("split_audit-0123456789abcdef.wasm"));
        assert!(is_content_hashed("snippets/x-0123456789abcdef0/inline0.js"));
        assert!(!is_content_hashed("agent-licensing-console-element.js"));
        assert!(!is_content_hashed("index.html"));
        assert!(!is_content_hashed("deadbeef.js"));
        assert!(!is_content_hashed("A0123456789ABCDEF.js"));
    }

    #[test]
    fn if_none_match_compares_weakly() {
        let tag = HeaderValue::from_static("W/\"abc\"");
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", \"abc\""),
        );
        assert!(matches_tag(&h, &tag));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("W/\"abd\""));
        assert!(!matches_tag(&h, &tag));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(matches_tag(&h, &tag));
    }
}
