//! Live journey list: re-reads the page it sits on every few seconds (while the tab is visible)
//! and swaps in the server-rendered rows and count, so the list follows journeys as they run.
//! Failures back off (5 s doubling to 60 s) and say so. Through `Reflect`, so no extra bindings
//! ship to the phones that load the same bundle.

use leptos::prelude::*;

#[island]
pub fn LiveRefresh() -> impl IntoView {
    let (status, set_status) = signal(String::from("Live updates are on."));
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        browser::schedule(browser::FAST_MS, set_status);
        #[cfg(not(feature = "hydrate"))]
        let _ = set_status;
    });
    view! { <p class="live" role="status" aria-live="polite" data-testid="live-status">{status}</p> }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::time::Duration;

    use js_sys::{Array, Function, Reflect};
    use leptos::prelude::*;
    use wasm_bindgen::{JsCast as _, JsValue};
    use wasm_bindgen_futures::JsFuture;

    pub const FAST_MS: u64 = 5_000;
    const SLOWEST_MS: u64 = 60_000;
    /// The parts of the page that change while journeys run.
    const LIVE_IDS: [&str; 2] = ["journey-rows", "journey-total"];

    pub fn schedule(delay: u64, set_status: WriteSignal<String>) {
        set_timeout(
            move || {
                leptos::task::spawn_local(async move {
                    let next = match refresh().await {
                        Ok(true) => {
                            let now = js_sys::Date::new_0().to_locale_time_string("en-GB");
                            set_status.set(format!("Live: updated at {now}."));
                            FAST_MS
                        }
                        Ok(false) => FAST_MS,
                        Err(_) => {
                            let next = (delay * 2).min(SLOWEST_MS);
                            set_status.set(format!(
                                "Live updates paused: the server did not answer. Retrying in {} s.",
                                next / 1000
                            ));
                            next
                        }
                    };
                    schedule(next, set_status);
                });
            },
            Duration::from_millis(delay),
        );
    }

    fn get(target: &JsValue, key: &str) -> Result<JsValue, JsValue> {
        Reflect::get(target, &key.into())
    }

    fn call(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
        let f: Function = get(target, method)?.dyn_into()?;
        f.apply(target, &args.iter().collect::<Array>())
    }

    /// Fetches the page again and swaps the live parts; false when the tab is hidden.
    async fn refresh() -> Result<bool, JsValue> {
        let window: JsValue = web_sys::window().ok_or(JsValue::NULL)?.into();
        let document = get(&window, "document")?;
        if get(&document, "hidden")?.as_bool().unwrap_or(false) {
            return Ok(false);
        }
        let href = get(&get(&window, "location")?, "href")?;
        let response =
            JsFuture::from(js_sys::Promise::from(call(&window, "fetch", &[href])?)).await?;
        if !get(&response, "ok")?.as_bool().unwrap_or(false) {
            return Err(JsValue::NULL);
        }
        let text = JsFuture::from(js_sys::Promise::from(call(&response, "text", &[])?)).await?;
        let parser_class: Function = get(&window, "DOMParser")?.dyn_into()?;
        let parser = Reflect::construct(&parser_class, &Array::new())?;
        let fresh = call(&parser, "parseFromString", &[text, "text/html".into()])?;
        for id in LIVE_IDS {
            let old = call(&document, "getElementById", &[id.into()])?;
            let new = call(&fresh, "getElementById", &[id.into()])?;
            if old.is_null() || new.is_null() {
                // Signed out, or another page: stop touching it.
                return Err(JsValue::NULL);
            }
            let html = get(&new, "innerHTML")?;
            if get(&old, "innerHTML")? != html {
                Reflect::set(&old, &"innerHTML".into(), &html)?;
            }
        }
        Ok(true)
    }
}
