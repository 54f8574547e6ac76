//! STUB: the ringcentral fake, to be written.

use std::sync::Arc;

use crate::Sim;

pub fn router(sim: Arc<Sim>) -> axum::Router {
    let _ = sim;
    axum::Router::new()
}
