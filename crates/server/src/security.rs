//! Security headers on every answer: `X-Content-Type-Options: nosniff` and
//! `Referrer-Policy: no-referrer` everywhere; on the console's HTML pages a
//! `Content-Security-Policy` under which the wasm app runs and nothing else does; and
//! `Strict-Transport-Security` when a trusted proxy says the request came over TLS.
//!
//! The only inline script is Trunk's loader in `index.html`; its SHA-256 is computed
//! from the built page when the server starts, so the policy needs no
//! `'unsafe-inline'` for scripts and follows every rebuild by itself. Styles do need it:
//! the console sets its theme as a `style` attribute and, embedded, carries its
//! stylesheet inside its shadow root.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::throttle::{Cidr, Client};

/// The policies of the site's HTML files, by file name.
#[derive(Default)]
pub struct Headers {
    csp: HashMap<String, HeaderValue>,
    trusted_proxies: Arc<[Cidr]>,
}

/// The `'sha256-…'` source of each inline `<script>` (one without `src`) in `html`.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else {
            break;
        };
        let tag = &after[..open_end];
        let body = &after[open_end + 1..];
        let Some(close) = body.find("</script>") else {
            break;
        };
        if !tag.contains("src=") {
            let digest = Sha256::digest(&body.as_bytes()[..close]);
            hashes.push(format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
        }
        rest = &body[close..];
    }
    hashes
}

/// The policy for a page whose inline scripts have these hashes.
pub fn policy(hashes: &[String]) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{}{}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'self'; report-uri /api/v1/csp-reports",
        if hashes.is_empty() { "" } else { " " },
        hashes.join(" ")
    )
}

impl Headers {
    /// Reads the site's HTML files (if any) for their inline scripts.
    pub fn for_site(site: Option<&Path>, trusted_proxies: Arc<[Cidr]>) -> Headers {
        let mut csp = HashMap::new();
        if let Some(entries) = site.and_then(|s| std::fs::read_dir(s).ok()) {
            for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                if !name.ends_with(".html") {
                    continue;
                }
                if let Ok(html) = std::fs::read_to_string(&path)
                    && let Ok(value) = HeaderValue::from_str(&policy(&inline_script_hashes(&html)))
                {
                    csp.insert(name.to_string(), value);
                }
            }
        }
        Headers {
            csp,
            trusted_proxies,
        }
    }
}

/// Also finds the request's [`Client`] once, for everything inside (sign-in limits and
/// the cookie's `Secure` flag read it from the request's extensions).
pub async fn add(State(h): State<Arc<Headers>>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let client = Client::of(peer, req.headers(), &h.trusted_proxies);
    req.extensions_mut().insert(client);
    let tls = client.tls;
    // Unknown paths are answered with index.html (the app's own routes).
    let file = req
        .uri()
        .path()
        .rsplit('/')
        .next()
        .filter(|f| f.ends_with(".html"))
        .unwrap_or("index.html")
        .to_string();
    let mut resp = next.run(req).await;
    let status = resp.status();
    let headers = resp.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    // A 304's headers replace the cached answer's: it must not carry a policy of its
    // own (it has no body, hence no content type, and would blank a cached page).
    if status == axum::http::StatusCode::NOT_MODIFIED {
        return resp;
    }
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if html {
        let csp = h
            .csp
            .get(&file)
            .or_else(|| h.csp.get("index.html"))
            .cloned()
            .unwrap_or_else(|| {
                HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'")
            });
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    } else if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        // JSON and files are never documents to run anything in.
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    if tls {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_are_not() {
        let html = r#"<script type="module">run()</script><script src="/a.js"></script>"#;
        let hashes = inline_script_hashes(html);
        // printf 'run()' | openssl dgst -sha256 -binary | base64
        assert_eq!(
            hashes,
            ["'sha256-AvyuiL0SD1mVY3NNxR+V2uo+lhk6RMFrytWmRt6CrJQ='"]
        );
        let p = policy(&hashes);
        assert!(
            p.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"),
            "{p}"
        );
        assert!(!p.contains("script-src 'self' 'unsafe-inline'"));
    }
}
