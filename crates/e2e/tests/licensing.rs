//! End to end: the release build that Trunk produced (`dist/`, with wasm-opt applied),
//! served by the real server on a real SQLite file, driven in headless Chromium the
//! way a supervisor uses it — by labels and visible text.
//!
//! Run by `cargo xtask test`, which builds the site first and sets `ALC_SITE_DIR`,
//! `CHROMEDRIVER` and `CHROME`.

mod common;

use alc_domain::{LicenseChange, LicenseChangeBatch, LicenseSummary, LicenseType};
use common::Session;

fn assigned(s: &LicenseSummary, t: LicenseType) -> i64 {
    s.pool().assigned[t]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_release_build_renders_the_console() {
    let s = Session::start().await;
    s.open("/").await;
    let h1 = s.find("h1").await;
    assert_eq!(h1.text().await.unwrap(), "Agent Licensing");
    s.wait_for_text("Showing 1–40 of 40 agents").await;
    let body = s.page_text().await;
    assert!(body.contains("User Management"));
    for t in LicenseType::ALL {
        let c = s.counter(t.label()).await;
        assert!(c.contains("available") && c.contains("assigned"), "{c}");
    }
    // The counters are the server's numbers.
    let summary = s.api_summary().await;
    let voice = &summary.licenses[0];
    assert!(s.counter("Voice").await.contains(&format!(
        "{} of {} assigned",
        voice.assigned, voice.purchased
    )));
    assert!(
        s.checkbox("Voice license for Zoe Lambert")
            .await
            .is_enabled()
            .await
            .unwrap()
    );
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticked_box_saved_survives_a_reload() {
    let s = Session::start().await;
    s.open("/agents").await;
    let before = assigned(&s.api_summary().await, LicenseType::Voice);
    let zoe = s.checkbox("Voice license for Zoe Lambert").await;
    assert!(!zoe.is_selected().await.unwrap());
    s.click(&zoe).await;
    s.wait_for_text("1 unsaved change").await;
    assert!(
        s.counter("Voice")
            .await
            .contains(&format!("{} of 25 assigned", before + 1))
    );
    // Nothing reaches the server before Save.
    assert_eq!(assigned(&s.api_summary().await, LicenseType::Voice), before);

    s.click(&s.button("Save").await).await;
    s.wait_for_text("Saved 1 change.").await;
    s.wait_for_text("No unsaved changes").await;
    assert!(
        s.api_agent("Zoe Lambert")
            .await
            .licenses
            .has(LicenseType::Voice)
    );
    assert_eq!(
        assigned(&s.api_summary().await, LicenseType::Voice),
        before + 1
    );

    s.browser.refresh().await.unwrap();
    let zoe = s.checkbox("Voice license for Zoe Lambert").await;
    assert!(
        zoe.is_selected().await.unwrap(),
        "still ticked after a reload"
    );
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_over_assignment_shows_the_error_and_changes_nothing() {
    let s = Session::start().await;
    s.open("/agents").await;
    let summary = s.api_summary().await;
    let sms = summary
        .licenses
        .iter()
        .find(|c| c.license == LicenseType::Sms)
        .unwrap()
        .clone();
    assert_eq!(sms.available, 1, "the demo leaves one SMS seat");
    s.click(&s.checkbox("SMS license for Aaron Blake").await)
        .await;
    s.wait_for_text("1 unsaved change").await;

    // Meanwhile another supervisor takes the last SMS seat.
    let zoe = s.api_agent("Zoe Lambert").await;
    let r = s
        .http
        .post(format!("{}/api/v1/license-changes", s.server.url()))
        .json(&LicenseChangeBatch {
            changes: vec![LicenseChange {
                agent_id: zoe.id,
                license: LicenseType::Sms,
                assigned: true,
                version: zoe.version,
            }],
        })
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());

    s.click(&s.button("Save").await).await;
    s.wait_for_text("Not saved.").await;
    let alert = s.text_of(&s.find("[role=alert]").await).await;
    assert!(
        alert.contains("Not enough licenses") && alert.contains("SMS"),
        "{alert}"
    );
    // The tick is still on the page, and the counters now show the real pool.
    assert!(
        s.checkbox("SMS license for Aaron Blake")
            .await
            .is_selected()
            .await
            .unwrap()
    );
    s.wait_for_text("1 unsaved change").await;
    let counter = s.counter("SMS").await;
    assert!(
        counter.contains(&format!(
            "{} of {} assigned",
            sms.purchased + 1,
            sms.purchased
        )),
        "{counter}"
    );
    // And the database holds exactly what the other supervisor saved.
    assert!(
        !s.api_agent("Aaron Blake")
            .await
            .licenses
            .has(LicenseType::Sms)
    );
    assert_eq!(
        assigned(&s.api_summary().await, LicenseType::Sms),
        sms.purchased
    );

    s.click(&s.button("Discard").await).await;
    s.wait_for_text("No unsaved changes").await;
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_is_in_the_url_and_survives_a_reload() {
    let s = Session::start().await;
    s.open("/agents").await;
    s.wait_for_text("of 40 agents").await;
    let search = s.labelled("Search agents").await;
    search.send_keys("jimenez").await.unwrap();
    s.wait_for_text("Showing 1–1 of 1 agents").await;
    assert!(s.page_text().await.contains("Rosa Jiménez"));
    let url = s.browser.current_url().await.unwrap();
    assert_eq!(url.query(), Some("q=jimenez"));
    s.browser.refresh().await.unwrap();
    s.wait_for_text("Showing 1–1 of 1 agents").await;
    assert_eq!(s.value("Search agents").await, "jimenez");
    s.finish().await;
}

/// The query string of the page's address now.
async fn address_query(s: &Session) -> String {
    let url = s.browser.current_url().await.unwrap();
    url.query().unwrap_or_default().to_string()
}

/// Waits until the address's query string is `want`.
async fn wait_for_query(s: &Session, want: &str) {
    for _ in 0..100 {
        if address_query(s).await == want {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the address is ?{}, not ?{want}", address_query(s).await);
}

/// Chooses `value` in the list a `<label>` names, scrolled into view first as a person
/// would (the save bar is sticky at the bottom).
async fn choose(s: &Session, label: &str, value: &str) {
    let select = s.labelled(label).await;
    s.browser
        .execute(
            "arguments[0].scrollIntoView({block: 'center'})",
            vec![serde_json::to_value(&select).unwrap()],
        )
        .await
        .unwrap();
    select.select_by_value(value).await.unwrap();
}

/// The names of the rows shown, top to bottom.
async fn row_names(s: &Session) -> Vec<String> {
    let rows = s
        .browser
        .find_all(fantoccini::Locator::Css("tbody th.alc-name a"))
        .await
        .unwrap();
    let mut names = Vec::new();
    for r in rows {
        names.push(s.text_of(&r).await.trim().to_string());
    }
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_order_and_page_size_are_in_the_url_and_match_the_server() {
    let s = Session::start().await;
    s.open("/agents").await;
    s.wait_for_text("Showing 1–40 of 40 agents").await;

    // "Doesn't hold" Voice: only agents without Voice, as the server counts them.
    let want = s.api_agents("lacks=voice&per_page=200").await;
    assert!(
        want.total > 0 && want.total < 40,
        "the demo mixes Voice: {}",
        want.total
    );
    choose(&s, "Voice", "lacks").await;
    wait_for_query(&s, "lacks=voice").await;
    s.wait_for_text(&format!("of {} agents", want.total)).await;
    let names: Vec<String> = want.agents.iter().map(|a| a.name.clone()).collect();
    assert_eq!(row_names(&s).await, names);
    for name in &names {
        let voice = s.checkbox(&format!("Voice license for {name}")).await;
        assert!(!voice.is_selected().await.unwrap(), "{name} holds Voice");
    }

    // With a second filter, and kept over a reload.
    s.click(&s.labelled("Receives no queue calls").await).await;
    wait_for_query(&s, "lacks=voice&no_queue=true").await;
    let both = s.api_agents("lacks=voice&no_queue=true").await;
    if both.total == 0 {
        s.wait_for_text("No agents match these filters.").await;
    } else {
        s.wait_for_text(&format!("of {} agents", both.total)).await;
    }
    s.browser.refresh().await.unwrap();
    s.wait_for_text("Clear filters").await;
    assert_eq!(s.value("Voice").await, "lacks");
    assert!(
        s.labelled("Receives no queue calls")
            .await
            .is_selected()
            .await
            .unwrap()
    );

    // Clear filters: every agent again.
    s.click(&s.button("Clear filters").await).await;
    wait_for_query(&s, "").await;
    s.wait_for_text("Showing 1–40 of 40 agents").await;

    // A heading sorts: by email, then the other way.
    s.click(&s.button("Email").await).await;
    wait_for_query(&s, "sort=email").await;
    let by_email = s.api_agents("sort=email&per_page=200").await;
    let want: Vec<String> = by_email.agents.iter().map(|a| a.name.clone()).collect();
    let mut shown = Vec::new();
    for _ in 0..50 {
        shown = row_names(&s).await;
        if shown == want {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(shown, want);
    let email_th = s.find("thead th[aria-sort]").await;
    assert_eq!(
        email_th.attr("aria-sort").await.unwrap().as_deref(),
        Some("ascending")
    );
    assert_eq!(s.text_of(&email_th).await.trim(), "Email");
    s.click(&s.button("Email").await).await;
    wait_for_query(&s, "sort=email&order=desc").await;
    let email_th = s.find("thead th[aria-sort=descending]").await;
    assert_eq!(s.text_of(&email_th).await.trim(), "Email");

    // Rows per page: 100 at once, kept in the address beside the order.
    choose(&s, "Rows per page", "100").await;
    wait_for_query(&s, "per_page=100&sort=email&order=desc").await;
    s.wait_for_text("Showing 1–40 of 40 agents").await;
    assert_eq!(s.value("Rows per page").await, "100");
    s.finish().await;
}

/// Clicks `el` with Shift held, as a person extends a selection (WebDriver actions:
/// the key goes down, the pointer clicks, the key comes up).
async fn shift_click(s: &Session, el: &fantoccini::elements::Element) {
    use fantoccini::actions::{
        InputSource, KeyAction, KeyActions, MOUSE_BUTTON_LEFT, MouseActions, PointerAction,
    };
    use fantoccini::key::Key;
    let pause = std::time::Duration::from_millis(10);
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down {
            value: Key::Shift.into(),
        })
        .then(KeyAction::Pause { duration: pause })
        .then(KeyAction::Pause { duration: pause })
        .then(KeyAction::Pause { duration: pause })
        .then(KeyAction::Up {
            value: Key::Shift.into(),
        });
    let mouse = MouseActions::new("mouse".into())
        .then(PointerAction::Pause { duration: pause })
        .then(PointerAction::MoveToElement {
            element: el.clone(),
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Pause { duration: pause });
    s.browser
        .perform_actions(fantoccini::actions::Actions::from(keys).and(mouse))
        .await
        .unwrap();
    s.browser.release_actions().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_assign_lists_every_agent_it_cannot_reach_and_saves_as_one_batch() {
    let s = Session::start().await;
    let without = s.api_agents("lacks=voice&per_page=200").await;
    let free = s.api_summary().await.pool().available(LicenseType::Voice);
    assert!(
        without.total as i64 > free,
        "the demo has more agents without Voice than seats"
    );
    s.open("/agents?lacks=voice").await;
    s.wait_for_text(&format!("of {} agents", without.total))
        .await;
    s.wait_for_text("No agents selected").await;

    // Every agent on the page: the count is announced.
    s.click(&s.checkbox("Select every agent on this page").await)
        .await;
    s.wait_for_text(&format!("{} selected", without.total))
        .await;
    let status = s.find(".alc-bulk__count[role=status]").await;
    assert_eq!(
        s.text_of(&status).await,
        format!("{} selected", without.total)
    );

    choose(&s, "License", "voice").await;
    s.click(&s.button("Assign").await).await;
    // The seats left go first in the list's order; everyone else is named with why.
    let given: Vec<&str> = without
        .agents
        .iter()
        .filter(|a| !a.gone && !a.disabled)
        .take(free as usize)
        .map(|a| a.name.as_str())
        .collect();
    s.wait_for_text(&format!(
        "Voice added for {} agents: save to apply.",
        given.len()
    ))
    .await;
    assert!(s.counter("Voice").await.contains("0 available"));
    let refused = s
        .browser
        .find_all(fantoccini::Locator::Css(".alc-refusals li"))
        .await
        .unwrap();
    assert_eq!(refused.len() + given.len(), without.agents.len());
    let mut reasons = Vec::new();
    for li in &refused {
        reasons.push(s.text_of(li).await);
    }
    for a in &without.agents {
        let line = reasons
            .iter()
            .find(|r| r.starts_with(&format!("{}:", a.name)));
        if given.contains(&a.name.as_str()) {
            assert!(line.is_none(), "{} got Voice, yet is listed", a.name);
            continue;
        }
        let line = line.unwrap_or_else(|| panic!("{} is not listed: {reasons:?}", a.name));
        let why = if a.gone {
            "gone from the directory"
        } else if a.disabled {
            "disabled in the directory"
        } else {
            "No Voice licenses are available"
        };
        assert!(line.contains(why), "{line}");
    }

    // Saved as one batch: exactly those agents hold Voice now.
    s.click(&s.button("Save").await).await;
    s.wait_for_text(&format!("Saved {} changes.", given.len()))
        .await;
    assert_eq!(
        s.api_summary().await.pool().available(LicenseType::Voice),
        0
    );
    for name in &given {
        assert!(
            s.api_agent(name).await.licenses.has(LicenseType::Voice),
            "{name}"
        );
    }
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shift_click_picks_a_range_and_all_matching_reaches_past_the_page() {
    let s = Session::start().await;
    // Ten to a page (a size a link may ask for), so that 40 agents take four pages.
    s.open("/agents?per_page=10").await;
    s.wait_for_text("Showing 1–10 of 40 agents").await;
    let names = row_names(&s).await;
    // Picking the first row moves nothing: not as the bulk actions' chunk loads, and
    // not once it has (a Shift-click aimed at a row while the page shifted would land
    // on another; it did, in WebKit, when "Loading…" made the bar taller for a moment).
    let table_top = || async {
        s.browser
            .execute(
                "return document.querySelector('table.alc-table').getBoundingClientRect().top + scrollY",
                vec![],
            )
            .await
            .unwrap()
            .as_f64()
            .unwrap()
    };
    let before = table_top().await;
    s.click(&s.checkbox(&format!("Select {}", names[1])).await)
        .await;
    assert_eq!(
        table_top().await,
        before,
        "the table moved at the first pick"
    );
    let last = s.checkbox(&format!("Select {}", names[4])).await;
    shift_click(&s, &last).await;
    s.wait_for_text("4 selected").await;
    s.button("Assign").await;
    assert_eq!(
        table_top().await,
        before,
        "the table moved as the actions loaded"
    );
    for (i, name) in names.iter().enumerate() {
        let picked = s.checkbox(&format!("Select {name}")).await;
        assert_eq!(
            picked.is_selected().await.unwrap(),
            (1..=4).contains(&i),
            "{name}"
        );
    }

    // The whole page, then every agent matching.
    s.click(&s.checkbox("Select every agent on this page").await)
        .await;
    s.wait_for_text("10 selected").await;
    s.click(&s.button("Select all 40 matching agents").await)
        .await;
    s.wait_for_text("All 40 matching agents selected").await;
    let holding_sms = s.api_agents("holds=sms").await.total;
    choose(&s, "License", "sms").await;
    s.click(&s.button("Remove").await).await;
    s.wait_for_text(&format!(
        "SMS removed from {holding_sms} agents: save to apply."
    ))
    .await;
    s.wait_for_text(&format!(
        "{} agents already did not hold SMS.",
        40 - holding_sms
    ))
    .await;
    assert!(s.counter("SMS").await.contains("0 of 5 assigned"));
    s.wait_for_text(&format!("{holding_sms} unsaved change"))
        .await;

    // Picking is for one list: a new search drops it, the unsaved changes stay.
    s.labelled("Search agents")
        .await
        .send_keys("a")
        .await
        .unwrap();
    s.wait_for_text("No agents selected").await;
    s.wait_for_text(&format!("{holding_sms} unsaved change"))
        .await;
    s.click(&s.button("Discard").await).await;
    s.wait_for_text("No unsaved changes").await;
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_with_reserved_characters_finds_exactly_its_agent() {
    let s = Session::start().await;
    // `&` ends a query value, `+` reads as a space and `ë` is two bytes: a search
    // escaped wrongly on its way to the server finds every agent, or none.
    let name = "Ada & Co=+1 Zoë";
    let created = s
        .http
        .post(format!("{}/api/v1/agents", s.server.url()))
        .json(&serde_json::json!({
            "profile": {"name": name, "email": "ada.co@northwind.example", "extension": "4000"},
            "licenses": [],
        }))
        .send()
        .await
        .unwrap();
    assert!(
        created.status().is_success(),
        "{}",
        created.text().await.unwrap()
    );
    s.open("/agents").await;
    s.wait_for_text("of 41 agents").await;
    let search = s.labelled("Search agents").await;
    search.send_keys("& co=+1 zoë").await.unwrap();
    s.wait_for_text("Showing 1–1 of 1 agents").await;
    assert!(s.page_text().await.contains(name));
    s.browser.refresh().await.unwrap();
    s.wait_for_text("Showing 1–1 of 1 agents").await;
    assert_eq!(s.value("Search agents").await, "& co=+1 zoë");
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boxes_work_from_the_keyboard() {
    let s = Session::start().await;
    s.open("/agents").await;
    let zoe = s.checkbox("SMS license for Zoe Lambert").await;
    // Focus it as Tab would, then press Space.
    s.browser
        .execute(
            "arguments[0].focus()",
            vec![serde_json::to_value(&zoe).unwrap()],
        )
        .await
        .unwrap();
    zoe.send_keys(" ").await.unwrap();
    s.wait_for_text("1 unsaved change").await;
    assert!(zoe.is_selected().await.unwrap());
    assert!(s.counter("SMS").await.contains("0 available"));
    s.click(&s.button("Discard").await).await;
    s.wait_for_text("No unsaved changes").await;
    s.finish().await;
}

async fn type_into(s: &Session, label: &str, text: &str) {
    let input = s.labelled(label).await;
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_adds_edits_and_removes_a_webrtc_agent() {
    let s = Session::start().await;
    s.open("/agents").await;
    s.wait_for_text("of 40 agents").await;
    let voice_before = assigned(&s.api_summary().await, LicenseType::Voice);
    let add = s.link("Add Agent").await;
    s.click(&add).await;
    s.wait_for_text("Recording Mode").await;
    assert_eq!(s.find("h1").await.text().await.unwrap(), "Add Agent");

    type_into(&s, "Name", "Priya Raman").await;
    // A phone user's email: refused, with a +webrtc address one click away.
    type_into(&s, "Email Address", "rosa.jimenez@northwind.example").await;
    s.wait_for_text("This is the email of phone user Rosa Jiménez")
        .await;
    s.click(&s.button("Use rosa.jimenez+webrtc@northwind.example").await)
        .await;
    assert_eq!(
        s.value("Email Address").await,
        "rosa.jimenez+webrtc@northwind.example"
    );
    // A taken extension: refused, with the next free one offered.
    type_into(&s, "Extension", "4001").await;
    s.wait_for_text("Extension 4001 belongs to agent Aaron Blake")
        .await;
    let extension = s.labelled("Extension").await;
    assert_eq!(
        extension.attr("aria-invalid").await.unwrap().as_deref(),
        Some("true")
    );
    s.click(&s.button("Use next free extension 4000").await)
        .await;
    assert_eq!(s.value("Extension").await, "4000");
    s.click(&s.checkbox("Voice license for the new agent").await)
        .await;
    assert!(
        s.counter("Voice")
            .await
            .contains(&format!("{} of 25 assigned", voice_before + 1))
    );

    s.click(&s.button("Save").await).await;
    s.wait_for_text("Added Priya Raman.").await;
    s.wait_for_text("of 41 agents").await;
    assert!(
        s.counter("Voice")
            .await
            .contains(&format!("{} of 25 assigned", voice_before + 1))
    );
    assert!(
        s.checkbox("Voice license for Priya Raman")
            .await
            .is_selected()
            .await
            .unwrap()
    );

    // Edit.
    let link = s.link("Priya Raman").await;
    s.click(&link).await;
    s.wait_for_text("Recording Mode").await;
    type_into(&s, "Preferred Name", "Priya").await;
    s.click(&s.button("Save").await).await;
    s.wait_for_text("Saved Priya Raman.").await;
    assert_eq!(s.api_agent("Priya Raman").await.extension, "4000");

    // Remove, after a confirmation that says what happens.
    let link = s.link("Priya Raman").await;
    s.click(&link).await;
    s.click(&s.button("Remove agent").await).await;
    let dialog = s.text_of(&s.find("[role=alertdialog]").await).await;
    assert!(
        dialog.contains("Their Voice license returns to the pool"),
        "{dialog}"
    );
    s.click(&s.button("Remove").await).await;
    s.wait_for_text("Removed Priya Raman. Their Voice license returned to the pool.")
        .await;
    s.wait_for_text("of 40 agents").await;
    assert_eq!(
        assigned(&s.api_summary().await, LicenseType::Voice),
        voice_before
    );
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_changed_meanwhile_is_not_overwritten_and_reloads_on_request() {
    let s = Session::start().await;
    let aaron = s.api_agent("Aaron Blake").await;
    assert_eq!(aaron.source, alc_domain::AgentSource::Webrtc);
    let url = format!("{}/api/v1/agents/{}", s.server.url(), aaron.id);
    s.open(&format!("/agents/{}", aaron.id)).await;
    s.wait_for_text("Recording Mode").await;
    assert_eq!(s.find("h1").await.text().await.unwrap(), "Aaron Blake");
    assert!(s.page_text().await.contains("Remove agent"));

    // Another supervisor saves a preferred name meanwhile.
    let mut detail: serde_json::Value =
        s.http.get(&url).send().await.unwrap().json().await.unwrap();
    detail["profile"]["preferred_name"] = "Ron".into();
    let put = s
        .http
        .put(&url)
        .json(&serde_json::json!({
            "version": detail["version"],
            "profile": detail["profile"],
            "licenses": detail["licenses"],
        }))
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "{}", put.text().await.unwrap());

    // Ours is refused, keeps what was typed, and offers to reload.
    type_into(&s, "Preferred Name", "A. Blake").await;
    s.click(&s.button("Save").await).await;
    let reload = s.button("Reload the agent (discards your edits)").await;
    assert_eq!(s.value("Preferred Name").await, "A. Blake");
    s.click(&reload).await;
    let deadline = std::time::Instant::now() + common::WAIT;
    while s.value("Preferred Name").await != "Ron" {
        assert!(
            std::time::Instant::now() < deadline,
            "the form was not reloaded"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!s.page_text().await.contains("Reload the agent"));

    // Based on the new version, the same edit saves.
    type_into(&s, "Preferred Name", "A. Blake").await;
    s.click(&s.button("Save").await).await;
    s.wait_for_text("Saved Aaron Blake.").await;
    let detail: serde_json::Value = s.http.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(detail["profile"]["preferred_name"], "A. Blake");
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_users_profile_keeps_the_directorys_fields_and_cannot_be_removed() {
    let s = Session::start().await;
    let page: alc_domain::AgentPage = s.api_get("/agents?kind=phone").await;
    let phone = &page.agents[0];
    s.open(&format!("/agents/{}", phone.id)).await;
    s.wait_for_text("Recording Mode").await;
    assert_eq!(s.find("h1").await.text().await.unwrap(), phone.name);
    let text = s.page_text().await;
    assert!(text.contains("directory; change it there."), "{text}");
    assert!(!text.contains("Remove agent"), "{text}");
    for field in ["Name", "Email Address", "Extension"] {
        let input = s.labelled(field).await;
        assert!(
            input.attr("readonly").await.unwrap().is_some(),
            "{field} is editable"
        );
    }
    assert_eq!(s.value("Extension").await, phone.extension);
    s.finish().await;
}
