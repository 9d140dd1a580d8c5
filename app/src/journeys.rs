//! The provisioning journey on the server: opening an invite, checking a mobile number against
//! the directory, and recording every step as an event so operators can see it.

use crate::directory::{self, Lookup};
use crate::phone;
use crate::state::AppState;
use crate::store::{
    now_ms, Advance, SqlInvite, SqlJourney, SqlOperator, SqlSite, Store, StoreError,
};
use crate::tokens::{looks_like_token, Token};
use crate::types::{
    dial_code, Branding, InvitePage, InviteProblem, InviteView, SentPage, SubmitOutcome,
    SupportContact,
};

type Result<T> = std::result::Result<T, StoreError>;

/// Journey steps, as stored.
pub mod step {
    pub const INVITE_OPENED: &str = "invite_opened";
    pub const NUMBER_ENTERED: &str = "number_entered";
    pub const MATCHED: &str = "matched";
}

pub struct OpenedInvite {
    pub invite: SqlInvite,
    pub operator: SqlOperator,
    pub site: Option<SqlSite>,
}

/// Finds a usable invite by the token from its URL.
pub async fn find_invite(
    store: &Store,
    token: &str,
) -> Result<std::result::Result<OpenedInvite, InviteProblem>> {
    if !looks_like_token(token) {
        return Ok(Err(InviteProblem::Unknown));
    }
    let Some(invite) = store
        .invite_by_token_hash(&Token::from_user(token).hash())
        .await?
    else {
        return Ok(Err(InviteProblem::Unknown));
    };
    if invite.revoked_at.is_some() || invite.expires_at <= now_ms() {
        return Ok(Err(InviteProblem::Expired));
    }
    let Some(operator) = store.operator(invite.operator_id).await? else {
        return Ok(Err(InviteProblem::Unknown));
    };
    let site = match invite.site_id {
        Some(id) => store.site(id).await?,
        None => None,
    };
    Ok(Ok(OpenedInvite {
        invite,
        operator,
        site,
    }))
}

pub fn branding(op: &SqlOperator) -> Branding {
    Branding {
        name: op.name.clone(),
        brand_color: op.brand_color.clone(),
        accent_color: op.accent_color.clone(),
        support: SupportContact {
            email: op.support_email.clone(),
            phone: op.support_phone.clone(),
            url: op.support_url.clone(),
        },
    }
}

/// The journey this request continues: the one named, when it belongs to this invite.
async fn continuing(
    store: &Store,
    invite_id: i64,
    public_id: Option<&str>,
) -> Result<Option<SqlJourney>> {
    let Some(pid) = public_id.filter(|p| looks_like_token(p)) else {
        return Ok(None);
    };
    Ok(store
        .journey_by_public_id(pid)
        .await?
        .filter(|j| j.invite_id == invite_id))
}

async fn start(store: &Store, opened: &OpenedInvite) -> Result<SqlJourney> {
    let public_id = Token::generate(16);
    store
        .start_journey(
            public_id.expose(),
            opened.operator.id,
            opened.invite.id,
            step::INVITE_OPENED,
            &opened.invite.channel,
        )
        .await
}

/// What the phone page shows for `token`. Opening the page starts a journey, or continues the
/// one named in `journey` (the page a no-JavaScript form post comes back to).
pub async fn open_invite(
    state: &AppState,
    token: &str,
    journey: Option<&str>,
) -> Result<InvitePage> {
    let store = &state.store;
    let opened = match find_invite(store, token).await? {
        Ok(opened) => opened,
        Err(problem) => return Ok(InvitePage::Problem(problem)),
    };
    let default_region = opened.operator.default_region.clone();
    let (journey, previous) = match continuing(store, opened.invite.id, journey).await? {
        Some(j) => {
            let previous = previous_outcome(store, &j, &default_region).await?;
            (j, previous)
        }
        None => (start(store, &opened).await?, None),
    };
    Ok(InvitePage::Ready(Box::new(InviteView {
        token: token.to_owned(),
        branding: branding(&opened.operator),
        site_name: opened.site.map(|s| s.name),
        default_region,
        journey: journey.public_id,
        previous,
    })))
}

/// The detail of the journey's newest event of `kind`.
async fn last_event_detail(store: &Store, journey_id: i64, kind: &str) -> Result<Option<String>> {
    Ok(store
        .journey_events(journey_id)
        .await?
        .into_iter()
        .rev()
        .find(|e| e.kind == kind)
        .map(|e| e.detail))
}

