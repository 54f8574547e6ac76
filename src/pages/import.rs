//! `/agents/import` — Import agents from CSV: a file chosen, its preview (what each row
//! would do, and the counters after), then Apply, which writes exactly what the preview
//! showed or nothing. The server reads the file and checks it; this page never parses
//! CSV.

use alc_domain::LicenseType;
use alc_domain::import::{ImportPreview, ImportQuery, PreviewRow, RowStatus};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use crate::api::{Abort, Api, ApiError};
use crate::flash::use_flash;
use crate::router::{Link, use_navigator};

/// At most this many rows are shown at once; the counts cover them all.
const SHOWN: usize = 500;

#[derive(Clone, Debug, PartialEq)]
enum Stage {
    /// No file chosen yet.
    Empty,
    /// The file is being read and checked.
    Reading(String),
    Preview(ImportPreview),
    /// The preview is being applied.
    Applying(ImportPreview),
}

/// Which rows the preview's table shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Show {
    All,
    Errors,
    Changes,
}

#[component]
pub fn ImportPage() -> impl IntoView {
    let api = expect_context::<Api>();
    let nav = use_navigator();
    let flash = use_flash();
    let file = StoredValue::new_local(None::<web_sys::File>);
    let stage = RwSignal::new(Stage::Empty);
    // Next to the file input: why the file could not be read.
    let file_error = RwSignal::new(None::<String>);
    // Above the preview: what happened to the last Apply.
    let notice = RwSignal::new(None::<String>);
    let leave_out = RwSignal::new(false);
    let show = RwSignal::new(Show::All);
    let call = StoredValue::new_local(None::<Abort>);
    let begin = move || {
        if let Some(old) = call.get_value() {
            old.abort();
        }
        let abort = Abort::new();
        call.set_value(Some(abort.clone()));
        abort
    };
    on_cleanup(move || {
        if let Some(a) = call.try_get_value().flatten() {
            a.abort();
        }
    });

    let preview = {
        let api = api.clone();
        move |changed_notice: Option<String>| {
            let Some(f) = file.get_value() else {
                return;
            };
            let name = f.name();
            stage.set(Stage::Reading(name.clone()));
            file_error.set(None);
            notice.set(changed_notice);
            leave_out.set(false);
            let abort = begin();
            let api = api.clone();
            spawn_local(async move {
                let q = ImportQuery {
                    file: name,
                    ..ImportQuery::default()
                };
                match api.import_csv(&f, &q, &abort).await {
                    Ok(p) => stage.set(Stage::Preview(p)),
                    Err(ApiError::Aborted) => {}
                    Err(e) => {
                        stage.set(Stage::Empty);
                        file_error.set(Some(e.to_string()));
                    }
                }
            });
        }
    };
    let on_file = {
        let preview = preview.clone();
        move |ev: leptos::ev::Event| {
            let input: Option<web_sys::HtmlInputElement> =
                ev.target().and_then(|t| t.dyn_into().ok());
            let chosen = input.and_then(|i| i.files()).and_then(|files| files.get(0));
            file.set_value(chosen);
            if file.with_value(Option::is_some) {
                preview(None);
            } else {
                stage.set(Stage::Empty);
            }
        }
    };
    let apply = {
        let api = api.clone();
        let preview = preview.clone();
        move |_| {
            let (Stage::Preview(p), Some(f)) = (stage.get_untracked(), file.get_value()) else {
                return;
            };
            stage.set(Stage::Applying(p.clone()));
            notice.set(None);
            let abort = begin();
            let api = api.clone();
            let preview = preview.clone();
            let q = ImportQuery {
                file: p.file.clone(),
                apply: Some(p.fingerprint.clone()),
                leave_out_errors: leave_out.get_untracked(),
            };
            spawn_local(async move {
                match api.import_csv(&f, &q, &abort).await {
                    Ok(done) => {
                        flash.set(done_message(&done));
                        nav.go("/agents", false);
                    }
                    Err(ApiError::Aborted) => {}
                    Err(e) if e.code() == Some(alc_domain::ErrorCode::ImportChanged) => {
                        preview(Some(
                            "Nothing was imported: the agents changed since the preview (someone saved meanwhile). This is the file's preview now: check it and apply again."
                                .into(),
                        ));
                    }
                    Err(e) => {
                        notice.set(Some(format!("Nothing was imported. {e}")));
                        stage.set(Stage::Preview(p));
                    }
                }
            });
        }
    };
    let template = {
        let api = api.clone();
        move |_| {
            let api = api.clone();
            spawn_local(async move {
                match api.import_template(&Abort::new()).await {
                    Ok(text) => {
                        crate::download::save_csv("agents-template.csv", &text);
                    }
                    Err(e) => notice.set(Some(format!("The template could not be fetched. {e}"))),
                }
            });
        }
    };

    let shown = move || match stage.get() {
        Stage::Preview(p) | Stage::Applying(p) => Some(p),
        _ => None,
    };
    view! {
        <header class="alc-page-head">
            <p class="alc-crumb">
                <Link href="/agents">"Agent Licensing"</Link>
                " › Import"
            </p>
            <h1>"Import agents from CSV"</h1>
            <p class="alc-lede">
                "Change many agents' licenses, or add WebRTC agents, from a spreadsheet. You see what each row will do before anything changes."
            </p>
        </header>
        <section class="alc-card" aria-labelledby="alc-import-how">
            <h2 id="alc-import-how">"The file"</h2>
            <ul class="alc-hint-list">
                <li>"The first row names the columns. " <strong>"Email"</strong> " or " <strong>"Extension"</strong> " says which agent a row is."</li>
                <li><strong>"Voice"</strong>", "<strong>"Web Chat"</strong>", "<strong>"SMS"</strong>", "<strong>"Transcription"</strong>": yes or no. An empty cell leaves that license as it is."</li>
                <li>"A row with a " <strong>"Name"</strong>", an email and an extension that no agent has adds a WebRTC agent."</li>
                <li>"Export CSV on Agent Licensing gives a file in this form; other columns are read past."</li>
            </ul>
            <button type="button" class="alc-button" on:click=template>
                "Download template"
            </button>
        </section>
        <div class="alc-import-file alc-field">
            <label for="alc-import-file">"CSV file"</label>
            <input
                id="alc-import-file"
                type="file"
                accept=".csv,text/csv"
                aria-describedby="alc-import-file-error"
                aria-invalid=move || file_error.with(Option::is_some).to_string()
                on:change=on_file
            />
            <span id="alc-import-file-error" class="alc-field__error" role="alert">
                {move || file_error.get()}
            </span>
        </div>
        {move || match stage.get() {
            Stage::Reading(name) => Some(view! {
                <p class="alc-loading" role="status">{format!("Reading {name}…")}</p>
            }),
            _ => None,
        }}
        {move || notice.get().map(|n| view! {
            <div class="alc-alert alc-alert--error" role="alert">{n}</div>
        })}
        {move || shown().map(|p| {
            let applying = matches!(stage.get_untracked(), Stage::Applying(_));
            let p2 = p.clone();
            view! {
                <PreviewView preview=p show leave_out />
                <div class="alc-form-actions">
                    <button
                        type="button"
                        class="alc-button alc-button--primary"
                        prop:disabled=move || applying || !can_apply(&p2, leave_out.get())
                        on:click=apply.clone()
                    >
                        {if applying { "Applying…" } else { "Apply import" }}
                    </button>
                    <Link href="/agents" class="alc-button">"Cancel"</Link>
                </div>
            }
        })}
    }
}

