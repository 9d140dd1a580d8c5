//! The audit log at `/admin/audit` (admins only).

use leptos::prelude::*;

use super::layout::Layout;
use super::{page_number, problem};
use crate::api::admin::admin_audit;
use crate::types::admin::Admin;

#[component]
pub fn AdminAuditPage() -> impl IntoView {
    let page = page_number("page");
    let data = admin_audit(page);
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match data.await {
                    Ok(Admin { me, data: rows }) => {
                        let more = rows.len() == 100;
                        view! {
                            <Layout me current="audit" title="Audit log".to_owned()>
                                <table class="admin-table" data-testid="audit">
                                    <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th><th scope="col">"On"</th><th scope="col">"Detail"</th><th scope="col">"From"</th></tr></thead>
                                    <tbody>
                                        {rows.into_iter().map(|a| view! {
                                            <tr><td>{a.at}</td><td>{a.actor}</td><td>{a.action}</td><td>{a.target}</td><td>{a.detail}</td><td>{a.ip}</td></tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <nav class="pager" aria-label="Pages">
                                    {(page > 1).then(|| view! { <a href=format!("/admin/audit?page={}", page - 1)>"← Newer"</a> })}
                                    {more.then(|| view! { <a href=format!("/admin/audit?page={}", page + 1)>"Older →"</a> })}
                                </nav>
                            </Layout>
                        }.into_any()
                    }
                    Err(e) => problem(e),
                }
            })}
        </Suspense>
    }
}
