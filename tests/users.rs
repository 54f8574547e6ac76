//! Console users and passwords in a real browser: the password policy's messages next
//! to their fields as a person types, the server's refusals placed by field, a refused
//! change that leaves the row as it was, the first-sign-in password change, a new
//! installation's sign-in page, and "Session ended". The API is a stand-in behind
//! `window.fetch` that answers what each test tells it to.
#![cfg(target_arch = "wasm32")]

use agent_licensing_console::components::{NewUserForm, PasswordChangeForm, UserTable};
use agent_licensing_console::pages::SignInPage;
use agent_licensing_console::session::SessionState;
use agent_licensing_console::{App, AppConfig};
use alc_domain::access::{ConsoleUser, Role, SessionInfo, UserAccount};
use alc_domain::*;
use leptos::prelude::*;
use serde_json::{Value, json};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

wasm_bindgen_test_configure!(run_in_browser);

const BASE: &str = "/fake/users-api";

mod support;
use support::{Mounted, answer, calls};

/// The stand-in API for this file's calls.
fn fake_api() {
    support::fake_api(BASE)
}

fn mount(session: SessionState, view: impl FnOnce() -> AnyView + 'static) -> Mounted {
    support::mount(BASE, session, view)
}

fn refusal(code: ErrorCode, field: &str, message: &str) -> Value {
    json!({"code": code, "message": message,
        "fields": [{"field": field, "code": code, "message": message}]})
}

fn session_info(must_change_password: bool) -> SessionInfo {
    SessionInfo {
        user: ConsoleUser {
            name: "Sam Supervisor".into(),
            email: "sam@test.example".into(),
            role: Role::Supervisor,
        },
        must_change_password,
        csrf_token: Some("csrf".into()),
        expires_at: "2099-01-01T00:00:00Z".into(),
    }
}

fn account(id: i64, name: &str, role: Role) -> UserAccount {
    UserAccount {
        id,
        name: name.into(),
        email: format!(
            "{}@test.example",
            name.split(' ').next().unwrap().to_lowercase()
        ),
        role,
        active: true,
        must_change_password: false,
        last_sign_in_at: None,
        created_at: "2026-11-01T09:00:00Z".into(),
        sessions: 0,
    }
}

fn signed_in() -> SessionState {
    SessionState::SignedIn(session_info(false))
}

#[wasm_bindgen_test]
async fn the_password_form_says_what_the_policy_wants_next_to_each_field() {
    fake_api();
    let m = mount(signed_in(), || {
        view! { <PasswordChangeForm email="jane.doe@example.com" on_changed=Callback::new(|_| {}) /> }
            .into_any()
    });
    // The rule is there before anything is typed; no field shouts yet.
    assert!(
        m.described("New password", "hint")
            .contains("At least 12 characters")
    );
    for label in ["Current password", "New password", "Confirm new password"] {
        assert_eq!(m.message(label), "", "{label}");
        assert!(!m.invalid(label));
    }

    // A new password is judged as it is typed, by the same policy as the server's.
    m.type_in("New password", "short").await;
    assert!(
        m.message("New password").contains("at least 12 characters"),
        "{}",
        m.message("New password")
    );
    assert!(m.invalid("New password"));
    m.type_in("New password", "JANE.DOE-rocks-2026").await;
    assert!(m.message("New password").contains("email address"));
    m.type_in("New password", "Password2026!!").await;
    assert!(m.message("New password").contains("too common"));
    m.type_in("New password", "correct horse battery staple")
        .await;
    assert_eq!(m.message("New password"), "");
    assert!(!m.invalid("New password"));

    // A confirmation still being typed is not wrong; a different one is.
    m.type_in("Confirm new password", "correct horse").await;
    assert_eq!(m.message("Confirm new password"), "");
    m.type_in("Confirm new password", "correct house").await;
    assert!(m.message("Confirm new password").contains("does not match"));
    m.type_in("Confirm new password", "correct horse battery staple")
        .await;
    assert_eq!(m.message("Confirm new password"), "");

    // The current password is missing once its field is left.
    m.leave("Current password").await;
    assert_eq!(
        m.message("Current password"),
        "Enter your current password."
    );
    // Keeping the same password is no change.
    m.type_in("Current password", "correct horse battery staple")
        .await;
    assert_eq!(m.message("Current password"), "");
    assert!(
        m.message("New password")
            .contains("other than your current one")
    );

    // Nothing is sent while a field needs attention, and the keyboard goes there.
    m.click("Change password").await;
    m.until("focus on New password", |m| {
        document().active_element().map(|e| e.id()) == Some(m.field("New password").id())
    })
    .await;
    assert!(calls().is_empty(), "{:?}", calls());
}

