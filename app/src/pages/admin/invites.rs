//! The invites page at `/admin/invites`: site posters, email invites and recent invites.

use leptos::prelude::*;

use super::layout::{Csrf, Layout};
use super::problem;
use crate::api::admin::admin_invites;
use crate::types::admin::Admin;

#[component]
pub fn AdminInvitesPage() -> impl IntoView {
    let data = admin_invites();
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match data.await {
                    Ok(Admin { me, data: list }) => {
                        let sites = list.sites.clone();
                        let site_options = move || view! {
                            <option value="">"Any site"</option>
                            {sites.iter().map(|(id, n)| view! { <option value=id.to_string()>{n.clone()}</option> }).collect_view()}
                        };
                        let site_options2 = site_options.clone();
                        view! {
                            <Layout me=me.clone() current="invites" title="Invites".to_owned()>
                                <div class="panels">
                                    <section class="panel">
                                        <h2>"Site poster"</h2>
                                        <p>"A printable page with a large QR code anyone at the site can scan."</p>
                                        <form method="post" action="/admin/invites" class="admin-form">
                                            <Csrf me=me.clone()/>
                                            <input type="hidden" name="kind" value="poster"/>
                                            <label for="poster-site">"Site"</label>
                                            <select id="poster-site" name="site">{site_options()}</select>
                                            <label for="poster-label">"Label (optional)"</label>
                                            <input id="poster-label" name="label" maxlength="80"/>
                                            <label for="poster-days">"Works for (days)"</label>
                                            <input id="poster-days" name="days" type="number" min="1" max="366" value=list.default_days.to_string()/>
                                            <button type="submit" class="button primary" data-testid="create-poster">"Create poster"</button>
                                        </form>
                                    </section>
                                    <section class="panel">
                                        <h2>"Email invites"</h2>
                                        <p>"Each chosen member gets their own link by email."</p>
                                        <form method="post" action="/admin/invites" class="admin-form">
                                            <Csrf me=me.clone()/>
                                            <input type="hidden" name="kind" value="member"/>
                                            <label for="invite-members">"Members (choose one or several)"</label>
                                            <select id="invite-members" name="member" multiple size="6" required>
                                                {list.members.iter().map(|(id, label)| view! { <option value=id.to_string()>{label.clone()}</option> }).collect_view()}
                                            </select>
                                            <label for="invite-site">"Site"</label>
                                            <select id="invite-site" name="site">{site_options2()}</select>
                                            <label for="invite-days">"Works for (days)"</label>
                                            <input id="invite-days" name="days" type="number" min="1" max="366" value=list.default_days.to_string()/>
                                            <button type="submit" class="button primary" data-testid="send-invites">"Send invites"</button>
                                        </form>
                                    </section>
                                </div>
                                <h2>"Recent invites"</h2>
                                <div class="table-wrap">
                                    <table class="admin-table" data-testid="invites">
                                        <thead><tr><th scope="col">"Invite"</th><th scope="col">"For"</th><th scope="col">"State"</th>
                                        <th scope="col">"Expires"</th><th scope="col">"Journeys"</th><th scope="col">"Actions"</th></tr></thead>
                                        <tbody>
                                            {list.rows.into_iter().map(|i| {
                                                let id = i.id;
                                                let active = i.state == "active";
                                                view! {
                                                    <tr data-invite=id.to_string()>
                                                        <td>{if i.poster { "Site poster" } else { "Email" }}<br/><small>{format!("created {}", i.created)}</small></td>
                                                        <td>{i.target.clone()}</td>
                                                        <td><span class=format!("badge invite-{}", i.state)>{i.state.clone()}</span>
                                                            {i.sent.clone().map(|s| view! { <br/><small>{format!("sent {s}")}</small> })}</td>
                                                        <td>{i.expires.clone()}</td>
                                                        <td>{i.journeys}</td>
                                                        <td class="row-actions">
                                                            {i.poster.then(|| view! {
                                                                <a href=format!("/admin/invites/{id}/poster")>"Poster"</a>
                                                                <a href=format!("/admin/invites/{id}/qr.svg") download=format!("invite-{id}.svg")>"SVG"</a>
                                                                <a href=format!("/admin/invites/{id}/qr.png") download=format!("invite-{id}.png")>"PNG"</a>
                                                            })}
                                                            {(!i.poster).then(|| view! {
                                                                <form method="post" action=format!("/admin/invites/{id}/resend") class="inline-form">
                                                                    <Csrf me=me.clone()/>
                                                                    <button type="submit" class="button small">"Re-send"</button>
                                                                </form>
                                                            })}
                                                            {active.then(|| view! {
                                                                <form method="post" action=format!("/admin/invites/{id}/revoke") class="inline-form">
                                                                    <Csrf me=me.clone()/>
                                                                    <button type="submit" class="button small danger">"Revoke"</button>
                                                                </form>
                                                            })}
                                                        </td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            </Layout>
                        }.into_any()
                    }
                    Err(e) => problem(e),
                }
            })}
        </Suspense>
    }
}
