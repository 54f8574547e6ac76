//! The one typed client of `/api/v1`. Pages call these functions; they never build a
//! URL or parse JSON themselves.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use alc_domain::access::{
    AuditPage, AuditQuery, Credentials, NewUser, PasswordChange, PasswordReset, SessionInfo,
    SessionsEnded, SetupStatus, UserAccount, UserChange, UserId,
};
use alc_domain::api::{
    AgentDetail, AgentSaved, Availability, AvailabilityQuery, CreateAgent, ExtensionSuggestion,
    UpdateAgent,
};
use alc_domain::connection::DirectoryConnection;
use alc_domain::directory::{DirectorySummary, RefreshStatus};
use alc_domain::{
    AgentId, AgentPage, AgentQuery, ErrorBody, ErrorCode, ExtensionRanges, LicenseChangeBatch,
    LicenseChangeResult, LicenseSummary, Purchases, Version,
};
use futures::FutureExt;
use futures::future::{LocalBoxFuture, Shared};
use send_wrapper::SendWrapper;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, AbortSignal, Headers, Request, RequestInit, Response};

/// What a request sends: JSON, or a file as it is (a CSV import).
#[derive(Clone)]
enum Payload {
    Json(String),
    Csv(web_sys::Blob),
}

/// Every way a call can fail, so that every page can say the same things.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// The server could not be reached.
    Network(String),
    /// The server refused, with its `{code, message, fields}` body.
    Server { status: u16, body: ErrorBody },
    /// The answer was not what this app understands (a version mismatch, a proxy page).
    Decode(String),
    /// The call was cancelled because its page went away or a newer call replaced it.
    Aborted,
}

impl ApiError {
    /// The server's error code (`refresh_running`, `stale_agent`, ...).
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ApiError::Server { body, .. } => Some(body.code),
            _ => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Server { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Network(_) => f.write_str(
                "The server could not be reached. Check your connection and try again.",
            ),
            ApiError::Server { body, .. } => f.write_str(&body.message),
            ApiError::Decode(_) => f.write_str(
                "The server's answer could not be read. Reload the page; if it persists, the console and server versions may differ.",
            ),
            ApiError::Aborted => f.write_str("The request was cancelled."),
        }
    }
}

impl std::error::Error for ApiError {}

type Hook = Arc<dyn Fn() + Send + Sync>;
type ErrorHook = Arc<dyn Fn(&ApiError) + Send + Sync>;

/// Asks the host page for a new token (its `fetchToken`): `None` when it has none.
pub type Renew = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Option<String>>>> + Send + Sync>;

/// A renewal of the token in flight (a new token, or none), awaited by every call it
/// refused.
type Renewal = Shared<LocalBoxFuture<'static, Option<String>>>;

/// The host page's bearer token (embedded use), shared by every clone of the [`Api`]
/// and read at each call: [`Bearer::set`] takes effect at the next call, with nothing
/// remounted. On a 401 it asks the host once for a new one ([`Bearer::on_renew`]).
#[derive(Clone)]
pub struct Bearer {
    token: Arc<RwLock<Option<String>>>,
    renew: Arc<RwLock<Option<Renew>>>,
    /// The renewal in flight: calls refused at the same time wait for the same one.
    renewing: Arc<SendWrapper<RefCell<Option<Renewal>>>>,
    /// The token the host had nothing to replace with: refused again, it is not asked
    /// again (until a new token is set).
    gave_up: Arc<RwLock<Option<String>>>,
    /// Called after [`Bearer::set`] (the shell signs back in after "Session ended").
    on_set: Arc<RwLock<Option<Hook>>>,
}

impl Default for Bearer {
    fn default() -> Self {
        Bearer {
            token: Arc::default(),
            renew: Arc::default(),
            renewing: Arc::new(SendWrapper::new(RefCell::new(None))),
            gave_up: Arc::default(),
            on_set: Arc::default(),
        }
    }
}

