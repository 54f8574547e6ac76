//! Component tests in a real browser (headless Chromium through wasm-bindgen-test):
//! mount the licensing widgets, tick boxes as a user would (found by their accessible
//! names), and read what a user reads.
#![cfg(target_arch = "wasm32")]

use agent_licensing_console::components::{
    AgentTable, LicenseCounters, RefreshReportView, SaveBar,
};
use agent_licensing_console::licensing::LicenseEditor;
use agent_licensing_console::router::Navigator;
use alc_domain::*;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

fn summary(purchased: [i64; 4], assigned: [i64; 4], channel: bool) -> LicenseSummary {
    LicenseSummary::from_pool(&Pool {
        entitlements: Entitlements {
            purchased: Counts::from_fn(|t| purchased[t.index()]),
            web_chat_channel: channel,
        },
        assigned: Counts::from_fn(|t| assigned[t.index()]),
    })
}

fn agent(id: i64, name: &str, licenses: &[LicenseType]) -> Agent {
    Agent {
        id: AgentId(id),
        name: name.into(),
        email: format!("{}@test.example", name.to_lowercase()),
        extension: (4000 + id).to_string(),
        source: AgentSource::Webrtc,
        licenses: licenses.iter().copied().collect(),
        version: Version(1),
        gone: false,
        disabled: false,
        no_queue: false,
    }
}

/// Voice: 2 bought, Ann holds 1. Web Chat bought but no channel. SMS and
/// Transcription: 1 each, none held.
fn fixture() -> (LicenseSummary, Vec<Agent>) {
    (
        summary([2, 3, 1, 1], [1, 0, 0, 0], false),
        vec![
            agent(1, "Ann", &[LicenseType::Voice]),
            agent(2, "Ben", &[]),
            agent(3, "Cy", &[]),
        ],
    )
}

struct Mounted {
    host: Element,
    editor: LicenseEditor,
    _handle: leptos::mount::UnmountHandle<leptos::tachys::view::any_view::AnyViewState>,
}

fn mount(summary: LicenseSummary, rows: Vec<Agent>) -> Mounted {
    let document = document();
    let host = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&host).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = leptos::mount::mount_to(host.clone().unchecked_into(), move || {
        provide_context(Navigator::new(""));
        let editor = LicenseEditor::new(Some(summary));
        tx.send(editor).unwrap();
        let rows = RwSignal::new(rows);
        let discard = Callback::new(move |()| editor.update_pending(|p| p.clear()));
        view! {
            <LicenseCounters editor />
            <AgentTable editor rows />
            <SaveBar editor on_save=Callback::new(|()| {}) on_discard=discard />
        }
        .into_any()
    });
    Mounted {
        host,
        editor: rx.recv().unwrap(),
        _handle: handle,
    }
}

impl Mounted {
    fn find(&self, selector: &str) -> Element {
        self.host
            .query_selector(selector)
            .unwrap()
            .unwrap_or_else(|| panic!("nothing matches {selector}"))
    }

    fn checkbox(&self, label: &str) -> HtmlInputElement {
        self.find(&format!("input[type=checkbox][aria-label='{label}']"))
            .unchecked_into()
    }

    /// The text a screen reader announces as the box's description.
    fn reason(&self, label: &str) -> String {
        let id = self
            .checkbox(label)
            .get_attribute("aria-describedby")
            .expect("described");
        document()
            .get_element_by_id(&id)
            .and_then(|e| e.text_content())
            .unwrap_or_default()
    }

    fn counter(&self, license: &str) -> String {
        self.find(&format!("[role=group][aria-label='{license}']"))
            .text_content()
            .unwrap_or_default()
    }

    fn button(&self, text: &str) -> HtmlElement {
        let buttons = self.host.query_selector_all("button").unwrap();
        (0..buttons.length())
            .filter_map(|i| buttons.item(i))
            .find(|b| b.text_content().as_deref() == Some(text))
            .unwrap_or_else(|| panic!("no button {text}"))
            .unchecked_into()
    }

    fn text(&self) -> String {
        self.host.text_content().unwrap_or_default()
    }

    async fn click(&self, el: &HtmlElement) {
        el.click();
        leptos::task::tick().await;
    }
}