#[wasm_bindgen_test]
async fn a_wrong_current_password_is_said_next_to_it_until_it_is_retyped() {
    fake_api();
    let changed = RwSignal::new(None::<SessionInfo>);
    let m = mount(signed_in(), move || {
        view! {
            <PasswordChangeForm
                email="sam@test.example"
                on_changed=Callback::new(move |info| changed.set(Some(info)))
            />
        }
        .into_any()
    });
    let message = "That is not your current password.";
    answer(
        "POST /me/password",
        422,
        refusal(ErrorCode::WrongPassword, "current_password", message),
    );
    m.type_in("Current password", "not my password").await;
    m.type_in("New password", "nine lives of a cat").await;
    m.type_in("Confirm new password", "nine lives of a cat")
        .await;
    m.click("Change password").await;
    m.until_text(message).await;
    assert_eq!(m.message("Current password"), message);
    assert!(m.invalid("Current password"));
    assert!(m.live("alert").contains("Your password was not changed."));
    let (key, body) = calls().pop().unwrap();
    assert_eq!(key, "POST /me/password");
    assert_eq!(
        body,
        Some(json!({"current_password": "not my password", "new_password": "nine lives of a cat"}))
    );
    // Retyping the current password clears the server's message.
    m.type_in("Current password", "my real password").await;
    assert_eq!(m.message("Current password"), "");

    answer(
        "POST /me/password",
        200,
        serde_json::to_value(session_info(false)).unwrap(),
    );
    m.click("Change password").await;
    m.until_text("Password changed.").await;
    assert!(m.live("status").contains("Password changed."));
    assert_eq!(m.live("alert"), "");
    assert_eq!(changed.get_untracked(), Some(session_info(false)));
    assert_eq!(m.value("New password"), "", "the form is emptied");
}

#[wasm_bindgen_test]
async fn adding_a_user_checks_each_field_as_typed_and_places_the_servers_refusals() {
    fake_api();
    let added = RwSignal::new(Vec::<UserAccount>::new());
    let m = mount(signed_in(), move || {
        view! { <NewUserForm on_added=Callback::new(move |a| added.update(|v| v.push(a))) /> }
            .into_any()
    });
    assert_eq!(m.value("Role"), "supervisor", "the usual choice first");
    assert!(
        m.described("Initial password", "hint")
            .contains("must change it when they first sign in")
    );
    // An address is judged once the field is left, then as it is fixed.
    m.type_in("Email", "priya@").await;
    assert_eq!(m.message("Email"), "");
    m.leave("Email").await;
    assert!(!m.message("Email").is_empty());
    assert!(m.invalid("Email"));
    m.type_in("Email", "priya.raman@northwind.example").await;
    assert_eq!(m.message("Email"), "");
    // The password policy, with this user's email.
    m.type_in("Initial password", "priya.raman-2026").await;
    assert!(m.message("Initial password").contains("email address"));
    m.type_in("Initial password", "welcome").await;
    assert!(m.message("Initial password").contains("at least 12"));
    m.type_in("Initial password", "tangerine bicycle lamp")
        .await;
    assert_eq!(m.message("Initial password"), "");
    // Add without a name: the name says so, nothing is sent.
    m.click("Add user").await;
    assert_eq!(m.message("Name"), "Enter the name.");
    assert!(calls().is_empty());

    // The server's refusal lands next to its field.
    m.type_in("Name", "Priya Raman").await;
    m.choose("Role", "admin").await;
    let taken = "Another console user has this email.";
    answer(
        "POST /users",
        422,
        refusal(ErrorCode::EmailTaken, "email", taken),
    );
    m.click("Add user").await;
    m.until_text(taken).await;
    assert_eq!(m.message("Email"), taken);
    assert!(m.live("alert").contains("Not added."));
    let (_, body) = calls().pop().unwrap();
    assert_eq!(
        body,
        Some(
            json!({"name": "Priya Raman", "email": "priya.raman@northwind.example",
            "role": "admin", "password": "tangerine bicycle lamp"})
        )
    );
    // Another address clears it.
    m.type_in("Email", "priya@northwind.example").await;
    assert_eq!(m.message("Email"), "");

    let mut priya = account(7, "Priya Raman", Role::Admin);
    priya.must_change_password = true;
    answer("POST /users", 201, serde_json::to_value(&priya).unwrap());
    m.click("Add user").await;
    m.until_text("Added Priya Raman. They choose their own password when they first sign in.")
        .await;
    assert_eq!(added.get_untracked(), vec![priya]);
    assert_eq!(m.value("Name"), "");
    assert_eq!(m.value("Role"), "supervisor");
    assert_eq!(m.message("Email"), "", "an emptied form does not shout");
}

