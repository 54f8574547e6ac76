//! "Extension plan": the ranges of UC users, UC groups and WebRTC agents.

use alc_domain::{ExtensionRange, ExtensionRanges};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{NumberField, Outcome, message_for, status};
use crate::api::{Abort, Api};

#[component]
pub(super) fn RangesForm() -> impl IntoView {
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
