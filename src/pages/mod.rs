//! One module per route; the route table is in `app.rs`.

mod agent;
mod agent_licensing;
mod audit;
mod import;
mod not_found;
mod password;
mod phone_users;
mod settings;
mod sign_in;
mod users;

pub use agent::{AddAgentPage, EditAgentPage};
pub use agent_licensing::AgentLicensingPage;
pub use audit::AuditLogPage;
pub use import::ImportPage;
pub use not_found::NotFoundPage;
pub use password::{ChangePasswordPage, ChoosePasswordPage};
pub use phone_users::PhoneUsersPage;
pub use settings::SettingsPage;
pub use sign_in::{NoAccessPage, SignInPage};
pub use users::UsersPage;