impl fmt::Debug for Bearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Bearer(..)")
    }
}

/// Two handles are equal when they share one token.
impl PartialEq for Bearer {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.token, &other.token)
    }
}

impl Bearer {
    /// The token calls carry now (`None`: the session cookie).
    pub fn get(&self) -> Option<String> {
        self.token.read().ok().and_then(|t| t.clone())
    }

    /// A new token for the next calls (empty: none).
    pub fn set(&self, token: Option<String>) {
        if let Ok(mut t) = self.token.write() {
            *t = token.filter(|t| !t.is_empty());
        }
        if let Some(f) = self.on_set.read().ok().and_then(|h| h.clone()) {
            f();
        }
    }

    /// What to ask for a new token when the server refuses the current one.
    pub fn on_renew(&self, renew: Option<Renew>) {
        if let Ok(mut r) = self.renew.write() {
            *r = renew;
        }
    }

    /// What to do after [`Bearer::set`].
    pub fn on_set(&self, f: impl Fn() + Send + Sync + 'static) {
        if let Ok(mut h) = self.on_set.write() {
            *h = Some(Arc::new(f));
        }
    }

    /// A token to retry with after `refused` was refused (401): the current one if it
    /// changed meanwhile (the host set one, or another call renewed it), else the
    /// host's answer to one `fetchToken` shared by every call refused meanwhile.
    async fn renewed(&self, refused: &str) -> Option<String> {
        if let Some(now) = self.get().filter(|t| t != refused) {
            return Some(now);
        }
        if self
            .gave_up
            .read()
            .ok()
            .is_some_and(|g| g.as_deref() == Some(refused))
        {
            return None;
        }
        let pending = self.renewing.borrow().clone();
        let pending = match pending {
            Some(p) => p,
            None => {
                let renew = self.renew.read().ok().and_then(|r| r.clone())?;
                let this = self.clone();
                let refused = refused.to_string();
                let fut: LocalBoxFuture<'static, Option<String>> = async move {
                    let token = renew().await.filter(|t| !t.is_empty());
                    match &token {
                        Some(_) => {
                            if let Ok(mut t) = this.token.write() {
                                *t = token.clone();
                            }
                        }
                        None => {
                            if let Ok(mut g) = this.gave_up.write() {
                                *g = Some(refused);
                            }
                        }
                    }
                    this.renewing.borrow_mut().take();
                    token
                }
                .boxed_local();
                let shared = fut.shared();
                *self.renewing.borrow_mut() = Some(shared.clone());
                shared
            }
        };
        pending.await
    }
}

/// Where the API lives and how calls prove who is calling. Provided as context by the
/// app shell (an embedding host can point it elsewhere and pass a bearer token).
#[derive(Clone)]
pub struct Api {
    base: Arc<str>,
    /// The host page's bearer token (embedded use); without one, the session cookie.
    bearer: Bearer,
    /// The session's anti-forgery token, sent with every state-changing call made on
    /// the cookie.
    csrf: Arc<RwLock<Option<String>>>,
    /// Called when the server answers 401: the session is gone.
    on_unauthorized: Arc<RwLock<Option<Hook>>>,
    /// Called with every failed call but a cancelled one or a 401.
    on_error: Arc<RwLock<Option<ErrorHook>>>,
    /// Calls under way (the shell's `alc-ready` waits for the first screen's).
    inflight: Arc<AtomicUsize>,
    /// GETs started ahead of the page that will make them ([`Api::warm`]).
    warm: Arc<SendWrapper<RefCell<Vec<Warm>>>>,
}

/// A GET started ahead: its path, when it started (ms since the epoch), the token it
/// carries (a refusal is renewed from that one), and the browser's `fetch()` of it
/// (its answer is read when the call is made).
struct Warm {
    path: String,
    started: f64,
    token: Option<String>,
    response: Result<js_sys::Promise, ApiError>,
}

