//! Bulk changes on a licensing list: how many agents are picked, "all N matching",
//! and Assign or Remove one license type for all of them, which adds to the unsaved
//! changes as ticks do (Save is the same one batch).
//!
//! The count and the picking are in the first load; the actions, and what they did,
//! are a split point (`chunk::bulk_actions`), fetched the first time a row is picked.

use alc_domain::{Agent, AgentPage, AgentQuery, BulkOutcome, LicenseType, MAX_BATCH_CHANGES};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{Abort, Api, ApiError};
use crate::components::Picking;
use crate::licensing::LicenseEditor;

/// What the bulk bar works on: the list's picking, its page and query, its editor.
#[derive(Clone, Copy)]
pub struct BulkArgs {
    pub picking: Picking,
    pub bulk: RwSignal<Option<Bulk>>,
    pub page: RwSignal<Option<AgentPage>>,
    pub query: Memo<AgentQuery>,
    pub editor: LicenseEditor,
    /// What the rows are, in the plural.
    pub noun: &'static str,
}

impl BulkArgs {
    fn total(&self) -> u64 {
        self.page.with(|p| p.as_ref().map_or(0, |p| p.total))
    }

    fn count(&self) -> u64 {
        self.picking.count(self.total())
    }
}

/// A bulk change just made to the pending changes, shown until the next one or Save.
#[derive(Clone, Debug)]
pub enum Bulk {
    Done {
        t: LicenseType,
        assign: bool,
        outcome: BulkOutcome,
    },
    /// The agents matching could not be read.
    Failed(ApiError),
}

/// Above the table: the count of agents picked (announced), "Select all N matching",
/// Clear selection, and once anything is picked, the actions.
#[component]
pub fn BulkBar(args: BulkArgs) -> impl IntoView {
    let BulkArgs {
        picking,
        bulk,
        page,
        noun,
        ..
    } = args;
    let total = move || args.total();
    let count = move || args.count();
    let on_page = move || page.with(|p| p.as_ref().map_or(0, |p| p.agents.len() as u64));
    let page_picked = move || {
        page.with(|p| {
            p.as_ref().is_some_and(|p| {
                !p.agents.is_empty()
                    && picking
                        .picked
                        .with(|picked| p.agents.iter().all(|a| picked.contains_key(&a.id)))
            })
        })
    };
    let offer_all = move || {
        !picking.all_matching.get()
            && page_picked()
            && total() > on_page()
            && total() <= MAX_BATCH_CHANGES as u64
    };
    let any = Memo::new(move |_| count() > 0);
    view! {
        <div class="alc-bulk" role="group" aria-label=format!("Change the selected {noun}")>
            <p class="alc-bulk__count" role="status">
                {move || match count() {
                    0 => format!("No {noun} selected"),
                    n if picking.all_matching.get() => format!("All {n} matching {noun} selected"),
                    n => format!("{n} selected"),
                }}
            </p>
            <Show when=offer_all>
                <button
                    type="button"
                    class="alc-button alc-button--small"
                    on:click=move |_| picking.all_matching.set(true)
                >
                    {move || format!("Select all {} matching {noun}", total())}
                </button>
            </Show>
            <Show when=move || any.get()>
                <button
                    type="button"
                    class="alc-button alc-button--small"
                    on:click=move |_| {
                        picking.clear();
                        bulk.set(None);
                    }
                >
                    "Clear selection"
                </button>
            </Show>
            {move || any.get().then(|| crate::chunk::bulk_actions(args))}
        </div>
        {move || bulk.get().is_some().then(|| crate::chunk::bulk_notice(args))}
    }
}

