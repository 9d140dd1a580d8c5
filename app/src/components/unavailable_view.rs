use leptos::prelude::*;
use leptos_meta::Title;

use crate::types::AppError;

/// The page when the server could not do its part: what happened, in a sentence.
#[component]
pub fn UnavailableView(error: AppError) -> impl IntoView {
    view! {
        <Title text="Temporarily unavailable · elumo pass"/>
        <main class="page">
            <section class="card" role="alert">
                <h1>"Temporarily unavailable"</h1>
                <p>{error.to_string()}</p>
            </section>
        </main>
    }
}
