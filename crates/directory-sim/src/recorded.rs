//! A server that answers from a script of recorded exchanges: for conformance tests
//! that serve bodies shaped exactly like a vendor's published samples, rather than
//! what our fakes generate.
//!
//! Each request is answered by the first [`Exchange`] of its method and path (and
//! query part, if the exchange names one) that has uses left; none matching is a 404
//! saying so. Every request is kept ([`Recorded::seen`]) for assertions, and one that
//! does not accept the script's media type is refused with 406, like our fakes.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// One recorded answer.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub method: &'static str,
    pub path: String,
    /// Must occur in the request's query string ("page=2"), if given.
    pub query: Option<String>,
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    /// How many requests it answers; `None`: every one.
    pub times: Option<u32>,
}

impl Exchange {
    /// `status` 200 with `body`, for every `method` request to `path`.
    pub fn new(method: &'static str, path: &str, body: impl Into<String>) -> Exchange {
        Exchange {
            method,
            path: path.to_string(),
            query: None,
            status: 200,
            headers: Vec::new(),
            body: body.into(),
            times: None,
        }
    }

    pub fn status(mut self, status: u16) -> Exchange {
        self.status = status;
        self
    }

    /// Answers only `n` requests, then lets the next matching exchange answer.
    pub fn times(mut self, n: u32) -> Exchange {
        self.times = Some(n);
        self
    }

    pub fn query(mut self, part: &str) -> Exchange {
        self.query = Some(part.to_string());
        self
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Exchange {
        self.headers.push((name, value.to_string()));
        self
    }
}

/// A request the server received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub accept: Option<String>,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
    /// The status it was answered with.
    pub status: u16,
}

pub struct Recorded {
    script: Mutex<Vec<Exchange>>,
    /// What every request must accept, and what answers are sent as.
    media: &'static str,
    seen: Mutex<Vec<Seen>>,
}

impl Recorded {
    /// The requests received so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// Serves `script` on 127.0.0.1 (a free port) until the process ends; answers are
/// sent as `media`, and requests must accept it. Returns the base URL and the server's
/// record.
pub async fn serve(
    media: &'static str,
    script: Vec<Exchange>,
) -> std::io::Result<(String, Arc<Recorded>)> {
    let recorded = Arc::new(Recorded {
        script: Mutex::new(script),
        media,
        seen: Mutex::new(Vec::new()),
    });
    let router = Router::new().fallback(answer).with_state(recorded.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok((format!("http://{addr}"), recorded))
}

async fn answer(State(rec): State<Arc<Recorded>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body: Bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let text = |name: HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let mut seen = Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        accept: text(header::ACCEPT),
        authorization: text(header::AUTHORIZATION),
        content_type: text(header::CONTENT_TYPE),
        body: String::from_utf8_lossy(&body).into_owned(),
        status: 0,
    };
    let accepted = seen.accept.as_deref().is_some_and(|a| {
        a.split(',').any(|m| {
            m.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case(rec.media)
        })
    });
    let response = if !accepted {
        (StatusCode::NOT_ACCEPTABLE, "Not Acceptable").into_response()
    } else {
        let mut script = rec.script.lock().unwrap();
        let found = script.iter_mut().find(|x| {
            x.method.eq_ignore_ascii_case(&seen.method)
                && x.path == seen.path
                && x.query.as_deref().is_none_or(|q| seen.query.contains(q))
                && x.times != Some(0)
        });
        match found {
            None => (
                StatusCode::NOT_FOUND,
                "no recorded exchange for this request",
            )
                .into_response(),
            Some(x) => {
                if let Some(n) = &mut x.times {
                    *n -= 1;
                }
                let status = StatusCode::from_u16(x.status).unwrap_or(StatusCode::OK);
                let mut response = (status, x.body.clone()).into_response();
                let headers = response.headers_mut();
                headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(rec.media));
                for (name, value) in &x.headers {
                    if let Ok(value) = HeaderValue::from_str(value) {
                        headers.insert(*name, value);
                    }
                }
                response
            }
        }
    };
    seen.status = response.status().as_u16();
    rec.seen.lock().unwrap().push(seen);
    response
}
