//! The REST API's keys at `/admin/api-keys` (admins only): make one (shown once), see when each
//! was last used, revoke one.

use leptos::prelude::*;

use super::layout::{Csrf, Layout};
use super::problem;
use crate::api::admin::admin_api_keys;
use crate::types::admin::Admin;

#[component]
pub fn AdminApiKeysPage() -> impl IntoView {
    let data = admin_api_keys();
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match data.await {
                    Ok(Admin { me, data: keys }) => view! {
                        <Layout me=me.clone() current="api-keys" title="API keys".to_owned()>
                            <p>"Your own systems (an access-control system, a CRM, a help desk) use a key to read and change members, invites, journeys and passes through the "
                               <a href="/v1/docs">"elumo pass API"</a>". A key is shown once, when you make it; keep it in your system's secret store."</p>
                            {if keys.is_empty() {
                                view! { <p data-testid="no-keys">"No keys yet."</p> }.into_any()
                            } else {
                                view! {
                                    <div class="table-wrap"><table class="admin-table" data-testid="api-keys">
                                        <thead><tr><th scope="col">"Name"</th><th scope="col">"Key"</th><th scope="col">"Scope"</th><th scope="col">"Made"</th><th scope="col">"Last used"</th><th scope="col">"State"</th></tr></thead>
                                        <tbody>
                                            {keys.into_iter().map(|k| {
                                                let id = k.id;
                                                view! {
                                                    <tr>
                                                        <td>{k.name.clone()}</td>
                                                        <td><code>{format!("{}…", k.prefix)}</code></td>
                                                        <td>{k.scopes.clone()}</td>
                                                        <td>{k.created.clone()}<br/><small>{k.created_by.clone()}</small></td>
                                                        <td>{k.last_used.clone().unwrap_or_else(|| "never".to_owned())}</td>
                                                        <td>{match k.revoked.clone() {
                                                            Some(at) => view! { <span>{format!("Revoked {at}")}</span> }.into_any(),
                                                            None => view! {
                                                                <form method="post" action=format!("/admin/api-keys/{id}/revoke") class="inline-form">
                                                                    <Csrf me=me.clone()/>
                                                                    <button type="submit" class="button small">
                                                                        "Revoke"<span class="visually-hidden">{format!(" the key {}", k.name)}</span>
                                                                    </button>
                                                                </form>
                                                            }.into_any(),
                                                        }}</td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table></div>
                                }.into_any()
                            }}
                            <h2>"Make a key"</h2>
                            <form method="post" action="/admin/api-keys" class="admin-form">
                                <Csrf me=me.clone()/>
                                <label for="key-name">"Name: what will use it"</label>
                                <input id="key-name" name="name" required maxlength="80" placeholder="Door controller sync"/>
                                <label for="key-scope">"Scope"</label>
                                <select id="key-scope" name="scope">
                                    <option value="read">"read: members, invites, journeys, passes, events"</option>
                                    <option value="write">"read and write: also change members, invites and passes"</option>
                                </select>
                                <button type="submit" class="button primary">"Make the key"</button>
                            </form>
                        </Layout>
                    }.into_any(),
                    Err(e) => problem(e),
                }
            })}
        </Suspense>
    }
}
