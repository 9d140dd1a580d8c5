//! The staff accounts at `/admin/staff` (admins only).

use leptos::prelude::*;

use super::layout::{Csrf, Layout};
use super::problem;
use crate::api::admin::admin_staff;
use crate::types::admin::Admin;

#[component]
pub fn AdminStaffPage() -> impl IntoView {
    let data = admin_staff();
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match data.await {
                    Ok(Admin { me, data: rows }) => view! {
                        <Layout me=me.clone() current="staff" title="Staff".to_owned()>
                            <div class="table-wrap"><table class="admin-table" data-testid="staff">
                                <thead><tr><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"State"</th><th scope="col">"Second factor"</th><th scope="col">"Change"</th></tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|s| {
                                        let id = s.id;
                                        view! {
                                            <tr>
                                                <td>{s.email.clone()}</td>
                                                <td>{s.role.clone()}</td>
                                                <td>{if s.disabled { "Disabled" } else { "Active" }}</td>
                                                <td>{if s.mfa { "On" } else { "Off" }}
                                                    {(s.mfa && !s.is_me).then(|| view! {
                                                        <form method="post" action=format!("/admin/staff/{id}/mfa-reset") class="inline-form">
                                                            <Csrf me=me.clone()/>
                                                            <button type="submit" class="button small">"Reset"<span class="visually-hidden">{format!(" the second factor of {}", s.email)}</span></button>
                                                        </form>
                                                    })}
                                                </td>
                                                <td>{if s.is_me { view! { <span>"You · "<a href="/admin/account">"change your password"</a></span> }.into_any() } else { view! {
                                                    <form method="post" action=format!("/admin/staff/{id}/reset") class="inline-form">
                                                        <Csrf me=me.clone()/>
                                                        <button type="submit" class="button small" disabled=s.disabled>
                                                            "Send reset link"<span class="visually-hidden">{format!(" to {}", s.email)}</span>
                                                        </button>
                                                    </form>
                                                    " "
                                                    <form method="post" action=format!("/admin/staff/{id}") class="inline-form">
                                                        <Csrf me=me.clone()/>
                                                        <label class="visually-hidden" for=format!("role-{id}")>{format!("Role of {}", s.email)}</label>
                                                        <select id=format!("role-{id}") name="role">
                                                            <option value="staff" selected=s.role == "staff">"staff"</option>
                                                            <option value="admin" selected=s.role == "admin">"admin"</option>
                                                        </select>
                                                        <label class="check"><input type="checkbox" name="disabled" checked=s.disabled/>" disabled"</label>
                                                        <button type="submit" class="button small">"Save"</button>
                                                    </form>
                                                }.into_any() }}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                            <h2>"Add a staff account"</h2>
                            <form method="post" action="/admin/staff" class="admin-form">
                                <Csrf me=me.clone()/>
                                <label for="st-email">"Email"</label><input id="st-email" name="email" type="email" required/>
                                <label for="st-password">"Password (at least 12 characters)"</label>
                                <input id="st-password" name="password" type="password" minlength="12" autocomplete="new-password" required/>
                                <label for="st-role">"Role"</label>
                                <select id="st-role" name="role"><option value="staff">"staff: view, invite, revoke"</option><option value="admin">"admin: also staff and settings"</option></select>
                                <button type="submit" class="button primary">"Add"</button>
                            </form>
                        </Layout>
                    }.into_any(),
                    Err(e) => problem(e),
                }
            })}
        </Suspense>
    }
}
