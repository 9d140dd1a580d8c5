//! Development-only pages.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::state::AppState;
use leptos::prelude::*;

/// The texts the local sender wrote, for development: only with `ELUMO_ENV=development`, only
/// with the local outbox sender, only to a loopback client that no proxy forwarded, and read from
/// the sender's own file (never from the database, which may hold a real provider's messages).
pub async fn outbox(State(state): State<AppState>, req: Request<Body>) -> Response {
    // Behind a local tunnel or proxy every client arrives from loopback: a forwarded request
    // is someone else's.
    let loopback = !crate::security::forwarded(req.headers())
        && req
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .is_some_and(|c| c.0.ip().is_loopback());
    if state.config.env != domain::config::Environment::Development
        || state.sms.name() != "outbox-file"
        || !loopback
    {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let file = tokio::fs::read_to_string(&state.config.sms.outbox_file)
        .await
        .unwrap_or_default();
    let texts: Vec<Sms> = file
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .take(50)
        .map(|sms| Sms::from_json(&sms))
        .collect();
    let html = view! { <OutboxPage texts/> }.to_html();
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}

/// One line of the outbox file, as the page shows it.
struct Sms {
    /// The outbox's number for it, without its `outbox-` prefix.
    id: String,
    to: String,
    body: String,
}

impl Sms {
    fn from_json(sms: &serde_json::Value) -> Self {
        let text = |k: &str| sms[k].as_str().unwrap_or_default().to_owned();
        let id = text("id");
        Sms {
            id: id.strip_prefix("outbox-").unwrap_or(&id).to_owned(),
            to: text("to"),
            body: text("body"),
        }
    }
}

/// The outbox, newest first; a line that is a link is a link.
#[component]
fn OutboxPage(texts: Vec<Sms>) -> impl IntoView {
    let empty = texts
        .is_empty()
        .then(|| view! { <p>"No messages yet."</p> });
    let texts = texts
        .into_iter()
        .map(|sms| {
            let lines = sms
                .body
                .split('\n')
                .enumerate()
                .map(|(i, line)| {
                    let line = line.to_owned();
                    let shown = if line.starts_with("http") {
                        let href = line.clone();
                        view! { <a href=href>{line}</a> }.into_any()
                    } else {
                        line.into_any()
                    };
                    view! { {(i > 0).then(|| view! { <br/> })} {shown} }
                })
                .collect::<Vec<_>>();
            let to = sms.to.clone();
            view! {
                <article class="card sms" data-id=sms.id data-to=to data-status="sent">
                    <p><strong>{format!("To {}", sms.to)}</strong> " · sent"</p>
                    <p>{lines}</p>
                </article>
            }
        })
        .collect::<Vec<_>>();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>"SMS outbox (development)"</title>
                <link rel="stylesheet" href="/pkg/elumo-pass.css"/>
            </head>
            <body>
                <main class="page">
                    <h1>"SMS outbox"</h1>
                    <p class="lead">
                        "Development only: the texts the local sender wrote, newest first."
                    </p>
                    {empty}
                    {texts}
                </main>
            </body>
        </html>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outbox_page_escapes_the_texts_and_links_their_links() {
        let sms = Sms::from_json(&serde_json::json!({
            "id": "outbox-7",
            "to": "+447400123001",
            "body": "Hi <b>Ada</b> & co\nhttps://pass.example.test/l/abc?x=1&y=\"2\"\n@pass.example.test #123456",
        }));
        let html = view! { <OutboxPage texts=vec![sms]/> }.to_html();
        println!("{html}");
        assert!(
            html.starts_with("<!DOCTYPE html><html lang=\"en\">"),
            "{html}"
        );
        assert!(html.contains("data-id=\"7\"") && html.contains("data-to=\"+447400123001\""));
        assert!(html.contains("data-status=\"sent\""), "{html}");
        assert!(
            html.contains("Hi &lt;b&gt;Ada&lt;/b&gt; &amp; co"),
            "{html}"
        );
        assert!(
            html.contains("<a href=\"https://pass.example.test/l/abc?x=1&amp;y=&quot;2&quot;\">"),
            "{html}"
        );
        assert!(html.contains("#123456") && !html.contains("No messages yet."));
        let empty = view! { <OutboxPage texts=vec![]/> }.to_html();
        assert!(empty.contains("<p>No messages yet.</p>"), "{empty}");
    }
}
