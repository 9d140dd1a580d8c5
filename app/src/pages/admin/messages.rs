//! Messages to holders at `/admin/messages`: write to every holder, a site's or one member's,
//! and see what was sent and how far it reached.

use leptos::prelude::*;

use super::layout::{Csrf, Layout};
use super::{problem, query};
use crate::api::admin::admin_messages;
use crate::types::admin::Admin;

#[component]
pub fn AdminMessagesPage() -> impl IntoView {
    let member: i64 = query("member").parse().unwrap_or(0);
    let data = admin_messages(member);
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match data.await {
                    Ok(Admin { me, data: d }) => {
                        let chosen_member = d.member.clone();
                        view! {
                            <Layout me=me.clone() current="messages" title="Messages to holders".to_owned()>
                                <form method="post" action="/admin/messages" class="admin-form message-form">
                                    <Csrf me=me.clone()/>
                                    <label for="m-to">"To"</label>
                                    <select id="m-to" name="to">
                                        {match &chosen_member {
                                            Some((id, name)) => view! {
                                                <option value=format!("member:{id}") selected=true>{format!("{name} (their passes)")}</option>
                                            }.into_any(),
                                            None => ().into_any(),
                                        }}
                                        <option value="all" selected=chosen_member.is_none()>"Every holder of a pass"</option>
                                        {d.sites.iter().map(|(id, name)| view! {
                                            <option value=format!("site:{id}")>{format!("Holders of {name}")}</option>
                                        }).collect_view()}
                                    </select>
                                    <label for="m-body">"Message (at most 160 characters; it shows on the lock screen)"</label>
                                    <textarea id="m-body" name="body" rows="3" maxlength="160" required=true></textarea>
                                    <p class="hint">"Apple Wallet shows it as a notification when the pass updates. Google Wallet allows 3 notifying messages a pass in 24 hours; past that the message shows on the pass without one."</p>
                                    <div><button type="submit" class="button primary" data-testid="send-message">"Send to the passes"</button></div>
                                </form>
                                <h2>"Sent"</h2>
                                {if d.sent.is_empty() {
                                    view! { <p>"No message sent yet."</p> }.into_any()
                                } else {
                                    view! {
                                        <div class="table-wrap">
                                            <table class="admin-table" data-testid="messages">
                                                <thead><tr><th scope="col">"When"</th><th scope="col">"To"</th><th scope="col">"Message"</th><th scope="col">"Reach"</th><th scope="col">"By"</th></tr></thead>
                                                <tbody>
                                                    {d.sent.into_iter().map(|m| view! {
                                                        <tr>
                                                            <td>{m.at}</td><td>{m.to}</td><td>{m.body}</td>
                                                            <td data-testid="reach">{m.reach}{m.quiet.map(|q| view! { <br/><small>{q}</small> })}</td>
                                                            <td>{m.by}</td>
                                                        </tr>
                                                    }).collect_view()}
                                                </tbody>
                                            </table>
                                        </div>
                                    }.into_any()
                                }}
                            </Layout>
                        }.into_any()
                    }
                    Err(e) => problem(e),
                }
            })}
        </Suspense>
    }
}
