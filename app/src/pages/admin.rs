//! The operator dashboard under `/admin`: server-rendered pages over the admin server functions;
//! every form posts to a route of the server crate with the session's CSRF token and comes back
//! here with `?done=` or `?error=`.

use leptos::prelude::*;
use leptos_meta::{Stylesheet, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::admin::*;
use crate::components::LiveRefresh;
use crate::types::admin::*;
use crate::types::AppError;

fn query(name: &str) -> String {
    use_query_map()
        .read_untracked()
        .get(name)
        .unwrap_or_default()
}

fn param(name: &str) -> String {
    use_params_map()
        .read_untracked()
        .get(name)
        .unwrap_or_default()
}

fn page_number(name: &str) -> u32 {
    query(name).parse().unwrap_or(1).max(1)
}

/// The sign-in page, or a sentence, for a page that could not load.
fn problem(e: AppError) -> AnyView {
    if e == AppError::SignIn {
        #[cfg(feature = "ssr")]
        {
            leptos_axum::redirect("/admin/login?error=expired");
            if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
                res.set_status(http::StatusCode::FOUND);
            }
        }
        return view! {
            <main class="admin-login"><p>"Your session ended. " <a href="/admin/login">"Sign in"</a></p></main>
        }
        .into_any();
    }
    view! {
        <Title text="Dashboard · elumo pass"/>
        <Stylesheet href="/admin.css"/>
        <main class="admin-login">
            <section class="card" data-testid="admin-problem">
                <h1>{if e == AppError::Forbidden { "Admins only" } else if e == AppError::NotFound { "Not found" } else { "Something went wrong" }}</h1>
                <p>{e.to_string()}</p>
                <p><a href="/admin">"Back to journeys"</a></p>
            </section>
        </main>
    }
    .into_any()
}

/// The `?done=` / `?error=` banner after a form.
#[component]
fn Flash() -> impl IntoView {
    let code = {
        let done = query("done");
        if done.is_empty() {
            query("error")
        } else {
            done
        }
    };
    flash(&code).map(|(ok, text)| {
        let class = if ok { "notice notice-ok" } else { "notice notice-error" };
        view! { <p class=class role=if ok { "status" } else { "alert" } data-testid="flash">{text}</p> }
    })
}

#[component]
fn Csrf(me: Me) -> impl IntoView {
    view! { <input type="hidden" name="csrf" value=me.csrf/> }
}

/// The dashboard's frame: navigation, who is signed in, sign out.
#[component]
fn Layout(me: Me, current: &'static str, title: String, children: Children) -> impl IntoView {
    let link = move |href: &'static str, key: &'static str, label: &'static str| {
        view! {
            <a href=href aria-current=if current == key { Some("page") } else { None }>{label}</a>
        }
    };
    let admin_links = me.is_admin.then(|| {
        view! {
            {link("/admin/settings", "settings", "Settings")}
            {link("/admin/staff", "staff", "Staff")}
            {link("/admin/audit", "audit", "Audit log")}
        }
    });
    view! {
        <Title text=format!("{title} · {} · elumo pass", me.operator)/>
        <Stylesheet href="/admin.css"/>
        <div class="admin">
            <header class="admin-header">
                <a class="admin-brand" href="/admin">{me.operator.clone()} <span>" dashboard"</span></a>
                <nav aria-label="Dashboard">
                    {link("/admin", "journeys", "Journeys")}
                    {link("/admin/funnel", "funnel", "Funnel")}
                    {link("/admin/members", "members", "Members")}
                    {link("/admin/invites", "invites", "Invites")}
                    {admin_links}
                </nav>
                <form method="post" action="/admin/logout" class="admin-signout">
                    <Csrf me=me.clone()/>
                    <a class="admin-who" href="/admin/account" title="Your account"
                       aria-current=if current == "account" { Some("page") } else { None }>{me.email.clone()}</a>
                    <button type="submit" class="button small">"Sign out"</button>
                </form>
            </header>
            <main class="admin-main" id="main">
                <h1>{title}</h1>
                {me.sms_budget.clone().map(|text| view! {
                    <p class="notice notice-error" role="status" data-testid="sms-budget">{text}</p>
                })}
                <Flash/>
                {children()}
            </main>
        </div>
    }
}

