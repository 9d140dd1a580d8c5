use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        // Under the member pages' addresses the shell leaves the language to the page.
        {crate::app::member_page().then(|| view! { <crate::components::PageLang lang="en".to_owned()/> })}
        <Title text="Page not found · elumo pass"/>
        <main class="page">
            <section class="card">
                <h1>"Page not found"</h1>
                <p>"There is nothing at this address. If you were adding a pass, scan the QR code again."</p>
                <p><a href="/">"What is elumo pass?"</a></p>
            </section>
        </main>
    }
}
