//! "UC directory": which phone system to read users and groups from, its address and
//! credentials, typed as `alc_domain::connection::DirectoryConnection`. Every sign-in
//! method a connector supports can be chosen (Netsapiens: an API key or the OAuth
//! password grant). Credentials are write-only: never loaded, cleared once saved.
//!
//! Saving a connection to another directory than the saved one (another system,
//! address or account: `DirectoryAddress::same_directory`) first asks, saying what the
//! next refresh will do to the old directory's phone users.

use alc_domain::AgentSource;
use alc_domain::connection::{
    Credential, DIRECTORY_SYSTEMS, DirectoryAddress, DirectoryConnection, MetaswitchSettings,
    NetsapiensAuth, NetsapiensSettings, RingCentralSettings,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{Outcome, status};
use crate::api::{Abort, Api};

/// How the Netsapiens connector signs in, as the form offers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NsAuth {
    ApiKey,
    Password,
}

impl NsAuth {
    const ALL: [NsAuth; 2] = [NsAuth::ApiKey, NsAuth::Password];

    fn key(self) -> &'static str {
        match self {
            NsAuth::ApiKey => "api-key",
            NsAuth::Password => "password",
        }
    }

    fn label(self) -> &'static str {
        match self {
            NsAuth::ApiKey => "With an API key",
            NsAuth::Password => "With the OAuth password grant",
        }
    }

    fn description(self) -> &'static str {
        match self {
            NsAuth::ApiKey => "A key (nsd-…) your Netsapiens operator issued for this domain.",
            NsAuth::Password => {
                "An API client's ID and secret, and the username and password of a user of the domain."
            }
        }
    }
}

/// One input of the form: the JSON name (which the field messages use), its label,
/// whether it is a credential, and its value.
#[derive(Clone, Copy)]
struct Input {
    name: &'static str,
    label: &'static str,
    secret: bool,
    value: RwSignal<String>,
}

/// Every input the form can show; which ones depends on the system and sign-in method.
#[derive(Clone, Copy)]
struct Inputs {
    rc_client_id: RwSignal<String>,
    rc_client_secret: RwSignal<String>,
    rc_jwt: RwSignal<String>,
    ns_domain: RwSignal<String>,
    ns_key: RwSignal<String>,
    ns_client_id: RwSignal<String>,
    ns_client_secret: RwSignal<String>,
    ns_username: RwSignal<String>,
    ns_password: RwSignal<String>,
    ms_username: RwSignal<String>,
    ms_password: RwSignal<String>,
    ms_name: RwSignal<String>,
    ms_group: RwSignal<String>,
}

impl Inputs {
    fn new() -> Self {
        let s = || RwSignal::new(String::new());
        Inputs {
            rc_client_id: s(),
            rc_client_secret: s(),
            rc_jwt: s(),
            ns_domain: s(),
            ns_key: s(),
            ns_client_id: s(),
            ns_client_secret: s(),
            ns_username: s(),
            ns_password: s(),
            ms_username: s(),
            ms_password: s(),
            ms_name: s(),
            ms_group: s(),
        }
    }

    /// The inputs shown for `system` (and, for Netsapiens, `auth`), in order.
    fn shown(self, system: AgentSource, auth: NsAuth) -> Vec<Input> {
        let input = |name, label, secret, value| Input {
            name,
            label,
            secret,
            value,
        };
        match system {
            AgentSource::Netsapiens => {
                let mut inputs = vec![input("domain", "Domain", false, self.ns_domain)];
                inputs.extend(match auth {
                    NsAuth::ApiKey => vec![input("key", "API key", true, self.ns_key)],
                    NsAuth::Password => vec![
                        input("client_id", "Client ID", false, self.ns_client_id),
                        input(
                            "client_secret",
                            "Client secret",
                            true,
                            self.ns_client_secret,
                        ),
                        input("username", "Username", false, self.ns_username),
                        input("password", "Password", true, self.ns_password),
                    ],
                });
                inputs
            }
            AgentSource::Metaswitch => vec![
                input("username", "Username", false, self.ms_username),
                input("password", "Password", true, self.ms_password),
                input("metaswitch_name", "MetaSwitch name", false, self.ms_name),
                input("business_group", "Business group", false, self.ms_group),
            ],
            _ => vec![
                input("client_id", "Client ID", false, self.rc_client_id),
                input(
                    "client_secret",
                    "Client secret",
                    true,
                    self.rc_client_secret,
                ),
                input("jwt", "JWT credential", true, self.rc_jwt),
            ],
        }
    }