/// License, Assign and Remove, for the agents picked.
#[component]
pub fn BulkActions(args: BulkArgs) -> impl IntoView {
    let BulkArgs {
        picking,
        bulk,
        query,
        editor,
        noun,
        ..
    } = args;
    let api = expect_context::<Api>();
    let license = RwSignal::new(LicenseType::Voice);
    let fetching = RwSignal::new(false);
    let run = StoredValue::new_local(move |assign: bool| {
        let t = license.get_untracked();
        bulk.set(None);
        if picking.all_matching.get_untracked() {
            fetching.set(true);
            let api = api.clone();
            let q = query.get_untracked();
            spawn_local(async move {
                let result = api.selection(&q, &Abort::new()).await;
                fetching.set(false);
                bulk.set(Some(match result {
                    Ok(sel) => Bulk::Done {
                        t,
                        assign,
                        outcome: editor.set_many(&sel.agents, t, assign),
                    },
                    Err(e) => Bulk::Failed(e),
                }));
            });
        } else {
            // In the list's own order (by name, then id), so that when seats run out
            // they go to the agents a supervisor sees first.
            let mut agents: Vec<Agent> = picking
                .picked
                .with_untracked(|p| p.values().cloned().collect());
            agents.sort_by(|a, b| {
                (a.name.to_ascii_lowercase(), a.id).cmp(&(b.name.to_ascii_lowercase(), b.id))
            });
            let outcome = editor.set_many(&agents, t, assign);
            bulk.set(Some(Bulk::Done { t, assign, outcome }));
        }
    });
    let idle = move || args.count() == 0 || fetching.get() || editor.saving.get();
    let on_license = move |ev: leptos::ev::Event| {
        if let Some(t) = LicenseType::from_key(&event_target_value(&ev)) {
            license.set(t);
        }
    };
    view! {
        <span class="alc-filter">
            <label for="alc-bulk-license">"License"</label>
            <select id="alc-bulk-license" on:change=on_license>
                {LicenseType::ALL.map(|t| view! { <option value=t.key()>{t.label()}</option> })}
            </select>
        </span>
        <button type="button" class="alc-button" disabled=idle on:click=move |_| run.with_value(|run| run(true))>
            "Assign"
        </button>
        <button type="button" class="alc-button" disabled=idle on:click=move |_| run.with_value(|run| run(false))>
            "Remove"
        </button>
        <Show when=move || fetching.get()>
            <span class="alc-loading" role="status">{format!("Finding the {noun}…")}</span>
        </Show>
    }
}

/// The last bulk change's outcome.
#[component]
pub fn BulkOutcomeView(args: BulkArgs) -> impl IntoView {
    let noun = args.noun;
    move || {
        args.bulk
            .get()
            .map(|b| view! { <BulkNotice bulk=b noun /> })
    }
}

/// What a bulk change did: how many it changed and left, and every agent it could
/// not change with the reason.
#[component]
fn BulkNotice(bulk: Bulk, noun: &'static str) -> impl IntoView {
    let (t, assign, outcome) = match bulk {
        Bulk::Failed(e) => {
            return view! {
                <div class="alc-alert alc-alert--error" role="alert">
                    <p>{format!("The matching {noun} could not be read. ")} {e.to_string()}</p>
                </div>
            }
            .into_any();
        }
        Bulk::Done { t, assign, outcome } => (t, assign, outcome),
    };
    let agents = |n: usize| {
        if n == 1 {
            "1 agent".to_string()
        } else {
            format!("{n} agents")
        }
    };
    let mut summary = match (assign, outcome.changed) {
        (_, 0) => "Nothing changed.".to_string(),
        (true, n) => format!("{t} added for {}: save to apply.", agents(n)),
        (false, n) => format!("{t} removed from {}: save to apply.", agents(n)),
    };
    if outcome.unchanged > 0 {
        summary.push_str(&format!(
            " {} already {}.",
            agents(outcome.unchanged),
            if assign {
                format!("held {t}")
            } else {
                format!("did not hold {t}")
            }
        ));
    }
    let refused = outcome.refused.len();
    let class = if refused > 0 {
        "alc-alert alc-alert--warn"
    } else {
        "alc-alert alc-alert--ok"
    };
    view! {
        <div class=class role="status">
            <p>{summary}</p>
            {(refused > 0).then(|| view! {
                <p>
                    {format!(
                        "{} could not be changed, and {}:",
                        agents(refused),
                        if refused == 1 { "stays as it is" } else { "stay as they are" }
                    )}
                </p>
                <ul class="alc-refusals">
                    {outcome
                        .refused
                        .into_iter()
                        .map(|r| view! {
                            <li>
                                <strong>{r.name}</strong>
                                {format!(": {}", r.block.message(t))}
                            </li>
                        })
                        .collect_view()}
                </ul>
            })}
        </div>
    }
    .into_any()
}