#[wasm_bindgen_test]
async fn counters_follow_ticks_before_anything_is_saved() {
    let (s, rows) = fixture();
    let m = mount(s, rows);
    assert!(
        m.counter("Voice").contains("1 available"),
        "{}",
        m.counter("Voice")
    );
    assert!(m.counter("Voice").contains("1 of 2 assigned"));

    m.click(&m.checkbox("Voice license for Ben")).await;
    assert!(m.checkbox("Voice license for Ben").checked());
    assert!(
        m.counter("Voice").contains("0 available"),
        "{}",
        m.counter("Voice")
    );
    assert!(m.counter("Voice").contains("2 of 2 assigned"));
    assert!(m.counter("Voice").contains("+1 unsaved"));
    assert!(m.text().contains("1 unsaved change"));

    // The last seat is taken: Cy's box is disabled and says why.
    assert!(m.checkbox("Voice license for Cy").disabled());
    assert_eq!(m.reason("Voice license for Cy"), "None available");
    // Ann's held seat can still be given back.
    assert!(!m.checkbox("Voice license for Ann").disabled());

    m.click(&m.checkbox("Voice license for Ann")).await;
    assert!(m.counter("Voice").contains("1 available"));
    assert!(!m.checkbox("Voice license for Cy").disabled());
    assert_eq!(m.reason("Voice license for Cy"), "");
    assert!(m.text().contains("2 unsaved changes"));

    // Untick Ben again: his edit disappears, Ann's remains.
    m.click(&m.checkbox("Voice license for Ben")).await;
    assert_eq!(m.editor.pending().with_untracked(|p| p.len()), 1);
    assert!(m.counter("Voice").contains("-1 unsaved"));
}

#[wasm_bindgen_test]
async fn disabled_boxes_carry_their_reason() {
    let (s, rows) = fixture();
    let m = mount(s, rows);
    let web_chat = m.checkbox("Web Chat license for Ben");
    assert!(web_chat.disabled());
    assert_eq!(
        m.reason("Web Chat license for Ben"),
        "Web Chat channel not purchased"
    );
    assert!(
        m.counter("Web Chat")
            .contains("Web Chat channel not purchased")
    );

    assert!(m.checkbox("Transcription license for Ben").disabled());
    assert_eq!(m.reason("Transcription license for Ben"), "Needs Voice");
    assert!(!m.checkbox("Transcription license for Ann").disabled());

    // With Transcription ticked, Ann's Voice cannot go.
    m.click(&m.checkbox("Transcription license for Ann")).await;
    assert!(m.checkbox("Voice license for Ann").disabled());
    assert_eq!(m.reason("Voice license for Ann"), "Needed by Transcription");
    // The full sentence is there for pointer users too.
    let title = m
        .find("#lic-1-voice-why")
        .get_attribute("title")
        .unwrap_or_default();
    assert!(title.contains("remove Transcription first"), "{title}");
}

#[wasm_bindgen_test]
async fn ticking_a_box_does_not_rebuild_the_table() {
    let (s, rows) = fixture();
    let m = mount(s, rows);
    let cy_row = m
        .checkbox("SMS license for Cy")
        .closest("tr")
        .unwrap()
        .unwrap();
    let ben_box = m.checkbox("SMS license for Ben");
    m.click(&ben_box).await;
    // Same DOM nodes, still in the document: only attributes and text moved.
    assert!(m.host.contains(Some(&cy_row)));
    assert!(m.host.contains(Some(&ben_box)));
    assert!(ben_box.checked());
    assert!(
        m.checkbox("SMS license for Cy").is_same_node(Some(
            cy_row
                .query_selector("input[aria-label='SMS license for Cy']")
                .unwrap()
                .unwrap()
                .as_ref()
        ))
    );
    assert_eq!(m.reason("SMS license for Cy"), "None available");
    assert!(
        ben_box
            .closest("tr")
            .unwrap()
            .unwrap()
            .class_name()
            .contains("edited")
    );
}

#[wasm_bindgen_test]
async fn discard_returns_to_the_saved_state() {
    let (s, rows) = fixture();
    let m = mount(s, rows);
    assert!(
        m.button("Save")
            .unchecked_ref::<web_sys::HtmlButtonElement>()
            .disabled()
    );
    m.click(&m.checkbox("SMS license for Cy")).await;
    m.click(&m.checkbox("Voice license for Ann")).await;
    assert!(
        !m.button("Save")
            .unchecked_ref::<web_sys::HtmlButtonElement>()
            .disabled()
    );
    m.click(&m.button("Discard")).await;
    assert!(!m.checkbox("SMS license for Cy").checked());
    assert!(m.checkbox("Voice license for Ann").checked());
    assert!(m.text().contains("No unsaved changes"));
    assert!(m.counter("SMS").contains("1 available"));
}

