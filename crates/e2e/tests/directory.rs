//! End to end: Refresh Users and Groups from the demo's directory simulator, its
//! report, and licensing a phone user who just arrived.

mod common;

use alc_domain::LicenseType;
use common::Session;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_refreshes_the_directory_and_licenses_a_new_phone_user() {
    let s = Session::start().await;
    s.open("/agents").await;
    let nav = s.link("Phone User Licensing").await;
    s.click(&nav).await;
    s.wait_for_text("Showing 1–26 of 26 phone users").await;
    s.wait_for_text("Directory: RingCentral at http://127.0.0.1:")
        .await;
    // Samuel Adeyemi is licensed but in no queue yet: flagged.
    s.wait_for_text("Receives no queue calls: in no queue or skill")
        .await;

    let refresh = s.button("Refresh Users and Groups").await;
    s.click(&refresh).await;
    s.wait_for_text("274 users added, 2 users changed, 1 user removed, 1 licensed user gone")
        .await;
    s.wait_for_text("Licensed users gone from the directory: licenses held for review")
        .await;
    s.wait_for_text(
        "Olivia Bennett (2015, olivia.bennett@northwind.example): held Voice, Web Chat",
    )
    .await;
    s.wait_for_text("Showing 1–50 of 299 phone users").await;

    let search = s.labelled("Search phone users").await;
    // Samuel is in Billing now: no flag any more.
    search.send_keys("Samuel Adeyemi").await.unwrap();
    s.wait_for_text("Showing 1–1 of 1 phone users").await;
    assert!(
        !s.page_text()
            .await
            .contains("Receives no queue calls: in no queue or skill")
    );

    // The held user keeps its licenses but cannot get a new one: the box says why.
    search.clear().await.unwrap();
    search.send_keys("Olivia Bennett").await.unwrap();
    s.wait_for_text("Gone from directory: licenses held for review")
        .await;
    let sms = s.checkbox("SMS license for Olivia Bennett").await;
    assert!(!sms.is_enabled().await.unwrap());
    assert!(
        s.checkbox("Voice license for Olivia Bennett")
            .await
            .is_selected()
            .await
            .unwrap()
    );

    // A user who just arrived from the directory gets a license.
    search.clear().await.unwrap();
    search.send_keys("Ada Abbott").await.unwrap();
    s.wait_for_text("ada.abbott@northwind.example").await;
    s.wait_for_text("Showing 1–1 of 1 phone users").await;
    let before = s.api_summary().await.pool().assigned[LicenseType::Voice];
    let voice = s.checkbox("Voice license for Ada Abbott").await;
    s.click(&voice).await;
    let save = s.button("Save").await;
    s.click(&save).await;
    s.wait_for_text("Saved 1 change.").await;
    assert_eq!(
        s.api_summary().await.pool().assigned[LicenseType::Voice],
        before + 1
    );
    let ada = s.api_agent("Ada Abbott").await;
    assert!(ada.licenses.has(LicenseType::Voice));
    assert!(ada.source.is_uc());
    s.finish().await;
}
