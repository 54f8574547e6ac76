//! `/phone-users` — User Management › Phone User Licensing: the directory's users with
//! their license boxes, "Refresh Users and Groups" and the latest refresh's report.

use alc_domain::directory::{DirectorySummary, RefreshStatus};
use alc_domain::{AgentKind, ErrorCode};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{Abort, Api, ApiError, sleep};
use crate::components::{LicensingList, RefreshReportView};

/// How often a running refresh is polled.
const POLL_MS: i32 = 400;

#[component]
pub fn PhoneUsersPage() -> impl IntoView {
    let api = expect_context::<Api>();
    let directory = RwSignal::new(None::<DirectorySummary>);
    let status = RwSignal::new(RefreshStatus::default());
    let error = RwSignal::new(None::<ApiError>);
    // Bumped when a refresh ends, so that the list shows what it brought.
    let refreshed = RwSignal::new(0u64);
    let abort = StoredValue::new_local(Abort::new());
    on_cleanup(move || {
        if let Some(a) = abort.try_get_value() {
            a.abort();
        }
    });

    // Follows a running refresh until it ends; then shows its report and reloads.
    let follow = {
        let api = api.clone();
        move || {
            let api = api.clone();
            let abort = abort.get_value();
            spawn_local(async move {
                loop {
                    sleep(POLL_MS).await;
                    if abort.is_aborted() {
                        return;
                    }
                    match api.refresh_status(&abort).await {
                        Ok(s) => {
                            let done = s.running.is_none();
                            status.set(s);
                            if done {
                                refreshed.update(|n| *n += 1);
                                return;
                            }
                        }
                        Err(ApiError::Aborted) => return,
                        Err(e) => {
                            error.set(Some(e));
                            return;
                        }
                    }
                }
            });
        }
    };

    {
        let api = api.clone();
        let follow = follow.clone();
        let abort = abort.get_value();
        spawn_local(async move {
            let (d, s) = futures::join!(api.directory(&abort), api.refresh_status(&abort));
            match d.and_then(|d| s.map(|s| (d, s))) {
                Ok((d, s)) => {
                    directory.set(Some(d));
                    let running = s.running.is_some();
                    status.set(s);
                    if running {
                        follow();
                    }
                }
                Err(ApiError::Aborted) => {}
                Err(e) => error.set(Some(e)),
            }
        });
    }

    let start = move |_| {
        let api = api.clone();
        let follow = follow.clone();
        let abort = abort.get_value();
        error.set(None);
        spawn_local(async move {
            match api.start_refresh(&abort).await {
                Ok(s) => {
                    status.set(s);
                    follow();
                }
                Err(ApiError::Aborted) => {}
                // Another supervisor's refresh is running: follow that one.
                Err(e) if e.code() == Some(ErrorCode::RefreshRunning) => {
                    error.set(Some(e));
                    follow();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let running = move || status.with(|s| s.running.is_some());

    view! {
        <header class="alc-page-head">
            <p class="alc-crumb">"User Management"</p>
            <h1>"Phone User Licensing"</h1>
            <p class="alc-lede">
                "People from your phone system's directory. Their name, email and extension come from the directory; license them here."
            </p>
        </header>
        <section class="alc-directory" aria-labelledby="alc-directory-title">
            <h2 id="alc-directory-title" class="alc-sr-only">
                "Directory"
            </h2>
            <p class="alc-directory__source">
                {move || match directory.get() {
                    Some(DirectorySummary { system: Some(s), base_url, .. }) => {
                        format!("Directory: {} at {base_url}", s.label())
                    }
                    Some(_) => "No directory is connected yet: an admin connects one in the settings.".to_string(),
                    None => String::new(),
                }}
            </p>
            <button
                type="button"
                class="alc-button alc-button--primary"
                disabled=running
                on:click=start
            >
                {move || if running() { "Refreshing…" } else { "Refresh Users and Groups" }}
            </button>
            <p class="alc-progress" role="status">
                {move || {
                    status
                        .with(|s| {
                            s.running
                                .as_ref()
                                .map(|r| {
                                    if r.phase == "applying" {
                                        format!("Saving {} users and {} groups…", r.users, r.groups)
                                    } else {
                                        format!(
                                            "Reading the directory… {} pages, {} users, {} groups so far{}",
                                            r.pages,
                                            r.users,
                                            r.groups,
                                            if r.retries > 0 {
                                                format!(" ({} retries)", r.retries)
                                            } else {
                                                String::new()
                                            },
                                        )
                                    }
                                })
                        })
                }}
            </p>
            {move || {
                error
                    .get()
                    .map(|e| {
                        view! {
                            <div class="alc-alert alc-alert--error" role="alert">
                                {e.to_string()}
                            </div>
                        }
                    })
            }}
            {move || status.with(|s| s.last.clone()).map(|report| view! { <RefreshReportView report /> })}
        </section>
        <LicensingList kind=Some(AgentKind::Phone) path="/phone-users" noun="phone users" reload_when=refreshed />
    }
}
