//! A licensing list: the counters, search, the table of agents with their license
//! boxes, paging, Save/Discard and the outcome of a save. Both licensing screens are
//! this list with their own header: Agent Licensing (every agent) and Phone User
//! Licensing (the directory's users).

use std::collections::BTreeSet;
use std::time::Duration;

use alc_domain::{
    Agent, AgentId, AgentKind, AgentPage, AgentQuery, AgentSource, FieldPath, LicenseKeys,
    LicenseType, SortKey, SortOrder,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{Abort, Api, ApiError};
use crate::components::bulk::{Bulk, BulkArgs, BulkBar};
use crate::components::{AgentTable, LicenseCounters, Picking, SaveBar, Sorting};
use crate::flash::use_flash;
use crate::licensing::LicenseEditor;
use crate::router::{Location, use_navigator};
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

/// The page of agents a licensing list at `l` shows. A value it cannot read (a
/// hand-edited address) is left out, as if absent.
pub fn list_query(l: &Location, kind: Option<AgentKind>) -> AgentQuery {
    let flag = |key| l.get(key).is_some_and(|v| v == "true");
    let licenses = |key| {
        l.get(key)
            .and_then(|v| LicenseKeys::parse(&v).ok())
            .unwrap_or_default()
    };
    AgentQuery {
        q: l.get("q"),
        page: l.get("page").and_then(|p| p.parse().ok()),
        per_page: l.get("per_page").and_then(|p| p.parse().ok()),
        kind,
        holds: licenses("holds"),
        lacks: licenses("lacks"),
        unlicensed: flag("unlicensed"),
        source: l.get("source").and_then(|s| AgentSource::from_key(&s)),
        held: flag("held"),
        no_queue: flag("no_queue"),
        sort: l.get("sort").and_then(|s| SortKey::from_key(&s)),
        order: l.get("order").and_then(|o| SortOrder::from_key(&o)),
    }
}

/// Whether two queries list the same agents in the same order (another page of it, or
/// another page size, is the same list).
fn same_list(a: &AgentQuery, b: &AgentQuery) -> bool {
    let list = |q: &AgentQuery| AgentQuery {
        q: q.search(),
        page: None,
        per_page: None,
        ..q.clone()
    };
    list(a) == list(b)
}

/// The address of a licensing list at `path` showing `query`: the same query string
/// the server reads (its kind is the page's own, page 1 is left out).
fn list_url(path: &str, query: &AgentQuery) -> String {
    let query = AgentQuery {
        q: query.search(),
        page: query.page.filter(|p| *p > 1),
        kind: None,
        ..query.clone()
    };
    match serde_urlencoded::to_string(&query) {
        Ok(text) if !text.is_empty() => format!("{path}?{text}"),
        _ => path.to_string(),
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
    // Rows picked for a bulk change: kept across pages, dropped when a search, filter
    // or order is chosen (what "all matching" means changes with them; see `go`).
    let picking = Picking::new();
    let bulk = RwSignal::new(None::<Bulk>);

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
                        // Picked rows keep their new versions for the next bulk change.
                        picking.picked.update(|p| {
                            for a in &saved.agents {
                                if let Some(picked) = p.get_mut(&a.id) {
                                    *picked = a.clone();
                                }
                            }
                        });
                        bulk.set(None);
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
        bulk.set(None);
    });
    let reload_conflicts = {
        let reload = reload.clone();
        move |stale: BTreeSet<AgentId>| {
            editor.update_pending(|p| stale.iter().for_each(|id| p.forget(*id)));
            notice.set(None);
            reload();
        }
    };

    // Every change of search, filter, order or page is a new address (so Back and a
    // reload show it again); the list follows the address.
    let go = Callback::new(move |next: AgentQuery| {
        if !same_list(&next, &query.get_untracked()) {
            picking.clear();
            bulk.set(None);
        }
        nav.go(&list_url(path, &next), true)
    });
    let sorting = Sorting {
        current: Signal::derive(move || query.with(|q| (q.sort(), q.order()))),
        on_sort: Callback::new(move |key: SortKey| {
            let q = query.get_untracked();
            let order = if q.sort() == key {
                q.order().reversed()
            } else {
                SortOrder::Asc
            };
            go.run(AgentQuery {
                sort: Some(key).filter(|k| *k != SortKey::Name || order != SortOrder::Asc),
                order: Some(order).filter(|o| *o != SortOrder::Asc),
                page: None,
                ..q
            });
        }),
    };

    view! {
        <LicenseCounters editor />
        <SearchBox query go noun />
        <Filters query go kind />
        <RosterFiles query noun />
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
                {move || match query.with(|q| (q.search(), q.is_filtered())) {
                    (Some(q), true) => format!("No {noun} match “{q}” with these filters."),
                    (Some(q), false) => format!("No {noun} match “{q}”."),
                    (None, true) => format!("No {noun} match these filters."),
                    (None, false) => format!("There are no {noun} yet."),
                }}
            </p>
        </Show>
        <Show when=move || page.with(|p| p.as_ref().is_some_and(|p| p.total > 0))>
            <BulkBar args=BulkArgs { picking, bulk, page, query, editor, noun } />
            <AgentTable
                editor
                rows
                busy=Signal::derive(move || load.is_loading())
                sorting
                picking
            />
            <Pager page query go noun />
        </Show>
        {children.map(|c| view! { <div class="alc-list-actions">{c()}</div> })}
        <SaveBar editor on_save=save on_discard=discard />
    }
}

