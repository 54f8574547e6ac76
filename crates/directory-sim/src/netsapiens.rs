//! Fake Netsapiens ns-api v2, under `/ns-api/v2`.
//!
//! - `POST /tokens` (JSON): the password grant checks client id and secret, username
//!   and password; the refresh-token grant checks client id and secret and a refresh
//!   token this fake issued. [`grants_seen`] lists the grant types asked for.
//! - Data requests take `Bearer <credentials.secret>` (an API key, never expiring) or
//!   `Bearer <issued token>`. The domain must be `credentials.tenant`.
//! - `GET /domains/{d}/users?limit&start` (limit default 100, at most 1000): the people,
//!   then one `system-queue` user per queue, which the client must skip. The person at
//!   index 1 has `email-address` instead of `email`; the one at index 2 has two
//!   addresses in `email` ("first;backup@example.com").
//!   [`crate::Faults::paging_ignored`] makes it ignore `start` (or both).
//! - `GET /domains/{d}/users/count`: `{"total": n}`, every record of the users list.
//! - `GET /domains/{d}/callqueues` and `.../callqueues/{ext}/agents`: every record
//!   unless `limit`/`start` are given (the docs page neither; we accept both). A queue
//!   in [`crate::Faults::vanished_queues`] is listed, but its agents answer 404.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{Gate, PagingIgnored, Person, Sim};

/// Grant types asked for, per Sim (by address), for tests to assert on: the router's
/// state is out of their reach.
static GRANTS: Mutex<Vec<(usize, String)>> = Mutex::new(Vec::new());

/// The `grant_type`s of the token requests `sim`'s fake has received, in order.
pub fn grants_seen(sim: &Sim) -> Vec<String> {
    let key = sim as *const Sim as usize;
    let grants = GRANTS.lock().unwrap();
    grants
        .iter()
        .filter(|(k, _)| *k == key)
        .map(|(_, g)| g.clone())
        .collect()
}

struct Fake {
    sim: Arc<Sim>,
    refresh_tokens: Mutex<Vec<String>>,
}

pub fn router(sim: Arc<Sim>) -> Router {
    // A Sim at this address before was dropped: forget what it saw.
    let key = Arc::as_ptr(&sim) as usize;
    GRANTS.lock().unwrap().retain(|(k, _)| *k != key);
    let fake = Arc::new(Fake {
        sim,
        refresh_tokens: Mutex::new(Vec::new()),
    });
    Router::new()
        .route("/ns-api/v2/tokens", post(tokens))
        .route("/ns-api/v2/domains/{domain}/users", get(users))
        .route("/ns-api/v2/domains/{domain}/users/count", get(count))
        .route("/ns-api/v2/domains/{domain}/callqueues", get(callqueues))
        .route(
            "/ns-api/v2/domains/{domain}/callqueues/{callqueue}/agents",
            get(agents),
        )
        .with_state(fake)
}

fn error(status: u16, message: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        code,
        axum::Json(json!({"code": status, "message": message})),
    )
        .into_response()
}

async fn tokens(State(fake): State<Arc<Fake>>, body: Bytes) -> Response {
    let sim = &fake.sim;
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        sim.refuse_token();
        return error(400, "Request body is not JSON");
    };
    let field = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or("");
    let grant = field("grant_type");
    GRANTS
        .lock()
        .unwrap()
        .push((Arc::as_ptr(sim) as usize, grant.to_string()));
    let c = &sim.credentials;
    let client = field("client_id") == c.client_id && field("client_secret") == c.client_secret;
    let granted = match grant {
        "password" => field("username") == c.username && field("password") == c.password,
        "refresh_token" => {
            let refresh = field("refresh_token");
            fake.refresh_tokens
                .lock()
                .unwrap()
                .iter()
                .any(|r| r == refresh)
        }
        _ => {
            sim.refuse_token();
            return error(400, "Unsupported grant_type");
        }
    };
    if !client || !granted || sim.faults.lock().unwrap().refuse_credentials {
        sim.refuse_token();
        return error(401, "Invalid credentials");
    }
    let access = sim.issue_token();
    let refresh = format!("refresh-{access}");
    fake.refresh_tokens.lock().unwrap().push(refresh.clone());
    axum::Json(json!({
        "access_token": access, "token_type": "Bearer", "expires_in": 3600,
        "refresh_token": refresh, "username": c.username, "domain": c.tenant,
        "scope": "Office Manager",
    }))
    .into_response()
}

/// The gate every data request passes, then the domain check: the answer to send
/// instead of the data, if any.
fn refusal(fake: &Fake, headers: &HeaderMap, domain: &str) -> Option<Response> {
    let sim = &fake.sim;
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let token = match bearer {
        // An empty token means "already checked" to the gate: never pass one through.
        Some("") | None => None,
        Some(key) if key == sim.credentials.secret => Some(""),
        other => other,
    };
    match sim.gate(token) {
        Gate::Serve => {}
        Gate::Unauthorized => return Some(error(401, "Invalid or expired token")),
        Gate::RateLimited(secs) => {
            let mut resp = error(429, "Too many requests");
            resp.headers_mut()
                .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
            return Some(resp);
        }
        Gate::ServerError => return Some(error(500, "Internal server error")),
        Gate::Hostile(kind) => return Some(crate::hostile(kind, "application/json")),
        Gate::Malformed => {
            return Some(
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    r#"{"unexpected":"#,
                )
                    .into_response(),
            );
        }
    }
    (domain != sim.credentials.tenant).then(|| error(404, "Domain not found"))
}

