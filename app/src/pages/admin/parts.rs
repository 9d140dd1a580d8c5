//! Pieces several dashboard pages show: outcome badges, the journey table, passes, the revoke form.

use leptos::prelude::*;

use super::layout::Csrf;
use crate::types::admin::{outcome_label, JourneyRow, Me, PassView};

pub(super) fn outcome_badge(code: String) -> impl IntoView {
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

pub(super) fn journey_table(rows: Vec<JourneyRow>) -> impl IntoView {
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

pub(super) fn passes_view(passes: Vec<PassView>) -> impl IntoView {
    if passes.is_empty() {
        return view! { <p>"No pass issued yet."</p> }.into_any();
    }
    view! {
        <ul class="passes">
            {passes.into_iter().map(|p| view! {
                <li data-testid="pass-state">
                    <strong>{p.platform}</strong>": "
                    {match (p.voided, p.replaced, p.pending) {
                        (true, true, _) => view! { <span class="badge wraps outcome-sms_failed">"Replaced on a new phone"</span> }.into_any(),
                        (true, false, _) => view! { <span class="badge outcome-sms_failed">"Revoked"</span> }.into_any(),
                        (false, _, true) => view! { <span class="badge wraps outcome-in_progress">"Waiting to be added on a new phone"</span> }.into_any(),
                        _ => view! { <span class="badge outcome-completed">"Active"</span> }.into_any(),
                    }}
                    " · issued " {p.issued} " · updated " {p.updated}
                    {p.google.map(|g| view! { <p class="wallet-state" data-testid="google-state">{g}</p> })}
                    {p.warning.map(|w| view! { <p class="notice notice-warning" data-testid="device-warning">{w}</p> })}
                    {(!p.devices.is_empty()).then(|| view! {
                        <ul class="devices" data-testid="devices" aria-label="Devices">
                            {p.devices.into_iter().map(|d| {
                                let state = match &d.removed {
                                    Some(at) => format!("removed {at}"),
                                    None if p.voided => "holds it, shown as no longer valid".to_owned(),
                                    None => "on the device".to_owned(),
                                };
                                let line = format!(": {state} · added {} · last seen {}", d.added, d.last_seen);
                                view! {
                                    <li data-testid="device">"Device " <code>{d.device}</code>{line}</li>
                                }
                            }).collect_view()}
                        </ul>
                    })}
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

pub(super) fn revoke_form(me: &Me, member_id: i64, back: String) -> impl IntoView {
    view! {
        <form method="post" action=format!("/admin/members/{member_id}/revoke") class="inline-form"
              onsubmit=REVOKE_CONFIRM>
            <Csrf me=me.clone()/>
            <input type="hidden" name="back" value=back/>
            <button type="submit" class="button danger" data-testid="revoke-pass">"Revoke pass"</button>
        </form>
    }
}

/// "Phone lost": voids every pass of the member at once and, ticked by default when the member
/// has an email address, emails a new invite for the new phone. A required tick confirms it
/// (no script needed).
pub(super) fn lost_phone_form(me: &Me, member_id: i64, has_email: bool) -> impl IntoView {
    view! {
        <details class="lost-phone" data-testid="lost-phone">
            <summary>"Phone lost or stolen?"</summary>
            <form method="post" action=format!("/admin/members/{member_id}/lost")>
                <Csrf me=me.clone()/>
                <p>"Every pass of this member stops working at once: the phone shows it as no longer valid, and the access system's revocation feed has the credential."</p>
                <label class="check"><input type="checkbox" name="invite" checked=has_email disabled=!has_email/>
                    {if has_email { "Email a new invite for the new phone" } else { "Email a new invite (no email address on record)" }}</label>
                <label class="check"><input type="checkbox" name="confirm" required=true/>
                    "The member told us the phone is lost"</label>
                <button type="submit" class="button danger" data-testid="mark-lost">"Void passes"</button>
            </form>
        </details>
    }
}
