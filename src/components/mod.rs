//! Reusable widgets. Components are nouns; pages (routes) live in `pages/`.

mod agent_form;
mod agent_table;
pub mod bulk;
mod form_field;
mod license_counters;
mod licensing_list;
mod new_user_form;
mod password_form;
mod refresh_report;
mod save_bar;
mod user_table;

pub use agent_form::AgentForm;
pub use agent_table::{AgentTable, LicenseBox, Picking, Sorting};
pub use form_field::{FormField, PASSWORD_HINT, Refusals, focus_first_invalid};
pub use license_counters::LicenseCounters;
pub use licensing_list::{LicensingList, list_query};
pub use new_user_form::NewUserForm;
pub use password_form::PasswordChangeForm;
pub use refresh_report::RefreshReportView;
pub use save_bar::SaveBar;
pub use user_table::UserTable;