/// Export CSV (the list as filtered and ordered, every page of it) and the way to the
/// import.
#[component]
fn RosterFiles(query: Memo<AgentQuery>, noun: &'static str) -> impl IntoView {
    let api = expect_context::<Api>();
    let busy = RwSignal::new(false);
    let failed = RwSignal::new(None::<String>);
    let export = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        failed.set(None);
        let (api, q) = (api.clone(), query.get_untracked());
        spawn_local(async move {
            match api.export_csv(&q, &Abort::new()).await {
                Ok(text) => {
                    if !crate::download::save_csv(
                        &crate::download::dated_name(noun_stem(noun)),
                        &text,
                    ) {
                        failed.set(Some("The browser did not accept the download.".into()));
                    }
                }
                Err(e) => failed.set(Some(format!("The export failed. {e}"))),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="alc-roster-files">
            <button
                type="button"
                class="alc-button"
                aria-describedby=move || failed.with(Option::is_some).then_some("alc-export-error")
                prop:disabled=move || busy.get()
                on:click=export
            >
                {move || if busy.get() { "Exporting…" } else { "Export CSV" }}
            </button>
            <crate::router::Link href="/agents/import" class="alc-button">
                "Import CSV"
            </crate::router::Link>
            // Only when there is something to say: the page's other alerts (a save's
            // outcome) are the first a reader meets.
            {move || failed.get().map(|m| view! {
                <span id="alc-export-error" class="alc-field__error" role="alert">{m}</span>
            })}
        </div>
    }
}

/// A file name's first part for a list of `noun` ("phone users" → `phone-users`).
fn noun_stem(noun: &'static str) -> &'static str {
    match noun {
        "phone users" => "phone-users",
        _ => "agents",
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
    go: Callback<AgentQuery>,
    noun: &'static str,
) -> impl IntoView {
    let timer = StoredValue::new_local(None::<TimeoutHandle>);
    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        if let Some(t) = timer.get_value() {
            t.clear();
        }
        // Search on the server once typing pauses, not on every key.
        let search = move || {
            go.run(AgentQuery {
                q: Some(text),
                page: None,
                ..query.get_untracked()
            })
        };
        let handle = set_timeout_with_handle(search, Duration::from_millis(250)).ok();
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
    go: Callback<AgentQuery>,
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
        move |_| {
            // Clamped to the pages that exist, so that Previous also rescues a hand-edited page=999.
            let target = (i64::from(current()) + delta).clamp(1, i64::from(count()));
            go.run(AgentQuery {
                page: Some(target as u32),
                ..query.get_untracked()
            })
        }
    };
    // The sizes on offer, and a hand-edited one as it is.
    let sizes = move || {
        let mut sizes = AgentQuery::PAGE_SIZES.to_vec();
        let now = query.with(AgentQuery::per_page);
        if !sizes.contains(&now) {
            sizes.push(now);
            sizes.sort_unstable();
        }
        sizes
    };
    let on_size = move |ev: leptos::ev::Event| {
        if let Ok(size) = event_target_value(&ev).parse::<u32>() {
            go.run(AgentQuery {
                per_page: Some(size).filter(|s| *s != AgentQuery::DEFAULT_PER_PAGE),
                page: None,
                ..query.get_untracked()
            });
        }
    };
    view! {
        <nav class="alc-pager" aria-label=format!("Pages of {noun}")>
            <p class="alc-pager__range" role="status">
                {move || {
                    info().map(|(page, _, total, per_page, shown)| {
                        let first = u64::from(page - 1) * u64::from(per_page) + 1;
                        format!("Showing {first}–{} of {total} {noun}", first + shown as u64 - 1)
                    })
                }}
            </p>
            <span class="alc-pager__size">
                <label for="alc-per-page">"Rows per page"</label>
                <select id="alc-per-page" on:change=on_size>
                    {move || {
                        let now = query.with(AgentQuery::per_page);
                        sizes()
                            .into_iter()
                            .map(|n| {
                                view! {
                                    <option value=n.to_string() prop:selected=n == now>
                                        {n.to_string()}
                                    </option>
                                }
                            })
                            .collect_view()
                    }}
                </select>
            </span>
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

/// The list's filters, each a part of the address: per license type "holds" or
/// "doesn't hold", the source, and the flags a supervisor looks for.
#[component]
fn Filters(
    query: Memo<AgentQuery>,
    go: Callback<AgentQuery>,
    kind: Option<AgentKind>,
) -> impl IntoView {
    let change = move |edit: Box<dyn FnOnce(&mut AgentQuery)>| {
        let mut next = query.get_untracked();
        edit(&mut next);
        next.page = None;
        go.run(next);
    };
    let license = move |t: LicenseType| {
        let id = format!("alc-filter-{}", t.key());
        let state = move || {
            query.with(|q| {
                if q.holds.0.has(t) {
                    "holds"
                } else if q.lacks.0.has(t) {
                    "lacks"
                } else {
                    ""
                }
            })
        };
        let on_change = move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            change(Box::new(move |q| {
                q.holds.0.set(t, value == "holds");
                q.lacks.0.set(t, value == "lacks");
            }));
        };
        view! {
            <span class="alc-filter">
                <label for=id.clone()>{t.label()}</label>
                <select id=id on:change=on_change>
                    <option value="" prop:selected=move || state().is_empty()>"Any"</option>
                    <option value="holds" prop:selected=move || state() == "holds">"Holds"</option>
                    <option value="lacks" prop:selected=move || state() == "lacks">"Doesn't hold"</option>
                </select>
            </span>
        }
    };
    let sources: Vec<AgentSource> = AgentSource::ALL
        .into_iter()
        .filter(|s| kind != Some(AgentKind::Phone) || s.is_uc())
        .filter(|s| kind != Some(AgentKind::Webrtc) || !s.is_uc())
        .collect();
    let on_source = move |ev: leptos::ev::Event| {
        let source = AgentSource::from_key(&event_target_value(&ev));
        change(Box::new(move |q| q.source = source));
    };
    let flag = move |flag: Flag| {
        let (label, id) = flag.label_and_id();
        let on_change = move |ev: leptos::ev::Event| {
            let on = event_target_checked(&ev);
            change(Box::new(move |q| *flag.of(q) = on));
        };
        view! {
            <span class="alc-filter alc-filter--flag">
                <input
                    type="checkbox"
                    id=id
                    prop:checked=move || query.with(|q| flag.is_on(q))
                    on:change=on_change
                />
                <label for=id>{label}</label>
            </span>
        }
    };
    view! {
        <fieldset class="alc-filters">
            <legend class="alc-sr-only">"Filters"</legend>
            {LicenseType::ALL.map(license)}
            <span class="alc-filter">
                <label for="alc-filter-source">"Source"</label>
                <select id="alc-filter-source" on:change=on_source>
                    <option value="" prop:selected=move || query.with(|q| q.source.is_none())>
                        "Any"
                    </option>
                    {sources
                        .into_iter()
                        .map(|s| {
                            view! {
                                <option
                                    value=s.key()
                                    prop:selected=move || query.with(|q| q.source == Some(s))
                                >
                                    {s.label()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </span>
            {flag(Flag::Unlicensed)}
            {(kind != Some(AgentKind::Webrtc)).then(|| flag(Flag::Held))}
            {flag(Flag::NoQueue)}
            <Show when=move || query.with(AgentQuery::is_filtered)>
                <button
                    type="button"
                    class="alc-button alc-button--small"
                    on:click=move |_| go.run(query.get_untracked().unfiltered())
                >
                    "Clear filters"
                </button>
            </Show>
        </fieldset>
    }
}

/// A filter that is on or off.
#[derive(Clone, Copy)]
enum Flag {
    Unlicensed,
    Held,
    NoQueue,
}

impl Flag {
    fn label_and_id(self) -> (&'static str, &'static str) {
        match self {
            Flag::Unlicensed => ("Unlicensed", "alc-filter-unlicensed"),
            Flag::Held => ("Held for review", "alc-filter-held"),
            Flag::NoQueue => ("Receives no queue calls", "alc-filter-no-queue"),
        }
    }

    fn is_on(self, q: &AgentQuery) -> bool {
        match self {
            Flag::Unlicensed => q.unlicensed,
            Flag::Held => q.held,
            Flag::NoQueue => q.no_queue,
        }
    }

    fn of(self, q: &mut AgentQuery) -> &mut bool {
        match self {
            Flag::Unlicensed => &mut q.unlicensed,
            Flag::Held => &mut q.held,
            Flag::NoQueue => &mut q.no_queue,
        }
    }
}
