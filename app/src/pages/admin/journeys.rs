//! The journeys list, the dashboard's home at `/admin`.

use leptos::prelude::*;

use super::layout::Layout;
use super::parts::journey_table;
use super::{page_number, problem, query};
use crate::api::admin::admin_journeys;
use crate::components::LiveRefresh;
use crate::types::admin::{Admin, JourneyFilter, OUTCOME_LABELS};

#[component]
pub fn AdminJourneysPage() -> impl IntoView {
    let filter = JourneyFilter {
        from: query("from"),
        to: query("to"),
        site: query("site"),
        outcome: query("outcome"),
        q: query("q"),
        page: page_number("page"),
    };
    let data = admin_journeys(filter);
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match data.await {
                    Ok(Admin { me, data: list }) => {
                        let f = list.filter.clone();
                        let csv = format!("/admin/journeys.csv?{}", f.query(1));
                        let prev = (list.page > 1).then(|| format!("/admin?{}", f.query(list.page - 1)));
                        let next = (list.page < list.pages).then(|| format!("/admin?{}", f.query(list.page + 1)));
                        view! {
                            <Layout me current="journeys" title="Journeys".to_owned()>
                                <form method="get" action="/admin" class="filters" role="search" aria-label="Filter journeys">
                                    <div><label for="f-from">"From"</label><input id="f-from" type="date" name="from" value=f.from.clone()/></div>
                                    <div><label for="f-to">"To"</label><input id="f-to" type="date" name="to" value=f.to.clone()/></div>
                                    <div><label for="f-site">"Site"</label>
                                        <select id="f-site" name="site">
                                            <option value="">"All sites"</option>
                                            {list.sites.iter().map(|(id, name)| view! {
                                                <option value=id.to_string() selected=f.site == id.to_string()>{name.clone()}</option>
                                            }).collect_view()}
                                        </select>
                                    </div>
                                    <div><label for="f-outcome">"Outcome"</label>
                                        <select id="f-outcome" name="outcome">
                                            <option value="">"Any outcome"</option>
                                            {OUTCOME_LABELS.iter().map(|(code, label)| view! {
                                                <option value=*code selected=f.outcome == *code>{*label}</option>
                                            }).collect_view()}
                                        </select>
                                    </div>
                                    <div class="grow"><label for="f-q">"Search"</label>
                                        <input id="f-q" type="search" name="q" value=f.q.clone() placeholder="Name, email or last digits of a number"/>
                                    </div>
                                    <div class="filter-actions">
                                        <button type="submit" class="button primary">"Filter"</button>
                                        <a href="/admin" class="button">"Clear"</a>
                                    </div>
                                </form>
                                {list.filter_problem.map(|p| view! { <p class="notice notice-error" role="alert">{p}</p> })}
                                <div class="list-head">
                                    <p id="journey-total" data-testid="journey-total">{format!("{} journey{}", list.total, if list.total == 1 { "" } else { "s" })}</p>
                                    <LiveRefresh/>
                                    <a class="button" href=csv download="journeys.csv" data-testid="export-csv">"Export CSV"</a>
                                </div>
                                {journey_table(list.rows)}
                                <nav class="pager" aria-label="Pages">
                                    {prev.map(|h| view! { <a href=h rel="prev">"← Newer"</a> })}
                                    <span>{format!("Page {} of {}", list.page, list.pages)}</span>
                                    {next.map(|h| view! { <a href=h rel="next">"Older →"</a> })}
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