/// The sign-in form's token for this browser's pre-session cookie (the server's `/admin`
/// layer sets the cookie on the request when the browser had none).
#[cfg(feature = "ssr")]
fn login_form_token() -> String {
    let (Some(state), Some(parts)) = (
        crate::api::current_state(),
        use_context::<http::request::Parts>(),
    ) else {
        return String::new();
    };
    let cookie = parts
        .headers
        .get(http::header::COOKIE)
        .and_then(|v| v.to_str().ok());
    domain::staff::login_cookie_value(&state.config.http.public_url, cookie)
        .map(domain::staff::login_form_token)
        .unwrap_or_default()
}

#[cfg(not(feature = "ssr"))]
fn login_form_token() -> String {
    String::new()
}

#[component]
pub fn AdminLoginPage() -> impl IntoView {
    let message = crate::types::admin::login_text(&query("error"));
    let done = crate::types::admin::login_done_text(&query("done"));
    view! {
        <Title text="Sign in · elumo pass dashboard"/>
        <Stylesheet href="/admin.css"/>
        <main class="admin-login">
            <section class="card">
                <h1>"Operator dashboard"</h1>
                <p class="lead">"Sign in with your staff account."</p>
                {done.map(|m| view! { <p class="notice notice-ok" role="status" data-testid="login-done">{m}</p> })}
                {message.map(|m| view! { <p class="notice notice-error" role="alert" data-testid="login-error">{m}</p> })}
                <form method="post" action="/admin/login" class="admin-form">
                    <input type="hidden" name="csrf" value=login_form_token()/>
                    <label for="email">"Email"</label>
                    <input id="email" name="email" type="email" autocomplete="username" required/>
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required/>
                    <button type="submit" class="button primary">"Sign in"</button>
                </form>
            </section>
        </main>
    }
}

/// The signed-in staff member's own account: changing the password.
#[component]
pub fn AdminAccountPage() -> impl IntoView {
    let data = admin_account();
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match data.await {
                    Ok(Admin { me, .. }) => view! {
                        <Layout me=me.clone() current="account" title="Your account".to_owned()>
                            <section class="panel" aria-labelledby="password-title">
                                <h2 id="password-title">"Change your password"</h2>
                                <p>"Changing it signs you out on every other device and browser."</p>
                                <form method="post" action="/admin/account/password" class="admin-form">
                                    <Csrf me=me.clone()/>
                                    <label for="pw-current">"Current password"</label>
                                    <input id="pw-current" name="current_password" type="password" autocomplete="current-password" required/>
                                    <label for="pw-new">"New password (at least 12 characters)"</label>
                                    <input id="pw-new" name="new_password" type="password" minlength="12" maxlength="512" autocomplete="new-password" required/>
                                    <label for="pw-confirm">"New password again"</label>
                                    <input id="pw-confirm" name="confirm" type="password" minlength="12" maxlength="512" autocomplete="new-password" required/>
                                    <button type="submit" class="button primary">"Change password"</button>
                                </form>
                            </section>
                        </Layout>
                    }.into_any(),
                    Err(e) => problem(e),
                }
            })}
        </Suspense>
    }
}

/// The page a password reset link opens: the new-password form, or why the link cannot be used.
#[component]
pub fn AdminResetPage() -> impl IntoView {
    let token = param("token");
    let error = query("error");
    let data = admin_reset(token.clone());
    view! {
        <Title text="New password · elumo pass dashboard"/>
        <Stylesheet href="/admin.css"/>
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                let reset = data.await.unwrap_or(ResetState::Invalid);
                let body = match &reset {
                    ResetState::Ready { email } => {
                        let problem = flash(&error).filter(|(ok, _)| !ok).map(|(_, text)| text);
                        view! {
                            <h1>"Choose a new password"</h1>
                            <p class="lead">{format!("For the dashboard account {email}.")}</p>
                            {problem.map(|m| view! { <p class="notice notice-error" role="alert" data-testid="flash">{m}</p> })}
                            <form method="post" action=format!("/admin/reset/{}", encode(&token)) class="admin-form">
                                <label for="reset-password">"New password (at least 12 characters)"</label>
                                <input id="reset-password" name="password" type="password" minlength="12" maxlength="512" autocomplete="new-password" required/>
                                <label for="reset-confirm">"New password again"</label>
                                <input id="reset-confirm" name="confirm" type="password" minlength="12" maxlength="512" autocomplete="new-password" required/>
                                <button type="submit" class="button primary">"Set the new password"</button>
                            </form>
                            <p>"The link works once. Setting a password signs this account out everywhere; then you sign in with the new one."</p>
                        }.into_any()
                    }
                    other => {
                        let (title, text) = other.problem().unwrap_or_default();
                        view! {
                            <h1>{title}</h1>
                            <p data-testid="reset-problem">{text}</p>
                            <p><a href="/admin/login">"Go to the sign-in page"</a></p>
                        }.into_any()
                    }
                };
                view! { <main class="admin-login"><section class="card">{body}</section></main> }
            })}
        </Suspense>
    }
}

