//! A fake RingCentral platform (and Avaya Cloud Office, the same API): the JWT token
//! grant, the account's brand, extensions, call queues and their members, paged with
//! `page`/`perPage` and `navigation.nextPage` as documented.
//!
//! People are extensions of type "User" (their id is served as a number when it is
//! one, their extension number is left out when empty); queues are extensions of type
//! "Department" and call queues (with string ids, as RingCentral sends them). The
//! account is branded Avaya Cloud Office when `sim.credentials.tenant` is
//! [`ACO_TENANT`], else RingCentral. Extensions of other types come from
//! `sim.other_extensions`; the `type` filter is applied unless
//! [`crate::Faults::ignore_type_filter`].
//!
//! Error bodies are `{"errors":[{"errorCode","message"}]}` with the codes and messages
//! RingCentral publishes (docs/basics/errors.md; OAU-213 from the OpenAPI
//! specification's `x-error-codes`): sign-in OAU-123 (no Basic header), OAU-146 (wrong
//! client), OAU-112 (another grant type), OAU-140 (wrong JWT), each with OAuth's
//! `error`/`error_description`; data requests OAU-134 (no bearer token), OAU-128
//! (token used up), OAU-213 (token unknown), CMN-301 (429), CMN-201 (500), CMN-101
//! (bad paging parameter), CMN-102 (unknown call queue).

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{Gate, OtherExtension, Person, Queue, Sim};

/// `sim.credentials.tenant` that makes the account an Avaya Cloud Office one.
pub const ACO_TENANT: &str = "aco";
/// The largest `perPage` served; more is refused, as RingCentral does.
pub const MAX_PER_PAGE: usize = 1000;
const DEFAULT_PER_PAGE: usize = 100;
const JWT_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const ACCOUNT: &str = "/restapi/v1.0/account/~";

pub fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        .route("/restapi/oauth/token", post(token))
        .route(ACCOUNT, get(account))
        .route("/restapi/v1.0/account/~/extension", get(extensions))
        .route("/restapi/v1.0/account/~/call-queues", get(call_queues))
        .route(
            "/restapi/v1.0/account/~/call-queues/{id}/members",
            get(members),
        )
        .with_state(sim)
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct TokenForm {
    grant_type: String,
    assertion: String,
}

async fn token(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let c = &sim.credentials;
    let client = crate::basic_auth(&c.client_id, &c.client_secret);
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let refuse_all = sim.faults.lock().unwrap().refuse_credentials;
    let basic = headers
        .get(header::AUTHORIZATION)
        .is_some_and(|v| v.as_bytes().starts_with(b"Basic "));
    let (status, error, code, message) = if !basic {
        (
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "OAU-123",
            "Invalid Authorization header value: Authorization",
        )
    } else if headers
        .get(header::AUTHORIZATION)
        .is_none_or(|v| v.as_bytes() != client.as_bytes())
    {
        (
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "OAU-146",
            "Invalid client credentials",
        )
    } else if form.grant_type != JWT_GRANT {
        (
            StatusCode::FORBIDDEN,
            "unauthorized_client",
            "OAU-112",
            "The client is unauthorized for the required grant type: [password]",
        )
    } else if refuse_all || form.assertion != c.secret {
        (
            StatusCode::UNAUTHORIZED,
            "invalid_grant",
            "OAU-140",
            "Invalid resource owner credentials.",
        )
    } else {
        let token = sim.issue_token();
        return Json(json!({
            "access_token": token, "token_type": "bearer", "expires_in": 3600,
            "refresh_token": format!("refresh-{token}"), "refresh_token_expires_in": 604_800,
            "scope": "ReadAccounts", "owner_id": "62264425004", "endpoint_id": "sim",
        }))
        .into_response();
    };
    sim.refuse_token();
    let body = json!({"error": error, "error_description": message,
                      "errors": [{"errorCode": code, "message": message}]});
    (status, Json(body)).into_response()
}

async fn account(State(sim): State<Arc<Sim>>, headers: HeaderMap) -> Response {
    if let Some(refused) = gate(&sim, &headers) {
        return refused;
    }
    let (id, name) = if sim.credentials.tenant == ACO_TENANT {
        ("6010", "Avaya Cloud Office")
    } else {
        ("1210", "RingCentral")
    };
    Json(json!({
        "uri": format!("{}{ACCOUNT}", origin(&headers)),
        "id": 37_439_510,
        "status": "Confirmed",
        "serviceInfo": {"brand": {"id": id, "name": name, "homeCountry": {"isoCode": "US"}}},
    }))
    .into_response()
}