/// How long a warm answer stays good for the page that asks for it.
const WARM_MS: f64 = 10_000.0;

/// Counts one call under way for as long as it lives (an abandoned call too).
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn new(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        InFlight(count.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl fmt::Debug for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Api")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Default for Api {
    fn default() -> Self {
        Api::new("/api/v1")
    }
}

/// Cancels the requests it was handed to. A page aborts its calls when it goes away or
/// when a newer call replaces them, so that no work is left behind.
#[derive(Clone)]
pub struct Abort(Option<AbortController>);

impl Abort {
    pub fn new() -> Self {
        Abort(AbortController::new().ok())
    }

    pub fn abort(&self) {
        if let Some(c) = &self.0 {
            c.abort();
        }
    }

    fn signal(&self) -> Option<AbortSignal> {
        self.0.as_ref().map(|c| c.signal())
    }

    pub fn is_aborted(&self) -> bool {
        self.signal().is_some_and(|s| s.aborted())
    }
}

/// Waits `ms` milliseconds (for polling).
pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

impl Default for Abort {
    fn default() -> Self {
        Self::new()
    }
}

impl Api {
    pub fn new(base: &str) -> Self {
        Api {
            base: base.trim_end_matches('/').into(),
            bearer: Bearer::default(),
            csrf: Arc::default(),
            on_unauthorized: Arc::default(),
            on_error: Arc::default(),
            inflight: Arc::default(),
            warm: Arc::new(SendWrapper::new(RefCell::new(Vec::new()))),
        }
    }

    /// Starts the first screen's two list calls now, beside the session check rather
    /// than after it (issue 13): the list asks for the same paths and gets these
    /// answers. Signed out, they are refused and never used.
    pub fn warm_list(&self, query: &AgentQuery) {
        self.warm("/licenses".to_string());
        if let Ok(path) = agents_path(query) {
            self.warm(path);
        }
    }

    /// Sends GET `path` now; the first call for the same path within [`WARM_MS`]
    /// takes its answer instead of sending its own. Any other call (a sign-in, a save)
    /// drops what was not taken: it may change the answers.
    fn warm(&self, path: String) {
        let token = self.bearer.get();
        let response = self.start("GET", &path, None, &Abort::new(), token.as_deref());
        self.warm.borrow_mut().push(Warm {
            path,
            started: js_sys::Date::now(),
            token,
            response,
        });
    }

    /// The warm answer for a call, if one was started for it and is fresh.
    fn take_warm(&self, method: &str, path: &str) -> Option<Warm> {
        let mut warm = self.warm.borrow_mut();
        if method != "GET" {
            warm.clear();
            return None;
        }
        let now = js_sys::Date::now();
        warm.retain(|w| now - w.started < WARM_MS);
        let at = warm.iter().position(|w| w.path == path)?;
        Some(warm.remove(at))
    }

    /// Whether any call is under way.
    pub fn busy(&self) -> bool {
        self.inflight.load(Ordering::Relaxed) > 0
    }

    /// Calls carry `Authorization: Bearer <token>` (a host page's token).
    pub fn with_token(self, token: Option<String>) -> Self {
        self.bearer.set(token);
        self
    }

    /// Calls read their token from `bearer` (shared with the host's handle, which can
    /// change it at any time).
    pub fn with_bearer(mut self, bearer: Bearer) -> Self {
        self.bearer = bearer;
        self
    }

    pub fn bearer(&self) -> &Bearer {
        &self.bearer
    }

    /// What to do with a call's failure (the embedded console reports it to its host).
    pub fn on_error(&self, f: impl Fn(&ApiError) + Send + Sync + 'static) {
        if let Ok(mut h) = self.on_error.write() {
            *h = Some(Arc::new(f));
        }
    }

    /// Remembers the session's anti-forgery token (from sign-in or the session).
    pub fn set_csrf(&self, token: Option<String>) {
        if let Ok(mut c) = self.csrf.write() {
            *c = token;
        }
    }

    /// What to do when the server says the session is gone (401).
    pub fn on_unauthorized(&self, f: impl Fn() + Send + Sync + 'static) {
        if let Ok(mut h) = self.on_unauthorized.write() {
            *h = Some(Arc::new(f));
        }
    }

    pub async fn licenses(&self, abort: &Abort) -> Result<LicenseSummary, ApiError> {
        self.call("GET", "/licenses", None, abort).await
    }

    pub async fn agents(&self, query: &AgentQuery, abort: &Abort) -> Result<AgentPage, ApiError> {
        self.call("GET", &agents_path(query)?, None, abort).await
    }

    /// Every agent `query` admits, over all its pages: "select all N matching".
    pub async fn selection(
        &self,
        query: &AgentQuery,
        abort: &Abort,
    ) -> Result<alc_domain::api::AgentSelection, ApiError> {
        let query = AgentQuery {
            q: query.search(),
            page: None,
            per_page: None,
            ..query.clone()
        };
        self.call(
            "GET",
            &with_query("/agents/selection", &query)?,
            None,
            abort,
        )
        .await
    }

    /// The agents `query` admits, every page of them, as CSV (`GET /agents/export`).
    pub async fn export_csv(&self, query: &AgentQuery, abort: &Abort) -> Result<String, ApiError> {
        let query = AgentQuery {
            q: query.search(),
            page: None,
            per_page: None,
            ..query.clone()
        };
        self.fetch("GET", &with_query("/agents/export", &query)?, None, abort)
            .await
    }

    /// The import's template: its header and an example row.
    pub async fn import_template(&self, abort: &Abort) -> Result<String, ApiError> {
        self.fetch("GET", "/agents/import-template", None, abort)
            .await
    }

    /// A CSV file's preview, or (with `q.apply`) the file applied.
    pub async fn import_csv(
        &self,
        file: &web_sys::Blob,
        q: &alc_domain::import::ImportQuery,
        abort: &Abort,
    ) -> Result<alc_domain::import::ImportPreview, ApiError> {
        let path = with_query("/agents/import", q)?;
        let text = self
            .fetch("POST", &path, Some(Payload::Csv(file.clone())), abort)
            .await?;
        serde_json::from_str(&text).map_err(|e| ApiError::Decode(e.to_string()))
    }

    pub async fn save_license_changes(
        &self,
        batch: &LicenseChangeBatch,
        abort: &Abort,
    ) -> Result<LicenseChangeResult, ApiError> {
        let body = serde_json::to_string(batch).map_err(|e| ApiError::Decode(e.to_string()))?;
        self.call("POST", "/license-changes", Some(body), abort)
            .await
    }

    pub async fn agent(&self, id: AgentId, abort: &Abort) -> Result<AgentDetail, ApiError> {
        self.call("GET", &format!("/agents/{id}"), None, abort)
            .await
    }

    pub async fn create_agent(
        &self,
        req: &CreateAgent,
        abort: &Abort,
    ) -> Result<AgentSaved, ApiError> {
        self.call("POST", "/agents", Some(to_json(req)?), abort)
            .await
    }

    pub async fn update_agent(
        &self,
        id: AgentId,
        req: &UpdateAgent,
        abort: &Abort,
    ) -> Result<AgentSaved, ApiError> {
        self.call("PUT", &format!("/agents/{id}"), Some(to_json(req)?), abort)
            .await
    }

    pub async fn remove_agent(
        &self,
        id: AgentId,
        version: Version,
        abort: &Abort,
    ) -> Result<AgentSaved, ApiError> {
        let path = with_query(
            &format!("/agents/{id}"),
            &alc_domain::api::RemoveQuery { version },
        )?;
        self.call("DELETE", &path, None, abort).await
    }

    pub async fn availability(
        &self,
        q: &AvailabilityQuery,
        abort: &Abort,
    ) -> Result<Availability, ApiError> {
        self.call("GET", &with_query("/agents/availability", q)?, None, abort)
            .await
    }

    pub async fn next_extension(&self, abort: &Abort) -> Result<ExtensionSuggestion, ApiError> {
        self.call("GET", "/agents/next-extension", None, abort)
            .await
    }

    pub async fn extension_ranges(&self, abort: &Abort) -> Result<ExtensionRanges, ApiError> {
        self.call("GET", "/settings/extension-ranges", None, abort)
            .await
    }

    /// Who is signed in (401 when nobody is).
    pub async fn session(&self, abort: &Abort) -> Result<SessionInfo, ApiError> {
        self.call("GET", "/auth/session", None, abort).await
    }

    pub async fn sign_in(
        &self,
        creds: &Credentials,
        abort: &Abort,
    ) -> Result<SessionInfo, ApiError> {
        self.call("POST", "/auth/sign-in", Some(to_json(creds)?), abort)
            .await
    }

    pub async fn sign_out(&self, abort: &Abort) -> Result<(), ApiError> {
        self.call::<serde::de::IgnoredAny>("POST", "/auth/sign-out", None, abort)
            .await
            .map(|_| ())
    }

    /// Whether anyone can sign in yet (public: the sign-in page of a new installation
    /// says who creates the first admin).
    pub async fn setup(&self, abort: &Abort) -> Result<SetupStatus, ApiError> {
        self.call("GET", "/auth/setup", None, abort).await
    }

    /// Changes the signed-in user's own password. The same session goes on (the answer
    /// is its new state); the user's other sessions end.
    pub async fn change_password(
        &self,
        change: &PasswordChange,
        abort: &Abort,
    ) -> Result<SessionInfo, ApiError> {
        self.call("POST", "/me/password", Some(to_json(change)?), abort)
            .await
    }

    /// The console's users, sorted by name (admins).
    pub async fn users(&self, abort: &Abort) -> Result<Vec<UserAccount>, ApiError> {
        self.call("GET", "/users", None, abort).await
    }

    pub async fn add_user(&self, user: &NewUser, abort: &Abort) -> Result<UserAccount, ApiError> {
        self.call("POST", "/users", Some(to_json(user)?), abort)
            .await
    }

    /// A new role, or disable / enable (admins).
    pub async fn change_user(
        &self,
        id: UserId,
        change: &UserChange,
        abort: &Abort,
    ) -> Result<UserAccount, ApiError> {
        self.call(
            "PATCH",
            &format!("/users/{id}"),
            Some(to_json(change)?),
            abort,
        )
        .await
    }

    /// Sets a new initial password: the user's sessions end and they choose their own
    /// at the next sign-in (admins).
    pub async fn reset_password(
        &self,
        id: UserId,
        reset: &PasswordReset,
        abort: &Abort,
    ) -> Result<UserAccount, ApiError> {
        self.call(
            "POST",
            &format!("/users/{id}/password"),
            Some(to_json(reset)?),
            abort,
        )
        .await
    }

    /// Signs the user out everywhere (admins).
    pub async fn end_sessions(&self, id: UserId, abort: &Abort) -> Result<SessionsEnded, ApiError> {
        self.call("DELETE", &format!("/users/{id}/sessions"), None, abort)
            .await
    }

    pub async fn audit(&self, q: &AuditQuery, abort: &Abort) -> Result<AuditPage, ApiError> {
        // Blank filters are left out; the page is always sent.
        let filter = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(String::from)
        };
        let query = AuditQuery {
            agent_id: q.agent_id,
            actor: filter(&q.actor),
            kind: q.kind,
            from: filter(&q.from),
            to: filter(&q.to),
            page: Some(q.page()),
        };
        self.call("GET", &with_query("/audit", &query)?, None, abort)
            .await
    }

    pub async fn set_purchases(
        &self,
        p: &Purchases,
        abort: &Abort,
    ) -> Result<LicenseSummary, ApiError> {
        self.call("PUT", "/settings/purchases", Some(to_json(p)?), abort)
            .await
    }

    pub async fn set_extension_ranges(
        &self,
        r: &ExtensionRanges,
        abort: &Abort,
    ) -> Result<ExtensionRanges, ApiError> {
        self.call(
            "PUT",
            "/settings/extension-ranges",
            Some(to_json(r)?),
            abort,
        )
        .await
    }

    /// Connects a directory (the credentials go to the server and never come back).
    pub async fn set_directory(
        &self,
        connection: &DirectoryConnection,
        abort: &Abort,
    ) -> Result<DirectorySummary, ApiError> {
        self.call("PUT", "/directory", Some(to_json(connection)?), abort)
            .await
    }

    pub async fn directory(&self, abort: &Abort) -> Result<DirectorySummary, ApiError> {
        self.call("GET", "/directory", None, abort).await
    }

    pub async fn refresh_status(&self, abort: &Abort) -> Result<RefreshStatus, ApiError> {
        self.call("GET", "/directory/refresh", None, abort).await
    }

    /// Starts "Refresh Users and Groups"; poll [`Api::refresh_status`] for its end.
    pub async fn start_refresh(&self, abort: &Abort) -> Result<RefreshStatus, ApiError> {
        self.call("POST", "/directory/refresh", None, abort).await
    }

    /// One call, its answer read as `T`. Only this thin part is generic: the request
    /// itself ([`Api::fetch`]) is one piece of code for every type, which keeps the
    /// page's wasm small.
    async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
        abort: &Abort,
    ) -> Result<T, ApiError> {
        let text = self
            .fetch(method, path, body.map(Payload::Json), abort)
            .await?;
        // 204 No Content has no body: read it as `null`.
        let text = if text.is_empty() { "null" } else { &text };
        serde_json::from_str(text).map_err(|e| ApiError::Decode(e.to_string()))
    }

    /// Sends a request and answers the body of a 2xx, or the error. A bearer call
    /// refused with 401 is sent once more with a renewed token, if the host gives one;
    /// only then is the session over.
    async fn fetch(
        &self,
        method: &str,
        path: &str,
        body: Option<Payload>,
        abort: &Abort,
    ) -> Result<String, ApiError> {
        let _counted = InFlight::new(&self.inflight);
        let (token, mut result) = match self.take_warm(method, path) {
            Some(warm) => (warm.token, answer(warm.response).await),
            None => {
                let token = self.bearer.get();
                let started = self.start(method, path, body.as_ref(), abort, token.as_deref());
                (token, answer(started).await)
            }
        };
        if let (Some(refused), Err(ApiError::Server { status: 401, .. })) = (&token, &result)
            && let Some(renewed) = self.bearer.renewed(refused).await
        {
            result = answer(self.start(method, path, body.as_ref(), abort, Some(&renewed))).await;
        }
        match &result {
            Err(ApiError::Server { status: 401, .. }) => {
                if let Some(f) = self.on_unauthorized.read().ok().and_then(|h| h.clone()) {
                    f();
                }
            }
            Err(ApiError::Aborted) | Ok(_) => {}
            Err(e) => {
                if let Some(f) = self.on_error.read().ok().and_then(|h| h.clone()) {
                    f(e);
                }
            }
        }
        result
    }

    /// Hands one request, with `token` or else the cookie (and its CSRF token), to the
    /// browser's `fetch()`: its pending response, read by [`answer`].
    fn start(
        &self,
        method: &str,
        path: &str,
        body: Option<&Payload>,
        abort: &Abort,
        token: Option<&str>,
    ) -> Result<js_sys::Promise, ApiError> {
        let init = RequestInit::new();
        init.set_method(method);
        init.set_signal(abort.signal().as_ref());
        let headers = Headers::new().map_err(|e| ApiError::Network(describe(&e)))?;
        let _ = headers.set("Accept", "application/json");
        if let Some(token) = token {
            let _ = headers.set("Authorization", &format!("Bearer {token}"));
        } else if method != "GET"
            && let Some(csrf) = self.csrf.read().ok().and_then(|c| c.clone())
        {
            let _ = headers.set("X-CSRF-Token", &csrf);
        }
        match body {
            Some(Payload::Json(body)) => {
                let _ = headers.set("Content-Type", "application/json");
                init.set_body(&JsValue::from_str(body));
            }
            Some(Payload::Csv(file)) => {
                let _ = headers.set("Content-Type", "text/csv");
                init.set_body(file);
            }
            None => {}
        }
        init.set_headers(&headers);
        let request = Request::new_with_str_and_init(&format!("{}{path}", self.base), &init)
            .map_err(|e| ApiError::Network(describe(&e)))?;
        let window = web_sys::window().ok_or_else(|| ApiError::Network("no window".into()))?;
        Ok(window.fetch_with_request(&request))
    }
}

