use leptos::prelude::*;

use crate::types::Texts;

/// The seed's "not found" answer: the number was not recognised, try again or contact support,
/// and keep the profile's mobile number current.
#[component]
pub fn NotFoundNotice(support: Option<(String, String)>, texts: Texts) -> impl IntoView {
    view! {
        <div class="notice notice-error" role="alert" data-testid="not-found">
            <h2>{texts.t("notfound-heading")}</h2>
            <p>
                {texts.t("notfound-body")}
                {match support {
                    Some((href, label)) => {
                        // A support page's link says what it is in the page's language.
                        let label = if href.starts_with("http") { texts.t("support-contact") } else { label };
                        view! { {texts.t("notfound-support")} " " <a href=href>{label}</a> "." }.into_any()
                    }
                    None => view! { {texts.t("notfound-front-desk")} }.into_any(),
                }}
            </p>
            <p class="tip">
                <strong>{texts.t("notfound-tip-label")} " "</strong>
                {texts.t("notfound-tip")}
            </p>
        </div>
    }
}