    /// The connection the form describes (read without tracking: for a save).
    fn connection(self, system: AgentSource, auth: NsAuth, base_url: &str) -> DirectoryConnection {
        let text = |s: RwSignal<String>| s.get_untracked().trim().to_string();
        let secret = |s: RwSignal<String>| Credential::new(text(s));
        let base_url = base_url.trim().to_string();
        let rc = || RingCentralSettings {
            base_url: base_url.clone(),
            client_id: text(self.rc_client_id),
            client_secret: secret(self.rc_client_secret),
            jwt: secret(self.rc_jwt),
        };
        match system {
            AgentSource::AvayaCloudOffice => DirectoryConnection::AvayaCloudOffice(rc()),
            AgentSource::Netsapiens => DirectoryConnection::Netsapiens(NetsapiensSettings {
                base_url: base_url.clone(),
                domain: text(self.ns_domain),
                auth: match auth {
                    NsAuth::ApiKey => NetsapiensAuth::ApiKey {
                        key: secret(self.ns_key),
                    },
                    NsAuth::Password => NetsapiensAuth::Password {
                        client_id: text(self.ns_client_id),
                        client_secret: secret(self.ns_client_secret),
                        username: text(self.ns_username),
                        password: secret(self.ns_password),
                    },
                },
            }),
            AgentSource::Metaswitch => DirectoryConnection::Metaswitch(MetaswitchSettings {
                base_url: base_url.clone(),
                username: text(self.ms_username),
                password: secret(self.ms_password),
                metaswitch_name: text(self.ms_name),
                business_group: text(self.ms_group),
            }),
            _ => DirectoryConnection::RingCentral(rc()),
        }
    }

    /// Forgets every value but the system and address: credentials are not kept in the
    /// page once saved.
    fn clear(self) {
        for s in [
            self.rc_client_id,
            self.rc_client_secret,
            self.rc_jwt,
            self.ns_domain,
            self.ns_key,
            self.ns_client_id,
            self.ns_client_secret,
            self.ns_username,
            self.ns_password,
            self.ms_username,
            self.ms_password,
            self.ms_name,
            self.ms_group,
        ] {
            s.set(String::new());
        }
    }
}

/// What saving `new` over `old` will do, in the words the confirmation shows.
fn switch_consequence(old: &DirectoryAddress, new: &DirectoryAddress) -> String {
    let old = old.describe();
    format!(
        "This connects {} instead of {old}. Phone users imported from {old} that hold no license will be removed at the next refresh, and its queues replaced; licensed ones are kept and flagged as gone from the directory, with their licenses held for review until a supervisor releases them. Switching back later imports the removed users again as new phone users, without what was set for them here.",
        new.describe()
    )
}

