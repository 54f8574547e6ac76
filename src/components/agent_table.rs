//! The agents with one license box per type. Rows are keyed: ticking a box updates
//! that box and the counters, never the table.

use std::collections::BTreeMap;

use alc_domain::{Agent, AgentId, LicenseSet, LicenseType, SortKey, SortOrder};
use leptos::prelude::*;

use crate::licensing::LicenseEditor;
use crate::router::Link;

/// The table's order and what a click on a column's heading asks for.
#[derive(Clone, Copy)]
pub struct Sorting {
    pub current: Signal<(SortKey, SortOrder)>,
    /// The heading of this column was pressed.
    pub on_sort: Callback<SortKey>,
}

/// The agents picked for a bulk change: by row (kept as loaded, across pages), or
/// every agent the list's query admits.
#[derive(Clone, Copy)]
pub struct Picking {
    pub picked: RwSignal<BTreeMap<AgentId, Agent>>,
    pub all_matching: RwSignal<bool>,
    /// The row of the last click: where a Shift-click's range starts.
    anchor: StoredValue<Option<AgentId>>,
}

impl Default for Picking {
    fn default() -> Self {
        Self::new()
    }
}

impl Picking {
    pub fn new() -> Self {
        Picking {
            picked: RwSignal::new(BTreeMap::new()),
            all_matching: RwSignal::new(false),
            anchor: StoredValue::new(None),
        }
    }

    pub fn clear(&self) {
        self.picked.set(BTreeMap::new());
        self.all_matching.set(false);
        self.anchor.set_value(None);
    }

    /// How many are picked, given how many the query admits.
    pub fn count(&self, total: u64) -> u64 {
        if self.all_matching.get() {
            total
        } else {
            self.picked.with(|p| p.len() as u64)
        }
    }

    fn is_picked(&self, id: AgentId) -> bool {
        self.all_matching.get() || self.picked.with(|p| p.contains_key(&id))
    }

    /// A row's box was set to `on`; with Shift, every row from the last one clicked
    /// to this one is set so.
    fn click(&self, rows: &[Agent], id: AgentId, on: bool, shift: bool) {
        if self.all_matching.get_untracked() {
            // Out of "all matching": the page's rows stay picked but this one.
            self.all_matching.set(false);
            self.picked
                .set(rows.iter().map(|a| (a.id, a.clone())).collect());
        }
        let at = |id: Option<AgentId>| id.and_then(|id| rows.iter().position(|a| a.id == id));
        let range = match (shift, at(self.anchor.get_value()), at(Some(id))) {
            (true, Some(a), Some(b)) => &rows[a.min(b)..=a.max(b)],
            (_, _, Some(b)) => &rows[b..=b],
            _ => &[],
        };
        self.picked.update(|p| pick_rows(p, range, on));
        self.anchor.set_value(Some(id));
    }

    /// The page's heading box: every row of the page picked, or none.
    fn set_page(&self, rows: &[Agent], on: bool) {
        if !on {
            self.all_matching.set(false);
        }
        self.picked.update(|p| pick_rows(p, rows, on));
    }
}

/// Picks `rows` (`on`) or drops them.
fn pick_rows(picked: &mut BTreeMap<AgentId, Agent>, rows: &[Agent], on: bool) {
    for a in rows {
        if on {
            picked.insert(a.id, a.clone());
        } else {
            picked.remove(&a.id);
        }
    }
}

