//! The provisioning journey on the server: opening an invite, checking a mobile number against
//! the directory, and recording every step as an event so operators can see it.

use crate::directory::{self, Lookup};
use crate::invites::{find_invite, InviteProblem, OpenedInvite};
use crate::kinds::{Event, Outcome, Step};
use crate::phone;
use crate::state::AppState;
use crate::store::{
    now_ms, JourneyWrite, Refusal, SqlJourney, SqlOperator, Store, StoreError, Submission,
    SubmittedJourney, Written,
};
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
    /// The page's language (`i18n::choose`: the switch, the journey's, the invited member's
    /// from the CRM, the browser's, the operator's default).
    pub lang: &'static str,
}

/// What the phone page shows for `token`. Opening the page writes nothing (message apps,
/// scanners and preview bots open invites too): it hands out a journey id that the first number
/// submitted starts, or continues the journey named in `journey` (the page a no-JavaScript form
/// post comes back to).
pub async fn open_invite(
    state: &AppState,
    token: &str,
    journey: Option<&str>,
    asked: crate::i18n::Asked<'_>,
) -> Result<std::result::Result<InviteOpened, InviteProblem>> {
    let store = &state.store;
    let opened = match find_invite(store, token).await? {
        Ok(opened) => opened,
        Err(problem) => return Ok(Err(problem)),
    };
    let default_region = opened.operator.default_region.clone();
    let continued = continuing(store, opened.invite.id, journey).await?;
    let invited = match opened.invite.member_id {
        Some(id) => store.member(id).await?,
        None => None,
    };
    let lang = crate::i18n::choose(
        crate::i18n::Asked {
            journey: continued.as_ref().and_then(|j| j.language.as_deref()),
            member: invited.as_ref().and_then(|m| m.language.as_deref()),
            ..asked
        },
        &opened.operator.languages,
        &opened.operator.default_language,
    );
    let (journey, previous) = match continued {
        Some(j) => {
            // Strict mode: what a miss led to is never shown (a match shows nothing either).
            let previous = if strict_miss(&opened.operator, &j)
                && j.outcome.as_deref() == Some(Outcome::NotFound.as_str())
            {
                None
            } else {
                previous_outcome(store, &j, &default_region, lang).await?
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
        lang,
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

async fn previous_outcome(
    store: &Store,
    j: &SqlJourney,
    region: &str,
    lang: &str,
) -> Result<Option<Answer>> {
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
            // The timeline keeps the English sentence; the page says it in its language.
            let message = match phone::PhoneError::from_message(&message) {
                Some(e) => e.in_lang(lang),
                None => message,
            };
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
                .filter(|_| lang == crate::i18n::SOURCE)
                .unwrap_or_else(|| crate::i18n::t(lang, "limit-later", &[]));
            Some(Answer::RateLimited {
                message,
                number,
                region: region.to_owned(),
            })
        }
        _ => None,
    })
}

/// A submission's answer and the journey it belongs to (a number other than the one a journey
/// matched starts a journey of its own).
pub struct Submitted {
    pub outcome: Answer,
    pub journey: String,
    /// Seconds until the limit that refused frees up, when nothing of the journey was written
    /// (an address past its own limit starts none): the page says it without a journey to read.
    pub unwritten_wait_secs: Option<i64>,
}

/// Checks a submitted number and moves the journey on. The journey starts here, with the first
/// number, under the id the phone page handed out. Everything the decision needs is read first;
/// then the limits' counts, the journey, its events, the link and its text are written in one
/// transaction.
pub async fn submit_number(
    state: &AppState,
    token: &str,
    journey: &str,
    region: Option<&str>,
    number: &str,
    client_ip: &str,
    asked: crate::i18n::Asked<'_>,
) -> Result<Submitted> {
    let opened = match find_invite(&state.store, token).await? {
        Ok(opened) => opened,
        Err(problem) => {
            return Ok(Submitted {
                outcome: Answer::InviteGone { problem },
                journey: journey.to_owned(),
                unwritten_wait_secs: None,
            })
        }
    };
    let region = region.map_or_else(
        || opened.operator.default_region.clone(),
        str::to_ascii_uppercase,
    );
    // The page's language (its form says it), else the browser's, else the operator's default.
    let lang = crate::i18n::choose(
        asked,
        &opened.operator.languages,
        &opened.operator.default_language,
    );
    let typed: String = number
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect();
    let parsed = phone::normalise(&typed, &region);
    // A racing request may start or move the journey between the read and the write: then the
    // write changes nothing, and the submission reads and decides again.
    for _ in 0..4 {
        let entered = Entered {
            region: &region,
            typed: &typed,
            parsed: &parsed,
            lang,
        };
        if let Some(done) = submit_once(state, &opened, journey, &entered, client_ip).await? {
            return Ok(done);
        }
    }
    Err(StoreError::Conflict("a journey changing this fast"))
}

/// What was entered on the page: the region chosen, the number typed and what it parsed to,
/// and the page's language.
struct Entered<'a> {
    region: &'a str,
    typed: &'a str,
    parsed: &'a std::result::Result<String, phone::PhoneError>,
    lang: &'a str,
}

