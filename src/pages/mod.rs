//! One module per route; the route table is in `app.rs`.

mod agent_edit;
mod audit;
mod agent_licensing;
mod not_found;
mod phone_users;
mod sign_in;

pub use agent_edit::AgentEditPage;
pub use audit::AuditLogPage;
pub use agent_licensing::AgentLicensingPage;
pub use not_found::NotFoundPage;
pub use phone_users::PhoneUsersPage;
pub use sign_in::{NoAccessPage, SignInPage};
