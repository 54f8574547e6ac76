//! The navigator in a real browser: parsing, history, and the unsaved-changes guard.
#![cfg(target_arch = "wasm32")]

use agent_licensing_console::router::{Location, Navigator, Route};
use leptos::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn locations_and_routes_parse() {
    let l = Location::parse("/agents?q=Jos%C3%A9+Diaz&page=2&empty=&flag");
    assert_eq!(l.path, "/agents");
    assert_eq!(l.get("q").as_deref(), Some("José Diaz"));
    assert_eq!(l.get("page").as_deref(), Some("2"));
    assert_eq!(l.get("empty").as_deref(), Some(""));
    assert_eq!(l.get("flag").as_deref(), Some(""));
    assert_eq!(l.get("missing"), None);
    assert_eq!(Location::parse("").path, "/");
    // Malformed escapes are kept as typed rather than dropped.
    assert_eq!(
        Location::parse("/x?q=100%").get("q").as_deref(),
        Some("100%")
    );

    assert_eq!(Route::parse("/"), Route::Agents);
    assert_eq!(Route::parse("/agents"), Route::Agents);
    assert_eq!(Route::parse("/agents/"), Route::Agents);
    assert_eq!(Route::parse("/nope"), Route::NotFound);
    assert_eq!(Route::parse("/agents/new"), Route::NewAgent);
    assert_eq!(
        Route::parse("/agents/42"),
        Route::EditAgent(alc_domain::AgentId(42))
    );
    assert_eq!(Route::parse("/agents/abc"), Route::NotFound);
    assert_eq!(Route::parse("/users"), Route::Users);
    assert_eq!(Route::parse("/users/"), Route::Users);
    assert_eq!(Route::parse("/password"), Route::ChangePassword);
    assert_eq!(Route::parse("/users/3"), Route::NotFound);
    for r in [
        Route::Agents,
        Route::NewAgent,
        Route::Import,
        Route::EditAgent(alc_domain::AgentId(7)),
        Route::PhoneUsers,
        Route::Audit,
        Route::Settings,
        Route::Users,
        Route::ChangePassword,
    ] {
        assert_eq!(Route::parse(&r.path()), r);
    }
}

fn set_confirm(answer: bool) {
    js_sys::eval(&format!(
        "window.__asked = 0; window.confirm = () => {{ window.__asked++; return {answer}; }}"
    ))
    .unwrap();
}

fn asked() -> f64 {
    js_sys::eval("window.__asked").unwrap().as_f64().unwrap()
}

#[wasm_bindgen_test]
fn navigation_follows_history_and_guards_unsaved_work() {
    let owner = Owner::new();
    owner.with(|| {
        let nav = Navigator::new("");
        nav.go("/agents?q=ann", false);
        assert_eq!(nav.route(), Route::Agents);
        assert_eq!(nav.query("q").as_deref(), Some("ann"));
        assert!(
            window()
                .location()
                .href()
                .unwrap()
                .ends_with("/agents?q=ann")
        );

        let dirty = RwSignal::new(true);
        nav.guard(dirty.into());
        set_confirm(false);
        // A new query on the same screen is not leaving it.
        nav.go("/agents?q=ben", true);
        assert_eq!(nav.query("q").as_deref(), Some("ben"));
        assert_eq!(asked(), 0.0);
        // Another screen asks, and "Cancel" stays.
        nav.go("/elsewhere", false);
        assert_eq!(asked(), 1.0);
        assert_eq!(nav.route(), Route::Agents);
        // "OK" leaves.
        set_confirm(true);
        nav.go("/elsewhere", false);
        assert_eq!(nav.route(), Route::NotFound);
        // Nothing unsaved: no question.
        dirty.set(false);
        set_confirm(false);
        nav.go("/agents", false);
        assert_eq!(asked(), 0.0);
        assert_eq!(nav.route(), Route::Agents);
    });
}

#[wasm_bindgen_test]
fn a_base_path_prefixes_every_address() {
    let owner = Owner::new();
    owner.with(|| {
        let nav = Navigator::new("/portal/licensing/");
        assert_eq!(nav.href("/agents"), "/portal/licensing/agents");
        nav.go("/agents?page=3", false);
        assert!(
            window()
                .location()
                .pathname()
                .unwrap()
                .ends_with("/portal/licensing/agents")
        );
        assert_eq!(nav.query("page").as_deref(), Some("3"));
    });
}
