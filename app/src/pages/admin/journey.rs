//! One journey at `/admin/journeys/:id`: its facts, timeline, texts and passes.

use leptos::prelude::*;

use super::layout::{Csrf, Layout};
use super::parts::{outcome_badge, passes_view, revoke_form};
use super::{param, problem};
use crate::api::admin::admin_journey;
use crate::types::admin::Admin;

#[component]
pub fn AdminJourneyPage() -> impl IntoView {
    let id = param("id");
    let data = admin_journey(id.clone());
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match data.await {
                    Ok(Admin { me, data: d }) => {
                        let r = d.row.clone();
                        let who = match (&r.member, &r.number) {
                            (Some((_, n)), _) => n.clone(),
                            (None, Some(n)) => format!("Unknown number {n}"),
                            (None, None) => "No number yet".to_owned(),
                        };
                        let back = format!("/admin/journeys/{}", r.public_id);
                        let member_id = r.member.as_ref().map(|m| m.0);
                        view! {
                            <Layout me=me.clone() current="journeys" title=format!("Journey of {who}")>
                                <dl class="facts">
                                    <div><dt>"Outcome"</dt><dd data-testid="journey-outcome">{outcome_badge(r.outcome.clone())}</dd></div>
                                    <div><dt>"Step"</dt><dd>{r.step.clone()}</dd></div>
                                    <div><dt>"Site"</dt><dd>{r.site.clone().unwrap_or_else(|| "—".into())}</dd></div>
                                    <div><dt>"Invite"</dt><dd>{r.channel.clone()}</dd></div>
                                    <div><dt>"Number"</dt><dd>{r.number.clone().unwrap_or_else(|| "—".into())}</dd></div>
                                    <div><dt>"Started"</dt><dd>{r.started.clone()}</dd></div>
                                    <div><dt>"Time to wallet"</dt><dd>{r.time_to_wallet.clone().unwrap_or_else(|| "—".into())}</dd></div>
                                </dl>
                                {d.reason.clone().map(|why| view! {
                                    <p class="notice notice-info" data-testid="miss-reason"><strong>"Why not found: "</strong>{why}</p>
                                })}
                                <div class="actions">
                                    {d.can_resend.then(|| view! {
                                        <form method="post" action=format!("/admin/journeys/{}/resend", r.public_id) class="inline-form">
                                            <Csrf me=me.clone()/>
                                            <button type="submit" class="button primary" data-testid="resend-link">"Re-send the link"</button>
                                        </form>
                                    })}
                                    {member_id.map(|m| view! {
                                        <a class="button" href=format!("/admin/members/{m}")>"Open the member"</a>
                                    })}
                                    {(member_id.is_some() && d.passes.iter().any(|p| !p.voided)).then(|| revoke_form(&me, member_id.unwrap_or_default(), back.clone()))}
                                </div>
                                <h2>"Timeline"</h2>
                                <ol class="timeline" data-testid="timeline">
                                    {d.events.into_iter().map(|e| view! {
                                        <li>
                                            <time>{e.at}</time>
                                            {e.after.map(|a| view! { <span class="after">{format!("+{a}")}</span> })}
                                            <strong>{e.label}</strong>
                                            {(!e.detail.is_empty()).then(|| view! { <span class="detail">{e.detail}</span> })}
                                        </li>
                                    }).collect_view()}
                                </ol>
                                <h2>"Text messages"</h2>
                                {if d.sms.is_empty() {
                                    view! { <p>"No text sent."</p> }.into_any()
                                } else {
                                    view! {
                                        <table class="admin-table" data-testid="sms">
                                            <thead><tr><th scope="col">"Queued"</th><th scope="col">"Status"</th><th scope="col">"Delivery"</th><th scope="col">"Attempts"</th><th scope="col">"Error"</th></tr></thead>
                                            <tbody>
                                                {d.sms.into_iter().map(|s| view! {
                                                    <tr><td>{s.queued}</td><td>{s.status}</td><td>{s.delivery.unwrap_or_else(|| "no receipt yet".into())}</td>
                                                    <td>{s.attempts}</td><td>{s.error.unwrap_or_default()}</td></tr>
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    }.into_any()
                                }}
                                <h2>"Passes"</h2>
                                {passes_view(d.passes)}
                            </Layout>
                        }.into_any()
                    }
                    Err(e) => problem(e),
                }
            })}
        </Suspense>
    }
}
