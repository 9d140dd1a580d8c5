//! Android's WebOTP: the text's last line (`@host #code`) lets Chrome hand the code to the page
//! that asked for it. This island asks, fills the code field and continues, so the person never
//! leaves "check your messages". Elsewhere (iOS offers the code above the keyboard through
//! `autocomplete="one-time-code"`; browsers without WebOTP) it does nothing.

use leptos::prelude::*;

#[island]
pub fn WebOtp() -> impl IntoView {
    let mark = NodeRef::<leptos::html::Span>::new();
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(span) = mark.get() {
            leptos::task::spawn_local(browser::listen(span));
        }
    });
    view! { <span node_ref=mark class="webotp" data-webotp="off" hidden></span> }
}

#[cfg(feature = "hydrate")]
mod browser {
    use js_sys::{Array, Function, Object, Promise, Reflect};
    use wasm_bindgen::{JsCast as _, JsValue};

    pub async fn listen(span: web_sys::HtmlSpanElement) {
        let _ = try_listen(&span).await;
    }

    /// `navigator.credentials.get({otp: {transport: ["sms"]}})`, through Reflect so no extra
    /// bindings ship to the browser.
    async fn try_listen(span: &web_sys::HtmlSpanElement) -> Result<(), JsValue> {
        let window = web_sys::window().ok_or(JsValue::NULL)?;
        if !Reflect::has(&window, &"OTPCredential".into())? {
            return span.set_attribute("data-webotp", "unsupported");
        }
        let credentials = Reflect::get(&window.navigator(), &"credentials".into())?;
        let otp = Object::new();
        Reflect::set(&otp, &"transport".into(), &Array::of1(&"sms".into()))?;
        let options = Object::new();
        Reflect::set(&options, &"otp".into(), &otp)?;
        let get: Function = Reflect::get(&credentials, &"get".into())?.dyn_into()?;
        let asked: Promise = get.call1(&credentials, &options)?.dyn_into()?;
        span.set_attribute("data-webotp", "listening")?;
        let credential = wasm_bindgen_futures::JsFuture::from(asked).await?;
        let code = Reflect::get(&credential, &"code".into())?
            .as_string()
            .unwrap_or_default();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return span.set_attribute("data-webotp", "ignored");
        }
        let form = span.closest("form")?.ok_or(JsValue::NULL)?;
        let field = form
            .query_selector("input[name=code]")?
            .ok_or(JsValue::NULL)?;
        Reflect::set(&field, &"value".into(), &code.into())?;
        span.set_attribute("data-webotp", "received")?;
        let submit: Function = Reflect::get(&form, &"requestSubmit".into())?.dyn_into()?;
        submit.call0(&form)?;
        Ok(())
    }
}
