//! `/v1/docs`: the API's reference for people, drawn from the same OpenAPI document a client
//! generator reads, with a curl example per operation and the problem types explained.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use leptos::prelude::*;
use serde_json::Value;

/// The problem types the API answers with (`type` is `/v1/docs#problem-<code>`).
const PROBLEMS: [(&str, u16, &str); 11] = [
    ("unauthorized", 401, "No `Authorization: Bearer` header, or the key is unknown or revoked."),
    ("insufficient-scope", 403, "The key has the `read` scope and the request changes something."),
    ("rate-limited", 429, "The key made too many requests this minute; `Retry-After` says when to try again."),
    ("not-found", 404, "The operator has no such member, invite, journey or pass (another operator's ids are not found either)."),
    ("no-qr-code", 404, "Only posters keep their link for a QR code."),
    ("no-such-route", 404, "The path is not one of the routes below."),
    ("method-not-allowed", 405, "The route exists but not with this method; `Allow` lists the methods it takes."),
    ("bad-query", 400, "A query parameter is not valid (a limit, a cursor, a time, an outcome)."),
    ("invalid-body", 400, "The body is not JSON of the documented shape (`detail` says where)."),
    ("invalid", 422, "The request is well formed but cannot be carried out (an unknown site, a number that is not a mobile, …)."),
    ("unavailable", 503, "The database could not be reached; nothing was changed. Try again in a moment."),
];

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// One operation of the document.
struct Operation {
    method: String,
    path: String,
    summary: String,
    description: String,
    scope: String,
    params: Vec<(String, String, bool, String)>,
    body: bool,
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        for method in METHODS {
            let Some(op) = item.get(method) else {
                continue;
            };
            let text = |k: &str| op.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            let scope = op
                .pointer("/security/0/api_key/0")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let params = op
                .get("parameters")
                .and_then(Value::as_array)
                .map(|ps| {
                    ps.iter()
                        .map(|p| {
                            let s =
                                |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
                            (
                                s("name"),
                                s("in"),
                                p.get("required").and_then(Value::as_bool).unwrap_or(false),
                                s("description"),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.push(Operation {
                method: method.to_uppercase(),
                path: path.clone(),
                summary: text("summary"),
                description: text("description"),
                scope,
                params,
                body: op.get("requestBody").is_some(),
            });
        }
    }
    out
}

/// A curl line for the operation, with an example body where it takes one.
fn curl(op: &Operation) -> String {
    let path = op
        .path
        .replace("{external_id}", "m-1001")
        .replace("{id}", "42");
    let mut s = "curl -s".to_owned();
    if op.method != "GET" {
        s.push_str(&format!(" -X {}", op.method));
    }
    s.push_str(" -H \"Authorization: Bearer $ELUMO_API_KEY\"");
    if op.body {
        let body = match (op.method.as_str(), op.path.as_str()) {
            ("PUT", _) => {
                r#"{"first_name":"Nia","last_name":"Okafor","email":"nia@example.com","mobile":"+447400123555"}"#
            }
            _ => r#"{"kind":"member","member_external_id":"m-1001"}"#,
        };
        s.push_str(&format!(" -H 'Content-Type: application/json' -d '{body}'"));
    }
    s.push_str(&format!(" \"$ELUMO_URL{path}\""));
    s
}

pub async fn page() -> Response {
    let doc = serde_json::to_value(super::openapi()).unwrap_or(Value::Null);
    let ops = operations(&doc);
    let html = view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width"/>
                <title>"elumo pass API"</title>
                <link rel="stylesheet" href="/pkg/elumo-pass.css"/>
                <link rel="stylesheet" href="/admin.css"/>
            </head>
            <body>
                <main class="admin-main api-docs">
                    <p><a href="/admin/api-keys">"← API keys in the dashboard"</a></p>
                    <h1>"elumo pass API"</h1>
                    <p>"Your members, invites, journeys, passes, sites and events, for your own systems. \
                        Every request carries an API key made in the dashboard (Settings → API keys):"</p>
                    <pre><code>"Authorization: Bearer elumo_…"</code></pre>
                    <p>"A key sees and changes only its operator's data. Keys have the scope "
                        <code>"read"</code>" or "<code>"read write"</code>
                        "; each may make a limited number of requests a minute. Lists come a page at a time: pass "
                        <code>"next_cursor"</code>" back as "<code>"cursor"</code>
                        ". Times are RFC 3339. The machine-readable description is "
                        <a href="/v1/openapi.json">"/v1/openapi.json"</a>" (OpenAPI 3.1)."</p>
                    <h2>"Routes"</h2>
                    <ul>
                        {ops.iter().map(|op| view! {
                            <li><a href=format!("#{}-{}", op.method.to_lowercase(), op.path)><code>{format!("{} {}", op.method, op.path)}</code></a>" "{op.summary.clone()}</li>
                        }).collect_view()}
                    </ul>
                    {ops.into_iter().map(|op| {
                        let example = curl(&op);
                        view! {
                            <section class="card" id=format!("{}-{}", op.method.to_lowercase(), op.path)>
                                <h3><code>{format!("{} {}", op.method, op.path)}</code></h3>
                                <p>{op.summary.clone()}</p>
                                {(!op.description.is_empty()).then(|| view! { <p>{op.description.clone()}</p> })}
                                <p>"Scope: "<code>{op.scope.clone()}</code></p>
                                {(!op.params.is_empty()).then(|| view! {
                                    <div class="table-wrap"><table class="admin-table">
                                        <thead><tr><th scope="col">"Parameter"</th><th scope="col">"In"</th><th scope="col">"About"</th></tr></thead>
                                        <tbody>
                                            {op.params.iter().map(|(name, at, required, about)| view! {
                                                <tr>
                                                    <td><code>{name.clone()}</code>{required.then_some(" (required)")}</td>
                                                    <td>{at.clone()}</td>
                                                    <td>{about.clone()}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table></div>
                                })}
                                <pre><code>{example}</code></pre>
                            </section>
                        }
                    }).collect_view()}
                    <h2>"Problems"</h2>
                    <p>"Every error is an RFC 9457 problem ("<code>"application/problem+json"</code>
                        ") with "<code>"type"</code>", "<code>"title"</code>", "<code>"status"</code>" and "<code>"detail"</code>"."</p>
                    <dl>
                        {PROBLEMS.iter().map(|(code, status, about)| view! {
                            <dt id=format!("problem-{code}")><code>{code.to_string()}</code>{format!(" ({status})")}</dt>
                            <dd>{about.to_string()}</dd>
                        }).collect_view()}
                    </dl>
                </main>
            </body>
        </html>
    }
    .to_html();
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}