#[wasm_bindgen_test]
async fn a_refused_change_leaves_the_row_as_it_was_and_says_why_beside_it() {
    fake_api();
    let mut alex = account(1, "Alex Admin", Role::Admin);
    alex.last_sign_in_at = Some("2026-11-23T14:05:09.123Z".into());
    let mut sam = account(2, "Sam Supervisor", Role::Supervisor);
    sam.sessions = 2;
    let users = RwSignal::new(vec![alex, sam.clone()]);
    let m = mount(signed_in(), move || {
        view! { <UserTable users me="alex@test.example" /> }.into_any()
    });
    let text = m.text();
    assert!(text.contains("2026-11-23 14:05"), "{text}");
    assert!(text.contains("Never"), "{text}");
    assert!(text.contains("2 open sessions"), "{text}");
    // One's own row has no way to lock oneself out.
    assert!(m.button("Disable Alex Admin").is_none());
    assert!(m.button("End sessions of Alex Admin").is_none());
    assert!(m.button("Disable Sam Supervisor").is_some());

    // The only admin gives up the role: refused, and the select shows Admin again.
    let last = "Keep at least one active admin: make someone else an admin first.";
    answer(
        "PATCH /users/1",
        422,
        refusal(ErrorCode::LastAdmin, "role", last),
    );
    m.choose("Role for Alex Admin", "supervisor").await;
    m.click("Save role for Alex Admin").await;
    m.until_text(last).await;
    assert!(m.live("alert").contains(last));
    assert_eq!(m.value("Role for Alex Admin"), "admin");
    assert!(m.button("Save role for Alex Admin").is_none());
    assert_eq!(calls()[0].1, Some(json!({"role": "supervisor"})));

    // Disabling Sam: the row says so, and offers Enable.
    let mut disabled = sam.clone();
    disabled.active = false;
    disabled.sessions = 0;
    answer(
        "PATCH /users/2",
        200,
        serde_json::to_value(&disabled).unwrap(),
    );
    m.click("Disable Sam Supervisor").await;
    m.until("Enable Sam Supervisor", |m| {
        m.button("Enable Sam Supervisor").is_some()
    })
    .await;
    assert!(m.live("status").contains("Disabled Sam Supervisor."));
    let status = m
        .host
        .query_selector(".alc-status[data-active=false]")
        .unwrap();
    assert_eq!(
        status.and_then(|s| s.text_content()).as_deref(),
        Some("Disabled")
    );
    assert!(!m.text().contains("2 open sessions"));
    // The last_admin message belongs to Alex's row and is still there.
    assert!(m.live("alert").contains(last));

    // A failure (the server is gone) changes nothing.
    answer(
        "PATCH /users/2",
        503,
        json!({"code": "unavailable", "message": "Try later."}),
    );
    m.click("Enable Sam Supervisor").await;
    m.until_text("Not changed. Try later.").await;
    assert!(m.button("Enable Sam Supervisor").is_some());

    answer("DELETE /users/2/sessions", 200, json!({"ended": 0}));
    m.click("End sessions of Sam Supervisor").await;
    m.until_text("Sam Supervisor had no open sessions.").await;
}

