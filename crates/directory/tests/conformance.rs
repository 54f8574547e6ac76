//! Conformance: the real connectors against answers shaped exactly like the vendors'
//! published samples and schemas (not like our fakes), served as recorded exchanges by
//! `alc_directory_sim::recorded`, which also refuses any request that does not send
//! the right `Accept` header.
//!
//! The fixtures are under `tests/fixtures/`. Their shapes (field names, nesting, value
//! types, which fields are present or left out) follow the sources below; the values
//! (names, ids, tokens) are ours.
//!
//! RingCentral (ringcentral/ringcentral-api-docs):
//! - `token.json`, `token-2.json`: `docs/authentication/jwt-flow.md`, "Technical
//!   discussion", Sample Response (the request's headers, `Accept: application/json`
//!   included, from its Sample Request).
//! - `token-error-oau-140.json`: `docs/basics/errors.md`, "OAuth token errors" (OAuth's
//!   `error`/`error_description` "complemented with RingCentral-specific error codes")
//!   and "Authentication/authorization error codes" (OAU-140); the `errors` array as in
//!   `code-samples/basics/sample-error.json`.
//! - `account.json`, `account-aco.json`: `docs/account/index.md`, "How do I retrieve
//!   account data?" (the ACO one with brand id 6010, docs/UC-DIRECTORIES.md).
//! - `extensions.json`: `docs/account/extensions.md`, "Get a list of extensions": a
//!   `User` and an `Announcement` (no `status`) on one page without `nextPage`.
//! - `user-object.json`: `code-samples/account/user-object.json` (a `NotActivated` user).
//! - `extensions-mixed-page-{1,2}.json`: the `listExtensions` response schema of
//!   `specs/ringcentral_openapi3.json` (`records`, `paging`, `navigation`; the `type`
//!   and `status` enums), records shaped like the two above; page 2 holds the user
//!   object.
//! - `call-queues.json`: `docs/voice/call-routing/manual/call-queues.md`, "Read Call
//!   Queue List" (string ids), with the `paging`/`navigation` the sample elides filled
//!   in from the `listCallQueues` schema (where all four are required).
//! - `call-queue-members.json`: the same document, "Read Call Queue members" (integer
//!   ids, no names), `paging`/`navigation` from the `listCallQueueMembers` schema.
//! - `error-*.json`: `code-samples/basics/sample-error.json` for the shape; codes and
//!   messages from `docs/basics/errors.md` (OAU-128, OAU-129, CMN-102, CMN-301,
//!   CMN-402) and, for OAU-213 "Token not found", which errors.md does not list, the
//!   specification's `x-error-codes`.
//!
//! Netsapiens (the ns-api v2 specification as published in spectrumvoip/
//! netsapiens-openapi-php, a client generated from it; it publishes no example
//! bodies, so these follow its models):
//! - `token.json`: `docs/Model/AccessToken.md` (`POST /tokens`,
//!   `docs/Api/AuthenticationAccessTokenOauthUsernamePasswordApi.md`).
//! - `users.json`: `docs/Model/User.md` (wire names from `lib/Model/User.php`'s
//!   attribute map: `name-first-name`, `email-address`, `service-code`, ...), for
//!   `GET /domains/{domain}/users` (`docs/Api/UsersApi.md`, `searchUsers`: no paging
//!   parameters); `users-count.json`: `docs/Model/Count.md` (`countUsers`).
//! - `callqueues.json`: `docs/Model/CallQueue.md` (`readCallqueues`).
//! - `agents-2000.json`: `docs/Model/Agent.md` (`readAgents`), a user agent
//!   (`user@domain`) and an off-net one.
//! - `error-*.json`: `docs/Model/ErrorResponse.md` (`code`, `message`).
//!
//! Metaswitch: no public schema exists (see the connector's `# Unverified` section), so
//! it has no conformance fixtures; its fake is the only reference it is tested against.

use std::sync::Arc;

use alc_directory::netsapiens::{self, Netsapiens};
use alc_directory::ringcentral::{Brand, RingCentral, Settings};
use alc_directory::{
    Connector, DirGroup, DirUser, DirectoryError, Egress, Http, Policy, Progress, Secret, Snapshot,
};
use alc_directory_sim::basic_auth;
use alc_directory_sim::recorded::{self, Exchange, Recorded};