async fn previous_outcome(
    store: &Store,
    j: &SqlJourney,
    region: &str,
) -> Result<Option<SubmitOutcome>> {
    let number = j.entered_mobile.clone().unwrap_or_default();
    Ok(match j.outcome.as_deref() {
        Some("not_found") => Some(SubmitOutcome::NotFound {
            number,
            region: region.to_owned(),
        }),
        Some("invalid_number") => {
            let message = last_event_detail(store, j.id, "number_invalid")
                .await?
                .unwrap_or_else(|| phone::PhoneError::Invalid.to_string());
            Some(SubmitOutcome::Invalid {
                message,
                number,
                region: region.to_owned(),
            })
        }
        Some("rate_limited") => {
            let message = last_event_detail(store, j.id, "rate_limited")
                .await?
                .and_then(|d| d.split_once(": ").map(|(_, m)| m.to_owned()))
                .unwrap_or_else(|| "Too many attempts. Try again later.".to_owned());
            Some(SubmitOutcome::RateLimited {
                message,
                number,
                region: region.to_owned(),
            })
        }
        _ => None,
    })
}

async fn limited_outcome(
    store: &Store,
    j: &SqlJourney,
    limited: &crate::limits::Limited,
    number: &str,
    region: &str,
) -> Result<SubmitOutcome> {
    let message = limited.message();
    store
        .advance_journey(
            j.id,
            &Advance {
                step: step::NUMBER_ENTERED,
                outcome: Some("rate_limited"),
                event: "rate_limited",
                detail: &format!("{}: {message}", limited.scope),
                ..Advance::default()
            },
        )
        .await?;
    Ok(SubmitOutcome::RateLimited {
        message,
        number: number.trim().chars().take(64).collect(),
        region: region.to_owned(),
    })
}

/// Checks a submitted number and moves the journey on.
pub async fn submit_number(
    state: &AppState,
    token: &str,
    journey: &str,
    region: &str,
    number: &str,
    client_ip: &str,
) -> Result<SubmitOutcome> {
    let store = &state.store;
    let opened = match find_invite(store, token).await? {
        Ok(opened) => opened,
        Err(problem) => return Ok(SubmitOutcome::InviteGone { problem }),
    };
    let j = match continuing(store, opened.invite.id, Some(journey)).await? {
        Some(j) => j,
        None => start(store, &opened).await?,
    };
    if let Err(limited) = crate::limits::submission(state, client_ip, opened.invite.id).await? {
        return limited_outcome(store, &j, &limited, number, region).await;
    }
    let region = if dial_code(region).is_some() {
        region.to_ascii_uppercase()
    } else {
        opened.operator.default_region.clone()
    };
    let typed: String = number.trim().chars().take(64).collect();

    let e164 = match phone::normalise(&typed, &region) {
        Ok(e164) => e164,
        Err(err) => {
            let message = err.to_string();
            store
                .advance_journey(
                    j.id,
                    &Advance {
                        step: step::NUMBER_ENTERED,
                        outcome: Some("invalid_number"),
                        entered_mobile: Some(&typed),
                        event: "number_invalid",
                        detail: &message,
                        ..Advance::default()
                    },
                )
                .await?;
            return Ok(SubmitOutcome::Invalid {
                message,
                number: typed,
                region,
            });
        }
    };
    store
        .advance_journey(
            j.id,
            &Advance {
                step: step::NUMBER_ENTERED,
                outcome: None,
                entered_mobile: Some(&e164),
                event: "number_submitted",
                detail: &phone::mask(&e164),
                ..Advance::default()
            },
        )
        .await?;

    let allowed = crate::limits::allowed_regions(&opened.operator);
    let number_region = phone::region_of(&e164).unwrap_or_default();
    if !allowed.contains(&number_region) {
        let message = format!(
            "{} can only send texts to mobile numbers from {}.",
            opened.operator.name,
            allowed.join(", ")
        );
        store
            .advance_journey(
                j.id,
                &Advance {
                    step: step::NUMBER_ENTERED,
                    outcome: Some("invalid_number"),
                    event: "number_invalid",
                    detail: &message,
                    ..Advance::default()
                },
            )
            .await?;
        return Ok(SubmitOutcome::Invalid {
            message,
            number: typed,
            region,
        });
    }
    let with_number = store.members_by_mobile(opened.operator.id, &e164).await?;
    let invited = match opened.invite.member_id {
        Some(id) => store.member(id).await?,
        None => None,
    };
    match directory::decide(&e164, &with_number, invited.as_ref()) {
        Lookup::Matched(member) => {
            store
                .advance_journey(
                    j.id,
                    &Advance {
                        step: step::MATCHED,
                        outcome: None,
                        member_id: Some(member.id),
                        event: "member_matched",
                        detail: &format!("member {}", member.external_id),
                        ..Advance::default()
                    },
                )
                .await?;
            if let Err(limited) =
                crate::links::queue_link(state, &j, &opened.operator, &e164).await?
            {
                return limited_outcome(store, &j, &limited, &typed, &region).await;
            }
            Ok(SubmitOutcome::Matched {
                next: format!("/i/{token}/sent?j={}", j.public_id),
            })
        }
        Lookup::Miss(miss) => {
            store
                .advance_journey(
                    j.id,
                    &Advance {
                        step: step::NUMBER_ENTERED,
                        outcome: Some("not_found"),
                        event: "member_not_found",
                        detail: miss.as_str(),
                        ..Advance::default()
                    },
                )
                .await?;
            tracing::info!(journey = %j.public_id, reason = miss.as_str(), number = %phone::mask(&e164), "directory miss");
            if opened.operator.strict_enumeration {
                // Strict mode: a miss looks exactly like a match to the person.
                return Ok(SubmitOutcome::Matched {
                    next: format!("/i/{token}/sent?j={}", j.public_id),
                });
            }
            Ok(SubmitOutcome::NotFound {
                number: typed,
                region,
            })
        }
    }
}

