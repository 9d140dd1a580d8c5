//! The funnel at `/admin/funnel`: how many journeys reach each step.

use leptos::prelude::*;

use super::layout::Layout;
use super::{problem, query};
use crate::api::admin::admin_funnel;
use crate::types::admin::Admin;

#[component]
pub fn AdminFunnelPage() -> impl IntoView {
    let data = admin_funnel(query("from"), query("to"));
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match data.await {
                    Ok(Admin { me, data: f }) => view! {
                        <Layout me current="funnel" title="Funnel".to_owned()>
                            <form method="get" action="/admin/funnel" class="filters" aria-label="Period">
                                <div><label for="p-from">"From"</label><input id="p-from" type="date" name="from" value=f.from.clone()/></div>
                                <div><label for="p-to">"To"</label><input id="p-to" type="date" name="to" value=f.to.clone()/></div>
                                <div class="filter-actions"><button type="submit" class="button primary">"Show"</button></div>
                            </form>
                            {f.filter_problem.map(|p| view! { <p class="notice notice-error" role="alert">{p}</p> })}
                            <div class="funnel" inner_html=f.svg></div>
                            <table class="admin-table" data-testid="funnel">
                                <caption>{format!("Journeys started {} to {}", f.from, f.to)}</caption>
                                <thead><tr><th scope="col">"Step"</th><th scope="col">"Journeys"</th><th scope="col">"Of previous step"</th></tr></thead>
                                <tbody>
                                    {f.steps.into_iter().map(|s| view! {
                                        <tr><th scope="row">{s.label}</th><td>{s.count}</td>
                                        <td>{s.from_previous.map(|p| format!("{p}%")).unwrap_or_else(|| "—".into())}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <p data-testid="biggest-drop">{f.biggest_drop.map(|d| format!("Biggest drop-off: {d}.")).unwrap_or_else(|| "No drop-off in this period.".into())}</p>
                            <p data-testid="time-to-wallet">
                                {match (f.median, f.p90) {
                                    (Some(m), Some(p)) => format!("Time to wallet over {} completed journeys: median {m}, 90th percentile {p}.", f.completed),
                                    _ => "No journey reached a wallet in this period.".to_owned(),
                                }}
                            </p>
                        </Layout>
                    }.into_any(),
                    Err(e) => problem(e),
                }
            })}
        </Suspense>
    }
}
