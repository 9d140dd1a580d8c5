//! The provisioning journey on the server: opening an invite, checking a mobile number against
//! the directory, and recording every step as an event so operators can see it.

use crate::directory::{self, Lookup};
use crate::invites::{find_invite, InviteProblem, OpenedInvite};
use crate::kinds::{Event, Outcome, Step};
use crate::phone;
use crate::state::AppState;
use crate::store::{now_ms, Advance, SqlJourney, SqlOperator, Store, StoreError};
use crate::tokens::{looks_like_token, Token};

type Result<T> = std::result::Result<T, StoreError>;

/// The answer to a submitted mobile number, as the person is to see it.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Matched: the next page tells the person to check their messages.
    Matched { next: String },
    /// The number is not one the server accepts; `message` says why, `number` is what was typed.
    Invalid {
        message: String,
        number: String,
        region: String,
    },
    /// Not in the directory, or not eligible. The person sees the seed's message either way.
    NotFound { number: String, region: String },
    /// The invite is no longer usable.
    InviteGone { problem: InviteProblem },
    /// Too many attempts; `message` says when to try again.
    RateLimited {
        message: String,
        number: String,
        region: String,
    },
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

/// Starts a journey, under the public id its page handed out when that id is free (so the page
/// the form comes back to is the journey's), else under a new one. The same first number sent
/// twice at once continues the one journey the first started.
async fn start(store: &Store, opened: &OpenedInvite, wanted: Option<&str>) -> Result<SqlJourney> {
    let begin = |public_id: String| async move {
        store
            .start_journey(
                &public_id,
                opened.operator.id,
                opened.invite.id,
                Step::InviteOpened.as_str(),
                &opened.invite.channel,
            )
            .await
    };
    if let Some(p) = wanted.filter(|p| looks_like_token(p)) {
        let ours = |j: &SqlJourney| j.invite_id == opened.invite.id;
        match store.journey_by_public_id(p).await? {
            Some(j) if ours(&j) => return Ok(j),
            // Someone chose an id another invite's journey has: a fresh one below.
            Some(_) => {}
            None => match begin(p.to_owned()).await {
                Ok(j) => return Ok(j),
                Err(err) => match store.journey_by_public_id(p).await? {
                    Some(j) if ours(&j) => return Ok(j),
                    Some(_) => {}
                    None => return Err(err),
                },
            },
        }
    }
    begin(new_public_id()).await
}

/// A journey's public id: 128 random bits, starting with a letter or digit (so a spreadsheet
/// never reads the CSV export's first cell as a formula, and it is never neutralised there).
fn new_public_id() -> String {
    loop {
        let t = Token::generate(16);
        if t.expose().starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return t.expose().to_owned();
        }
    }
}

/// In strict mode, a journey whose number missed: it answers everywhere as a match would.
fn strict_miss(operator: &SqlOperator, j: &SqlJourney) -> bool {
    operator.strict_enumeration
        && j.member_id.is_none()
        && j.outcome.as_deref() != Some(Outcome::InvalidNumber.as_str())
        && j.entered_mobile
            .as_deref()
            .is_some_and(|m| m.starts_with('+'))
}

/// Invite opens waiting to be written: counted in memory per invite and day, written every few
/// seconds in one statement per invite, so a preview bot's or a scanner's GET writes nothing.
#[derive(Debug, Default)]
pub struct OpenCounter {
    pending: std::sync::Mutex<std::collections::HashMap<(i64, i64), i64>>,
}

impl OpenCounter {
    pub fn count(&self, invite_id: i64) {
        let day = now_ms() / 86_400_000;
        if let Ok(mut pending) = self.pending.lock() {
            *pending.entry((invite_id, day)).or_default() += 1;
        }
    }

    fn take(&self) -> Vec<((i64, i64), i64)> {
        self.pending
            .lock()
            .map(|mut p| p.drain().collect())
            .unwrap_or_default()
    }
}

/// Writes the opens counted so far.
pub async fn flush_opens(state: &AppState) -> Result<()> {
    for ((invite_id, day), n) in state.opens.take() {
        state.store.add_invite_opens(invite_id, day, n).await?;
    }
    Ok(())
}

/// An invite the phone page can show: the journey id it hands out, and the answer it shows again
/// (the no-JavaScript path).
pub struct InviteOpened {
    pub invite: OpenedInvite,
    pub journey: String,
    pub previous: Option<Answer>,
}

