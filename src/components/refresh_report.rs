//! What the latest "Refresh Users and Groups" did: a one-line summary, then each list
//! (added, changed, removed, held for review, groups, conflicts) as a section that
//! opens. Licensed users gone from the directory are called out, never folded away.

use alc_domain::directory::{
    Conflict, ConflictKind, EntryChange, GroupEntry, Listed, RefreshReport, UserEntry,
};
use leptos::prelude::*;

#[component]
pub fn RefreshReportView(report: RefreshReport) -> impl IntoView {
    let when = report.finished_at.replace('T', " ");
    let when = when.get(..16).unwrap_or(&when).to_string();
    if let Some(e) = &report.error {
        return view! {
            <div class="alc-alert alc-alert--error alc-report" role="alert">
                <h3>{format!("Refresh failed ({when} UTC)")}</h3>
                <p>{e.message.clone()}</p>
            </div>
        }
        .into_any();
    }
    let mut summary = vec![
        count(report.added.total, "user added", "users added"),
        count(report.changed.total, "user changed", "users changed"),
        count(report.removed.total, "user removed", "users removed"),
        count(
            report.held.total,
            "licensed user gone",
            "licensed users gone",
        ),
        count(report.groups_added.total, "group added", "groups added"),
        count(
            report.groups_changed.total,
            "group changed",
            "groups changed",
        ),
        count(
            report.groups_removed.total,
            "group removed",
            "groups removed",
        ),
        count(report.conflicts.total, "conflict", "conflicts"),
    ];
    summary.retain(|s| !s.is_empty());
    let summary = if report.no_changes() {
        "The directory matched: nothing changed.".to_string()
    } else {
        format!("{}.", summary.join(", "))
    };
    let held = (!report.held.is_empty()).then(|| {
        view! {
            <div class="alc-alert alc-alert--warn" role="note">
                <h4>"Licensed users gone from the directory: licenses held for review"</h4>
                <p>
                    "They keep their licenses until you decide, and cannot get new ones. Untick their boxes below and Save to release the seats; the next refresh then removes them. If they come back to the directory, they are restored as they were."
                </p>
                {users(&report.held)}
            </div>
        }
    });
    view! {
        <section class="alc-report" aria-labelledby="alc-report-title">
            <h3 id="alc-report-title">
                {format!(
                    "Last refresh: {when} UTC, {} users and {} groups read",
                    report.users_read,
                    report.groups_read,
                )}
            </h3>
            <p class="alc-report__summary">{summary}</p>
            {held}
            {section("Users added", report.added.total, users(&report.added))}
            {section("Users changed", report.changed.total, changes(&report.changed))}
            {section("Users removed (unlicensed, gone from the directory)", report.removed.total, users(&report.removed))}
            {section("Groups added", report.groups_added.total, groups(&report.groups_added))}
            {section("Groups changed", report.groups_changed.total, changes(&report.groups_changed))}
            {section("Groups removed", report.groups_removed.total, groups(&report.groups_removed))}
            {section("Conflicts to resolve", report.conflicts.total, conflicts(&report.conflicts))}
            {(!report.notes.is_empty()).then(|| view! {
                <ul class="alc-report__notes">
                    {report.notes.iter().map(|n| view! { <li>{n.clone()}</li> }).collect_view()}
                </ul>
            })}
        </section>
    }
    .into_any()
}

fn count(n: u32, one: &str, many: &str) -> String {
    match n {
        0 => String::new(),
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

/// A list that opens, titled with its count; absent when empty.
fn section(title: &'static str, total: u32, body: AnyView) -> Option<impl IntoView> {
    (total > 0).then(|| {
        view! {
            <details class="alc-report__list">
                <summary>{format!("{title} ({total})")}</summary>
                {body}
            </details>
        }
    })
}

fn more<T>(list: &Listed<T>) -> Option<impl IntoView + use<T>> {
    let rest = list.total as usize - list.items.len();
    (rest > 0).then(|| view! { <li class="alc-hint">{format!("… and {rest} more")}</li> })
}

fn users(list: &Listed<UserEntry>) -> AnyView {
    let items = list
        .items
        .iter()
        .map(|u| {
            let licenses: Vec<&str> = u.licenses.iter().map(|t| t.label()).collect();
            let text = format!(
                "{} ({}{}){}",
                u.name,
                u.extension,
                if u.email.is_empty() {
                    String::new()
                } else {
                    format!(", {}", u.email)
                },
                if licenses.is_empty() {
                    String::new()
                } else {
                    format!(": held {}", licenses.join(", "))
                }
            );
            view! { <li>{text}</li> }
        })
        .collect_view();
    view! { <ul>{items} {more(list)}</ul> }.into_any()
}

fn changes(list: &Listed<EntryChange>) -> AnyView {
    let items = list
        .items
        .iter()
        .map(|c| {
            let what: Vec<String> = c
                .changes
                .iter()
                .map(|f| format!("{} “{}” → “{}”", f.field, f.before, f.after))
                .collect();
            view! { <li>{format!("{} ({}): {}", c.name, c.extension, what.join("; "))}</li> }
        })
        .collect_view();
    view! { <ul>{items} {more(list)}</ul> }.into_any()
}

fn groups(list: &Listed<GroupEntry>) -> AnyView {
    let items = list
        .items
        .iter()
        .map(
            |g| view! { <li>{format!("{} ({}), {} members", g.name, g.extension, g.members)}</li> },
        )
        .collect_view();
    view! { <ul>{items} {more(list)}</ul> }.into_any()
}

fn conflicts(list: &Listed<Conflict>) -> AnyView {
    let items = list
        .items
        .iter()
        .map(|c| {
            let what = match c.kind {
                ConflictKind::Extension => "extension",
                ConflictKind::Email => "email",
            };
            view! {
                <li>
                    {format!(
                        "{} has {what} {}, which {} also has. Both are kept; change the WebRTC agent's {what}.",
                        c.directory,
                        c.value,
                        c.other,
                    )}
                </li>
            }
        })
        .collect_view();
    view! { <ul>{items} {more(list)}</ul> }.into_any()
}
