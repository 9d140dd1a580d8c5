use leptos::prelude::*;
use leptos_meta::Title;

use crate::types::AppError;

/// The page when the server could not do its part: what happened, in a sentence, in the
/// browser's language (the page had no data to say more).
#[component]
pub fn UnavailableView(error: AppError) -> impl IntoView {
    let (lang, title, body) = words(&error);
    view! {
        {crate::app::member_page().then(|| view! { <crate::components::PageLang lang=lang/> })}
        <Title text=format!("{title} · elumo pass")/>
        <main class="page">
            <section class="card" role="alert">
                <h1>{title}</h1>
                <p>{body}</p>
            </section>
        </main>
    }
}

#[cfg(feature = "ssr")]
fn words(error: &AppError) -> (String, String, String) {
    let accept = crate::api::journey::accept_language();
    let lang = crate::wire::lang_without_operator(accept.as_deref());
    let id = match error {
        AppError::BadRequest => "error-bad-request",
        AppError::NotFound => "error-not-found",
        AppError::Unavailable => "error-unavailable",
        // The dashboard's words stay English.
        other => {
            return (
                "en".into(),
                "Temporarily unavailable".into(),
                other.to_string(),
            )
        }
    };
    (
        lang.to_owned(),
        domain::i18n::t(lang, "unavailable-title", &[]),
        domain::i18n::t(lang, id, &[]),
    )
}

/// In the browser the page is never rendered (it is not an island): the English words.
#[cfg(not(feature = "ssr"))]
fn words(error: &AppError) -> (String, String, String) {
    (
        "en".into(),
        "Temporarily unavailable".into(),
        error.to_string(),
    )
}
