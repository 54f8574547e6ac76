//! `/settings` — the account's settings, for admins: licenses purchased and the Web
//! Chat channel, the extension plan, and the UC directory connection. Each section
//! saves on its own; the server checks again and records each change in the audit log.

use alc_domain::{
    ErrorCode, ExtensionRange, ExtensionRanges, FieldError, FieldPath, LicenseType, Pool,
    Purchases, access::Role,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::json;

use crate::api::{Abort, Api, ApiError};
use crate::session::use_session;

/// A section's last save: nothing yet, saved, or refused (with field messages).
#[derive(Clone, Debug, Default, PartialEq)]
struct Outcome {
    saved: bool,
    error: Option<String>,
    fields: Vec<FieldError>,
}

impl Outcome {
    fn from(result: Result<(), ApiError>) -> Outcome {
        match result {
            Ok(()) => Outcome {
                saved: true,
                ..Outcome::default()
            },
            Err(ApiError::Server { body, .. }) => Outcome {
                error: Some(body.message),
                fields: body.fields,
                ..Outcome::default()
            },
            Err(e) => Outcome {
                error: Some(e.to_string()),
                ..Outcome::default()
            },
        }
    }

    fn field(&self, name: &str) -> Option<String> {
        self.fields
            .iter()
            .find(|f| f.field == name)
            .map(|f| f.message.clone())
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let admin = use_session().user().is_some_and(|u| u.role == Role::Admin);
    if !admin {
        return view! {
            <header class="alc-page-head">
                <h1>"Settings"</h1>
            </header>
            <p class="alc-alert alc-alert--warn" role="alert">
                "Only admins can change the account's settings."
            </p>
        }
        .into_any();
    }
    view! {
        <header class="alc-page-head">
            <p class="alc-crumb">"Account"</p>
            <h1>"Settings"</h1>
            <p class="alc-lede">"What the account bought, its extension plan, and its phone system's directory. Every change is recorded in the audit log."</p>
        </header>
        <PurchasesForm />
        <RangesForm />
        <DirectoryForm />
    }
    .into_any()
}

/// A labelled number input bound to `value`, with the server's or the rule's message.
#[component]
fn NumberField(
    id: &'static str,
    label: String,
    value: RwSignal<i64>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <div class="alc-field" class:alc-field--invalid=move || error.with(Option::is_some)>
            <label for=id>{label}</label>
            <input
                id=id
                type="number"
                min="0"
                inputmode="numeric"
                aria-invalid=move || error.with(Option::is_some).to_string()
                aria-describedby=error_id.clone()
                prop:value=move || value.get().to_string()
                on:input=move |ev| value.set(event_target_value(&ev).trim().parse().unwrap_or(-1))
            />
            <p class="alc-field__error" id=error_id>{move || error.get()}</p>
        </div>
    }
}

/// A field's message: the rule's, checked as the admin types, else the server's.
fn message_for(
    problems: Memo<Vec<FieldError>>,
    outcome: RwSignal<Outcome>,
    field: &'static str,
) -> Signal<Option<String>> {
    Signal::derive(move || {
        problems
            .with(|ps| {
                ps.iter()
                    .find(|f| f.field == field)
                    .map(|f| f.message.clone())
            })
            .or_else(|| outcome.with(|o| o.field(field)))
    })
}

fn status(outcome: RwSignal<Outcome>) -> impl IntoView {
    move || {
        outcome.with(|o| {
            if o.saved {
                Some(
                    view! { <p class="alc-alert alc-alert--ok" role="status">"Saved."</p> }
                        .into_any(),
                )
            } else {
                o.error.clone().map(|e| {
                    view! { <p class="alc-alert alc-alert--error" role="alert">{e}</p> }.into_any()
                })
            }
        })
    }
}

#[component]
fn PurchasesForm() -> impl IntoView {
    let api = expect_context::<Api>();
    let seats = LicenseType::ALL.map(|_| RwSignal::new(0i64));
    let channel = RwSignal::new(false);
    let pool = RwSignal::new(None::<Pool>);
    let outcome = RwSignal::new(Outcome::default());
    {
        let api = api.clone();
        spawn_local(async move {
            if let Ok(s) = api.licenses(&Abort::new()).await {
                let p = s.pool();
                for t in LicenseType::ALL {
                    seats[t.index()].set(p.entitlements.purchased[t]);
                }
                channel.set(p.entitlements.web_chat_channel);
                pool.set(Some(p));
            }
        });
    }
    let seat = move |t: LicenseType| seats[t.index()].get();
    let current = move || Purchases {
        voice: seat(LicenseType::Voice),
        web_chat: seat(LicenseType::WebChat),
        sms: seat(LicenseType::Sms),
        transcription: seat(LicenseType::Transcription),
        web_chat_channel: channel.get(),
    };
    // The same rule the server applies, against the counts as loaded.
    let problems = Memo::new(move |_| pool.get().map(|p| current().check(&p)).unwrap_or_default());
    let message = move |field: &'static str| message_for(problems, outcome, field);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !problems.with(Vec::is_empty) {
            return;
        }
        let api = api.clone();
        let p = current();
        spawn_local(async move {
            let result = api.set_purchases(&p, &Abort::new()).await;
            if let Ok(s) = &result {
                pool.set(Some(s.pool()));
            }
            outcome.set(Outcome::from(result.map(|_| ())));
        });
    };
    let fields = LicenseType::ALL.map(|t| {
        view! {
            <NumberField
                id=match t {
                    LicenseType::Voice => "alc-buy-voice",
                    LicenseType::WebChat => "alc-buy-web-chat",
                    LicenseType::Sms => "alc-buy-sms",
                    LicenseType::Transcription => "alc-buy-transcription",
                }
                label=format!("{} seats", t.label())
                value=seats[t.index()]
                error=message(t.key())
            />
        }
    });
    view! {
        <section class="alc-settings" aria-labelledby="alc-buy-title">
            <h2 id="alc-buy-title">"Licenses purchased"</h2>
            <form on:submit=save novalidate>
                <div class="alc-settings__grid">{fields}</div>
                <div class="alc-field">
                    <label class="alc-check">
                        <input type="checkbox" prop:checked=move || channel.get()
                            on:change=move |ev| channel.set(event_target_checked(&ev))
                            aria-describedby="alc-buy-channel-error" />
                        "Web Chat channel purchased"
                    </label>
                    <p class="alc-field__error" id="alc-buy-channel-error">
                        {move || message("web_chat_channel").get()}
                    </p>
                </div>
                {status(outcome)}
                <button type="submit" class="alc-button alc-button--primary">"Save purchases"</button>
            </form>
        </section>
    }
}

