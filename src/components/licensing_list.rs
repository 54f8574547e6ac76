//! A licensing list: the counters, search, the table of agents with their license
//! boxes, paging, Save/Discard and the outcome of a save. Both licensing screens are
//! this list with their own header: Agent Licensing (every agent) and Phone User
//! Licensing (the directory's users).

use std::collections::BTreeSet;
use std::time::Duration;

use alc_domain::{Agent, AgentId, AgentKind, AgentPage, AgentQuery, FieldPath};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{Abort, Api, ApiError};
use crate::components::{AgentTable, LicenseCounters, SaveBar};
use crate::flash::use_flash;
use crate::licensing::LicenseEditor;
use crate::router::{Location, encode, use_navigator};
use crate::task::{Load, Loader};

/// The outcome of the last Save, shown above the table.
#[derive(Clone, Debug, PartialEq)]
enum Notice {
    Flash(String),
    Saved(usize),
    Failed(ApiError),
    /// Someone else changed these agents: offer to reload them.
    Conflict(ApiError, BTreeSet<AgentId>),
}

/// The page of agents a licensing list at `l` shows.
pub fn list_query(l: &Location, kind: Option<AgentKind>) -> AgentQuery {
    AgentQuery {
        q: l.get("q"),
        page: l.get("page").and_then(|p| p.parse().ok()),
        // Not offered on screen yet (issue 14 brings a choice); a link may ask.
        per_page: l.get("per_page").and_then(|p| p.parse().ok()),
        kind,
    }
}