async fn extensions(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mut paging = match admit(&sim, &headers, &query) {
        Ok(p) => p,
        Err(refused) => return *refused,
    };
    let d = sim.directory.lock().unwrap();
    let all_others = sim.other_extensions.lock().unwrap();
    let filter = query.get("type").map(String::as_str);
    let kind = if sim.faults.lock().unwrap().ignore_type_filter {
        None
    } else {
        filter
    };
    let people: &[Person] = if matches!(kind, None | Some("User")) {
        &d.people
    } else {
        &[]
    };
    let queues: &[Queue] = if matches!(kind, None | Some("Department")) {
        &d.queues
    } else {
        &[]
    };
    let others: Vec<&OtherExtension> = all_others
        .iter()
        .filter(|o| kind.is_none_or(|k| k == o.kind))
        .collect();
    let range = paging.range(people.len() + queues.len() + others.len());
    // The page is the people in range, then the queues, then the other extensions.
    let p = people.len();
    let pq = p + queues.len();
    let records: Vec<Extension> = people[range.start.min(p)..range.end.min(p)]
        .iter()
        .map(|person| Extension {
            id: id(&person.id),
            extension_number: &person.extension,
            name: person.full_name(),
            kind: "User",
            status: &person.status,
            contact: Some(Contact {
                first_name: &person.first_name,
                last_name: &person.last_name,
                email: &person.email,
            }),
        })
        .chain(
            queues[range.start.clamp(p, pq) - p..range.end.clamp(p, pq) - p]
                .iter()
                .map(|q| Extension {
                    id: id(&q.id),
                    extension_number: &q.extension,
                    name: q.name.clone(),
                    kind: "Department",
                    status: "Enabled",
                    contact: None,
                }),
        )
        .chain(
            others[range.start.max(pq) - pq..range.end.max(pq) - pq]
                .iter()
                .map(|o| Extension {
                    id: id(&o.id),
                    extension_number: &o.extension,
                    name: o.name.clone(),
                    kind: &o.kind,
                    status: "Enabled",
                    contact: None,
                }),
        )
        .collect();
    let filter = filter.map(|k| format!("type={k}&")).unwrap_or_default();
    paging.answer(&headers, "/extension", &filter, records)
}

async fn call_queues(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mut paging = match admit(&sim, &headers, &query) {
        Ok(p) => p,
        Err(refused) => return *refused,
    };
    let d = sim.directory.lock().unwrap();
    let records: Vec<Value> = d.queues[paging.range(d.queues.len())]
        .iter()
        .map(|q| json!({"id": q.id, "name": q.name, "extensionNumber": q.extension}))
        .collect();
    paging.answer(&headers, "/call-queues", "", records)
}

async fn members(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Path(queue_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mut paging = match admit(&sim, &headers, &query) {
        Ok(p) => p,
        Err(refused) => return *refused,
    };
    let d = sim.directory.lock().unwrap();
    let found = d.queues.iter().find(|q| q.id == queue_id);
    let Some(queue) = found.filter(|_| !sim.vanished(&queue_id)) else {
        let message = "Resource for parameter [groupId] is not found";
        return error(StatusCode::NOT_FOUND, "CMN-102", message);
    };
    let ids = &queue.members[paging.range(queue.members.len())];
    // One pass over the people per page, not one per member.
    let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
    let people: HashMap<&str, &Person> = (d.people.iter())
        .filter(|p| wanted.contains(p.id.as_str()))
        .map(|p| (p.id.as_str(), p))
        .collect();
    let records: Vec<Member> = ids
        .iter()
        .map(|member| {
            let person = people.get(member.as_str());
            Member {
                id: id(member),
                extension_number: person.map_or("", |p| &p.extension),
                name: person.map(|p| p.full_name()).unwrap_or_default(),
            }
        })
        .collect();
    paging.answer(
        &headers,
        &format!("/call-queues/{queue_id}/members"),
        "",
        records,
    )
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Extension<'a> {
    id: Id<'a>,
    #[serde(skip_serializing_if = "str::is_empty")]
    extension_number: &'a str,
    name: String,
    #[serde(rename = "type")]
    kind: &'a str,
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    contact: Option<Contact<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Contact<'a> {
    first_name: &'a str,
    last_name: &'a str,
    email: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Member<'a> {
    id: Id<'a>,
    #[serde(skip_serializing_if = "str::is_empty")]
    extension_number: &'a str,
    name: String,
}

/// RingCentral's int64 ids are JSON numbers; a non-numeric test id stays text.
#[derive(Serialize)]
#[serde(untagged)]
enum Id<'a> {
    Number(i64),
    Text(&'a str),
}

fn id(s: &str) -> Id<'_> {
    s.parse().map_or(Id::Text(s), Id::Number)
}

#[derive(Serialize)]
struct ListBody<T> {
    uri: String,
    records: Vec<T>,
    paging: Value,
    navigation: Value,
}

