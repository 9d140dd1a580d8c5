use leptos::prelude::*;

/// A whole page the server answers by itself, outside the app's router: an outage, a panic,
/// or a dashboard request it refused. Render it with [`RenderHtml::to_html`]; Leptos escapes
/// the title and the message.
#[component]
pub fn ProblemDocument(
    /// The page's title and heading.
    #[prop(into)]
    title: String,
    /// A dashboard page: the dashboard's stylesheets, a card, and the way back to it.
    #[prop(optional)]
    dashboard: bool,
    /// The sentence under the heading.
    children: Children,
) -> impl IntoView {
    let heading = title.clone();
    let content = if dashboard {
        view! {
            <main class="admin-login">
                <section class="card">
                    <h1>{heading}</h1>
                    <p>{children()}</p>
                    <p><a href="/admin">"Back to the dashboard"</a></p>
                </section>
            </main>
        }
        .into_any()
    } else {
        view! {
            <h1>{heading}</h1>
            <p>{children()}</p>
        }
        .into_any()
    };
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta name="viewport" content="width=device-width"/>
                <title>{title}</title>
                {dashboard.then(|| view! {
                    <link rel="stylesheet" href="/pkg/elumo-pass.css"/>
                    <link rel="stylesheet" href="/admin.css"/>
                })}
            </head>
            <body>{content}</body>
        </html>
    }
}
