//! The language switch on the member pages: plain links (`?lang=de`), so it works without
//! JavaScript; each language named in itself. Shown when the operator enables more than one.

use leptos::prelude::*;
use leptos_meta::Html;

use crate::types::Texts;

/// `base` is the page's address up to where `lang=` goes (ending in `?` or `&`).
#[component]
pub fn LanguageSwitch(texts: Texts, base: String) -> impl IntoView {
    (texts.languages.len() > 1).then(|| {
        view! {
            <nav class="language-switch" aria-label=texts.t("language-switch")>
                <ul>
                    {texts
                        .languages
                        .iter()
                        .map(|(tag, name)| {
                            let current = *tag == texts.lang;
                            view! {
                                <li>
                                    <a
                                        href=format!("{base}lang={tag}")
                                        lang=tag.clone()
                                        hreflang=tag.clone()
                                        aria-current=current.then_some("true")
                                    >
                                        {name.clone()}
                                    </a>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
        }
    })
}

/// Sets `<html lang>` to the page's language.
#[component]
pub fn PageLang(lang: String) -> impl IntoView {
    view! { <Html {..} lang=lang/> }
}