/// One read, decide and write of a submission; `None` when the journey changed meanwhile.
async fn submit_once(
    state: &AppState,
    opened: &OpenedInvite,
    wanted: &str,
    entered: &Entered<'_>,
    client_ip: &str,
) -> Result<Option<Submitted>> {
    let Entered {
        region,
        typed,
        parsed,
        lang,
    } = *entered;
    let store = &state.store;
    let strict = opened.operator.strict_enumeration;
    let found = match looks_like_token(wanted) {
        true => store.journey_by_public_id(wanted).await?,
        false => None,
    };
    // Read what the decision needs, once.
    let verdict = match usable_number(&opened.operator, parsed.clone(), lang) {
        Err(invalid) => Verdict::Invalid(invalid),
        Ok(e164) => {
            let with_number = store.members_by_mobile(opened.operator.id, &e164).await?;
            let invited = match opened.invite.member_id {
                Some(id) => store.member(id).await?,
                None => None,
            };
            match directory::decide(&e164, &with_number, invited.as_ref()) {
                Lookup::Matched(member) => Verdict::Matched { e164, member },
                Lookup::Miss(miss) => Verdict::Missed { e164, miss },
            }
        }
    };
    // The journey this continues, or the public id of the one it starts: the id the page
    // handed out when it is free. A journey that matched a member stays that member's: any other
    // number, or its number now on another member, is a journey of its own, so nothing sent
    // later changes what the earlier link issues. In strict mode the same holds for a journey
    // that missed, so a miss and a match answer a second number alike.
    let free = looks_like_token(wanted) && found.is_none();
    let continued = found.filter(|j| {
        let bound = j.member_id.is_some() || (strict && j.entered_mobile.is_some());
        // The member the number now belongs to (the CRM may have moved it) must be the one
        // the journey matched.
        let same_member = match (&verdict, j.member_id) {
            (Verdict::Matched { member, .. }, Some(id)) => member.id == id,
            _ => true,
        };
        j.invite_id == opened.invite.id
            && same_member
            && !(bound && parsed.as_ref().ok() != j.entered_mobile.as_ref())
    });
    let fresh_id = if free {
        wanted.to_owned()
    } else {
        new_public_id()
    };
    let j = continued.unwrap_or_else(|| SqlJourney {
        id: 0,
        public_id: fresh_id,
        operator_id: opened.operator.id,
        invite_id: opened.invite.id,
        member_id: None,
        step: Step::InviteOpened.as_str().to_owned(),
        outcome: None,
        entered_mobile: None,
        started_at: 0,
        updated_at: 0,
        language: None,
    });
    if let Verdict::Missed { e164, miss } = &verdict {
        tracing::info!(journey = %j.public_id, reason = miss.as_str(), number = %phone::mask(e164), "directory miss");
    }

    // The text the verdict sends (strict mode's miss: a stand-in link, no text), and its limits.
    let (mut texts, mut link, mut peeked) = (Vec::new(), None, None);
    if let Some((member_id, e164)) = verdict.link(strict) {
        match crate::limits::text_limits(state, &opened.operator, &e164, member_id.is_some())
            .await?
        {
            Ok(limits) => {
                texts = limits;
                link = Some(crate::links::LinkText::new(
                    state,
                    &opened.operator,
                    member_id,
                    &e164,
                    lang,
                ));
            }
            Err(limited) => peeked = Some(limited),
        }
    }
    // The per-address limit counts the attempts that text no member (a building's members share
    // a few addresses at 9 a.m.; someone trying numbers mostly misses), and stops every attempt
    // once reached, whatever the number, so its answer tells nothing.
    let gate = crate::limits::submission_limits(state, client_ip, &opened.invite);
    // A link (a member's, or strict mode's stand-in, which must count as a member's would) is
    // only checked against the address's misses; should its text be refused, the address counts
    // it after all. Every attempt counts against the address's ceiling, so neither repeating a
    // number nor inventing new ones lets one address spend a poster's ceiling.
    let texts_link = link.is_some();
    // Decide, then commit: every write of this submission in one transaction.
    let writes = writes(&j, typed, &verdict, peeked.as_ref());
    let gate_counts = [
        if texts_link {
            gate[0].check()
        } else {
            gate[0].count()
        },
        gate[1].count(),
        gate[2].count(),
    ];
    let address_hit = [gate[0].count()];
    let on_text_refused: &[crate::store::Count<'_>] = if texts_link { &address_hit } else { &[] };
    let text_counts: Vec<_> = texts.iter().map(crate::limits::Limit::count).collect();
    let limited_by = |r: Refusal| {
        if r.gate {
            gate[r.index].refused(r.retry_after_ms)
        } else {
            texts[r.index].refused(r.retry_after_ms)
        }
    };
    let refused_writes = |r: Refusal| {
        let limited = limited_by(r);
        if r.gate {
            vec![rate_limited(&j, &limited)]
        } else {
            vec![
                JourneyWrite::new(Event::RateLimited, limited.scope.to_owned()),
                rate_limited(&j, &limited),
            ]
        }
    };
    let written = store
        .write_submission(&Submission {
            journey: if j.id == 0 {
                SubmittedJourney::New {
                    public_id: &j.public_id,
                    operator_id: opened.operator.id,
                    invite_id: opened.invite.id,
                    channel: &opened.invite.channel,
                }
            } else {
                SubmittedJourney::Read {
                    id: j.id,
                    step: &j.step,
                    outcome: j.outcome.as_deref(),
                    member_id: j.member_id,
                    entered_mobile: j.entered_mobile.as_deref(),
                }
            },
            gate: &gate_counts,
            writes: &writes,
            texts: &text_counts,
            on_text_refused,
            address_gates: crate::limits::ADDRESS_LIMITS,
            link: link.as_ref().map(|l| l.queued(j.id, opened.operator.id)),
            refused: &refused_writes,
        })
        .await?;
    let (refused, unwritten) = match written {
        Written::Changed => return Ok(None),
        Written::Done {
            refused,
            journey_id,
        } => (refused, journey_id.is_none()),
    };
    if refused.is_none() && link.as_ref().is_some_and(|l| l.member_id.is_some()) {
        metrics::counter!(crate::metrics::SMS_QUEUED).increment(1);
        state.sms_wake.notify_one();
    }
    let limited = refused.map(limited_by).or(peeked);
    // The operator's systems hear of a miss (a help desk can open a ticket); strict mode's
    // answer to the person does not change what the operator is told.
    if let (Verdict::Missed { e164, miss }, None, false) = (&verdict, &limited, unwritten) {
        crate::webhooks::emit(
            store,
            Some(&state.webhooks_wake),
            opened.operator.id,
            crate::webhooks::EventType::MemberNotFound,
            serde_json::json!({
                "journey_id": j.public_id,
                "mobile": e164,
                "reason": miss.as_str(),
                "invite_id": opened.invite.id,
            }),
        )
        .await;
    }
    // Strict mode's stand-in keeps the language too, or the next pages would tell it apart.
    if let (
        Written::Done {
            journey_id: Some(journey_id),
            ..
        },
        true,
    ) = (&written, texts_link && limited.is_none())
    {
        // The page it was entered on; the sent and wallet pages speak it too. The text is
        // already queued in it: a failure here only leaves later pages to the browser's language.
        if let Err(e) = store.set_journey_language(*journey_id, lang).await {
            tracing::warn!(error = %e, "the journey's language was not kept");
        }
    }
    let sent_path = format!(
        "/i/{}/sent?j={}",
        crate::tokens::urlencode(&opened.token),
        j.public_id
    );
    Ok(Some(Submitted {
        outcome: answer(
            &verdict,
            limited.as_ref(),
            strict,
            typed,
            region,
            sent_path,
            lang,
        ),
        journey: j.public_id,
        unwritten_wait_secs: limited
            .as_ref()
            .filter(|_| unwritten)
            .map(crate::limits::Limited::retry_after_secs),
    }))
}

/// What a submitted number came to, decided from what was read.
#[derive(Debug, Clone, PartialEq)]
enum Verdict {
    /// Not a number the operator can text; `e164` when it was a number at all.
    Invalid(Invalid),
    Matched {
        e164: String,
        member: Box<crate::store::SqlMember>,
    },
    Missed {
        e164: String,
        miss: directory::Miss,
    },
}

#[derive(Debug, Clone, PartialEq)]
struct Invalid {
    e164: Option<String>,
    /// For the timeline (English).
    message: String,
    /// For the person, in the page's language.
    shown: String,
}

impl Verdict {
    /// The link this verdict texts: to the member (`Some(id)`), or strict mode's stand-in for a
    /// miss (`None`), with the number it goes to.
    fn link(&self, strict: bool) -> Option<(Option<i64>, String)> {
        match self {
            Verdict::Matched { e164, member } => Some((Some(member.id), e164.clone())),
            Verdict::Missed { e164, .. } if strict => Some((None, e164.clone())),
            _ => None,
        }
    }
}

/// The number as E.164, when the operator may text it.
fn usable_number(
    operator: &SqlOperator,
    parsed: std::result::Result<String, phone::PhoneError>,
    lang: &str,
) -> std::result::Result<String, Invalid> {
    let e164 = parsed.map_err(|err| Invalid {
        e164: None,
        message: err.to_string(),
        shown: err.in_lang(lang),
    })?;
    let allowed = crate::limits::allowed_regions(operator);
    if !allowed.contains(&phone::region_of(&e164).unwrap_or_default()) {
        let countries = allowed.join(", ");
        return Err(Invalid {
            message: format!(
                "{} can only send texts to mobile numbers from {countries}.",
                operator.name,
            ),
            shown: crate::i18n::t(
                lang,
                "number-country-not-allowed",
                &[
                    ("operator", crate::i18n::text(&operator.name)),
                    ("countries", crate::i18n::text(&countries)),
                ],
            ),
            e164: Some(e164),
        });
    }
    Ok(e164)
}

/// What the journey records for a verdict, in order. `j` is the journey as it was read.
fn writes(
    j: &SqlJourney,
    typed: &str,
    verdict: &Verdict,
    limited: Option<&crate::limits::Limited>,
) -> Vec<JourneyWrite> {
    let was_matched = j.member_id.is_some();
    let submitted = |e164: &str| JourneyWrite {
        step: Some(if was_matched {
            Step::Matched
        } else {
            Step::NumberEntered
        }),
        entered_mobile: Some(e164.to_owned()),
        ..JourneyWrite::new(Event::NumberSubmitted, phone::mask(e164))
    };
    let mut out = match verdict {
        Verdict::Invalid(Invalid {
            e164: None,
            message,
            ..
        }) => vec![JourneyWrite {
            step: Some(Step::NumberEntered),
            outcome: Some(Outcome::InvalidNumber),
            entered_mobile: Some(typed.to_owned()),
            ..JourneyWrite::new(Event::NumberInvalid, message.clone())
        }],
        Verdict::Invalid(Invalid {
            e164: Some(e164),
            message,
            ..
        }) => vec![
            submitted(e164),
            JourneyWrite {
                step: Some(Step::NumberEntered),
                outcome: Some(Outcome::InvalidNumber),
                ..JourneyWrite::new(Event::NumberInvalid, message.clone())
            },
        ],
        Verdict::Matched { e164, member } => vec![
            submitted(e164),
            JourneyWrite {
                step: Some(Step::Matched),
                member_id: Some(member.id),
                ..JourneyWrite::new(
                    Event::MemberMatched,
                    format!("member {}", member.external_id),
                )
            },
        ],
        Verdict::Missed { e164, miss } => vec![
            submitted(e164),
            JourneyWrite {
                step: Some(Step::NumberEntered),
                outcome: Some(Outcome::NotFound),
                ..JourneyWrite::new(Event::MemberNotFound, miss.as_str().to_owned())
            },
        ],
    };
    if let Some(limited) = limited {
        out.push(JourneyWrite::new(
            Event::RateLimited,
            limited.scope.to_owned(),
        ));
        out.push(rate_limited(j, limited));
    }
    out
}

/// The journey's step and outcome after a limit stopped it.
fn rate_limited(j: &SqlJourney, limited: &crate::limits::Limited) -> JourneyWrite {
    JourneyWrite {
        step: Some(if j.member_id.is_some() {
            Step::Matched
        } else {
            Step::NumberEntered
        }),
        outcome: Some(Outcome::RateLimited),
        ..JourneyWrite::new(
            Event::RateLimited,
            format!("{}: {}", limited.scope, limited.message()),
        )
    }
}

/// What the person sees. Strict mode answers a miss as a match.
fn answer(
    verdict: &Verdict,
    limited: Option<&crate::limits::Limited>,
    strict: bool,
    typed: &str,
    region: &str,
    sent_path: String,
    lang: &str,
) -> Answer {
    let (number, region) = (typed.to_owned(), region.to_owned());
    if let Some(limited) = limited {
        return Answer::RateLimited {
            message: limited.message_in(lang),
            number: number.trim().chars().take(64).collect(),
            region,
        };
    }
    match verdict {
        Verdict::Invalid(Invalid { shown, .. }) => Answer::Invalid {
            message: shown.clone(),
            number,
            region,
        },
        Verdict::Matched { .. } => Answer::Matched { next: sent_path },
        Verdict::Missed { .. } if strict => Answer::Matched { next: sent_path },
        Verdict::Missed { .. } => Answer::NotFound { number, region },
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::Miss;
    use crate::limits::Limited;
    use crate::store::SqlMember;

    fn journey(member_id: Option<i64>) -> SqlJourney {
        SqlJourney {
            id: 7,
            public_id: "j".into(),
            operator_id: 1,
            invite_id: 2,
            member_id,
            step: Step::InviteOpened.as_str().into(),
            outcome: None,
            entered_mobile: None,
            started_at: 0,
            updated_at: 0,
            language: None,
        }
    }

    fn matched() -> Verdict {
        Verdict::Matched {
            e164: "+447400123456".into(),
            member: Box::new(SqlMember {
                id: 3,
                operator_id: 1,
                external_id: "m3".into(),
                first_name: "A".into(),
                last_name: "B".into(),
                email: None,
                mobile_e164: Some("+447400123456".into()),
                synced_at: Some(1),
                active: true,
                membership_ends_at: None,
                language: None,
            }),
        }
    }

    fn kinds(w: &[JourneyWrite]) -> Vec<&'static str> {
        w.iter().map(|w| w.event.as_str()).collect()
    }

    const LIMITED: Limited = Limited {
        scope: "sms_number_minute",
        retry_after_ms: 30_000,
    };

    #[test]
    fn a_match_records_the_number_then_the_member_and_answers_with_the_sent_page() {
        let w = writes(&journey(None), "07400 123456", &matched(), None);
        assert_eq!(kinds(&w), ["number_submitted", "member_matched"]);
        assert_eq!(w[0].entered_mobile.as_deref(), Some("+447400123456"));
        assert_eq!(w[0].detail, phone::mask("+447400123456"));
        assert_eq!((w[1].step, w[1].member_id), (Some(Step::Matched), Some(3)));
        assert_eq!(
            answer(
                &matched(),
                None,
                false,
                "07400 123456",
                "GB",
                "/sent".into(),
                "en"
            ),
            Answer::Matched {
                next: "/sent".into()
            }
        );
    }

    #[test]
    fn a_limited_text_is_recorded_after_the_match_and_answers_when_to_try_again() {
        let w = writes(&journey(None), "x", &matched(), Some(&LIMITED));
        assert_eq!(
            kinds(&w),
            [
                "number_submitted",
                "member_matched",
                "rate_limited",
                "rate_limited"
            ]
        );
        assert_eq!(w[2].step, None, "the scope alone, the journey unmoved");
        assert_eq!(w[3].outcome, Some(Outcome::RateLimited));
        assert_eq!(
            w[3].detail,
            "sms_number_minute: Too many attempts. Try again in 30 seconds."
        );
        let a = answer(
            &matched(),
            Some(&LIMITED),
            false,
            "x",
            "GB",
            "/sent".into(),
            "en",
        );
        assert!(matches!(a, Answer::RateLimited { .. }), "{a:?}");
    }

    #[test]
    fn a_miss_is_not_found_unless_strict_mode_answers_it_as_a_match() {
        let miss = Verdict::Missed {
            e164: "+447400123099".into(),
            miss: Miss::NoSuchNumber,
        };
        let w = writes(&journey(None), "07400123099", &miss, None);
        assert_eq!(kinds(&w), ["number_submitted", "member_not_found"]);
        assert_eq!(w[1].detail, "no_such_number");
        assert_eq!(w[1].outcome, Some(Outcome::NotFound));
        assert_eq!(miss.link(false), None);
        assert_eq!(miss.link(true), Some((None, "+447400123099".into())));
        assert_eq!(
            answer(
                &miss,
                None,
                false,
                "07400123099",
                "GB",
                "/sent".into(),
                "en"
            ),
            Answer::NotFound {
                number: "07400123099".into(),
                region: "GB".into()
            }
        );
        assert_eq!(
            answer(&miss, None, true, "07400123099", "GB", "/sent".into(), "en"),
            Answer::Matched {
                next: "/sent".into()
            }
        );
    }

    #[test]
    fn an_unusable_number_keeps_what_was_typed_and_says_why() {
        let typo = Verdict::Invalid(Invalid {
            e164: None,
            message: "too short".into(),
            shown: "too short".into(),
        });
        let w = writes(&journey(None), "0740", &typo, None);
        assert_eq!(kinds(&w), ["number_invalid"]);
        assert_eq!(w[0].entered_mobile.as_deref(), Some("0740"));
        let abroad = Verdict::Invalid(Invalid {
            e164: Some("+15555550100".into()),
            message: "only GB".into(),
            shown: "only GB".into(),
        });
        let w = writes(&journey(Some(3)), "+1 555", &abroad, None);
        assert_eq!(kinds(&w), ["number_submitted", "number_invalid"]);
        assert_eq!(
            w[0].step,
            Some(Step::Matched),
            "a matched journey stays matched"
        );
        assert_eq!(abroad.link(true), None);
        assert_eq!(
            answer(&abroad, None, true, "+1 555", "GB", "/sent".into(), "en"),
            Answer::Invalid {
                message: "only GB".into(),
                number: "+1 555".into(),
                region: "GB".into()
            }
        );
    }
}
