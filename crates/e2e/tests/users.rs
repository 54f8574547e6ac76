//! End to end: console users. An admin adds a supervisor on Console Users; the new
//! supervisor, in a browser of their own, signs in with the initial password, must
//! choose their own before seeing the console, and is signed out on their next action
//! once the admin disables them. The last admin cannot give up the role.

mod common;

use alc_domain::access::UserAccount;
use common::Session;
use fantoccini::Locator;

const NAME: &str = "Priya Raman";
const EMAIL: &str = "priya.raman@northwind.example";
const INITIAL: &str = "first day at northwind";
const CHOSEN: &str = "lanterns over the harbour";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_added_supervisor_chooses_a_password_and_is_signed_out_when_disabled() {
    let s = Session::start_signed_out().await;
    s.sign_in("admin@northwind.example", "admin-demo-2026")
        .await;
    s.wait_for_text("Alex Admin · Admin").await;
    let users = s.link("Console Users").await;
    s.click(&users).await;
    s.wait_for_text("Sam Supervisor").await;
    assert_eq!(s.find("h1").await.text().await.unwrap(), "Console Users");

    // The demo's only admin cannot stop being one: refused beside the row, and the
    // select still says Admin.
    let role = s.labelled("Role for Alex Admin").await;
    role.select_by_value("supervisor").await.unwrap();
    let save = s.button_named("Save role for Alex Admin").await;
    s.click(&save).await;
    s.wait_for_text("is the last active admin").await;
    let refusal = s
        .find("tr.alc-user-detail [role=alert]")
        .await
        .text()
        .await
        .unwrap();
    assert!(refusal.contains("Alex Admin"), "{refusal}");
    assert_eq!(s.value("Role for Alex Admin").await, "admin");

    // Add a supervisor through the form; the policy is checked as the admin types.
    s.labelled("Name").await.send_keys(NAME).await.unwrap();
    s.labelled("Email").await.send_keys(EMAIL).await.unwrap();
    s.labelled("Role")
        .await
        .select_by_value("supervisor")
        .await
        .unwrap();
    let password = s.labelled("Initial password").await;
    password.send_keys("too short").await.unwrap();
    s.wait_for_text("Use at least 12 characters").await;
    password.clear().await.unwrap();
    password.send_keys(INITIAL).await.unwrap();
    let add = s.button("Add user").await;
    s.click(&add).await;
    s.wait_for_text("Added Priya Raman. They choose their own password when they first sign in.")
        .await;
    // Their row is in the table, as a supervisor who has never signed in.
    assert_eq!(s.value("Role for Priya Raman").await, "supervisor");
    let row = s
        .browser
        .find(Locator::XPath(&format!(
            "//tr[th[starts-with(normalize-space(), '{NAME}')]]"
        )))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for expected in [EMAIL, "Active", "Never"] {
        assert!(row.contains(expected), "{expected:?} not in {row:?}");
    }

    // The new supervisor, in a browser of their own.
    let other = s.another_browser("priya").await;
    let p = s.window_of(&other);
    p.sign_in(EMAIL, INITIAL).await;
    p.wait_for_text("Choose a new password").await;
    assert_eq!(
        p.find("h1").await.text().await.unwrap(),
        "Choose a new password"
    );
    assert!(p.page_text().await.contains("an admin set"));
    p.labelled("Current password")
        .await
        .send_keys(INITIAL)
        .await
        .unwrap();
    p.labelled("New password")
        .await
        .send_keys(CHOSEN)
        .await
        .unwrap();
    p.labelled("Confirm new password")
        .await
        .send_keys(CHOSEN)
        .await
        .unwrap();
    let set = p.button("Set my password").await;
    p.click(&set).await;
    p.wait_for_text("Your new password is set.").await;
    p.wait_for_text("Priya Raman · Supervisor").await;
    assert_eq!(p.find("h1").await.text().await.unwrap(), "Agent Licensing");
    p.wait_for_text("Showing 1–40 of 40 agents").await;

    // The admin disables them.
    let disable = s.button_named("Disable Priya Raman").await;
    s.click(&disable).await;
    s.wait_for_text("Disabled Priya Raman.").await;
    s.button_named("Enable Priya Raman").await;
    let list: Vec<UserAccount> = s.api_get("/users").await;
    let priya = list.iter().find(|u| u.email == EMAIL).expect("listed");
    assert!(!priya.active && !priya.must_change_password, "{priya:?}");

    // Their open page learns it on its next action.
    let phone = p.link("Phone User Licensing").await;
    p.click(&phone).await;
    p.wait_for_text("Session ended").await;
    assert_eq!(p.find("h1").await.text().await.unwrap(), "Sign in");

    s.close_browser(other).await;
    s.finish().await;
}
