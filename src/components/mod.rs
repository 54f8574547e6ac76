//! Reusable widgets. Components are nouns; pages (routes) live in `pages/`.

mod agent_form;
mod agent_table;
mod license_counters;
mod licensing_list;
mod refresh_report;
mod save_bar;

pub use agent_form::AgentForm;
pub use agent_table::{AgentTable, LicenseBox};
pub use license_counters::LicenseCounters;
pub use licensing_list::LicensingList;
pub use refresh_report::RefreshReportView;
pub use save_bar::SaveBar;