/// The body of a 2xx answer to a request [`Api::start`]ed, or the error (that of the
/// start too, when the request could not be made).
async fn answer(started: Result<js_sys::Promise, ApiError>) -> Result<String, ApiError> {
    let response = JsFuture::from(started?).await.map_err(network_or_abort)?;
    let response: Response = response
        .dyn_into()
        .map_err(|e| ApiError::Decode(describe(&e)))?;
    let text = JsFuture::from(
        response
            .text()
            .map_err(|e| ApiError::Decode(describe(&e)))?,
    )
    .await
    .map_err(network_or_abort)?
    .as_string()
    .unwrap_or_default();
    if response.ok() {
        return Ok(text);
    }
    let status = response.status();
    // A body with a code this app does not know (a newer server) keeps its message.
    #[derive(serde::Deserialize)]
    struct MessageOnly {
        message: String,
    }
    let body = serde_json::from_str::<ErrorBody>(&text).unwrap_or_else(|_| ErrorBody {
        code: ErrorCode::HttpError,
        message: serde_json::from_str::<MessageOnly>(&text)
            .map(|m| m.message)
            .unwrap_or_else(|_| {
                format!("The server answered {status} {}.", response.status_text())
            }),
        fields: vec![],
    });
    Err(ApiError::Server { status, body })
}