fn outcome_badge(code: String) -> impl IntoView {
    let label = outcome_label(&code);
    view! { <span class=format!("badge outcome-{code}")>{label}</span> }
}

fn journey_rows(rows: Vec<JourneyRow>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <tr><td colspan="9" class="empty">"No journeys match."</td></tr> }
            .into_any();
    }
    rows.into_iter()
        .map(|r| {
            let who = match (&r.member, &r.number) {
                (Some((_, name)), _) => name.clone(),
                (None, Some(n)) => format!("Unknown number {n}"),
                (None, None) => "No number yet".to_owned(),
            };
            view! {
                <tr data-journey=r.public_id.clone()>
                    <td><a href=format!("/admin/journeys/{}", r.public_id)>{who}</a></td>
                    <td>{r.site.clone().unwrap_or_else(|| "—".into())}</td>
                    <td>{r.channel.clone()}</td>
                    <td>{r.step.clone()}</td>
                    <td>{outcome_badge(r.outcome.clone())}</td>
                    <td>{if r.platform.is_empty() { "—".to_owned() } else { r.platform.clone() }}</td>
                    <td><time>{r.started.clone()}</time></td>
                    <td>{r.time_to_wallet.clone().unwrap_or_else(|| "—".into())}</td>
                </tr>
            }
        })
        .collect_view()
        .into_any()
}

fn journey_table(rows: Vec<JourneyRow>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="admin-table" data-testid="journeys">
                <caption class="visually-hidden">"Journeys, newest first"</caption>
                <thead><tr>
                    <th scope="col">"Member"</th><th scope="col">"Site"</th><th scope="col">"Invite"</th>
                    <th scope="col">"Step"</th><th scope="col">"Outcome"</th><th scope="col">"Wallet"</th>
                    <th scope="col">"Started"</th><th scope="col">"Time to wallet"</th>
                </tr></thead>
                <tbody id="journey-rows">{journey_rows(rows)}</tbody>
            </table>
        </div>
    }
}

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