#[component]
pub fn LicensingList(
    /// Only agents of this kind; all when `None`.
    kind: Option<AgentKind>,
    /// The page's own path, where search and paging go in the query string.
    path: &'static str,
    /// What the rows are, in the plural ("agents", "phone users").
    noun: &'static str,
    /// Bumped by the page to reload the list (after a directory refresh).
    #[prop(optional, into)]
    reload_when: Signal<u64>,
    /// Actions under the list, such as Add Agent.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let api = expect_context::<Api>();
    let nav = use_navigator();
    let query = Memo::new(move |_| list_query(&nav.location(), kind));

    let editor = LicenseEditor::new(None);
    let rows = RwSignal::new(Vec::<Agent>::new());
    let page = RwSignal::new(None::<AgentPage>);
    let load = Loader::new();
    // "Added Priya Raman." and the like, from the form we came back from.
    let notice = RwSignal::new(use_flash().take().map(Notice::Flash));
    let saving_call = StoredValue::new_local(None::<Abort>);

    // Loads the counts and the page of agents the URL asks for, replacing (and so
    // cancelling) any load still running.
    let reload = {
        let api = api.clone();
        move || {
            let q = query.get_untracked();
            let api = api.clone();
            load.run(
                move |abort| async move {
                    let (summary, agents) =
                        futures::join!(api.licenses(&abort), api.agents(&q, &abort));
                    Ok::<_, ApiError>((summary?, agents?))
                },
                move |(summary, agents)| {
                    editor.set_summary(summary);
                    rows.set(agents.agents.clone());
                    page.set(Some(agents));
                },
            );
        }
    };
    Effect::new({
        let reload = reload.clone();
        move |_| {
            query.track();
            reload_when.track();
            reload();
        }
    });
    on_cleanup(move || {
        if let Some(a) = saving_call.try_get_value().flatten() {
            a.abort();
        }
    });

    // Leaving with unsaved ticks asks first (console links and the browser alike).
    nav.guard(Signal::derive(move || {
        !editor.pending().with(|p| p.is_empty())
    }));

    let save = Callback::new({
        let api = api.clone();
        move |()| {
            let batch = editor.pending().with_untracked(|p| p.to_batch());
            if batch.changes.is_empty() || editor.saving.get_untracked() {
                return;
            }
            editor.saving.set(true);
            notice.set(None);
            let abort = Abort::new();
            saving_call.set_value(Some(abort.clone()));
            let api = api.clone();
            spawn_local(async move {
                let result = api.save_license_changes(&batch, &abort).await;
                editor.saving.set(false);
                match result {
                    Ok(saved) => {
                        editor.update_pending(|p| p.clear());
                        editor.set_summary(saved.summary);
                        rows.update(|rows| {
                            for row in rows.iter_mut() {
                                if let Some(a) = saved.agents.iter().find(|a| a.id == row.id) {
                                    *row = a.clone();
                                }
                            }
                        });
                        notice.set(Some(Notice::Saved(batch.changes.len())));
                    }
                    Err(ApiError::Aborted) => {}
                    Err(e) => {
                        if e.status() == Some(409) {
                            let stale = conflicting_agents(&e, &batch.changes);
                            notice.set(Some(Notice::Conflict(e, stale)));
                        } else {
                            notice.set(Some(Notice::Failed(e)));
                        }
                        // The counts may have moved (another supervisor took seats):
                        // show them as they are, keeping every tick.
                        if let Ok(s) = api.licenses(&abort).await {
                            editor.set_summary(s);
                        }
                    }
                }
            });
        }
    });
    let discard = Callback::new(move |()| {
        editor.update_pending(|p| p.clear());
        notice.set(None);
    });
    let reload_conflicts = {
        let reload = reload.clone();
        move |stale: BTreeSet<AgentId>| {
            editor.update_pending(|p| stale.iter().for_each(|id| p.forget(*id)));
            notice.set(None);
            reload();
        }
    };

    let go = move |q: Option<String>, page: u32| {
        let mut url = String::from(path);
        let mut sep = '?';
        if let Some(q) = q.filter(|q| !q.trim().is_empty()) {
            url.push_str(&format!("?q={}", encode(q.trim())));
            sep = '&';
        }
        if page > 1 {
            url.push_str(&format!("{sep}page={page}"));
            sep = '&';
        }
        if let Some(per_page) = query.get_untracked().per_page {
            url.push_str(&format!("{sep}per_page={per_page}"));
        }
        nav.go(&url, true);
    };

    view! {
        <LicenseCounters editor />
        <SearchBox query go noun />
        <Notices notice reload_conflicts />
        {move || match load.get() {
            Load::Failed(e) => {
                let retry = reload.clone();
                view! {
                    <div class="alc-alert alc-alert--error" role="alert">
                        <p>{format!("The {noun} could not be loaded. ")} {e.to_string()}</p>
                        <button type="button" class="alc-button" on:click=move |_| retry()>
                            "Try again"
                        </button>
                    </div>
                }
                    .into_any()
            }
            Load::Loading if page.with(Option::is_none) => {
                view! {
                    <p class="alc-loading" role="status">
                        {format!("Loading {noun}…")}
                    </p>
                }
                    .into_any()
            }
            _ => ().into_any(),
        }}
        <Show when=move || page.with(|p| p.as_ref().is_some_and(|p| p.total == 0))>
            <p class="alc-empty" role="status">
                {move || match query.with(AgentQuery::search) {
                    Some(q) => format!("No {noun} match “{q}”."),
                    None => format!("There are no {noun} yet."),
                }}
            </p>
        </Show>
        <Show when=move || page.with(|p| p.as_ref().is_some_and(|p| p.total > 0))>
            <AgentTable editor rows busy=Signal::derive(move || load.is_loading()) />
            <Pager page query go noun />
        </Show>
        {children.map(|c| view! { <div class="alc-list-actions">{c()}</div> })}
        <SaveBar editor on_save=save on_discard=discard />
    }
}

/// The agents a 409 names, by their place in the batch (`changes[i]`).
fn conflicting_agents(e: &ApiError, changes: &[alc_domain::LicenseChange]) -> BTreeSet<AgentId> {
    let ApiError::Server { body, .. } = e else {
        return BTreeSet::new();
    };
    body.fields
        .iter()
        .filter_map(|f| match f.field {
            FieldPath::Change(i) => Some(i),
            _ => None,
        })
        .filter_map(|i| changes.get(i).map(|c| c.agent_id))
        .collect()
}

