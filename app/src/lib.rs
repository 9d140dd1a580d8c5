//! elumo pass: the Leptos app. Pages and the phone-form island compile for both the browser and
//! the server; the dashboard's pages as data (`admin::views`) and the server functions' bodies
//! sit behind the `ssr` feature, over the `domain` crate (which the browser never compiles).
#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod pages;
pub mod types;

#[cfg(feature = "ssr")]
pub mod admin;
#[cfg(feature = "ssr")]
pub mod first_load;
#[cfg(feature = "ssr")]
pub mod wire;

mod app;
pub use app::{shell, App};