fn passes_view(passes: Vec<PassView>) -> impl IntoView {
    if passes.is_empty() {
        return view! { <p>"No pass issued yet."</p> }.into_any();
    }
    view! {
        <ul class="passes">
            {passes.into_iter().map(|p| view! {
                <li data-testid="pass-state">
                    <strong>{p.platform}</strong>": "
                    {if p.voided { view! { <span class="badge outcome-sms_failed">"Revoked"</span> }.into_any() }
                     else { view! { <span class="badge outcome-completed">"Active"</span> }.into_any() }}
                    " · issued " {p.issued} " · updated " {p.updated}
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// The revoke form's confirmation: the one inline handler, allowed by its hash in the
/// Content-Security-Policy (`server::security`).
pub const REVOKE_CONFIRM: &str =
    "return confirm('Revoke this member\\'s passes? They stop working at once.')";

fn revoke_form(me: &Me, member_id: i64, back: String) -> impl IntoView {
    view! {
        <form method="post" action=format!("/admin/members/{member_id}/revoke") class="inline-form"
              onsubmit=REVOKE_CONFIRM>
            <Csrf me=me.clone()/>
            <input type="hidden" name="back" value=back/>
            <button type="submit" class="button danger" data-testid="revoke-pass">"Revoke pass"</button>
        </form>
    }
}

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

fn member_table(me: &Me, rows: Vec<MemberRow>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="admin-table" data-testid="members">
                <thead><tr>
                    <th scope="col">"Member"</th><th scope="col">"Mobile"</th><th scope="col">"Credentials"</th>
                    <th scope="col">"Passes"</th><th scope="col">"Synced"</th><th scope="col">"Status"</th>
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
    let data = admin_members(query("q"), page_number("page"));
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match data.await {
                    Ok(Admin { me, data: list }) => {
                        let q = crate::types::admin::encode(&list.q);
                        let prev = (list.page > 1).then(|| format!("/admin/members?q={q}&page={}", list.page - 1));
                        let next = (list.page < list.pages).then(|| format!("/admin/members?q={q}&page={}", list.page + 1));
                        view! {
                            <Layout me=me.clone() current="members" title="Members".to_owned()>
                                <form method="get" action="/admin/members" class="filters" role="search" aria-label="Find members">
                                    <div class="grow"><label for="m-q">"Search"</label>
                                        <input id="m-q" type="search" name="q" value=list.q.clone() placeholder="Name, email, CRM id or last digits of a number"/></div>
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
                                {live.then(|| revoke_form(&me, m.id, format!("/admin/members/{}", m.id)))}
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

/// A printable page: the operator, a large QR code and three short instructions.
#[component]
pub fn AdminPosterPage() -> impl IntoView {
    let id: i64 = param("id").parse().unwrap_or(-1);
    let data = admin_poster(id);
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match data.await {
                    Ok(Admin { me, data: p }) => {
                        let style = if p.brand_color.len() == 7 && p.brand_color.starts_with('#') { format!("--brand: {};", p.brand_color) } else { String::new() };
                        view! {
                            <Title text=format!("Poster · {}", me.operator)/>
                            <Stylesheet href="/admin.css"/>
                            <main class="poster" style=style data-testid="poster">
                                <p class="poster-tools no-print"><a href="/admin/invites">"← Invites"</a>
                                    " · Use your browser's Print command. · "
                                    <a href=format!("/admin/invites/{}/qr.png", p.id) download="qr.png">"Download PNG"</a>
                                    {(p.state != "active").then(|| view! { <strong>{format!(" This invite is {}.", p.state)}</strong> })}
                                </p>
                                <header>
                                    {p.logo_url.clone().map(|src| view! { <img class="poster-logo" src=src alt=format!("{} logo", p.operator)/> })}
                                    <h1>{format!("Your {} pass, on your phone", p.operator)}</h1>
                                    {p.site.clone().map(|s| view! { <p class="poster-site">{s}</p> })}
                                </header>
                                <div class="poster-qr" role="img" aria-label="QR code to get your digital pass" inner_html=p.qr_svg></div>
                                <ol class="poster-steps">
                                    <li>"Scan the code with your phone's camera."</li>
                                    <li>"Enter the mobile number on your member profile."</li>
                                    <li>"Open the link we text you and add your pass to Apple Wallet or Google Wallet."</li>
                                </ol>
                                <p class="poster-url">{p.url.clone()}</p>
                                <p class="poster-fine">{format!("Works until {}.", p.expires)}</p>
                            </main>
                        }.into_any()
                    }
                    Err(e) => problem(e),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn AdminSettingsPage() -> impl IntoView {
    let data = admin_settings();
    view! {
        <Suspense fallback=|| ()>
            {Suspend::new(async move {
                match data.await {
                    Ok(Admin { me, data: s }) => view! {
                        <Layout me=me.clone() current="settings" title="Settings".to_owned()>
                            <form method="post" action="/admin/settings" class="admin-form settings">
                                <Csrf me=me.clone()/>
                                <fieldset><legend>"Branding"</legend>
                                    <label for="s-name">"Name"</label><input id="s-name" name="name" required maxlength="80" value=s.name.clone()/>
                                    <label for="s-brand">"Brand colour"</label><input id="s-brand" name="brand_color" type="color" value=s.brand_color.clone()/>
                                    <label for="s-accent">"Accent colour"</label><input id="s-accent" name="accent_color" type="color" value=s.accent_color.clone()/>
                                    <label for="s-logo">"Logo URL (https://)"</label><input id="s-logo" name="logo_url" type="url" value=s.logo_url.clone()/>
                                </fieldset>
                                <fieldset><legend>"Support contact"</legend>
                                    <label for="s-email">"Email"</label><input id="s-email" name="support_email" type="email" value=s.support_email.clone()/>
                                    <label for="s-phone">"Phone"</label><input id="s-phone" name="support_phone" type="tel" value=s.support_phone.clone()/>
                                    <label for="s-url">"Help page (https://)"</label><input id="s-url" name="support_url" type="url" value=s.support_url.clone()/>
                                </fieldset>
                                <fieldset><legend>"Numbers and lifetimes"</legend>
                                    <label for="s-region">"Default phone region"</label>
                                    <select id="s-region" name="default_region">
                                        {crate::types::REGIONS.iter().map(|r| view! {
                                            <option value=r.code selected=s.default_region == r.code>{format!("{} ({})", r.name, r.dial)}</option>
                                        }).collect_view()}
                                    </select>
                                    <label for="s-link">"Texted link works for (minutes, 1–60)"</label>
                                    <input id="s-link" name="link_minutes" type="number" min="1" max="60" value=s.link_minutes.to_string()/>
                                    <label for="s-invite">"New invites work for (days, 1–366)"</label>
                                    <input id="s-invite" name="invite_days" type="number" min="1" max="366" value=s.invite_days.to_string()/>
                                </fieldset>
                                <fieldset><legend>"Access credential"</legend>
                                    <label for="s-format">"The pass's QR code carries"</label>
                                    <select id="s-format" name="credential_format">
                                        {[("h10301", "H10301:facility:card (e.g. H10301:42:1002)"),
                                          ("card", "The card number alone (1002)"),
                                          ("wiegand26", "The 26-bit Wiegand value with parity, in hex (0A807D5)"),
                                          ("signed", "A signed token readers verify offline (key at /credential-key.pem)")]
                                            .into_iter().map(|(v, l)| view! {
                                                <option value=v selected=s.credential_format == v>{l}</option>
                                            }).collect_view()}
                                    </select>
                                </fieldset>
                                <fieldset><legend>"Abuse limits"</legend>
                                    <label for="s-countries">"Countries texts may go to (e.g. GB,IE; empty: the default region only)"</label>
                                    <input id="s-countries" name="sms_countries" value=s.sms_countries.clone()/>
                                    <label for="s-budget">"Texts per hour, at most"</label>
                                    <input id="s-budget" name="sms_hourly_budget" type="number" min="1" value=s.sms_hourly_budget.to_string()/>
                                    <label class="check"><input type="checkbox" name="strict" checked=s.strict/>
                                        " Strict enumeration mode: a number that is not found looks the same as one that is"</label>
                                </fieldset>
                                <button type="submit" class="button primary">"Save settings"</button>
                            </form>
                            <section class="panel settings" aria-labelledby="images-title">
                                <h2 id="images-title">"Pass images"</h2>
                                <p>"PNG files. The logo is at most 480 × 150 pixels; the icon is square, 87 to 1024 pixels; the optional strip (behind the member's name) is 375 to 1125 pixels wide and at most 432 high. Without them, passes use images drawn in your brand colour and no strip."</p>
                                {["logo", "icon", "strip"].into_iter().filter(|k| s.images.iter().any(|i| i == k)).map(|kind| view! {
                                    <div class="current-image">
                                        <img src=format!("/admin/images/{kind}.png") alt=format!("Your current {kind}")/>
                                        <form method="post" action="/admin/settings/images" enctype="multipart/form-data" class="inline-form">
                                            <Csrf me=me.clone()/>
                                            <input type="hidden" name="kind" value=kind/>
                                            <input type="hidden" name="remove" value="1"/>
                                            <button type="submit" class="button small danger">{format!("Remove the {kind}")}</button>
                                        </form>
                                    </div>
                                }).collect_view()}
                                <form method="post" action="/admin/settings/images" enctype="multipart/form-data" class="admin-form">
                                    <Csrf me=me.clone()/>
                                    <label for="img-kind">"Image"</label>
                                    <select id="img-kind" name="kind"><option value="logo">"Logo"</option><option value="icon">"Icon"</option><option value="strip">"Strip"</option></select>
                                    <label for="img-file">"PNG file"</label>
                                    <input id="img-file" name="file" type="file" accept="image/png" required/>
                                    <button type="submit" class="button primary">"Upload"</button>
                                </form>
                            </section>
                        </Layout>
                    }.into_any(),
                    Err(e) => problem(e),
                }
            })}
        </Suspense>
    }
}

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
                                <thead><tr><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"State"</th><th scope="col">"Change"</th></tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|s| {
                                        let id = s.id;
                                        view! {
                                            <tr>
                                                <td>{s.email.clone()}</td>
                                                <td>{s.role.clone()}</td>
                                                <td>{if s.disabled { "Disabled" } else { "Active" }}</td>
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
