//! `/audit` — every recorded change, newest first, filtered by agent, person, kind of
//! change and time, with paging. The filters live in the URL.

use alc_domain::access::{AuditEntry, AuditKind, AuditPage, AuditQuery};
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;

use crate::api::{Abort, Api, ApiError};
use crate::router::{Link, encode, use_navigator};

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let api = expect_context::<Api>();
    let nav = use_navigator();
    let query = Memo::new(move |_| {
        let l = nav.location();
        AuditQuery {
            agent_id: l.get("agent_id").and_then(|v| v.parse().ok()),
            actor: l.get("actor"),
            kind: l.get("kind").and_then(|k| AuditKind::from_key(&k)),
            from: l.get("from"),
            to: l.get("to"),
            page: l.get("page").and_then(|p| p.parse().ok()),
        }
    });
    let page = RwSignal::new(None::<AuditPage>);
    let error = RwSignal::new(None::<ApiError>);
    let inflight = StoredValue::new_local(None::<Abort>);
    Effect::new(move |_| {
        let q = query.get();
        let abort = Abort::new();
        if let Some(old) = inflight.get_value() {
            old.abort();
        }
        inflight.set_value(Some(abort.clone()));
        let api = api.clone();
        spawn_local(async move {
            match api.audit(&q, &abort).await {
                Ok(p) => {
                    error.set(None);
                    page.set(Some(p));
                }
                Err(ApiError::Aborted) => {}
                Err(e) => error.set(Some(e)),
            }
        });
    });
    on_cleanup(move || {
        if let Some(a) = inflight.try_get_value().flatten() {
            a.abort();
        }
    });

    // The filters, as the URL carries them; changing one goes back to page 1.
    let go = move |q: AuditQuery| {
        let mut parts = Vec::new();
        if let Some(id) = q.agent_id {
            parts.push(format!("agent_id={id}"));
        }
        if let Some(k) = q.kind {
            parts.push(format!("kind={}", k.key()));
        }
        for (key, v) in [("actor", &q.actor), ("from", &q.from), ("to", &q.to)] {
            if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
                parts.push(format!("{key}={}", encode(v.trim())));
            }
        }
        if q.page() > 1 {
            parts.push(format!("page={}", q.page()));
        }
        let url = if parts.is_empty() {
            "/audit".to_string()
        } else {
            format!("/audit?{}", parts.join("&"))
        };
        nav.go(&url, true);
    };
    let set = move |f: fn(&mut AuditQuery, String)| {
        move |ev: leptos::ev::Event| {
            let mut q = query.get_untracked();
            f(&mut q, event_target_value(&ev));
            q.page = None;
            go(q);
        }
    };
    let to_page = move |n: u32| {
        let mut q = query.get_untracked();
        q.page = Some(n);
        go(q);
    };
    let count = move || {
        page.with(|p| {
            p.as_ref()
                .map(|p| p.total.div_ceil(u64::from(p.per_page)).max(1) as u32)
                .unwrap_or(1)
        })
    };

    view! {
        <header class="alc-page-head">
            <p class="alc-crumb">"User Management"</p>
            <h1>"Audit Log"</h1>
            <p class="alc-lede">"Every change to licenses, agents, settings and console users, every directory refresh and every sign-in: who, when, what, before and after."</p>
        </header>
        <form class="alc-toolbar alc-filters" role="search" on:submit=|ev| ev.prevent_default()>
            <div class="alc-field">
                <label for="alc-audit-actor">"Person"</label>
                <input id="alc-audit-actor" type="search" placeholder="Name or email"
                    prop:value=move || query.with(|q| q.actor.clone().unwrap_or_default())
                    on:change=set(|q, v| q.actor = Some(v)) />
            </div>
            <div class="alc-field">
                <label for="alc-audit-kind">"Kind of change"</label>
                <select id="alc-audit-kind" on:change=set(|q, v| q.kind = AuditKind::from_key(&v))>
                    <option value="" selected=move || query.with(|q| q.kind.is_none())>"All"</option>
                    {AuditKind::ALL.map(|k| view! {
                        <option value=k.key() selected=move || query.with(|q| q.kind == Some(k))>{k.label()}</option>
                    })}
                </select>
            </div>
            <div class="alc-field">
                <label for="alc-audit-from">"From"</label>
                <input id="alc-audit-from" type="date"
                    prop:value=move || query.with(|q| q.from.clone().unwrap_or_default())
                    on:change=set(|q, v| q.from = Some(v)) />
            </div>
            <div class="alc-field">
                <label for="alc-audit-to">"To"</label>
                <input id="alc-audit-to" type="date"
                    prop:value=move || query.with(|q| q.to.clone().unwrap_or_default())
                    on:change=set(|q, v| q.to = Some(v)) />
            </div>
            {move || query.with(|q| q.agent_id).map(|id| view! {
                <p class="alc-chip">
                    {format!("Agent #{id} only ")}
                    <button type="button" class="alc-button" on:click=move |_| {
                        let mut q = query.get_untracked();
                        q.agent_id = None;
                        q.page = None;
                        go(q);
                    }>"Show all agents"</button>
                </p>
            })}
        </form>
        {move || error.get().map(|e| view! {
            <div class="alc-alert alc-alert--error" role="alert">{format!("The audit log could not be loaded. {e}")}</div>
        })}
        {move || page.get().map(|p| {
            if p.entries.is_empty() {
                return view! { <p class="alc-empty" role="status">"No changes match these filters."</p> }.into_any();
            }
            view! {
                <div class="alc-table-wrap" role="region" aria-label="Recorded changes" tabindex="0">
                    <table class="alc-table alc-audit">
                        <caption class="alc-sr-only">"Recorded changes, newest first"</caption>
                        <thead>
                            <tr>
                                <th scope="col">"When (UTC)"</th>
                                <th scope="col">"Who"</th>
                                <th scope="col">"What"</th>
                                <th scope="col">"Subject"</th>
                                <th scope="col">"Change"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {p.entries.into_iter().map(|e| view! { <EntryRow e /> }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }
            .into_any()
        })}
        <nav class="alc-pager" aria-label="Pages of the audit log">
            <p class="alc-pager__range">{move || page.with(|p| p.as_ref().map(|p| match p.total {
                1 => "1 change".to_string(),
                n => format!("{n} changes"),
            }))}</p>
            <button type="button" class="alc-button" disabled={move || query.with(AuditQuery::page) <= 1}
                on:click=move |_| to_page(query.with_untracked(AuditQuery::page) - 1)>"Previous page"</button>
            <span class="alc-pager__page">{move || format!("Page {} of {}", query.with(AuditQuery::page), count())}</span>
            <button type="button" class="alc-button" disabled={move || query.with(AuditQuery::page) >= count()}
                on:click=move |_| to_page(query.with_untracked(AuditQuery::page) + 1)>"Next page"</button>
        </nav>
    }
}

#[component]
fn EntryRow(e: AuditEntry) -> impl IntoView {
    let when = e.at.replace('T', " ");
    let when = when.get(..19).unwrap_or(&when).to_string();
    let change = describe(&e);
    let name = e.subject.clone();
    let subject = match e.agent_id {
        Some(id) if e.kind != AuditKind::AgentRemoved => {
            view! { <Link href=format!("/agents/{id}")>{name}</Link> }.into_any()
        }
        _ => name.into_any(),
    };
    view! {
        <tr>
            <td>{when}</td>
            <td>{e.actor.clone()}</td>
            <td>{e.kind.label()}</td>
            <td>
                {subject}
                {e.via.clone().map(|v| view! { <span class="alc-hint">" (" {v} ")"</span> })}
            </td>
            <td class="alc-audit__change">{change}</td>
        </tr>
    }
}

/// Before and after, as a person reads them: only what differs, `field: before → after`.
pub fn describe(e: &AuditEntry) -> String {
    let mut before = Vec::new();
    let mut after = Vec::new();
    if let Some(v) = &e.before {
        flatten("", v, &mut before);
    }
    if let Some(v) = &e.after {
        flatten("", v, &mut after);
    }
    let keys: Vec<&String> = before.iter().chain(after.iter()).map(|(k, _)| k).collect();
    let mut seen = std::collections::HashSet::new();
    let find = |list: &[(String, String)], key: &str| {
        list.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    };
    let changes: Vec<String> = keys
        .into_iter()
        .filter(|k| seen.insert(k.as_str()))
        .filter_map(|k| {
            let (b, a) = (find(&before, k), find(&after, k));
            (b != a).then(|| {
                let label = if k.is_empty() { "licenses" } else { k.as_str() };
                format!(
                    "{label}: {} → {}",
                    b.unwrap_or_else(|| "—".into()),
                    a.unwrap_or_else(|| "—".into())
                )
            })
        })
        .collect();
    changes.join("; ")
}

/// Leaves of a JSON value with dotted keys (`profile.extension`); lists are one leaf.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else if prefix == "profile" {
                    // The profile's fields read best without their prefix.
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        Value::Array(items) => {
            // License keys read as their names ("voice" → "Voice").
            let text: Vec<String> = items
                .iter()
                .map(
                    |v| match v.as_str().and_then(alc_domain::LicenseType::from_key) {
                        Some(t) => t.label().to_string(),
                        None => leaf(v),
                    },
                )
                .collect();
            out.push((
                prefix.to_string(),
                if text.is_empty() {
                    "none".into()
                } else {
                    text.join(", ")
                },
            ));
        }
        v => out.push((prefix.to_string(), leaf(v))),
    }
}

fn leaf(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        v => v.to_string(),
    }
}