/// `page` (from 1) and `perPage` of a list request.
struct Paging {
    page: usize,
    per_page: usize,
    /// Filled in by `range`: the list's length.
    total: usize,
}

impl Paging {
    fn from(query: &HashMap<String, String>) -> Result<Paging, Box<Response>> {
        let number = |name: &str, default: usize, max: usize| {
            let Some(v) = query.get(name) else {
                return Ok(default);
            };
            v.parse()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    let message = format!("Parameter [{name}] value is invalid.");
                    let body = json!({"errors": [{"errorCode": "CMN-101", "message": message,
                                                  "parameterName": name}]});
                    Box::new((StatusCode::BAD_REQUEST, Json(body)).into_response())
                })
        };
        Ok(Paging {
            page: number("page", 1, u32::MAX as usize)?,
            per_page: number("perPage", DEFAULT_PER_PAGE, MAX_PER_PAGE)?,
            total: 0,
        })
    }

    /// The indexes of this page in a list of `total` (empty past the end).
    fn range(&mut self, total: usize) -> Range<usize> {
        self.total = total;
        let start = (self.page - 1).saturating_mul(self.per_page).min(total);
        start..start.saturating_add(self.per_page).min(total)
    }

    /// The list envelope: `records`, `paging`, and `navigation` with a `nextPage`
    /// only when there is one.
    fn answer<T: Serialize>(
        &self,
        headers: &HeaderMap,
        path: &str,
        filter: &str,
        records: Vec<T>,
    ) -> Response {
        let pages = self.total.div_ceil(self.per_page).max(1);
        let base = format!("{}{ACCOUNT}{path}", origin(headers));
        let uri = |page: usize| format!("{base}?{filter}page={page}&perPage={}", self.per_page);
        let link = |page: usize| json!({ "uri": uri(page) });
        let mut navigation = json!({"firstPage": link(1), "lastPage": link(pages)});
        if self.page < pages {
            navigation["nextPage"] = link(self.page + 1);
        }
        if self.page > 1 {
            navigation["previousPage"] = link((self.page - 1).min(pages));
        }
        let mut paging = json!({"page": self.page, "perPage": self.per_page,
                                "totalPages": pages, "totalElements": self.total});
        if !records.is_empty() {
            let start = (self.page - 1) * self.per_page;
            paging["pageStart"] = json!(start);
            paging["pageEnd"] = json!(start + records.len() - 1);
        }
        Json(ListBody {
            uri: uri(self.page),
            records,
            paging,
            navigation,
        })
        .into_response()
    }
}

/// The gate, then the paging parameters, of a list request: its paging, or the
/// answer that refuses it.
fn admit(
    sim: &Sim,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Result<Paging, Box<Response>> {
    match gate(sim, headers) {
        Some(refused) => Err(Box::new(refused)),
        None => Paging::from(query),
    }
}

/// Applies the sim's gate to a data request: `None` to serve it, else the refusal in
/// RingCentral's format.
fn gate(sim: &Sim, headers: &HeaderMap) -> Option<Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        // The sim treats an empty token as "checked by the module": it is not one here.
        .filter(|t| !t.is_empty());
    Some(match sim.gate(token) {
        Gate::Serve => return None,
        Gate::Unauthorized => {
            let forced = sim.faults.lock().unwrap().unauthorized_code;
            let code = match (forced, token) {
                (Some(code), _) => code,
                (None, None) => "OAU-134",
                (None, Some(t)) if sim.issued(t) => "OAU-128",
                (None, Some(_)) => "OAU-213",
            };
            let message = match code {
                "OAU-134" => "Invalid Authorization header.",
                "OAU-128" => "Access token expired.",
                "OAU-129" => "Access token corrupted.",
                "OAU-149" => "Unparsable access token",
                "OAU-213" => "Token not found",
                _ => "Unauthorized",
            };
            error(StatusCode::UNAUTHORIZED, code, message)
        }
        Gate::RateLimited(secs) => {
            let body =
                json!({"errors": [{"errorCode": "CMN-301", "message": "Request rate exceeded"}]});
            (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, secs.to_string())],
                Json(body),
            )
                .into_response()
        }
        Gate::ServerError => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "CMN-201",
            "Service Temporary Unavailable",
        ),
        Gate::Hostile(kind) => crate::hostile(kind, "application/json"),
        // Cut off mid-record, as a dropped proxy connection would leave it.
        Gate::Malformed => (
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"uri":"/restapi/v1.0/account/~","records":[{"id":1001,"name":"Ada Ab"#,
        )
            .into_response(),
    })
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"errors": [{"errorCode": code, "message": message}]})),
    )
        .into_response()
}

/// `http://host:port`, for the absolute URIs RingCentral puts in its answers.
fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}