const JSON: &str = "application/json";
const RC: &str = "/restapi/v1.0/account/~";

fn fixture(path: &str) -> String {
    let file = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn http() -> Http {
    Http::new(
        Policy::quick(),
        Arc::new(Progress::default()),
        Arc::new(Egress::loopback()),
    )
    .expect("client")
}

fn rc(path: &str) -> String {
    fixture(&format!("ringcentral/{path}"))
}

fn rc_settings(base_url: String) -> Settings {
    Settings {
        base_url,
        client_id: "fixture-client".into(),
        client_secret: Secret("fixture-client-secret".into()),
        jwt: Secret("fixture-jwt".into()),
    }
}

fn token() -> Exchange {
    Exchange::new("POST", "/restapi/oauth/token", rc("token.json"))
}

/// The published samples of a whole run: sign-in, account, extensions, queues, members.
fn rc_run(account: &str) -> Vec<Exchange> {
    vec![
        token(),
        Exchange::new("GET", RC, rc(account)),
        Exchange::new("GET", &format!("{RC}/extension"), rc("extensions.json")),
        Exchange::new("GET", &format!("{RC}/call-queues"), rc("call-queues.json")),
        Exchange::new(
            "GET",
            &format!("{RC}/call-queues/62001016/members"),
            rc("call-queue-members.json"),
        ),
        Exchange::new(
            "GET",
            &format!("{RC}/call-queues/62003016/members"),
            rc("call-queue-members.json"),
        ),
    ]
}

async fn rc_snapshot(
    script: Vec<Exchange>,
    brand: Brand,
) -> (Result<Snapshot, DirectoryError>, Arc<Recorded>) {
    let (base_url, rec) = recorded::serve(JSON, script).await.expect("server");
    let result = RingCentral::new(rc_settings(base_url), brand)
        .snapshot(&http())
        .await;
    (result, rec)
}

fn user(key: &str, name: &str, email: &str, extension: &str, status: &str) -> DirUser {
    DirUser {
        key: key.into(),
        name: name.into(),
        email: email.into(),
        extension: extension.into(),
        status: status.into(),
    }
}

fn group(key: &str, name: &str, extension: &str, members: &[&str]) -> DirGroup {
    DirGroup {
        key: key.into(),
        name: name.into(),
        extension: extension.into(),
        members: members.iter().map(|m| m.to_string()).collect(),
    }
}

/// Every request accepted JSON, and was answered from the script (no 404 for a
/// request the connector should not have made, no 406).
fn assert_well_formed_requests(rec: &Recorded, bearer: &[&str]) {
    let seen = rec.seen();
    assert!(!seen.is_empty());
    for s in &seen {
        assert_eq!(s.accept.as_deref(), Some(JSON), "{s:?}");
        assert_ne!(s.status, 406, "{s:?}");
        if s.method == "GET" {
            let auth = s.authorization.as_deref().unwrap_or("");
            assert!(
                bearer.iter().any(|b| auth == format!("Bearer {b}")),
                "{s:?}"
            );
        }
    }
}

const ANNOUNCEMENT_NOTE: &str =
    "1 directory entry that is not a user was left out (Announcement: 1).";

#[tokio::test]
async fn ringcentral_published_samples_give_the_user_and_not_the_announcement() {
    for (brand, account) in [
        (Brand::RingCentral, "account.json"),
        // Avaya Cloud Office is the same API and the same connector.
        (Brand::AvayaCloudOffice, "account-aco.json"),
    ] {
        let (result, rec) = rc_snapshot(rc_run(account), brand).await;
        let snapshot = result.expect("snapshot");
        assert_eq!(
            snapshot.users,
            [user(
                "480120004",
                "Amara Okafor",
                "amara.okafor@northwind.example",
                "101",
                "Enabled"
            )],
            "{brand:?}"
        );
        assert_eq!(
            snapshot.groups,
            [
                group(
                    "62001016",
                    "Sales queue",
                    "11131",
                    &["480120004", "480121004"]
                ),
                group(
                    "62003016",
                    "Support queue",
                    "11132",
                    &["480120004", "480121004"]
                ),
            ]
        );
        assert_eq!(snapshot.notes, [ANNOUNCEMENT_NOTE], "{brand:?}");

        assert_well_formed_requests(&rec, &["RklYVFVSRTAxfGFjY2Vzcy10b2tlbi1vbmU"]);
        let seen = rec.seen();
        // The sign-in as jwt-flow.md's Sample Request sends it.
        let sign_in = &seen[0];
        assert_eq!(sign_in.path, "/restapi/oauth/token");
        assert_eq!(
            sign_in.content_type.as_deref(),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(
            sign_in.authorization.as_deref(),
            Some(basic_auth("fixture-client", "fixture-client-secret").as_str())
        );
        assert_eq!(
            sign_in.body,
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=fixture-jwt"
        );
        // One request per call, the users asked for by type.
        let paths: Vec<(&str, &str)> = seen
            .iter()
            .map(|s| (s.path.as_str(), s.query.as_str()))
            .collect();
        assert_eq!(
            paths,
            [
                ("/restapi/oauth/token", ""),
                (RC, ""),
                (
                    "/restapi/v1.0/account/~/extension",
                    "type=User&page=1&perPage=1000"
                ),
                ("/restapi/v1.0/account/~/call-queues", "page=1&perPage=1000"),
                (
                    "/restapi/v1.0/account/~/call-queues/62001016/members",
                    "page=1&perPage=1000"
                ),
                (
                    "/restapi/v1.0/account/~/call-queues/62003016/members",
                    "page=1&perPage=1000"
                ),
            ]
        );
    }
}

#[tokio::test]
async fn ringcentral_mixed_types_keep_only_users_whatever_their_status() {
    let mut script = rc_run("account.json");
    script[2] = Exchange::new(
        "GET",
        &format!("{RC}/extension"),
        rc("extensions-mixed-page-1.json"),
    )
    .query("page=1");
    script.insert(
        3,
        Exchange::new(
            "GET",
            &format!("{RC}/extension"),
            rc("extensions-mixed-page-2.json"),
        )
        .query("page=2"),
    );
    let (result, rec) = rc_snapshot(script, Brand::RingCentral).await;
    let snapshot = result.expect("snapshot");
    assert_eq!(
        snapshot.users,
        [
            user(
                "480121004",
                "Beatriz Santos",
                "beatriz.santos@northwind.example",
                "102",
                "Enabled"
            ),
            user(
                "480125004",
                "Dmitri Volkov",
                "dmitri.volkov@northwind.example",
                "106",
                "Disabled"
            ),
            user(
                "480127004",
                "Tomasz Wiśniewski",
                "tomasz.wisniewski@northwind.example",
                "107",
                "NotActivated"
            ),
        ]
    );
    assert_eq!(
        snapshot.notes,
        [
            "5 directory entries that are not users were left out (Department: 1, DigitalUser: 1, FaxUser: 1, IvrMenu: 1, VirtualUser: 1).",
            "1 entry without an extension number or not assigned to anyone was left out.",
        ]
    );
    assert_well_formed_requests(&rec, &["RklYVFVSRTAxfGFjY2Vzcy10b2tlbi1vbmU"]);
}

/// The account request answered `status` with `body` once, then as usual.
fn account_refused_once(status: u16, body: &str) -> Vec<Exchange> {
    let mut script = rc_run("account.json");
    script.insert(0, Exchange::new("GET", RC, body).status(status).times(1));
    // The first sign-in gets token 1, a second one token 2.
    script.insert(0, token().times(1));
    script.insert(
        1,
        Exchange::new("POST", "/restapi/oauth/token", rc("token-2.json")),
    );
    script
}

#[tokio::test]
async fn ringcentral_expired_and_unknown_tokens_are_renewed_once() {
    for error in ["error-oau-128.json", "error-oau-213.json"] {
        let (result, rec) =
            rc_snapshot(account_refused_once(401, &rc(error)), Brand::RingCentral).await;
        let snapshot = result.unwrap_or_else(|e| panic!("{error}: {e}"));
        assert_eq!(snapshot.users.len(), 1, "{error}");
        let seen = rec.seen();
        let signs_in = seen.iter().filter(|s| s.method == "POST").count();
        assert_eq!(signs_in, 2, "{error}");
        // After the 401, every request carries the new token.
        let after: Vec<&str> = seen
            .iter()
            .skip_while(|s| s.status != 401)
            .filter(|s| s.method == "GET")
            .filter_map(|s| s.authorization.as_deref())
            .collect();
        assert_eq!(
            after.len(),
            6,
            "{error}: the refused account, then it again, users, queues, 2 members"
        );
        assert!(
            after
                .iter()
                .skip(1)
                .all(|a| a.ends_with("RklYVFVSRTAyfGFjY2Vzcy10b2tlbi10d28")),
            "{error}: {after:?}"
        );
    }
}

#[tokio::test]
async fn ringcentral_a_corrupted_token_fails_at_once_with_the_published_message() {
    let (result, rec) = rc_snapshot(
        account_refused_once(401, &rc("error-oau-129.json")),
        Brand::RingCentral,
    )
    .await;
    let err = result.expect_err("refused");
    assert!(
        matches!(&err, DirectoryError::Auth { what, code: Some(code), .. }
            if what == "account" && code == "OAU-129"),
        "{err:?}"
    );
    assert_eq!(rec.seen().iter().filter(|s| s.method == "POST").count(), 1);
    let told = err.for_people();
    assert!(
        told.contains("OAU-129 \"Access token corrupted.\""),
        "{told}"
    );
    assert!(told.contains("proxy"), "{told}");
}

#[tokio::test]
async fn ringcentral_a_refused_jwt_is_explained_as_published() {
    let script = vec![
        Exchange::new(
            "POST",
            "/restapi/oauth/token",
            rc("token-error-oau-140.json"),
        )
        .status(401),
    ];
    let (result, rec) = rc_snapshot(script, Brand::RingCentral).await;
    let err = result.expect_err("refused");
    assert!(
        matches!(&err, DirectoryError::Auth { what, code: Some(code), .. }
            if what == "sign-in" && code == "OAU-140"),
        "{err:?}"
    );
    let told = err.for_people();
    assert!(
        told.starts_with(
            "the directory refused the sign-in (OAU-140 \"Invalid resource owner credentials.\"): the JWT credential"
        ),
        "{told}"
    );
    assert_eq!(rec.seen().len(), 1);
}

#[tokio::test]
async fn ringcentral_rate_limits_permissions_and_vanished_queues_as_published() {
    // 429 CMN-301 with Retry-After: waited for, then read.
    let mut script = rc_run("account.json");
    script.insert(
        2,
        Exchange::new("GET", &format!("{RC}/extension"), rc("error-cmn-301.json"))
            .status(429)
            .header("retry-after", "1")
            .times(1),
    );
    let (result, rec) = rc_snapshot(script, Brand::RingCentral).await;
    assert_eq!(result.expect("snapshot").users.len(), 1);
    assert_eq!(rec.seen().iter().filter(|s| s.status == 429).count(), 1);

    // 403 CMN-402: the JWT's user is no administrator.
    let mut script = rc_run("account.json");
    script.insert(
        2,
        Exchange::new("GET", &format!("{RC}/extension"), rc("error-cmn-402.json")).status(403),
    );
    let err = rc_snapshot(script, Brand::RingCentral)
        .await
        .0
        .expect_err("refused");
    assert!(
        matches!(&err, DirectoryError::Refused { status: 403, code: Some(c), .. } if c == "CMN-402"),
        "{err:?}"
    );
    assert!(
        err.for_people().contains("ReadAccounts"),
        "{}",
        err.for_people()
    );

    // 404 CMN-102 on the second queue's members: it was deleted meanwhile.
    let mut script = rc_run("account.json");
    script[5] = Exchange::new(
        "GET",
        &format!("{RC}/call-queues/62003016/members"),
        rc("error-cmn-102.json"),
    )
    .status(404);
    let snapshot = rc_snapshot(script, Brand::RingCentral)
        .await
        .0
        .expect("snapshot");
    assert_eq!(
        snapshot.groups,
        [group(
            "62001016",
            "Sales queue",
            "11131",
            &["480120004", "480121004"]
        )]
    );
    assert_eq!(
        snapshot.notes,
        [
            ANNOUNCEMENT_NOTE,
            "The call queue Support queue (11132) was deleted in the directory while this refresh read it: it is left out, as deleted.",
        ]
    );
}

fn ns(path: &str) -> String {
    fixture(&format!("netsapiens/{path}"))
}

const NS: &str = "/ns-api/v2";
const DOMAIN: &str = "northwind.example";

async fn ns_snapshot(script: Vec<Exchange>) -> (Result<Snapshot, DirectoryError>, Arc<Recorded>) {
    let (base_url, rec) = recorded::serve(JSON, script).await.expect("server");
    let settings = netsapiens::Settings {
        base_url: format!("{base_url}{NS}"),
        domain: DOMAIN.into(),
        auth: netsapiens::Auth::Password {
            client_id: "fixture-client".into(),
            client_secret: Secret("fixture-client-secret".into()),
            username: format!("api.reader@{DOMAIN}"),
            password: Secret("fixture-password".into()),
        },
    };
    (Netsapiens::new(settings).snapshot(&http()).await, rec)
}

fn ns_run() -> Vec<Exchange> {
    let d = format!("{NS}/domains/{DOMAIN}");
    vec![
        Exchange::new("POST", &format!("{NS}/tokens"), ns("token.json")),
        Exchange::new("GET", &format!("{d}/users"), ns("users.json")),
        Exchange::new("GET", &format!("{d}/users/count"), ns("users-count.json")),
        Exchange::new("GET", &format!("{d}/callqueues"), ns("callqueues.json")),
        Exchange::new(
            "GET",
            &format!("{d}/callqueues/2000/agents"),
            ns("agents-2000.json"),
        ),
        Exchange::new(
            "GET",
            &format!("{d}/callqueues/2001/agents"),
            ns("error-404.json"),
        )
        .status(404),
    ]
}

#[tokio::test]
async fn netsapiens_models_as_specified() {
    let (result, rec) = ns_snapshot(ns_run()).await;
    let snapshot = result.expect("snapshot");
    assert_eq!(
        snapshot.users,
        [
            user(
                "1001",
                "Amara Okafor",
                "amara.okafor@northwind.example",
                "1001",
                "Enabled"
            ),
            user(
                "1002",
                "Beatriz Santos",
                "beatriz.santos@northwind.example",
                "1002",
                "Enabled"
            ),
            user("1003", "Chen Wei", "", "1003", "Enabled"),
        ]
    );
    // The off-net agent is listed as the directory lists it; the server drops members
    // that are not users.
    assert_eq!(
        snapshot.groups,
        [group(
            "2000",
            "Sales",
            "2000",
            &["1001", "1002", "2025551234"]
        )]
    );
    assert_eq!(
        snapshot.notes,
        [
            "The call queue Support (2001) was deleted in the directory while this refresh read it: it is left out, as deleted.",
            "2 system users (call queues, auto attendants) were left out: they are not people.",
        ]
    );
    assert_well_formed_requests(&rec, &["ZmF4dHVyZS1ucy1hY2Nlc3M"]);
    let seen = rec.seen();
    assert_eq!(seen[0].content_type.as_deref(), Some(JSON));
    let body: serde_json::Value = serde_json::from_str(&seen[0].body).expect("JSON body");
    assert_eq!(body["grant_type"], "password");
    // One page: fewer users than the limit; the count is not needed.
    assert_eq!(seen[1].query, "limit=1000&start=0");
    assert!(seen.iter().all(|s| !s.path.ends_with("/count")));
}

#[tokio::test]
async fn netsapiens_an_expired_token_answer_is_renewed() {
    let mut script = ns_run();
    script.insert(
        1,
        Exchange::new(
            "GET",
            &format!("{NS}/domains/{DOMAIN}/users"),
            ns("error-401.json"),
        )
        .status(401)
        .times(1),
    );
    let (result, rec) = ns_snapshot(script).await;
    assert_eq!(result.expect("snapshot").users.len(), 3);
    let grants: Vec<String> = rec
        .seen()
        .iter()
        .filter(|s| s.method == "POST")
        .map(|s| {
            let v: serde_json::Value = serde_json::from_str(&s.body).expect("JSON");
            v["grant_type"].as_str().unwrap_or("").to_string()
        })
        .collect();
    assert_eq!(grants, ["password", "refresh_token"]);
}
