//! The one state every handler and server function reaches: configuration and the store.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use crate::config::Config;
use crate::store::Store;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub leptos_options: LeptosOptions,
}

impl AppState {
    /// Leptos options built from our configuration, so the binary runs the same whether or not
    /// cargo-leptos started it.
    pub fn leptos_options(config: &Config) -> LeptosOptions {
        LeptosOptions::builder()
            .output_name("elumo-pass")
            .site_root(config.http.site_root.to_string_lossy().to_string())
            .site_pkg_dir("pkg")
            .site_addr(config.http.listen)
            .reload_port(3001)
            .build()
    }

    /// The state inside a server function or a server-rendered component.
    pub fn current() -> Option<AppState> {
        leptos::prelude::use_context::<AppState>()
    }
}