/// What "send again" answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resend {
    Sent,
    /// Too soon: try again in this many seconds.
    Wait(i64),
    /// The journey cannot send a text (not matched, or the invite is gone).
    NotPossible,
}

/// Sends a fresh link for a matched journey, once the wait since the last text is over. The
/// new link replaces the old one.
pub async fn resend(state: &AppState, token: &str, journey: &str) -> Result<Resend> {
    let store = &state.store;
    let Ok(opened) = find_invite(store, token).await? else {
        return Ok(Resend::NotPossible);
    };
    let Some(j) = continuing(store, opened.invite.id, Some(journey)).await? else {
        return Ok(Resend::NotPossible);
    };
    let member = match j.member_id {
        Some(id) => store.member(id).await?,
        None => None,
    };
    let Some(member) = member.filter(|m| m.active && m.synced_at.is_some()) else {
        return Ok(Resend::NotPossible);
    };
    let Some(mobile) = member.mobile_e164.as_deref() else {
        return Ok(Resend::NotPossible);
    };
    if let Err(limited) = crate::links::queue_link(state, &j, &opened.operator, mobile).await? {
        return Ok(Resend::Wait(limited.retry_after_secs()));
    }
    Ok(Resend::Sent)
}

/// What the "check your messages" page shows.
pub async fn sent_page(
    state: &AppState,
    token: &str,
    journey: &str,
    notice: Option<String>,
) -> Result<SentPage> {
    let store = &state.store;
    let opened = match find_invite(store, token).await? {
        Ok(opened) => opened,
        Err(problem) => return Ok(SentPage::Problem(problem)),
    };
    let Some(j) = continuing(store, opened.invite.id, Some(journey)).await? else {
        return Ok(SentPage::Problem(InviteProblem::Unknown));
    };
    let strict = opened.operator.strict_enumeration;
    let strict_miss = strict && j.outcome.as_deref() == Some("not_found");
    if (j.step == step::INVITE_OPENED || j.step == step::NUMBER_ENTERED) && !strict_miss {
        return Ok(SentPage::Problem(InviteProblem::Unknown));
    }
    Ok(SentPage::Ready {
        branding: branding(&opened.operator),
        masked_number: phone::mask(j.entered_mobile.as_deref().unwrap_or_default()),
        invite_url: format!("/i/{token}"),
        token: token.to_owned(),
        journey: j.public_id,
        notice,
        strict,
        link_minutes: crate::links::link_ttl_secs(state, &opened.operator).div_ceil(60),
    })
}