/// Whether Apply may be pressed: something to do, and every row in error left out.
fn can_apply(p: &ImportPreview, leave_out: bool) -> bool {
    p.changed + p.created > 0 && (p.errors == 0 || leave_out)
}

/// "Imported roster.csv: 3 agents changed, 1 added." for the list we go back to.
fn done_message(p: &ImportPreview) -> String {
    let mut parts = vec![plural(p.changed, "agent changed", "agents changed")];
    if p.created > 0 {
        parts.push(format!("{} added", p.created));
    }
    if p.errors > 0 {
        parts.push(format!("{} left out", plural(p.errors, "row", "rows")));
    }
    format!("Imported {}: {}.", p.file, parts.join(", "))
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[component]
fn PreviewView(
    preview: ImportPreview,
    show: RwSignal<Show>,
    leave_out: RwSignal<bool>,
) -> impl IntoView {
    let p = preview;
    let total = p.rows.len();
    let summary = format!(
        "{}: {} — {} will change, {}, {} unchanged, {} in error.",
        p.file,
        plural(total as u64, "row", "rows"),
        p.changed,
        plural(p.created, "new agent", "new agents"),
        p.unchanged,
        p.errors,
    );
    let counts = p
        .summary
        .licenses
        .iter()
        .map(|c| {
            view! {
                <li>
                    <strong>{c.license.label()}</strong>
                    {format!(": {} of {} assigned, {} left", c.assigned, c.purchased, c.available)}
                </li>
            }
        })
        .collect_view();
    let errors = p.errors;
    let applicable = p.changed + p.created;
    let rows = p.rows.clone();
    let table = move || {
        let which = show.get();
        let picked: Vec<&PreviewRow> = rows
            .iter()
            .filter(|r| match which {
                Show::All => true,
                Show::Errors => r.is_error(),
                Show::Changes => matches!(
                    r.status,
                    RowStatus::Change { .. } | RowStatus::Create { .. }
                ),
            })
            .collect();
        let more = picked.len().saturating_sub(SHOWN);
        let body = picked
            .iter()
            .take(SHOWN)
            .map(|r| row_view(r))
            .collect_view();
        view! {
            <table class="alc-table alc-import-rows">
                <caption class="alc-sr-only">"What each row of the file does"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Line"</th>
                        <th scope="col">"Agent"</th>
                        <th scope="col">"Result"</th>
                        <th scope="col">"Details"</th>
                    </tr>
                </thead>
                <tbody>{body}</tbody>
            </table>
            {(more > 0).then(|| view! {
                <p class="alc-hint">
                    {format!("{more} more rows are not shown. Choose Errors only or Changes only to narrow the list.")}
                </p>
            })}
        }
    };
    view! {
        <section class="alc-card" aria-labelledby="alc-import-preview">
            <h2 id="alc-import-preview">"Preview"</h2>
            <p role="status" class="alc-import-summary">{summary}</p>
            <h3>"Licenses after the import"</h3>
            <ul class="alc-import-counts">{counts}</ul>
            {(errors > 0).then(|| view! {
                <p class="alc-alert alc-alert--error">
                    {if applicable > 0 {
                        "Rows in error cannot be imported. Fix them in the file and choose it again, or leave them out."
                    } else {
                        "No row can be imported as it is: fix the file and choose it again."
                    }}
                </p>
                {(applicable > 0).then(|| view! {
                    <label class="alc-check">
                        <input
                            type="checkbox"
                            prop:checked=move || leave_out.get()
                            on:change=move |ev| leave_out.set(event_target_checked(&ev))
                        />
                        {format!(" Leave out the {} and import the rest", plural(errors, "row in error", "rows in error"))}
                    </label>
                })}
            })}
            {(total > 0 && applicable == 0 && errors == 0).then(|| view! {
                <p class="alc-hint">"Every agent in the file already holds what it says: there is nothing to import."</p>
            })}
            <label for="alc-import-show">"Show"</label>
            <select
                id="alc-import-show"
                on:change=move |ev| show.set(match event_target_value(&ev).as_str() {
                    "errors" => Show::Errors,
                    "changes" => Show::Changes,
                    _ => Show::All,
                })
            >
                <option value="all" selected=true>"All rows"</option>
                <option value="errors">"Errors only"</option>
                <option value="changes">"Changes only"</option>
            </select>
            {table}
        </section>
    }
}

fn row_view(r: &PreviewRow) -> impl IntoView + use<> {
    let (result, details, error) = match &r.status {
        RowStatus::Change { before, after } => {
            let moves: Vec<String> = before
                .differences(*after)
                .map(|t| format!("{} {}", if after.has(t) { "+" } else { "−" }, t.label()))
                .collect();
            ("Will change", moves.join(", "), false)
        }
        RowStatus::Create { licenses } => {
            let with: Vec<&str> = licenses.iter().map(LicenseType::label).collect();
            let details = if with.is_empty() {
                "New WebRTC agent, no licenses".to_string()
            } else {
                format!("New WebRTC agent with {}", with.join(", "))
            };
            ("New agent", details, false)
        }
        RowStatus::Unchanged => ("Unchanged", String::new(), false),
        RowStatus::Error { reason, .. } => ("Error", reason.clone(), true),
    };
    let name = r.name.clone();
    let agent = match r.agent_id {
        Some(id) => view! { <Link href=format!("/agents/{id}")>{name}</Link> }.into_any(),
        None => name.into_any(),
    };
    view! {
        <tr>
            <td>{r.line}</td>
            <th scope="row">{agent}</th>
            <td class:alc-import-error=error>{result}</td>
            <td class:alc-import-error=error>{details}</td>
        </tr>
    }
}
