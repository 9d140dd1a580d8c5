//! Server functions: what the pages and the phone-form island ask of the server.

pub mod admin;
pub mod journey;
pub mod wallet;

/// The server's state inside a server function or a server-rendered component.
#[cfg(feature = "ssr")]
pub fn current_state() -> Option<domain::state::AppState> {
    leptos::prelude::use_context::<domain::state::AppState>()
}