/// What the phone page shows for `token`. Opening the page writes nothing (message apps,
/// scanners and preview bots open invites too): it hands out a journey id that the first number
/// submitted starts, or continues the journey named in `journey` (the page a no-JavaScript form
/// post comes back to).
pub async fn open_invite(
    state: &AppState,
    token: &str,
    journey: Option<&str>,
) -> Result<std::result::Result<InviteOpened, InviteProblem>> {
    let store = &state.store;
    let opened = match find_invite(store, token).await? {
        Ok(opened) => opened,
        Err(problem) => return Ok(Err(problem)),
    };
    let default_region = opened.operator.default_region.clone();
    let (journey, previous) = match continuing(store, opened.invite.id, journey).await? {
        Some(j) => {
            // Strict mode: what a miss led to is never shown (a match shows nothing either).
            let previous = if strict_miss(&opened.operator, &j)
                && j.outcome.as_deref() == Some(Outcome::NotFound.as_str())
            {
                None
            } else {
                previous_outcome(store, &j, &default_region).await?
            };
            (j.public_id, previous)
        }
        None => {
            state.opens.count(opened.invite.id);
            (new_public_id(), None)
        }
    };
    Ok(Ok(InviteOpened {
        invite: opened,
        journey,
        previous,
    }))
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

async fn previous_outcome(store: &Store, j: &SqlJourney, region: &str) -> Result<Option<Answer>> {
    let number = j.entered_mobile.clone().unwrap_or_default();
    Ok(match j.outcome.as_deref().and_then(Outcome::parse) {
        Some(Outcome::NotFound) => Some(Answer::NotFound {
            number,
            region: region.to_owned(),
        }),
        Some(Outcome::InvalidNumber) => {
            let message = last_event_detail(store, j.id, Event::NumberInvalid.as_str())
                .await?
                .unwrap_or_else(|| phone::PhoneError::Invalid.to_string());
            Some(Answer::Invalid {
                message,
                number,
                region: region.to_owned(),
            })
        }
        Some(Outcome::RateLimited) => {
            let message = last_event_detail(store, j.id, Event::RateLimited.as_str())
                .await?
                .and_then(|d| d.split_once(": ").map(|(_, m)| m.to_owned()))
                .unwrap_or_else(|| "Too many attempts. Try again later.".to_owned());
            Some(Answer::RateLimited {
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
) -> Result<Answer> {
    let message = limited.message();
    store
        .advance_journey(
            j.id,
            &Advance {
                step: if j.member_id.is_some() {
                    Step::Matched.as_str()
                } else {
                    Step::NumberEntered.as_str()
                },
                outcome: Some(Outcome::RateLimited.as_str()),
                event: Event::RateLimited.as_str(),
                detail: &format!("{}: {message}", limited.scope),
                ..Advance::default()
            },
        )
        .await?;
    Ok(Answer::RateLimited {
        message,
        number: number.trim().chars().take(64).collect(),
        region: region.to_owned(),
    })
}

/// A submission's answer and the journey it belongs to (a number other than the one a journey
/// matched starts a journey of its own).
pub struct Submitted {
    pub outcome: Answer,
    pub journey: String,
}

/// Checks a submitted number and moves the journey on. The journey starts here, with the first
/// number, under the id the phone page handed out.
pub async fn submit_number(
    state: &AppState,
    token: &str,
    journey: &str,
    region: Option<&str>,
    number: &str,
    client_ip: &str,
) -> Result<Submitted> {
    let store = &state.store;
    let opened = match find_invite(store, token).await? {
        Ok(opened) => opened,
        Err(problem) => {
            return Ok(Submitted {
                outcome: Answer::InviteGone { problem },
                journey: journey.to_owned(),
            })
        }
    };
    let region = region.map_or_else(
        || opened.operator.default_region.clone(),
        str::to_ascii_uppercase,
    );
    let typed: String = number
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect();
    let parsed = phone::normalise(&typed, &region);

    let mut j = match continuing(store, opened.invite.id, Some(journey)).await? {
        Some(j) => j,
        None => start(store, &opened, Some(journey)).await?,
    };
    // A journey that matched a member stays that member's: any other number is a journey of
    // its own, so nothing sent later changes what the earlier link issues.
    // In strict mode the same holds for a journey that missed, so a miss and a match answer a
    // second number alike.
    let bound =
        j.member_id.is_some() || (opened.operator.strict_enumeration && j.entered_mobile.is_some());
    if bound && parsed.as_ref().ok() != j.entered_mobile.as_ref() {
        j = start(store, &opened, None).await?;
    }
    let outcome = submit_on(state, &opened, &j, &region, &typed, parsed, client_ip).await?;
    Ok(Submitted {
        outcome,
        journey: j.public_id,
    })
}

async fn submit_on(
    state: &AppState,
    opened: &OpenedInvite,
    j: &SqlJourney,
    region: &str,
    typed: &str,
    parsed: std::result::Result<String, phone::PhoneError>,
    client_ip: &str,
) -> Result<Answer> {
    let store = &state.store;
    if let Err(limited) = crate::limits::submission(state, client_ip, &opened.invite).await? {
        return limited_outcome(store, j, &limited, typed, region).await;
    }
    let e164 = match parsed {
        Ok(e164) => e164,
        Err(err) => {
            let message = err.to_string();
            store
                .advance_journey(
                    j.id,
                    &Advance {
                        step: Step::NumberEntered.as_str(),
                        outcome: Some(Outcome::InvalidNumber.as_str()),
                        entered_mobile: Some(typed),
                        event: Event::NumberInvalid.as_str(),
                        detail: &message,
                        ..Advance::default()
                    },
                )
                .await?;
            return Ok(Answer::Invalid {
                message,
                number: typed.to_owned(),
                region: region.to_owned(),
            });
        }
    };
    store
        .advance_journey(
            j.id,
            &Advance {
                step: if j.member_id.is_some() {
                    Step::Matched.as_str()
                } else {
                    Step::NumberEntered.as_str()
                },
                outcome: None,
                entered_mobile: Some(&e164),
                event: Event::NumberSubmitted.as_str(),
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
                    step: Step::NumberEntered.as_str(),
                    outcome: Some(Outcome::InvalidNumber.as_str()),
                    event: Event::NumberInvalid.as_str(),
                    detail: &message,
                    ..Advance::default()
                },
            )
            .await?;
        return Ok(Answer::Invalid {
            message,
            number: typed.to_owned(),
            region: region.to_owned(),
        });
    }
    let with_number = store.members_by_mobile(opened.operator.id, &e164).await?;
    let invited = match opened.invite.member_id {
        Some(id) => store.member(id).await?,
        None => None,
    };
    let sent_path = format!(
        "/i/{}/sent?j={}",
        crate::tokens::urlencode(&opened.token),
        j.public_id
    );
    match directory::decide(&e164, &with_number, invited.as_ref()) {
        Lookup::Matched(member) => {
            store
                .advance_journey(
                    j.id,
                    &Advance {
                        step: Step::Matched.as_str(),
                        outcome: None,
                        member_id: Some(member.id),
                        event: Event::MemberMatched.as_str(),
                        detail: &format!("member {}", member.external_id),
                        ..Advance::default()
                    },
                )
                .await?;
            if let Err(limited) =
                crate::links::queue_link(state, j, &opened.operator, Some(member.id), &e164).await?
            {
                return limited_outcome(store, j, &limited, typed, region).await;
            }
            Ok(Answer::Matched { next: sent_path })
        }
        Lookup::Miss(miss) => {
            store
                .advance_journey(
                    j.id,
                    &Advance {
                        step: Step::NumberEntered.as_str(),
                        outcome: Some(Outcome::NotFound.as_str()),
                        event: Event::MemberNotFound.as_str(),
                        detail: miss.as_str(),
                        ..Advance::default()
                    },
                )
                .await?;
            tracing::info!(journey = %j.public_id, reason = miss.as_str(), number = %phone::mask(&e164), "directory miss");
            if opened.operator.strict_enumeration {
                // Strict mode: a miss looks exactly like a match to the person. A stand-in link
                // (no member, no text) gives "send again", the code form and a repeated
                // submission the same limits and answers as a match's.
                if let Err(limited) =
                    crate::links::queue_link(state, j, &opened.operator, None, &e164).await?
                {
                    return limited_outcome(store, j, &limited, typed, region).await;
                }
                return Ok(Answer::Matched { next: sent_path });
            }
            Ok(Answer::NotFound {
                number: typed.to_owned(),
                region: region.to_owned(),
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
/// new link replaces the old one. In strict mode a miss answers the same, with a stand-in link.
pub async fn resend(state: &AppState, token: &str, journey: &str) -> Result<Resend> {
    let store = &state.store;
    let Ok(opened) = find_invite(store, token).await? else {
        return Ok(Resend::NotPossible);
    };
    let Some(j) = continuing(store, opened.invite.id, Some(journey)).await? else {
        return Ok(Resend::NotPossible);
    };
    let queued = if strict_miss(&opened.operator, &j) {
        let Some(number) = j.entered_mobile.as_deref() else {
            return Ok(Resend::NotPossible);
        };
        crate::links::queue_link(state, &j, &opened.operator, None, number).await?
    } else {
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
        crate::links::queue_link(state, &j, &opened.operator, Some(member.id), mobile).await?
    };
    if let Err(limited) = queued {
        return Ok(Resend::Wait(limited.retry_after_secs()));
    }
    Ok(Resend::Sent)
}

/// A journey whose "check your messages" page can show: one that texted a link (or, in strict
/// mode, answered as if it had).
pub struct Sent {
    pub invite: OpenedInvite,
    pub journey: SqlJourney,
    pub masked_number: String,
    /// How long the texted link works.
    pub link_minutes: u64,
}

/// What the "check your messages" page shows.
pub async fn sent(
    state: &AppState,
    token: &str,
    journey: &str,
) -> Result<std::result::Result<Sent, InviteProblem>> {
    let store = &state.store;
    let opened = match find_invite(store, token).await? {
        Ok(opened) => opened,
        Err(problem) => return Ok(Err(problem)),
    };
    let Some(j) = continuing(store, opened.invite.id, Some(journey)).await? else {
        return Ok(Err(InviteProblem::Unknown));
    };
    let strict_miss = strict_miss(&opened.operator, &j);
    if (j.step == Step::InviteOpened.as_str() || j.step == Step::NumberEntered.as_str())
        && !strict_miss
    {
        return Ok(Err(InviteProblem::Unknown));
    }
    Ok(Ok(Sent {
        masked_number: phone::mask(j.entered_mobile.as_deref().unwrap_or_default()),
        link_minutes: crate::links::link_ttl_secs(state, &opened.operator).div_ceil(60),
        invite: opened,
        journey: j,
    }))
}
