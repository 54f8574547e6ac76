//! The Agent Licensing Console in the browser: a Leptos client-side app.
//!
//! `app` is the shell and route table, `pages` one module per route, `components` the
//! reusable widgets, `licensing` a screen's editing state, `router` the route table and
//! navigation, and `api` the one typed client of the server. The rules themselves are in the shared `alc-domain` crate.

pub mod api;
pub mod app;
pub mod chunk;
pub mod components;
pub mod download;
pub mod embed;
pub mod flash;
pub mod licensing;
pub mod pages;
pub mod profile_form;
pub mod router;
pub mod session;
pub mod task;

pub use app::{App, AppConfig};
