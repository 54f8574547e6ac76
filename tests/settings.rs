//! The Settings screen's directory connection in a real browser: every sign-in method
//! of a connector can be chosen and saved (the Netsapiens password grant included),
//! empty fields are named next to themselves, credentials are not shown again, and a
//! connection to another directory is saved only once the admin has read what that
//! does and confirmed it. The API is a stand-in behind `window.fetch`.
#![cfg(target_arch = "wasm32")]

use agent_licensing_console::pages::SettingsPage;
use agent_licensing_console::session::SessionState;
use alc_domain::access::{ConsoleUser, Role, SessionInfo};
use leptos::prelude::*;
use serde_json::{Value, json};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const BASE: &str = "/fake/settings-api";

mod support;
use support::{Mounted, answer, calls};

/// The stand-in API for this file's calls.
fn fake_api() {
    support::fake_api(BASE)
}

fn mount(session: SessionState, view: impl FnOnce() -> AnyView + 'static) -> Mounted {
    support::mount(BASE, session, view)
}

fn session_info() -> SessionInfo {
    SessionInfo {
        user: ConsoleUser {
            name: "Ada Admin".into(),
            email: "ada@test.example".into(),
            role: Role::Admin,
        },
        must_change_password: false,
        csrf_token: Some("csrf".into()),
        expires_at: "2099-01-01T00:00:00Z".into(),
    }
}

fn admin() -> SessionState {
    SessionState::SignedIn(session_info())
}

fn settings_page() -> Mounted {
    mount(admin(), || view! { <SettingsPage /> }.into_any())
}

/// The bodies of the `PUT /directory` calls so far.
fn saved_connections() -> Vec<Value> {
    calls()
        .into_iter()
        .filter(|(key, _)| key == "PUT /directory")
        .map(|(_, body)| body.unwrap_or(Value::Null))
        .collect()
}

impl Mounted {
    fn has_field(&self, label: &str) -> bool {
        let labels = self.host.query_selector_all("label").unwrap();
        (0..labels.length())
            .filter_map(|i| labels.item(i))
            .any(|l| l.text_content().as_deref() == Some(label))
    }

    async fn pick(&self, label: &str) {
        self.field(label).click();
        leptos::task::tick().await;
    }

    fn dialog(&self) -> Option<String> {
        self.host
            .query_selector("[role=alertdialog]")
            .unwrap()
            .and_then(|d| d.text_content())
    }
}

const NS_URL: &str = "https://pbx.example.net/ns-api/v2";

#[wasm_bindgen_test]
async fn the_netsapiens_password_grant_is_chosen_filled_in_and_saved() {
    fake_api();
    answer(
        "GET /directory",
        200,
        json!({"system": null, "base_url": "", "account": ""}),
    );
    answer(
        "PUT /directory",
        200,
        json!({"system": "netsapiens", "base_url": NS_URL, "account": "acme"}),
    );
    let m = settings_page();
    m.until_text("UC directory").await;

    // RingCentral's fields first; Netsapiens offers its two sign-in methods.
    assert!(m.has_field("JWT credential"));
    m.choose("Phone system", "netsapiens").await;
    assert!(!m.has_field("JWT credential"));
    assert!(m.has_field("Domain") && m.has_field("API key"));
    assert!(
        m.described("With the OAuth password grant", "hint")
            .contains("username and password")
    );
    m.pick("With the OAuth password grant").await;
    assert!(!m.has_field("API key"));
    for label in ["Client ID", "Client secret", "Username", "Password"] {
        assert!(m.has_field(label), "{label}");
    }
    for label in ["Client secret", "Password"] {
        assert_eq!(
            m.field(label).get_attribute("type").as_deref(),
            Some("password")
        );
    }

    m.type_in("Address", NS_URL).await;
    m.type_in("Domain", "acme").await;
    m.type_in("Client ID", "console-app").await;
    m.type_in("Client secret", "app-secret").await;
    m.type_in("Username", "sync@acme").await;
    // A required field left empty is named next to itself, and nothing is sent.
    m.click("Save connection").await;
    assert_eq!(m.message("Password"), "Enter the password.");
    assert!(m.invalid("Password"));
    assert_eq!(m.message("Username"), "");
    assert!(saved_connections().is_empty());

    m.type_in("Password", "user-password").await;
    m.click("Save connection").await;
    m.until_text("Saved.").await;
    assert_eq!(m.message("Password"), "");
    assert_eq!(
        saved_connections(),
        vec![json!({
            "system": "netsapiens", "base_url": NS_URL, "domain": "acme",
            "auth": {"kind": "password", "client_id": "console-app",
                     "client_secret": "app-secret", "username": "sync@acme",
                     "password": "user-password"},
        })]
    );
    // Credentials are not kept in the page once saved, nor shown.
    for label in ["Client ID", "Client secret", "Username", "Password"] {
        assert_eq!(m.value(label), "", "{label}");
    }
    assert!(!m.text().contains("app-secret") && !m.text().contains("user-password"));
}