#[component]
fn RangesForm() -> impl IntoView {
    let api = expect_context::<Api>();
    let bounds: [RwSignal<i64>; 6] = std::array::from_fn(|_| RwSignal::new(0));
    let outcome = RwSignal::new(Outcome::default());
    {
        let api = api.clone();
        spawn_local(async move {
            if let Ok(r) = api.extension_ranges(&Abort::new()).await {
                for (i, range) in [r.uc_users, r.uc_groups, r.webrtc].iter().enumerate() {
                    bounds[2 * i].set(i64::from(range.first));
                    bounds[2 * i + 1].set(i64::from(range.last));
                }
            }
        });
    }
    let ranges = move || {
        let r = |i: usize| ExtensionRange {
            first: u32::try_from(bounds[2 * i].get()).unwrap_or(0),
            last: u32::try_from(bounds[2 * i + 1].get()).unwrap_or(0),
        };
        ExtensionRanges {
            uc_users: r(0),
            uc_groups: r(1),
            webrtc: r(2),
        }
    };
    let problems = Memo::new(move |_| ranges().validate());
    let message = move |field: &'static str| message_for(problems, outcome, field);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !problems.with(Vec::is_empty) {
            return;
        }
        let api = api.clone();
        let r = ranges();
        spawn_local(async move {
            let result = api.set_extension_ranges(&r, &Abort::new()).await;
            outcome.set(Outcome::from(result.map(|_| ())));
        });
    };
    let rows = [("uc_users", "UC users"), ("uc_groups", "UC groups"), ("webrtc", "WebRTC agents")]
        .into_iter()
        .enumerate()
        .map(|(i, (field, noun))| {
            let ids = [
                ["alc-range-users-from", "alc-range-users-to"],
                ["alc-range-groups-from", "alc-range-groups-to"],
                ["alc-range-webrtc-from", "alc-range-webrtc-to"],
            ][i];
            view! {
                <fieldset class="alc-settings__range">
                    <legend>{noun}</legend>
                    <NumberField id=ids[0] label=format!("{noun} from") value=bounds[2 * i] error=message(field) />
                    <NumberField id=ids[1] label=format!("{noun} to") value=bounds[2 * i + 1] error=Signal::derive(|| None::<String>) />
                </fieldset>
            }
        })
        .collect_view();
    view! {
        <section class="alc-settings" aria-labelledby="alc-ranges-title">
            <h2 id="alc-ranges-title">"Extension plan"</h2>
            <p class="alc-hint">"Separate ranges keep WebRTC agents apart from the phone system's users and groups; the agent form warns outside the WebRTC range."</p>
            <form on:submit=save novalidate>
                <div class="alc-settings__grid">{rows}</div>
                {status(outcome)}
                <button type="submit" class="alc-button alc-button--primary">"Save extension plan"</button>
            </form>
        </section>
    }
}

/// A credential field: JSON key, label, and whether it is a secret.
type CredentialField = (&'static str, &'static str, bool);