#[component]
pub(super) fn DirectoryForm() -> impl IntoView {
    let api = expect_context::<Api>();
    let system = RwSignal::new(AgentSource::RingCentral);
    let auth = RwSignal::new(NsAuth::ApiKey);
    let base_url = RwSignal::new(String::new());
    let inputs = Inputs::new();
    let outcome = RwSignal::new(Outcome::default());
    // The directory saved now, as the server has it.
    let saved = RwSignal::new(None::<DirectoryAddress>);
    // A connection to another directory, waiting for the admin to confirm the switch.
    let pending = RwSignal::new(None::<DirectoryConnection>);
    let busy = RwSignal::new(false);
    // Whether the admin has changed the form: the saved connection, when it arrives,
    // fills it only if not (a slow answer must not wipe what they typed meanwhile).
    let touched = RwSignal::new(false);
    {
        let api = api.clone();
        spawn_local(async move {
            if let Ok(d) = api.directory(&Abort::new()).await {
                if !touched.get_untracked() {
                    if let Some(s) = d.system {
                        system.set(s);
                    }
                    base_url.set(d.base_url.clone());
                }
                saved.set(d.address());
            }
        });
    }
    let send = move |conn: DirectoryConnection| {
        let api = api.clone();
        busy.set(true);
        spawn_local(async move {
            let result = api.set_directory(&conn, &Abort::new()).await;
            if let Ok(summary) = &result {
                inputs.clear();
                saved.set(summary.address());
            }
            busy.set(false);
            outcome.set(Outcome::from(result.map(|_| ())));
        });
    };
    let save = {
        let send = send.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let conn = inputs.connection(
                system.get_untracked(),
                auth.get_untracked(),
                &base_url.get_untracked(),
            );
            let missing = conn.validate();
            if !missing.is_empty() {
                outcome.set(Outcome {
                    fields: missing,
                    ..Outcome::default()
                });
                return;
            }
            let switch = saved.with_untracked(|s| {
                s.as_ref()
                    .is_some_and(|old| !old.same_directory(&conn.address()))
            });
            if switch {
                outcome.set(Outcome::default());
                pending.set(Some(conn));
            } else {
                send(conn);
            }
        }
    };
    let confirm = move |_| {
        if let Some(conn) = pending.get_untracked() {
            pending.set(None);
            send(conn);
        }
    };
    let cancel = move |_| pending.set(None);
    // The question takes the keyboard's focus when it appears, so it is read first.
    let dialog = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(d) = dialog.get() {
            let _ = d.focus();
        }
    });
    let message = move |name: &'static str| move || outcome.with(|o| o.field(name));
    let invalid = move |name: &'static str| move || outcome.with(|o| o.field(name).is_some());
    let auth_choice = move || {
        (system.get() == AgentSource::Netsapiens).then(|| {
            view! {
                <fieldset class="alc-radios">
                    <legend>"Sign-in method"</legend>
                    {NsAuth::ALL
                        .map(|a| {
                            let id = format!("alc-dir-auth-{}", a.key());
                            let desc = format!("{id}-desc");
                            view! {
                                <div class="alc-radio">
                                    <input type="radio" name="alc-dir-auth" id=id.clone()
                                        aria-describedby=desc.clone()
                                        prop:checked=move || auth.get() == a
                                        on:change=move |_| auth.set(a) />
                                    <label for=id>{a.label()}</label>
                                    <p class="alc-field__hint" id=desc>{a.description()}</p>
                                </div>
                            }
                        })}
                </fieldset>
            }
        })
    };
    let fields = move || {
        inputs
            .shown(system.get(), auth.get())
            .into_iter()
            .map(|f| {
                let id = format!("alc-dir-{}", f.name.replace('_', "-"));
                let error_id = format!("{id}-error");
                view! {
                    <div class="alc-field" class:alc-field--invalid=invalid(f.name)>
                        <label for=id.clone()>{f.label}</label>
                        <input id=id type=if f.secret { "password" } else { "text" }
                            autocomplete=if f.secret { "new-password" } else { "off" }
                            aria-invalid=move || invalid(f.name)().to_string()
                            aria-describedby=error_id.clone()
                            prop:value=move || f.value.get()
                            on:input=move |ev| f.value.set(event_target_value(&ev)) />
                        <p class="alc-field__error" id=error_id>{message(f.name)}</p>
                    </div>
                }
            })
            .collect_view()
    };
    let confirmation = move || {
        let conn = pending.get()?;
        let old = saved.get()?;
        Some(view! {
            <div class="alc-confirm" role="alertdialog" aria-labelledby="alc-dir-switch-title"
                aria-describedby="alc-dir-switch-desc" tabindex="-1" node_ref=dialog>
                <h2 id="alc-dir-switch-title">"Switch to another directory?"</h2>
                <p id="alc-dir-switch-desc">{switch_consequence(&old, &conn.address())}</p>
                <button type="button" class="alc-button alc-button--danger" on:click=confirm.clone()>
                    "Switch directory"
                </button>
                <button type="button" class="alc-button" on:click=cancel>"Cancel"</button>
            </div>
        })
    };
    view! {
        <section class="alc-settings" aria-labelledby="alc-dir-title">
            <h2 id="alc-dir-title">"UC directory"</h2>
            <p class="alc-hint">"Credentials are write-only: they are stored on the server and never shown again. Enter them every time you change the connection."</p>
            // Changing anything while a switch waits for confirmation withdraws it: the
            // admin confirms what the form says, not what it said.
            <form on:submit=save
                on:input=move |_| { touched.set(true); pending.set(None) }
                on:change=move |_| { touched.set(true); pending.set(None) }
                novalidate>
                <div class="alc-field">
                    <label for="alc-dir-system">"Phone system"</label>
                    <select id="alc-dir-system" on:change=move |ev| {
                        if let Some(s) = AgentSource::from_key(&event_target_value(&ev)) {
                            system.set(s);
                        }
                    }>
                        {DIRECTORY_SYSTEMS.map(|s| view! {
                            <option value=s.key() selected=move || system.get() == s>{s.label()}</option>
                        })}
                    </select>
                </div>
                <div class="alc-field" class:alc-field--invalid=invalid("base_url")>
                    <label for="alc-dir-url">"Address"</label>
                    <input id="alc-dir-url" type="url" placeholder="https://platform.ringcentral.com"
                        aria-invalid=move || invalid("base_url")().to_string()
                        aria-describedby="alc-dir-url-error"
                        prop:value=move || base_url.get()
                        on:input=move |ev| base_url.set(event_target_value(&ev)) />
                    <p class="alc-field__error" id="alc-dir-url-error">{message("base_url")}</p>
                </div>
                {auth_choice}
                {fields}
                {status(outcome)}
                <button type="submit" class="alc-button alc-button--primary"
                    disabled=move || busy.get() || pending.with(Option::is_some)>
                    "Save connection"
                </button>
            </form>
            {confirmation}
        </section>
    }
}
