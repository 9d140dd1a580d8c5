//! Outgoing webhooks at `/admin/webhooks` (admins only): the operator's endpoints, adding one
//! (its signing secret is shown once), whether endpoints may be on private networks; and one
//! endpoint's page with its delivery log and "send again".

use leptos::prelude::*;

use super::layout::{Csrf, Layout};
use super::{param, problem};
use crate::api::admin::{admin_webhook, admin_webhooks};
use crate::types::admin::Admin;

#[component]
pub fn AdminWebhooksPage() -> impl IntoView {
    let data = admin_webhooks();
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match data.await {
                    Ok(Admin { me, data: v }) => view! {
                        <Layout me=me.clone() current="webhooks" title="Webhooks".to_owned()>
                            <p>"Your systems hear what happens as it happens: each event is POSTed as JSON to your endpoints, signed per the "
                               <a href="https://www.standardwebhooks.com/">"Standard Webhooks"</a>" specification ("<code>"webhook-id"</code>", "<code>"webhook-timestamp"</code>", "<code>"webhook-signature"</code>
                               "). A failed delivery is tried again for about a day; an endpoint that fails all that time is switched off."</p>
                            {if v.endpoints.is_empty() {
                                view! { <p data-testid="no-webhooks">"No endpoints yet."</p> }.into_any()
                            } else {
                                view! {
                                    <div class="table-wrap"><table class="admin-table" data-testid="webhooks">
                                        <thead><tr><th scope="col">"URL"</th><th scope="col">"Events"</th><th scope="col">"State"</th></tr></thead>
                                        <tbody>
                                            {v.endpoints.into_iter().map(|e| view! {
                                                <tr>
                                                    <td><a href=format!("/admin/webhooks/{}", e.id)>{e.url.clone()}</a><br/><small>{e.description.clone()}</small></td>
                                                    <td>{e.events.join(", ")}</td>
                                                    <td>{e.state.clone()}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table></div>
                                }.into_any()
                            }}
                            <h2>"Add an endpoint"</h2>
                            <form method="post" action="/admin/webhooks" class="admin-form" data-testid="webhook-form">
                                <Csrf me=me.clone()/>
                                <label for="wh-url">"URL (https://)"</label>
                                <input id="wh-url" name="url" type="url" required placeholder="https://example.com/elumo/webhooks"/>
                                <label for="wh-description">"Description (optional)"</label>
                                <input id="wh-description" name="description" maxlength="200"/>
                                <fieldset>
                                    <legend>"Events"</legend>
                                    {v.event_types.iter().map(|t| {
                                        let t = t.clone();
                                        view! { <label class="check"><input type="checkbox" name="event" value=t.clone() checked=true/>" "{t.clone()}</label> }
                                    }).collect_view()}
                                </fieldset>
                                <button type="submit" class="button primary">"Add the endpoint"</button>
                            </form>
                            <p data-testid="webhooks-private">{if v.allow_private {
                                "Your endpoints may also be on your private network (your hosting administrator allowed it)."
                            } else {
                                "Endpoints must be on the public internet: addresses on private, loopback and link-local networks are refused. Your hosting administrator can allow your private network."
                            }}</p>
                        </Layout>
                    }.into_any(),
                    Err(e) => problem(e),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn AdminWebhookPage() -> impl IntoView {
    let id = param("id").parse::<i64>().unwrap_or(0);
    let data = admin_webhook(id);
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match data.await {
                    Ok(Admin { me, data: v }) => {
                        let e = v.endpoint.clone();
                        let id = e.id;
                        view! {
                            <Layout me=me.clone() current="webhooks" title="Webhook endpoint".to_owned()>
                                <p><code data-testid="webhook-url">{e.url.clone()}</code></p>
                                <p>{e.description.clone()}</p>
                                <p>"Events: "{e.events.join(", ")}</p>
                                <p data-testid="webhook-state">{e.state.clone()}</p>
                                <form method="post" action=format!("/admin/webhooks/{id}") class="inline-form">
                                    <Csrf me=me.clone()/>
                                    <input type="hidden" name="action" value=if e.disabled { "enable" } else { "disable" }/>
                                    <button type="submit" class="button small">{if e.disabled { "Turn on" } else { "Turn off" }}</button>
                                </form>
                                " "
                                <form method="post" action=format!("/admin/webhooks/{id}") class="inline-form">
                                    <Csrf me=me.clone()/>
                                    <input type="hidden" name="action" value="delete"/>
                                    <button type="submit" class="button small">"Delete"</button>
                                </form>
                                <h2>"Deliveries"</h2>
                                {if v.deliveries.is_empty() {
                                    view! { <p>"Nothing sent yet."</p> }.into_any()
                                } else {
                                    view! {
                                        <div class="table-wrap"><table class="admin-table" data-testid="deliveries">
                                            <thead><tr><th scope="col">"Event"</th><th scope="col">"Status"</th><th scope="col">"Answer"</th><th scope="col">"Latency"</th><th scope="col">"Made"</th><th scope="col"></th></tr></thead>
                                            <tbody>
                                                {v.deliveries.into_iter().map(|d| view! {
                                                    <tr>
                                                        <td>{d.event_type.clone()}<br/><small><code>{d.message_id.clone()}</code></small></td>
                                                        <td>{format!("{} ({} attempt{})", d.status, d.attempts, if d.attempts == 1 { "" } else { "s" })}<br/><small>{d.when.clone()}</small></td>
                                                        <td>{d.status_code.map(|c| format!("HTTP {c}")).unwrap_or_default()}<br/><small>{d.error.clone().unwrap_or_default()}</small></td>
                                                        <td>{d.latency_ms.map(|ms| format!("{ms} ms")).unwrap_or_default()}</td>
                                                        <td>{d.created.clone()}</td>
                                                        <td>
                                                            <form method="post" action=format!("/admin/webhooks/deliveries/{}/again", d.id) class="inline-form">
                                                                <Csrf me=me.clone()/>
                                                                <input type="hidden" name="endpoint" value=id.to_string()/>
                                                                <button type="submit" class="button small">"Send again"</button>
                                                            </form>
                                                        </td>
                                                    </tr>
                                                }).collect_view()}
                                            </tbody>
                                        </table></div>
                                    }.into_any()
                                }}
                                <p><a href="/admin/webhooks">"All endpoints"</a></p>
                            </Layout>
                        }.into_any()
                    }
                    Err(e) => problem(e),
                }
            })}
        </Suspense>
    }
}
