//! The phone form: the one island. It checks the number in the browser before any request
//! (format, length, stray characters) and asks the server, which decides. Without JavaScript
//! the same form posts to the same server function and the server answers with a page.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;

use crate::api::journey::{submit_number, SubmitNumber};
use crate::components::NotFoundNotice;
use crate::types::{quick_check, SubmitOutcome, Texts};

#[island]
pub fn PhoneForm(
    token: String,
    journey: String,
    support: Option<(String, String)>,
    region: String,
    number: String,
    error: Option<String>,
    not_found: bool,
    /// The form's words in the page's language (the island carries no translations of its own).
    texts: Texts,
) -> impl IntoView {
    let t = StoredValue::new(texts);
    let number = RwSignal::new(number);
    let region = RwSignal::new(region);
    let error = RwSignal::new(error);
    let not_found = RwSignal::new(not_found);
    let pending = RwSignal::new(false);
    let input = NodeRef::<leptos::html::Input>::new();
    let form = NodeRef::<leptos::html::Form>::new();
    // Effects run only in the browser: the mark tells tests (and curious people) the WASM took over.
    Effect::new(move |_| {
        if let Some(f) = form.get() {
            let _ = f.set_attribute("data-hydrated", "true");
        }
    });

    let on_submit = {
        let token = token.clone();
        let journey = journey.clone();
        move |ev: SubmitEvent| {
            ev.prevent_default();
            if pending.get_untracked() {
                return;
            }
            not_found.set(false);
            if let Err(hint) = quick_check(&number.get_untracked()) {
                error.set(Some(t.with_value(|t| t.t(hint.key()))));
                if let Some(el) = input.get_untracked() {
                    let _ = el.focus();
                }
                return;
            }
            error.set(None);
            pending.set(true);
            let (token, journey) = (token.clone(), journey.clone());
            let lang = t.with_value(|t| t.lang.clone());
            leptos::task::spawn_local(async move {
                let answer = submit_number(
                    token,
                    journey,
                    region.get_untracked(),
                    number.get_untracked(),
                    Some(lang),
                )
                .await;
                match answer {
                    Ok(SubmitOutcome::Matched { next }) => {
                        let _ = window().location().set_href(&next);
                        return;
                    }
                    Ok(SubmitOutcome::Invalid { message, .. }) => error.set(Some(message)),
                    Ok(SubmitOutcome::RateLimited { message, .. }) => error.set(Some(message)),
                    Ok(SubmitOutcome::NotFound { .. }) => not_found.set(true),
                    Ok(SubmitOutcome::InviteGone { .. }) => {
                        let _ = window().location().reload();
                        return;
                    }
                    Err(e) => error.set(Some(e.to_string())),
                }
                pending.set(false);
                if let Some(el) = input.get_untracked() {
                    let _ = el.focus();
                }
            });
        }
    };

    let action = <SubmitNumber as leptos::server_fn::ServerFn>::url();
    view! {
        <form class="phone-form" method="post" action=action node_ref=form on:submit=on_submit>
            <input type="hidden" name="token" value=token/>
            <input type="hidden" name="journey" value=journey/>
            <input type="hidden" name="lang" value=t.with_value(|t| t.lang.clone())/>
            <div class="field">
                <label for="region">{t.with_value(|t| t.t("phone-country"))}</label>
                <select
                    id="region"
                    name="region"
                    autocomplete="tel-country-code"
                    on:change:target=move |ev| region.set(ev.target().value())
                >
                    {t.with_value(|t| t.countries.clone())
                        .into_iter()
                        .map(|(code, label)| {
                            let here = code.clone();
                            view! {
                                <option value=code selected=move || region.get() == here>
                                    {label}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="number">{t.with_value(|t| t.t("phone-number"))}</label>
                <input
                    id="number"
                    name="number"
                    type="tel"
                    inputmode="tel"
                    autocomplete="tel-national"
                    required
                    maxlength="32"
                    node_ref=input
                    prop:value=move || number.get()
                    value=number.get_untracked()
                    on:input:target=move |ev| {
                        number.set(ev.target().value());
                    }
                    aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                    aria-describedby="number-help number-error"
                />
                <p id="number-help" class="help">{t.with_value(|t| t.t("phone-number-help"))}</p>
                <p id="number-error" class="field-error" role="alert" aria-live="assertive">
                    {move || error.get()}
                </p>
            </div>
            <Show when=move || not_found.get()>
                <NotFoundNotice support=support.clone() texts=t.get_value()/>
            </Show>
            <button type="submit" class="button primary" aria-busy=move || pending.get().to_string()>
                {move || t.with_value(|t| if pending.get() { t.t("phone-checking") } else { t.t("phone-submit") })}
            </button>
        </form>
    }
}