/// The systems and the credential fields each needs.
const SYSTEMS: &[(&str, &str, &[CredentialField])] = &[
    (
        "ring_central",
        "RingCentral",
        &[
            ("client_id", "Client ID", false),
            ("client_secret", "Client secret", true),
            ("jwt", "JWT credential", true),
        ],
    ),
    (
        "avaya_cloud_office",
        "Avaya Cloud Office",
        &[
            ("client_id", "Client ID", false),
            ("client_secret", "Client secret", true),
            ("jwt", "JWT credential", true),
        ],
    ),
    (
        "netsapiens",
        "Netsapiens",
        &[("domain", "Domain", false), ("key", "API key", true)],
    ),
    (
        "metaswitch",
        "Metaswitch",
        &[
            ("username", "Username", false),
            ("password", "Password", true),
            ("metaswitch_name", "MetaSwitch name", false),
            ("business_group", "Business group", false),
        ],
    ),
];

#[component]
fn DirectoryForm() -> impl IntoView {
    let api = expect_context::<Api>();
    let system = RwSignal::new("ring_central".to_string());
    let base_url = RwSignal::new(String::new());
    let values: [RwSignal<String>; 4] = std::array::from_fn(|_| RwSignal::new(String::new()));
    let outcome = RwSignal::new(Outcome::default());
    {
        let api = api.clone();
        spawn_local(async move {
            if let Ok(d) = api.directory(&Abort::new()).await {
                if let Some(s) = d.system {
                    system.set(s.key().to_string());
                }
                base_url.set(d.base_url);
            }
        });
    }
    let fields = move || {
        SYSTEMS
            .iter()
            .find(|(k, _, _)| *k == system.get())
            .map(|(_, _, f)| *f)
            .unwrap_or_default()
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let sys = system.get_untracked();
        let mut body = json!({"system": sys, "base_url": base_url.get_untracked().trim()});
        let mut missing = Vec::new();
        for (i, (key, label, _)) in fields().iter().enumerate() {
            let v = values[i].get_untracked().trim().to_string();
            if v.is_empty() {
                missing.push(FieldError {
                    field: FieldPath::Input(key.to_string()),
                    code: ErrorCode::Required,
                    message: format!("Enter the {}.", label.to_lowercase()),
                });
            }
            body[*key] = json!(v);
        }
        if !missing.is_empty() {
            outcome.set(Outcome {
                fields: missing,
                ..Outcome::default()
            });
            return;
        }
        if sys == "netsapiens" {
            let key = body["key"].take();
            body["auth"] = json!({"kind": "api_key", "key": key});
        }
        let api = api.clone();
        spawn_local(async move {
            let result = api.set_directory(&body, &Abort::new()).await;
            if result.is_ok() {
                // Credentials are write-only: they are not kept in the page either.
                for v in values {
                    v.set(String::new());
                }
            }
            outcome.set(Outcome::from(result.map(|_| ())));
        });
    };
    view! {
        <section class="alc-settings" aria-labelledby="alc-dir-title">
            <h2 id="alc-dir-title">"UC directory"</h2>
            <p class="alc-hint">"Credentials are write-only: they are stored on the server and never shown again. Enter them every time you change the connection."</p>
            <form on:submit=save novalidate>
                <div class="alc-field">
                    <label for="alc-dir-system">"Phone system"</label>
                    <select id="alc-dir-system" on:change=move |ev| system.set(event_target_value(&ev))>
                        {SYSTEMS.iter().map(|(key, label, _)| view! {
                            <option value=*key selected=move || system.get() == *key>{*label}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="alc-field" class:alc-field--invalid=move || outcome.with(|o| o.field("base_url").is_some())>
                    <label for="alc-dir-url">"Address"</label>
                    <input id="alc-dir-url" type="url" placeholder="https://platform.ringcentral.com"
                        aria-describedby="alc-dir-url-error"
                        prop:value=move || base_url.get()
                        on:input=move |ev| base_url.set(event_target_value(&ev)) />
                    <p class="alc-field__error" id="alc-dir-url-error">{move || outcome.with(|o| o.field("base_url"))}</p>
                </div>
                {move || fields().iter().enumerate().map(|(i, (key, label, secret))| {
                    let id = format!("alc-dir-{key}");
                    let error_id = format!("{id}-error");
                    let key = *key;
                    view! {
                        <div class="alc-field">
                            <label for=id.clone()>{*label}</label>
                            <input id=id type=if *secret { "password" } else { "text" } autocomplete="off"
                                aria-describedby=error_id.clone()
                                prop:value=move || values[i].get()
                                on:input=move |ev| values[i].set(event_target_value(&ev)) />
                            <p class="alc-field__error" id=error_id>{move || outcome.with(|o| o.field(key))}</p>
                        </div>
                    }
                }).collect_view()}
                {status(outcome)}
                <button type="submit" class="alc-button alc-button--primary">"Save connection"</button>
            </form>
        </section>
    }
}