/// `/agents?…` for a page of agents: the page and its size as the server will use
/// them, the search trimmed, the filters and order as they are.
fn agents_path(query: &AgentQuery) -> Result<String, ApiError> {
    let query = AgentQuery {
        q: query.search(),
        page: Some(query.page()),
        per_page: Some(query.per_page()),
        ..query.clone()
    };
    with_query("/agents", &query)
}

/// `path?query`, the query serialized from the same struct the server deserializes it
/// into (`serde_urlencoded`, as axum's `Query` reads it), so a renamed field cannot
/// drift and every value is escaped.
fn with_query(path: &str, query: &impl serde::Serialize) -> Result<String, ApiError> {
    let query = serde_urlencoded::to_string(query).map_err(|e| ApiError::Decode(e.to_string()))?;
    Ok(if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    })
}

fn to_json(value: &impl serde::Serialize) -> Result<String, ApiError> {
    serde_json::to_string(value).map_err(|e| ApiError::Decode(e.to_string()))
}

fn network_or_abort(e: JsValue) -> ApiError {
    let name = js_sys::Reflect::get(&e, &"name".into())
        .ok()
        .and_then(|n| n.as_string());
    if name.as_deref() == Some("AbortError") {
        ApiError::Aborted
    } else {
        ApiError::Network(describe(&e))
    }
}

fn describe(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| format!("{e:?}"))
}