#[wasm_bindgen_test]
async fn switching_to_another_directory_asks_first_and_cancel_saves_nothing() {
    fake_api();
    answer(
        "GET /directory",
        200,
        json!({"system": "ring_central", "base_url": "https://platform.ringcentral.com", "account": ""}),
    );
    answer(
        "PUT /directory",
        200,
        json!({"system": "netsapiens", "base_url": NS_URL, "account": "acme"}),
    );
    let m = settings_page();
    m.until("the saved address", |m| {
        m.value("Address") == "https://platform.ringcentral.com"
    })
    .await;

    m.choose("Phone system", "netsapiens").await;
    m.type_in("Address", NS_URL).await;
    m.type_in("Domain", "acme").await;
    m.type_in("API key", "nsd-1").await;
    m.click("Save connection").await;
    m.until("the confirmation", |m| m.dialog().is_some()).await;
    let text = m.dialog().unwrap();
    assert!(text.contains("Switch to another directory?"), "{text}");
    m.until("focus on the question", |_| {
        document()
            .active_element()
            .and_then(|e| e.get_attribute("role"))
            .as_deref()
            == Some("alertdialog")
    })
    .await;
    assert!(
        text.contains(&format!(
            "This connects Netsapiens ({NS_URL}, domain acme) instead of RingCentral (https://platform.ringcentral.com)."
        )),
        "{text}"
    );
    assert!(
        text.contains("Phone users imported from RingCentral (https://platform.ringcentral.com) that hold no license will be removed at the next refresh"),
        "{text}"
    );
    assert!(
        text.contains("licensed ones are kept and flagged as gone from the directory, with their licenses held for review"),
        "{text}"
    );
    assert!(saved_connections().is_empty(), "asked before saving");

    // Cancel: nothing saved, the form as it was.
    m.click("Cancel").await;
    assert_eq!(m.dialog(), None);
    assert!(saved_connections().is_empty());
    assert_eq!(m.value("Domain"), "acme");
    assert_eq!(m.value("API key"), "nsd-1");
    assert_eq!(m.live("status"), "");

    // Confirmed: saved as typed.
    m.click("Save connection").await;
    m.until("the confirmation", |m| m.dialog().is_some()).await;
    m.click("Switch directory").await;
    m.until_text("Saved.").await;
    assert_eq!(m.dialog(), None);
    assert_eq!(
        saved_connections(),
        vec![
            json!({"system": "netsapiens", "base_url": NS_URL, "domain": "acme",
                    "auth": {"kind": "api_key", "key": "nsd-1"}})
        ]
    );

    // The same directory again (new credentials, the address typed differently) is no
    // switch: saved without asking.
    m.type_in("Address", &format!("{NS_URL}/")).await;
    m.type_in("Domain", "ACME").await;
    m.type_in("API key", "nsd-2").await;
    m.click("Save connection").await;
    m.until("the second save", |_| saved_connections().len() == 2)
        .await;
    assert_eq!(m.dialog(), None);
    assert_eq!(saved_connections()[1]["auth"]["key"], "nsd-2");
}
