//! The agent form in a real browser: messages appear next to their field once it is
//! left, are tied to it for screen readers, clear as the field is fixed; suggestion
//! buttons fill their field.
#![cfg(target_arch = "wasm32")]

use agent_licensing_console::components::AgentForm;
use agent_licensing_console::licensing::LicenseEditor;
use agent_licensing_console::profile_form::ProfileForm;
use agent_licensing_console::router::Navigator;
use alc_domain::api::Availability;
use alc_domain::*;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

struct Mounted {
    host: Element,
    form: ProfileForm,
    _handle: leptos::mount::UnmountHandle<leptos::tachys::view::any_view::AnyViewState>,
}

fn mount() -> Mounted {
    let host = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&host).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = leptos::mount::mount_to(host.clone().unchecked_into(), move || {
        provide_context(Navigator::new(""));
        let editor = LicenseEditor::new(Some(LicenseSummary::from_pool(&Pool::default())));
        let form = ProfileForm::new(AgentProfile::default());
        tx.send(form).unwrap();
        let agent = Agent {
            id: AgentId(0),
            name: "the new agent".into(),
            email: String::new(),
            extension: String::new(),
            source: AgentSource::Webrtc,
            licenses: LicenseSet::EMPTY,
            version: Version(1),
            gone: false,
            disabled: false,
            no_queue: false,
        };
        view! {
            <AgentForm
                form
                editor
                agent
                ranges=Signal::derive(ExtensionRanges::default)
                next_extension=Signal::derive(|| Some("4015".to_string()))
                directory=None
            />
        }
        .into_any()
    });
    Mounted {
        host,
        form: rx.recv().unwrap(),
        _handle: handle,
    }
}

impl Mounted {
    /// The input a `<label>` with this text names.
    fn field(&self, label: &str) -> HtmlInputElement {
        let labels = self.host.query_selector_all("label").unwrap();
        let id = (0..labels.length())
            .filter_map(|i| labels.item(i))
            .map(|l| l.unchecked_into::<Element>())
            .find(|l| l.text_content().as_deref() == Some(label))
            .unwrap_or_else(|| panic!("no label {label}"))
            .get_attribute("for")
            .unwrap();
        document().get_element_by_id(&id).unwrap().unchecked_into()
    }

    /// The message a screen reader reads with the field.
    fn message(&self, label: &str) -> String {
        let ids = self
            .field(label)
            .get_attribute("aria-describedby")
            .unwrap_or_default();
        ids.split(' ')
            .filter_map(|id| document().get_element_by_id(id))
            .filter(|e| e.class_name().contains("error"))
            .filter_map(|e| e.text_content())
            .collect()
    }

    async fn type_and_leave(&self, label: &str, text: &str) {
        let input = self.field(label);
        input.set_value(text);
        input
            .dispatch_event(&web_sys::Event::new("input").unwrap())
            .unwrap();
        input
            .dispatch_event(&web_sys::Event::new("blur").unwrap())
            .unwrap();
        leptos::task::tick().await;
    }

    fn button(&self, text: &str) -> HtmlElement {
        let buttons = self.host.query_selector_all("button").unwrap();
        (0..buttons.length())
            .filter_map(|i| buttons.item(i))
            .find(|b| b.text_content().as_deref() == Some(text))
            .unwrap_or_else(|| panic!("no button {text}"))
            .unchecked_into()
    }
}

#[wasm_bindgen_test]
async fn messages_appear_once_a_field_is_left_and_clear_when_fixed() {
    let m = mount();
    // Nothing shouts before the user has done anything.
    assert_eq!(m.message("Email Address"), "");
    m.type_and_leave("Email Address", "jane@").await;
    assert_eq!(
        m.field("Email Address")
            .get_attribute("aria-invalid")
            .as_deref(),
        Some("true")
    );
    assert!(!m.message("Email Address").is_empty());
    m.type_and_leave("Email Address", "jane.doe@example.com")
        .await;
    assert_eq!(m.message("Email Address"), "");
    assert_eq!(
        m.field("Email Address")
            .get_attribute("aria-invalid")
            .as_deref(),
        Some("false")
    );

    m.type_and_leave("Extension", "40a1").await;
    assert!(
        m.message("Extension").contains("digit"),
        "{}",
        m.message("Extension")
    );
    m.type_and_leave("Extension", "4001").await;
    assert_eq!(m.message("Extension"), "");

    // Save tried: even untouched fields say what they need.
    m.form.submitted.set(true);
    leptos::task::tick().await;
    assert!(!m.message("Name").is_empty());
    assert!(!m.form.is_valid());
}

#[wasm_bindgen_test]
async fn suggestions_fill_their_fields() {
    let m = mount();
    m.type_and_leave("Email Address", "rosa@example.com").await;
    // What the server's as-you-type check answers for a phone user's address.
    m.form.availability.set(Availability {
        email: Some(FieldError {
            field: "email".into(),
            code: ErrorCode::EmailIsUcUser,
            message: "This is the email of phone user Rosa (2001).".into(),
        }),
        email_suggestion: Some("rosa+webrtc@example.com".into()),
        extension: None,
    });
    leptos::task::tick().await;
    assert!(m.message("Email Address").contains("phone user Rosa"));
    m.button("Use rosa+webrtc@example.com").click();
    leptos::task::tick().await;
    assert_eq!(m.field("Email Address").value(), "rosa+webrtc@example.com");
    assert_eq!(m.message("Email Address"), "");

    // An extension outside the WebRTC range is allowed, with a warning and an offer.
    m.type_and_leave("Extension", "2500").await;
    assert!(
        m.host
            .text_content()
            .unwrap()
            .contains("Outside the WebRTC range 4000–4999")
    );
    m.button("Use next free extension 4015").click();
    leptos::task::tick().await;
    assert_eq!(m.field("Extension").value(), "4015");
    assert!(
        !m.host
            .text_content()
            .unwrap()
            .contains("Outside the WebRTC range")
    );
}