#[component]
fn SearchBox(
    query: Memo<AgentQuery>,
    go: impl Fn(Option<String>, u32) + Clone + 'static,
    noun: &'static str,
) -> impl IntoView {
    let timer = StoredValue::new_local(None::<TimeoutHandle>);
    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        if let Some(t) = timer.get_value() {
            t.clear();
        }
        let go = go.clone();
        // Search on the server once typing pauses, not on every key.
        let handle =
            set_timeout_with_handle(move || go(Some(text), 1), Duration::from_millis(250)).ok();
        timer.set_value(handle);
    };
    view! {
        <div class="alc-toolbar" role="search">
            <label for="alc-agent-search">{format!("Search {noun}")}</label>
            <input
                id="alc-agent-search"
                type="search"
                placeholder="Name, extension or email"
                autocomplete="off"
                prop:value=move || query.with_untracked(|q| q.q.clone().unwrap_or_default())
                on:input=on_input
            />
        </div>
    }
}

#[component]
fn Notices(
    notice: RwSignal<Option<Notice>>,
    reload_conflicts: impl Fn(BTreeSet<AgentId>) + Clone + Send + Sync + 'static,
) -> impl IntoView {
    move || {
        notice.get().map(|n| match n {
            Notice::Flash(m) => view! {
                <div class="alc-alert alc-alert--ok" role="status">
                    {m}
                </div>
            }
            .into_any(),
            Notice::Saved(n) => view! {
                <div class="alc-alert alc-alert--ok" role="status">
                    {if n == 1 { "Saved 1 change.".to_string() } else { format!("Saved {n} changes.") }}
                </div>
            }
            .into_any(),
            Notice::Failed(e) => view! {
                <div class="alc-alert alc-alert--error" role="alert">
                    <p>"Not saved. " {e.to_string()}</p>
                    <p class="alc-hint">"Your changes are still here: adjust them and save again, or discard them."</p>
                </div>
            }
            .into_any(),
            Notice::Conflict(e, stale) => {
                let reload = reload_conflicts.clone();
                view! {
                    <div class="alc-alert alc-alert--error" role="alert">
                        <p>"Not saved. " {e.to_string()}</p>
                        <button type="button" class="alc-button" on:click=move |_| reload(stale.clone())>
                            "Reload those agents (drops their unsaved changes)"
                        </button>
                    </div>
                }
                .into_any()
            }
        })
    }
}

#[component]
fn Pager(
    page: RwSignal<Option<AgentPage>>,
    query: Memo<AgentQuery>,
    go: impl Fn(Option<String>, u32) + Clone + 'static,
    noun: &'static str,
) -> impl IntoView {
    let info = move || {
        page.with(|p| {
            p.as_ref()
                .map(|p| (p.page, p.page_count(), p.total, p.per_page, p.agents.len()))
        })
    };
    let current = move || info().map(|i| i.0).unwrap_or(1);
    let count = move || info().map(|i| i.1).unwrap_or(1);
    let to = move |delta: i64| {
        let go = go.clone();
        move |_| {
            // Clamped to the pages that exist, so that Previous also rescues a hand-edited page=999.
            let target = (i64::from(current()) + delta).clamp(1, i64::from(count()));
            go(query.with_untracked(|q| q.q.clone()), target as u32)
        }
    };
    view! {
        <nav class="alc-pager" aria-label=format!("Pages of {noun}")>
            <p class="alc-pager__range">
                {move || {
                    info().map(|(page, _, total, per_page, shown)| {
                        let first = u64::from(page - 1) * u64::from(per_page) + 1;
                        format!("Showing {first}–{} of {total} {noun}", first + shown as u64 - 1)
                    })
                }}
            </p>
            <button type="button" class="alc-button" disabled={move || current() <= 1} on:click=to(-1)>
                "Previous page"
            </button>
            <span class="alc-pager__page">{move || format!("Page {} of {}", current(), count())}</span>
            <button type="button" class="alc-button" disabled={move || current() >= count()} on:click=to(1)>
                "Next page"
            </button>
        </nav>
    }
}
