//! One member at `/admin/members/:id`: their record, passes and journeys.

use leptos::prelude::*;

use super::layout::Layout;
use super::parts::{journey_table, lost_phone_form, passes_view, revoke_form};
use super::{param, problem};
use crate::api::admin::admin_member;
use crate::types::admin::Admin;

#[component]
pub fn AdminMemberPage() -> impl IntoView {
    let id: i64 = param("id").parse().unwrap_or(-1);
    let data = admin_member(id);
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match data.await {
                    Ok(Admin { me, data: d }) => {
                        let m = d.member;
                        let live = m.passes.iter().any(|p| !p.voided);
                        view! {
                            <Layout me=me.clone() current="members" title=m.name.clone()>
                                <dl class="facts">
                                    <div><dt>"CRM id"</dt><dd>{m.external_id.clone()}</dd></div>
                                    <div><dt>"Email"</dt><dd>{m.email.clone().unwrap_or_else(|| "—".into())}</dd></div>
                                    <div><dt>"Mobile"</dt><dd>{m.mobile.clone().unwrap_or_else(|| "none on record".into())}</dd></div>
                                    <div><dt>"Status"</dt><dd>{if m.active { "Active" } else { "Inactive" }}</dd></div>
                                    <div><dt>"Synced"</dt><dd>{m.synced.clone().unwrap_or_else(|| "never".into())}" ("{m.source.clone()}")"</dd></div>
                                    <div><dt>"Credentials"</dt><dd>{if m.credentials.is_empty() { "none yet".to_owned() } else { m.credentials.join(", ") }}</dd></div>
                                </dl>
                                {m.problem.clone().map(|p| view! { <p class="notice notice-error">"Sync problem: "{p}</p> })}
                                <h2>"Passes"</h2>
                                {passes_view(m.passes.clone())}
                                {live.then(|| view! { <p><a href=format!("/admin/messages?member={}", m.id) data-testid="message-member">"Send a message to this member's passes"</a></p> })}
                                {live.then(|| revoke_form(&me, m.id, format!("/admin/members/{}", m.id)))}
                                {live.then(|| lost_phone_form(&me, m.id, m.email.as_deref().is_some_and(|e| !e.is_empty())))}
                                <h2>"Journeys"</h2>
                                {journey_table(d.journeys)}
                            </Layout>
                        }.into_any()
                    }
                    Err(e) => problem(e),
                }
            })}
        </Suspense>
    }
}
