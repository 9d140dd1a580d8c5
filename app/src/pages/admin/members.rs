//! The members list at `/admin/members`.

use leptos::prelude::*;

use super::layout::Layout;
use super::{page_number, problem, query};
use crate::api::admin::admin_members;
use crate::types::admin::{pass_state_label, Admin, Me, MemberRow, PASS_STATES};

fn member_table(me: &Me, rows: Vec<MemberRow>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="admin-table" data-testid="members">
                <thead><tr>
                    <th scope="col">"Member"</th><th scope="col">"Mobile"</th><th scope="col">"Credentials"</th>
                    <th scope="col">"Passes"</th><th scope="col">"Pass"</th><th scope="col">"Synced"</th><th scope="col">"Status"</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|m| {
                        let passes = if m.passes.is_empty() { "none".to_owned() } else {
                            m.passes.iter().map(|p| format!("{} {}", p.platform, if p.voided { "revoked" } else { "active" })).collect::<Vec<_>>().join(", ")
                        };
                        let _ = me;
                        view! {
                            <tr>
                                <td><a href=format!("/admin/members/{}", m.id)>{m.name.clone()}</a>
                                    <br/><small>{m.email.clone().unwrap_or_default()}</small></td>
                                <td>{m.mobile.clone().unwrap_or_else(|| "none on record".into())}</td>
                                <td>{m.credentials.join(", ")}</td>
                                <td>{passes}</td>
                                <td data-testid="pass-state-cell">{pass_state_label(&m.pass_state)}</td>
                                <td>{m.synced.clone().unwrap_or_else(|| "never".into())}<br/><small>{m.source.clone()}</small></td>
                                <td>{if m.active { "Active" } else { "Inactive" }}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
pub fn AdminMembersPage() -> impl IntoView {
    let data = admin_members(query("q"), query("pass"), page_number("page"));
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match data.await {
                    Ok(Admin { me, data: list }) => {
                        let q = crate::types::admin::encode(&list.q);
                        let pass = list.pass.clone();
                        let prev = (list.page > 1).then(|| format!("/admin/members?q={q}&pass={pass}&page={}", list.page - 1));
                        let next = (list.page < list.pages).then(|| format!("/admin/members?q={q}&pass={pass}&page={}", list.page + 1));
                        view! {
                            <Layout me=me.clone() current="members" title="Members".to_owned()>
                                <form method="get" action="/admin/members" class="filters" role="search" aria-label="Find members">
                                    <div class="grow"><label for="m-q">"Search"</label>
                                        <input id="m-q" type="search" name="q" value=list.q.clone() placeholder="Name, email, CRM id or last digits of a number"/></div>
                                    <div><label for="m-pass">"Pass"</label>
                                        <select id="m-pass" name="pass">
                                            <option value="" selected=list.pass.is_empty()>"Any"</option>
                                            {PASS_STATES.iter().map(|(code, label)| view! {
                                                <option value=*code selected=list.pass == *code>{*label}</option>
                                            }).collect_view()}
                                        </select></div>
                                    <div class="filter-actions"><button type="submit" class="button primary">"Search"</button></div>
                                </form>
                                <p>{format!("{} member{} (synced from the CRM)", list.total, if list.total == 1 { "" } else { "s" })}</p>
                                {member_table(&me, list.rows)}
                                <nav class="pager" aria-label="Pages">
                                    {prev.map(|h| view! { <a href=h rel="prev">"← Previous"</a> })}
                                    <span>{format!("Page {} of {}", list.page, list.pages)}</span>
                                    {next.map(|h| view! { <a href=h rel="next">"Next →"</a> })}
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
