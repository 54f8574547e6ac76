//! "Licenses purchased": seats per license type and the Web Chat channel, checked as
//! the admin types against the counts as loaded (the server checks again).

use alc_domain::{LicenseType, Pool, Purchases};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{NumberField, Outcome, message_for, status};
use crate::api::{Abort, Api};

/// The seat inputs, one per license type.
#[derive(Clone, Copy)]
struct Seats {
    voice: RwSignal<i64>,
    web_chat: RwSignal<i64>,
    sms: RwSignal<i64>,
    transcription: RwSignal<i64>,
}

impl Seats {
    fn new() -> Self {
        Seats {
            voice: RwSignal::new(0),
            web_chat: RwSignal::new(0),
            sms: RwSignal::new(0),
            transcription: RwSignal::new(0),
        }
    }

    fn of(self, t: LicenseType) -> RwSignal<i64> {
        match t {
            LicenseType::Voice => self.voice,
            LicenseType::WebChat => self.web_chat,
            LicenseType::Sms => self.sms,
            LicenseType::Transcription => self.transcription,
        }
    }
}

#[component]
pub(super) fn PurchasesForm() -> impl IntoView {
    let api = expect_context::<Api>();
    let seats = Seats::new();
    let channel = RwSignal::new(false);
    let pool = RwSignal::new(None::<Pool>);
    let outcome = RwSignal::new(Outcome::default());
    {
        let api = api.clone();
        spawn_local(async move {
            if let Ok(s) = api.licenses(&Abort::new()).await {
                let p = s.pool();
                for t in LicenseType::ALL {
                    seats.of(t).set(p.entitlements.purchased[t]);
                }
                channel.set(p.entitlements.web_chat_channel);
                pool.set(Some(p));
            }
        });
    }
    let current = move || Purchases {
        voice: seats.voice.get(),
        web_chat: seats.web_chat.get(),
        sms: seats.sms.get(),
        transcription: seats.transcription.get(),
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
                value=seats.of(t)
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
