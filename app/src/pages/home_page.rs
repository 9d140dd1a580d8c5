use leptos::prelude::*;
use leptos_meta::Title;

/// Where someone lands without an invite: what this is and how to start.
#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="elumo pass"/>
        <main class="page">
            <section class="card">
                <h1>"Your building pass, on your phone"</h1>
                <p>
                    "elumo pass puts your access pass into Apple Wallet or Google Wallet. "
                    "To start, scan the QR code your workspace or building sent you by email or "
                    "put up at reception."
                </p>
                <ol class="steps">
                    <li>"Scan the QR code."</li>
                    <li>"Enter the mobile number on your membership profile."</li>
                    <li>"Open the link we text you and add the pass to your wallet."</li>
                </ol>
            </section>
        </main>
    }
}