#[wasm_bindgen_test]
async fn a_user_gone_from_the_directory_keeps_its_licenses_but_gets_no_new_one() {
    let (summary, mut rows) = fixture();
    rows[0].gone = true;
    rows[0].source = AgentSource::RingCentral;
    rows[1].no_queue = true;
    let name = rows[0].name.clone();
    let other = rows[1].name.clone();
    let m = mount(summary, rows);
    let text = m.text();
    assert!(
        text.contains("Gone from directory: licenses held for review"),
        "{text}"
    );
    assert!(text.contains("Receives no queue calls"), "{text}");
    // Its Voice can be released ...
    let voice = m.checkbox(&format!("Voice license for {name}"));
    assert!(voice.checked() && !voice.disabled());
    // ... but nothing new given, and the box says why.
    let sms = m.checkbox(&format!("SMS license for {name}"));
    assert!(sms.disabled());
    assert_eq!(
        m.reason(&format!("SMS license for {name}")),
        "Gone from directory"
    );
    assert!(!m.checkbox(&format!("SMS license for {other}")).disabled());
    m.click(&voice.unchecked_into()).await;
    assert!(m.text().contains("1 unsaved change"), "{}", m.text());
}

#[wasm_bindgen_test]
async fn a_user_disabled_in_the_directory_keeps_its_licenses_but_gets_no_new_one() {
    let (summary, mut rows) = fixture();
    rows[0].disabled = true;
    rows[0].source = AgentSource::RingCentral;
    let name = rows[0].name.clone();
    let other = rows[1].name.clone();
    let m = mount(summary, rows);
    let text = m.text();
    assert!(
        text.contains("Disabled in directory: keeps its licenses, gets no new ones"),
        "{text}"
    );
    let voice = m.checkbox(&format!("Voice license for {name}"));
    assert!(voice.checked() && !voice.disabled());
    let sms = m.checkbox(&format!("SMS license for {name}"));
    assert!(sms.disabled());
    assert_eq!(
        m.reason(&format!("SMS license for {name}")),
        "Disabled in directory"
    );
    assert!(!m.checkbox(&format!("SMS license for {other}")).disabled());
}

#[wasm_bindgen_test]
async fn the_refresh_report_names_what_changed_and_calls_out_held_licenses() {
    use alc_domain::directory::*;
    let mut report = RefreshReport {
        id: 3,
        source: Some(AgentSource::RingCentral),
        finished_at: "2026-11-23T12:00:00.000Z".into(),
        users_read: 250,
        groups_read: 2,
        ..RefreshReport::default()
    };
    for i in 0..250 {
        report.added.push(UserEntry {
            name: format!("New User {i}"),
            extension: (2100 + i).to_string(),
            ..UserEntry::default()
        });
    }
    report.changed.push(EntryChange {
        name: "Jamal Carter".into(),
        extension: "2100".into(),
        changes: vec![FieldChange {
            field: "extension".into(),
            before: "2010".into(),
            after: "2100".into(),
        }],
    });
    report.held.push(UserEntry {
        name: "Olivia Bennett".into(),
        extension: "2015".into(),
        email: "olivia@x.example".into(),
        licenses: [LicenseType::Voice].into_iter().collect(),
    });
    report.conflicts.push(Conflict {
        kind: ConflictKind::Extension,
        value: "4003".into(),
        directory: "Ada Abbott".into(),
        other: "WebRTC agent Chloe Dubois".into(),
    });
    let host = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&host).unwrap();
    let _handle = leptos::mount::mount_to(host.clone().unchecked_into(), move || {
        view! { <RefreshReportView report=report.clone() /> }
    });
    let text = host.text_content().unwrap_or_default();
    for expected in [
        "250 users and 2 groups read",
        "250 users added, 1 user changed, 1 licensed user gone, 1 conflict.",
        "Licensed users gone from the directory: licenses held for review",
        "Olivia Bennett (2015, olivia@x.example): held Voice",
        "Jamal Carter (2100): extension “2010” → “2100”",
        "Users added (250)",
        "… and 50 more",
        "Ada Abbott has extension 4003, which WebRTC agent Chloe Dubois also has",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in {text}");
    }
    // A failed refresh says so, and that nothing changed.
    let failed = RefreshReport {
        error: Some(ErrorBody {
            code: ErrorCode::DirectoryUnavailable,
            message:
                "Nothing was changed: users page 3: still failing after 4 attempts (HTTP 500)."
                    .into(),
            fields: vec![],
        }),
        ..RefreshReport::default()
    };
    let host2 = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&host2).unwrap();
    let _handle2 = leptos::mount::mount_to(host2.clone().unchecked_into(), move || {
        view! { <RefreshReportView report=failed.clone() /> }
    });
    let alert = host2
        .query_selector("[role=alert]")
        .unwrap()
        .expect("an alert");
    assert!(
        alert
            .text_content()
            .unwrap()
            .contains("Nothing was changed")
    );
}