#[component]
pub fn AgentTable(
    editor: LicenseEditor,
    #[prop(into)] rows: Signal<Vec<Agent>>,
    /// A newer list is loading: the old one stays, marked busy.
    #[prop(into, optional)]
    busy: Signal<bool>,
    /// Headings that sort the list; plain headings when absent.
    #[prop(optional)]
    sorting: Option<Sorting>,
    /// A box per row to pick it for a bulk change; none when absent.
    #[prop(optional)]
    picking: Option<Picking>,
) -> impl IntoView {
    let page_box = move || {
        picking.map(|picking| {
            let state = move || {
                rows.with(|r| {
                    let n = r.iter().filter(|a| picking.is_picked(a.id)).count();
                    (n, r.len())
                })
            };
            view! {
                <input
                    type="checkbox"
                    class="alc-pick"
                    aria-label="Select every agent on this page"
                    prop:checked=move || { let (n, len) = state(); len > 0 && n == len }
                    prop:indeterminate=move || { let (n, len) = state(); n > 0 && n < len }
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        rows.with_untracked(|r| picking.set_page(r, on));
                    }
                />
            }
        })
    };
    let heading = move |key: SortKey, label: &'static str, class: &'static str| {
        let Some(sorting) = sorting else {
            return view! { <th scope="col" class=class>{label}</th> }.into_any();
        };
        let dir = move || {
            let (now, order) = sorting.current.get();
            (now == key).then_some(order)
        };
        view! {
            <th
                scope="col"
                class=class
                aria-sort=move || match dir() {
                    Some(SortOrder::Asc) => Some("ascending"),
                    Some(SortOrder::Desc) => Some("descending"),
                    None => None,
                }
            >
                <button
                    type="button"
                    class="alc-sort"
                    data-dir=move || dir().map(SortOrder::key)
                    on:click=move |_| sorting.on_sort.run(key)
                >
                    {label}
                </button>
            </th>
        }
        .into_any()
    };
    view! {
        <div class="alc-table-wrap" role="region" aria-label="Agents and their licenses" tabindex="0">
            <table class="alc-table" aria-busy=move || busy.get().to_string()>
                <caption class="alc-sr-only">
                    "Agents and their licenses. Tick a box to assign that license; changes apply when you save."
                </caption>
                <thead>
                    <tr>
                        {picking.is_some().then(|| view! { <th scope="col" class="alc-pick-col">{page_box}</th> })}
                        {heading(SortKey::Name, "Name", "alc-name-col")}
                        {heading(SortKey::Extension, "Extension", "")}
                        {heading(SortKey::Email, "Email", "")}
                        {heading(SortKey::Source, "Source", "")}
                        {LicenseType::ALL
                            .map(|t| view! { <th scope="col" class="alc-lic-col">{t.label()}</th> })}
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || rows.get()
                        key=|a| (a.id, a.version)
                        children=move |agent| view! { <AgentRow agent editor rows picking /> }
                    />
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn AgentRow(
    agent: Agent,
    editor: LicenseEditor,
    rows: Signal<Vec<Agent>>,
    picking: Option<Picking>,
) -> impl IntoView {
    let wanted = editor.wanted(&agent);
    let id = agent.id;
    let pick = picking.map(|picking| {
        view! {
            <input
                type="checkbox"
                class="alc-pick"
                aria-label=format!("Select {}", agent.name)
                prop:checked=move || picking.is_picked(id)
                on:click=move |ev: leptos::ev::MouseEvent| {
                    let on = event_target_checked(&ev);
                    rows.with_untracked(|r| picking.click(r, id, on, ev.shift_key()));
                }
            />
        }
    });
    let edited = move || wanted.get() != agent.licenses;
    let cells =
        LicenseType::ALL.map(|t| view! { <LicenseCell agent=agent.clone() t wanted editor /> });
    view! {
        <tr class:alc-row--edited=edited>
            {pick.map(|pick| view! { <td class="alc-pick-col">{pick}</td> })}
            <th scope="row" class="alc-name">
                <Link href=format!("/agents/{}", agent.id)>{agent.name.clone()}</Link>
                <Show when=edited>
                    <span class="alc-badge" title="This agent has unsaved changes">
                        "Unsaved"
                    </span>
                </Show>
                {agent.gone.then(|| view! {
                    <span class="alc-flag alc-flag--warn">
                        "Gone from directory: licenses held for review"
                    </span>
                })}
                {(agent.disabled && !agent.gone).then(|| view! {
                    <span class="alc-flag alc-flag--warn">
                        "Disabled in directory: keeps its licenses, gets no new ones"
                    </span>
                })}
                {agent.no_queue.then(|| view! {
                    <span class="alc-flag">"Receives no queue calls: in no queue or skill"</span>
                })}
            </th>
            <td class="alc-ext">{agent.extension.clone()}</td>
            <td class="alc-email">{agent.email.clone()}</td>
            <td>
                <span class="alc-source" data-source=agent.source.key()>
                    {agent.source.label()}
                </span>
            </td>
            {cells}
        </tr>
    }
}

#[component]
fn LicenseCell(
    agent: Agent,
    t: LicenseType,
    wanted: ReadSignal<LicenseSet>,
    editor: LicenseEditor,
) -> impl IntoView {
    let saved = agent.licenses.has(t);
    view! {
        <td class="alc-lic" class:alc-lic--changed=move || wanted.get().has(t) != saved>
            <LicenseBox agent t wanted editor />
        </td>
    }
}

/// One license checkbox with the reason it cannot change, if it cannot. Its accessible
/// name is "<License> license for <Name>"; the reason is its accessible description.
#[component]
pub fn LicenseBox(
    agent: Agent,
    t: LicenseType,
    wanted: ReadSignal<LicenseSet>,
    editor: LicenseEditor,
) -> impl IntoView {
    let block = Memo::new({
        let agent = agent.clone();
        move |_| editor.block(&agent, wanted.get(), t)
    });
    let box_id = format!("lic-{}-{}", agent.id, t.key());
    let why_id = format!("{box_id}-why");
    let label = format!("{} license for {}", t.label(), agent.name);
    let on_change = move |ev: leptos::ev::Event| {
        let want = event_target_checked(&ev);
        if !editor.set(&agent, t, want) {
            // Refused (the pool moved under the click): put the box back as it was.
            let input: web_sys::HtmlInputElement = event_target(&ev);
            input.set_checked(!want);
        }
    };
    view! {
        <input
            type="checkbox"
            id=box_id
            aria-label=label
            aria-describedby=why_id.clone()
            prop:checked=move || wanted.get().has(t)
            disabled=move || block.get().is_some() || editor.saving.get()
            on:change=on_change
        />
        <span class="alc-why" id=why_id title=move || block.get().map(|b| b.message(t))>
            {move || block.get().map(|b| b.short())}
        </span>
    }
}