#[derive(Deserialize)]
struct Paging {
    limit: Option<usize>,
    start: Option<usize>,
}

impl Paging {
    /// The records of `0..total` this page holds; no limit and no default = all.
    fn range(&self, total: usize, default: Option<usize>) -> std::ops::Range<usize> {
        let start = self.start.unwrap_or(0).min(total);
        match self.limit.or(default) {
            // usize::MAX: no limit at all (a server ignoring paging).
            Some(usize::MAX) => start..total,
            Some(limit) => start..(start + limit.min(1000)).min(total),
            None => start..total,
        }
    }
}

async fn users(
    State(fake): State<Arc<Fake>>,
    Path(domain): Path<String>,
    Query(paging): Query<Paging>,
    headers: HeaderMap,
) -> Response {
    if let Some(resp) = refusal(&fake, &headers, &domain) {
        return resp;
    }
    let dir = fake.sim.directory.lock().unwrap();
    let people = dir.people.len();
    let paging = match fake.sim.faults.lock().unwrap().paging_ignored {
        None => paging,
        Some(PagingIgnored::Start) => Paging {
            start: None,
            ..paging
        },
        Some(PagingIgnored::Both) => Paging {
            start: None,
            limit: Some(usize::MAX),
        },
    };
    let page: Vec<Value> = paging
        .range(people + dir.queues.len(), Some(100))
        .map(|i| match dir.people.get(i) {
            Some(p) => person(i, p, &domain),
            None => {
                let q = &dir.queues[i - people];
                json!({"user": q.extension, "domain": domain, "name-first-name": q.name,
                       "name-last-name": "", "email": "", "user-scope": "No Portal",
                       "department": "", "site": "", "service-code": "system-queue"})
            }
        })
        .collect();
    axum::Json(page).into_response()
}

async fn count(
    State(fake): State<Arc<Fake>>,
    Path(domain): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(resp) = refusal(&fake, &headers, &domain) {
        return resp;
    }
    let dir = fake.sim.directory.lock().unwrap();
    axum::Json(json!({"total": dir.people.len() + dir.queues.len()})).into_response()
}

fn person(i: usize, p: &Person, domain: &str) -> Value {
    let mut v = json!({"user": p.extension, "domain": domain,
        "name-first-name": p.first_name, "name-last-name": p.last_name,
        "user-scope": "Basic User", "department": "Sales", "site": "", "service-code": ""});
    match i {
        1 => v["email-address"] = json!(p.email),
        2 => v["email"] = json!(format!("{};backup@example.com", p.email)),
        _ => v["email"] = json!(p.email),
    }
    v
}

async fn callqueues(
    State(fake): State<Arc<Fake>>,
    Path(domain): Path<String>,
    Query(paging): Query<Paging>,
    headers: HeaderMap,
) -> Response {
    if let Some(resp) = refusal(&fake, &headers, &domain) {
        return resp;
    }
    let dir = fake.sim.directory.lock().unwrap();
    let page: Vec<Value> = dir.queues[paging.range(dir.queues.len(), None)]
        .iter()
        .map(|q| {
            json!({"callqueue": q.extension, "domain": domain, "description": q.name,
                   "callqueue-dispatch-type": "Round-robin"})
        })
        .collect();
    axum::Json(page).into_response()
}

async fn agents(
    State(fake): State<Arc<Fake>>,
    Path((domain, callqueue)): Path<(String, String)>,
    Query(paging): Query<Paging>,
    headers: HeaderMap,
) -> Response {
    if let Some(resp) = refusal(&fake, &headers, &domain) {
        return resp;
    }
    let dir = fake.sim.directory.lock().unwrap();
    let found = dir.queues.iter().find(|q| q.extension == callqueue);
    let Some(queue) = found.filter(|q| !fake.sim.vanished(&q.id)) else {
        return error(404, "Call queue not found");
    };
    let by_id: HashMap<&str, &Person> = dir.people.iter().map(|p| (p.id.as_str(), p)).collect();
    let agents: Vec<&Person> = queue
        .members
        .iter()
        .filter_map(|id| by_id.get(id.as_str()).copied())
        .collect();
    let page: Vec<Value> = agents[paging.range(agents.len(), None)]
        .iter()
        .map(|p| {
            json!({"callqueue-agent-id": format!("{}@{domain}", p.extension),
                   "callqueue": callqueue, "name-full-name": p.full_name()})
        })
        .collect();
    axum::Json(page).into_response()
}
