//! The browser entry point: hydrates the islands (the phone form) of a server-rendered page.

// Keeps the app crate linked: without it the islands silently vanish from the WASM.
use app as _;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
