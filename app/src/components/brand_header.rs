use leptos::prelude::*;

/// The operator's name on its brand colour, at the top of every phone page.
#[component]
pub fn BrandHeader(name: String, #[prop(optional)] site: Option<String>) -> impl IntoView {
    view! {
        <header class="brand">
            <span class="brand-mark" aria-hidden="true">{name.chars().next().unwrap_or('•').to_string()}</span>
            <span class="brand-name">{name}</span>
            {site.map(|s| view! { <span class="brand-site">{s}</span> })}
        </header>
    }
}