#[wasm_bindgen_test]
async fn a_new_initial_password_is_checked_before_it_is_sent() {
    fake_api();
    let sam = account(2, "Sam Supervisor", Role::Supervisor);
    let users = RwSignal::new(vec![sam.clone()]);
    let m = mount(signed_in(), move || {
        view! { <UserTable users me="alex@test.example" /> }.into_any()
    });
    m.click("Reset password for Sam Supervisor").await;
    let label = "New initial password for Sam Supervisor";
    assert!(
        m.described(label, "hint")
            .contains("At least 12 characters")
    );
    m.type_in(label, "sam@test.example").await;
    assert!(
        m.message(label).contains("email address"),
        "{}",
        m.message(label)
    );
    m.click("Set password").await;
    assert!(calls().is_empty());

    let mut reset = sam.clone();
    reset.must_change_password = true;
    answer(
        "POST /users/2/password",
        200,
        serde_json::to_value(&reset).unwrap(),
    );
    m.type_in(label, "harbour lights at dusk").await;
    m.click("Set password").await;
    m.until_text("New initial password set for Sam Supervisor.")
        .await;
    assert!(m.text().contains("Must change password"));
    assert_eq!(
        calls().pop().unwrap().1,
        Some(json!({"password": "harbour lights at dusk"}))
    );
    // The form closed; the keyboard is back on the button that opened it.
    m.until("focus back on Reset password", |_| {
        document()
            .active_element()
            .and_then(|e| e.get_attribute("aria-label"))
            .as_deref()
            == Some("Reset password for Sam Supervisor")
    })
    .await;
    assert!(m.host.query_selector("form").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn a_new_installation_says_who_creates_the_first_admin() {
    fake_api();
    answer("GET /auth/setup", 200, json!({"has_users": false}));
    let m = mount(SessionState::SignedOut(None), || {
        view! { <SignInPage reason=None embedded=false /> }.into_any()
    });
    m.until_text("No console users yet").await;
    assert!(
        m.live("status")
            .contains("No console users yet: your operator creates the first admin")
    );
    let code = m.host.query_selector("code").unwrap().unwrap();
    assert_eq!(
        code.text_content().unwrap(),
        r#"alc-server users add --email you@example.com --name "Your Name" --role admin"#
    );
}

#[wasm_bindgen_test]
async fn a_password_set_by_an_admin_is_replaced_first_and_a_401_says_session_ended() {
    fake_api();
    answer(
        "GET /auth/session",
        200,
        serde_json::to_value(session_info(true)).unwrap(),
    );
    answer("GET /auth/setup", 200, json!({"has_users": true}));
    let summary = LicenseSummary::from_pool(&Pool::default());
    answer(
        "GET /licenses",
        200,
        serde_json::to_value(&summary).unwrap(),
    );
    let page = AgentPage {
        agents: vec![],
        total: 0,
        page: 1,
        per_page: 40,
    };
    answer("GET /agents", 200, serde_json::to_value(&page).unwrap());
    let host = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&host).unwrap();
    let config = AppConfig {
        api_base: BASE.into(),
        memory_routing: true,
        ..AppConfig::default()
    };
    let handle = leptos::mount::mount_to(host.clone().unchecked_into(), move || {
        view! { <App config /> }.into_any()
    });
    let m = Mounted {
        host,
        _handle: handle,
    };
    m.until_text("Choose a new password").await;
    let h1 = m.host.query_selector("h1").unwrap().unwrap();
    assert_eq!(h1.text_content().unwrap(), "Choose a new password");
    assert!(m.text().contains("an admin set"));
    // None of the console meanwhile.
    assert!(m.host.query_selector("nav").unwrap().is_none());

    answer(
        "POST /me/password",
        200,
        serde_json::to_value(session_info(false)).unwrap(),
    );
    m.type_in("Current password", "the admin's choice").await;
    m.type_in("New password", "my very own passphrase").await;
    m.type_in("Confirm new password", "my very own passphrase")
        .await;
    m.click("Set my password").await;
    m.until_text("Your new password is set.").await;
    assert!(m.text().contains("Sam Supervisor · Supervisor"));
    // Nothing was asked for before the password was replaced (the server would have
    // refused it) but the session and the first screen's two list calls, which the
    // shell sends beside the session check before it knows who is signed in; their
    // answers were dropped, not shown.
    let keys: Vec<String> = calls().into_iter().map(|(k, _)| k).collect();
    let change = keys.iter().position(|k| k == "POST /me/password").unwrap();
    let mut before = keys[..change].to_vec();
    before.sort();
    assert_eq!(
        before,
        ["GET /agents", "GET /auth/session", "GET /licenses"],
        "{keys:?}"
    );

    // The session ends on the server (disabled by an admin): the next call says so.
    answer(
        "GET /agents",
        401,
        json!({"code": "unauthorized", "message": "Sign in to continue."}),
    );
    answer(
        "GET /licenses",
        401,
        json!({"code": "unauthorized", "message": "Sign in to continue."}),
    );
    let phone = m
        .host
        .query_selector("a[href='/phone-users']")
        .unwrap()
        .unwrap()
        .unchecked_into::<HtmlElement>();
    phone.click();
    m.until_text("Session ended").await;
    assert!(
        m.live("status")
            .contains("Session ended. Sign in again to continue.")
    );
    let h1 = m.host.query_selector("h1").unwrap().unwrap();
    assert_eq!(h1.text_content().unwrap(), "Sign in");
}
