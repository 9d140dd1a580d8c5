//! The SMS link: its token, the wallet page behind it, and issuing passes from it. Opening the
//! link issues nothing (message apps fetch links for previews) and records only the first
//! opening; a button press (a POST) binds the link to that browser with a cookie and issues the
//! pass.

use crate::credentials;
use crate::kinds::{Event, Step};
use crate::phone;
use crate::state::AppState;
use crate::store::{
    now_ms, JourneyWrite, NewInvite, QueueLinkSms, SqlCredential, SqlJourney, SqlLink, SqlMember,
    SqlOperator, SqlWalletPass, Store, StoreError,
};
use crate::tokens::{hash_token, looks_like_token, Token};
use crate::wallet::{PassContent, WalletError, WebService};

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Wallet(#[from] WalletError),
}

/// Why an SMS link cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    /// Not a link we sent.
    Unknown,
    /// Its time ran out.
    Expired,
    /// A newer text replaced it.
    Replaced,
    /// Another browser already used it.
    Used,
    /// The member is no longer eligible for a pass.
    NotEligible,
}

/// What opening an SMS link shows: the member's wallet page, or why not.
pub enum Opened {
    Ready(Box<Ready>),
    Problem {
        problem: LinkProblem,
        /// The link can start the journey again (see `restart`).
        can_restart: bool,
        /// The operator whose link it is, when the link is known.
        operator: Option<Box<SqlOperator>>,
    },
}

/// A usable link, with what its page shows.
pub struct Ready {
    pub found: Found,
    pub site_name: Option<String>,
    /// The credential's display form, once this browser claimed the link.
    pub credential: Option<String>,
    /// The phone looks like an iPhone or iPad (Apple's button first), else Google's first.
    pub apple_first: bool,
    /// The member holds a live pass issued on another journey (another phone): adding this
    /// one in the same wallet replaces it.
    pub other_phone: bool,
}

pub struct Found {
    pub link: SqlLink,
    pub journey: SqlJourney,
    pub operator: SqlOperator,
    pub member: SqlMember,
    /// This browser holds the link's claim cookie.
    pub claimed_here: bool,
}

/// The cookie that binds a link to the browser that first used it. `__Host-` where served over
/// HTTPS (the prefix requires `Secure`).
pub fn cookie_name(public_url: &str, link_id: i64) -> String {
    if public_url.starts_with("https://") {
        format!("__Host-elumo_link_{link_id}")
    } else {
        format!("elumo_link_{link_id}")
    }
}

pub fn set_cookie(public_url: &str, link_id: i64, secret: &Token, max_age_secs: u64) -> String {
    let secure = if public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{}={}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}",
        cookie_name(public_url, link_id),
        secret.expose()
    )
}

/// The value of cookie `name` in a `Cookie` header.
pub fn read_cookie<'a>(header: Option<&'a str>, name: &str) -> Option<&'a str> {
    cookie::Cookie::split_parse(header?)
        .flatten()
        .find(|c| c.name() == name)
        .and_then(|c| c.value_raw())
}

/// Finds the link for `token`; `cookies` is the request's `Cookie` header.
pub async fn find(
    state: &AppState,
    token: &str,
    cookies: Option<&str>,
) -> Result<Result<Found, LinkProblem>, LinkError> {
    let store = &state.store;
    if !looks_like_token(token) {
        return Ok(Err(LinkProblem::Unknown));
    }
    let Some(link) = store.link_by_token_hash(&hash_token(token)).await? else {
        return Ok(Err(LinkProblem::Unknown));
    };
    // The member the link was texted to, bound when it was made. A link without one (strict
    // mode's stand-in for a miss, or one made before links were bound) issues nothing.
    let Some(member_id) = link.member_id else {
        return Ok(Err(LinkProblem::Unknown));
    };
    if link.revoked_at.is_some() {
        // Links end when a newer text replaces them, or when the member leaves: say which.
        let left = store.member(member_id).await?.is_some_and(|m| !m.active);
        return Ok(Err(if left {
            LinkProblem::NotEligible
        } else {
            LinkProblem::Replaced
        }));
    }
    if link.expires_at <= now_ms() {
        return Ok(Err(LinkProblem::Expired));
    }
    let cookie = read_cookie(
        cookies,
        &cookie_name(&state.config.http.public_url, link.id),
    );
    let claimed_here = match (&link.claim_hash, cookie) {
        (None, _) => false,
        (Some(hash), Some(secret)) if *hash == hash_token(secret) => true,
        (Some(_), _) => return Ok(Err(LinkProblem::Used)),
    };
    let journey = store.journey(link.journey_id).await?;
    let member = store.member(member_id).await?;
    let (Some(journey), Some(member)) = (journey, member) else {
        return Ok(Err(LinkProblem::Unknown));
    };
    if !member.active || member.synced_at.is_none() {
        return Ok(Err(LinkProblem::NotEligible));
    }
    // The member's number changed since the text: the old number's holder gets nothing.
    if member.mobile_e164.is_none() || member.mobile_e164 != link.to_e164 {
        return Ok(Err(LinkProblem::NotEligible));
    }
    let Some(operator) = store.operator(journey.operator_id).await? else {
        return Ok(Err(LinkProblem::Unknown));
    };
    Ok(Ok(Found {
        link,
        journey,
        operator,
        member,
        claimed_here,
    }))
}

/// What the wallet page shows. Issues nothing; the journey records the first opening.
pub async fn open(
    state: &AppState,
    token: &str,
    cookies: Option<&str>,
    user_agent: &str,
) -> Result<Opened, LinkError> {
    let found = match find(state, token, cookies).await? {
        Ok(found) => found,
        Err(problem) => return problem_page(state, token, problem).await,
    };
    let apple_first = is_apple_device(user_agent) || !user_agent.contains("Android");
    let store = &state.store;
    store
        .link_opened(
            found.journey.id,
            if apple_first {
                "apple device"
            } else {
                "android device"
            },
        )
        .await?;
    // Message apps fetch links for their previews: before this browser claimed the link, the
    // page shows the first name and nothing of the credential.
    // Whether the member holds a pass from another journey is no secret worth keeping from a
    // preview (it shows no number), and the member should know before pressing.
    // The notice says the other phone's pass stops working, which holds for a pass of the same
    // wallet (a new phone replaces per platform): it names the wallet this page offers first.
    let passes = store.wallet_passes_for_member(found.member.id).await?;
    let first = if apple_first { "apple" } else { "google" };
    let other_phone = passes.iter().any(|p| {
        p.platform == first
            && p.voided_at.is_none()
            && p.pending_at.is_none()
            && p.journey_id != Some(found.journey.id)
    });
    let credential = if found.claimed_here {
        credentials_preview(store, &found.member, &passes, found.journey.id).await?
    } else {
        None
    };
    let site_name = site_name_of(store, found.journey.invite_id).await?;
    Ok(Opened::Ready(Box::new(Ready {
        found,
        site_name,
        credential,
        apple_first,
        other_phone,
    })))
}

/// The site an invite is for, if it is a site invite.
async fn site_name_of(store: &Store, invite_id: i64) -> Result<Option<String>, StoreError> {
    Ok(
        match store.invite(invite_id).await?.and_then(|i| i.site_id) {
            Some(id) => store.site(id).await?.map(|s| s.name),
            None => None,
        },
    )
}

/// The number the page shows: what this journey's pass carries, once it has one (a new phone's
/// is a new number), else the card, else the member's live generated number.
async fn credentials_preview(
    store: &Store,
    member: &SqlMember,
    passes: &[crate::store::SqlWalletPass],
    journey_id: i64,
) -> Result<Option<String>, StoreError> {
    let all = store.credentials_for_member(member.id).await?;
    let carried = passes
        .iter()
        .filter(|p| p.voided_at.is_none() && p.journey_id == Some(journey_id))
        .find_map(|p| all.iter().find(|c| c.id == p.credential_id));
    Ok(carried
        .or_else(|| {
            all.iter()
                .filter(|c| c.revoked_at.is_none() && c.pending_at.is_none())
                .min_by_key(|c| if c.source == "physical_card" { 0 } else { 1 })
        })
        .map(|c| credentials::display(c.facility_code, c.card_number)))
}

async fn problem_page(
    state: &AppState,
    token: &str,
    problem: LinkProblem,
) -> Result<Opened, LinkError> {
    // A known link that expired, was replaced or was used elsewhere can start the journey
    // again, while its invite works and its member may hold a pass.
    let mut can_restart = false;
    let operator = if problem == LinkProblem::Unknown || !looks_like_token(token) {
        None
    } else {
        match state.store.link_by_token_hash(&hash_token(token)).await? {
            Some(link) => match state.store.journey(link.journey_id).await? {
                Some(j) => {
                    can_restart = restart_refusal(&state.store, &link, &j, problem)
                        .await?
                        .is_none();
                    state.store.operator(j.operator_id).await?.map(Box::new)
                }
                None => None,
            },
            None => None,
        }
    };
    Ok(Opened::Problem {
        problem,
        can_restart,
        operator,
    })
}

pub fn is_apple_device(user_agent: &str) -> bool {
    ["iPhone", "iPad", "iPod", "Macintosh"]
        .iter()
        .any(|d| user_agent.contains(d))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    Apple,
    Google,
}

impl Platform {
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Apple => "apple",
            Platform::Google => "google",
        }
    }
}

pub enum Issued {
    /// A `.pkpass` to download.
    Apple {
        pkpass: Vec<u8>,
        file_name: String,
        set_cookie: Option<String>,
    },
    /// The "Save to Google Wallet" URL to go to.
    Google {
        save_url: String,
        set_cookie: Option<String>,
    },
    Problem(LinkProblem),
}

/// Issues a pass for the link's member: claims the link for this browser on first use, finds or
/// creates the credential, keeps one pass per member and platform, and signs it.
pub async fn issue(
    state: &AppState,
    token: &str,
    cookies: Option<&str>,
    platform: Platform,
) -> Result<Issued, LinkError> {
    let found = match find(state, token, cookies).await? {
        Ok(found) => found,
        Err(problem) => return Ok(Issued::Problem(problem)),
    };
    let store = &state.store;
    let public_url = &state.config.http.public_url;
    let mut set_cookie_header = None;
    if !found.claimed_here {
        let secret = Token::generate(32);
        if !store
            .claim_link(found.link.id, &secret.hash(), now_ms())
            .await?
        {
            return Ok(Issued::Problem(LinkProblem::Used));
        }
        let remaining = ((found.link.expires_at - now_ms()) / 1000).max(1) as u64;
        set_cookie_header = Some(set_cookie(public_url, found.link.id, &secret, remaining));
        store
            .append_event(
                found.journey.id,
                None,
                Event::LinkClaimed.as_str(),
                "bound to this browser",
            )
            .await?;
    }
    let site_name = site_name_of(store, found.journey.invite_id).await?;
    let crate::new_phone::Placed {
        pass,
        credential,
        pending,
    } = crate::new_phone::place_pass(
        store,
        &found.operator,
        &found.member,
        platform.as_str(),
        found.journey.id,
        site_name.as_deref(),
    )
    .await?;
    let mut content = pass_content(
        &state.config.http.public_url,
        &state.credentials,
        &found.operator,
        &found.member,
        &credential,
        &pass,
    );
    content.images = store.operator_images(found.operator.id).await?;
    let detail = format!(
        "serial {}, {} credential {}{}",
        pass.serial,
        credential.source,
        credentials::display(credential.facility_code, credential.card_number),
        if pending {
            "; for a new phone: the pass on the previous one works until this one is added"
        } else {
            ""
        }
    );
    let issued = match platform {
        Platform::Apple => Issued::Apple {
            pkpass: state.apple.pkpass(&content)?,
            file_name: format!("{}-pass.pkpass", found.operator.slug),
            set_cookie: set_cookie_header,
        },
        Platform::Google => Issued::Google {
            save_url: {
                if let Some(rest) = &state.google.rest {
                    rest.upsert(
                        &state.google.class_json(&content),
                        &state.google.object_json(&content),
                    )
                    .await?;
                }
                state.google.save_url(
                    &content,
                    std::slice::from_ref(public_url),
                    now_ms() / 1000,
                )?
            },
            set_cookie: set_cookie_header,
        },
    };
    store
        .append_event(
            found.journey.id,
            Some(Step::PassIssued.as_str()),
            Event::pass_issued(platform).as_str(),
            &detail,
        )
        .await?;
    let data = serde_json::json!({
        "journey_id": found.journey.public_id,
        "member_external_id": found.member.external_id,
        "pass_id": pass.id,
        "platform": platform.as_str(),
        "serial": pass.serial,
        "site": site_name,
        "credential_source": credential.source,
        "replaces_a_pass_on_another_phone": pending,
    });
    let wake = Some(&*state.webhooks_wake);
    let operator = found.operator.id;
    use crate::webhooks::{emit, EventType};
    if found.journey.step != Step::PassIssued.as_str() {
        emit(
            store,
            wake,
            operator,
            EventType::JourneyCompleted,
            data.clone(),
        )
        .await;
    }
    emit(store, wake, operator, EventType::PassIssued, data).await;
    Ok(issued)
}

/// Why a fresh start from a link is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartRefusal {
    /// The link still works here: use it.
    Usable,
    /// The invite it came from was revoked or expired.
    InviteGone,
    /// The member left, or is not (yet) eligible.
    NotEligible,
    /// Started again too often today.
    TooOften,
}

impl RestartRefusal {
    pub fn as_str(self) -> &'static str {
        match self {
            RestartRefusal::Usable => "usable",
            RestartRefusal::InviteGone => "invite-gone",
            RestartRefusal::NotEligible => "not-eligible",
            RestartRefusal::TooOften => "too-often",
        }
    }
}

/// Fresh starts a member may make in a day.
pub const RESTARTS_PER_MEMBER_PER_DAY: i64 = 3;

/// Whether a link in trouble `problem` may start again: only a link that can no longer be used
/// (expired, replaced, claimed elsewhere), of an invite that still works, for an active member.
async fn restart_refusal(
    store: &Store,
    link: &SqlLink,
    journey: &SqlJourney,
    problem: LinkProblem,
) -> Result<Option<RestartRefusal>, StoreError> {
    if !matches!(
        problem,
        LinkProblem::Expired | LinkProblem::Replaced | LinkProblem::Used
    ) {
        return Ok(Some(RestartRefusal::NotEligible));
    }
    let invite = store.invite(journey.invite_id).await?;
    if !invite.is_some_and(|i| i.revoked_at.is_none() && i.expires_at > now_ms()) {
        return Ok(Some(RestartRefusal::InviteGone));
    }
    let member = match link.member_id {
        Some(id) => store.member(id).await?,
        None => None,
    };
    if !member.is_some_and(|m| m.active && m.synced_at.is_some()) {
        return Ok(Some(RestartRefusal::NotEligible));
    }
    Ok(None)
}

/// Starts over from a link that can no longer be used: a fresh invite for the same operator,
/// site and member, valid for an hour, a few times a day per member. Returns its path, or why
/// not.
pub async fn restart(
    state: &AppState,
    token: &str,
    cookies: Option<&str>,
) -> Result<Result<String, RestartRefusal>, LinkError> {
    let store = &state.store;
    let problem = match find(state, token, cookies).await? {
        Ok(_) => return Ok(Err(RestartRefusal::Usable)),
        Err(problem) => problem,
    };
    if !looks_like_token(token) {
        return Ok(Err(RestartRefusal::NotEligible));
    }
    let Some(link) = store.link_by_token_hash(&hash_token(token)).await? else {
        return Ok(Err(RestartRefusal::NotEligible));
    };
    let Some(journey) = store.journey(link.journey_id).await? else {
        return Ok(Err(RestartRefusal::NotEligible));
    };
    if let Some(refusal) = restart_refusal(store, &link, &journey, problem).await? {
        return Ok(Err(refusal));
    }
    let Some(old) = store.invite(journey.invite_id).await? else {
        return Ok(Err(RestartRefusal::InviteGone));
    };
    let member_key = link.member_id.unwrap_or_default().to_string();
    if store
        .hit(
            "restart_member",
            &member_key,
            RESTARTS_PER_MEMBER_PER_DAY,
            86_400_000,
        )
        .await?
        .is_some()
    {
        return Ok(Err(RestartRefusal::TooOften));
    }
    let fresh = Token::generate(16);
    store
        .insert_invite(&NewInvite {
            operator_id: old.operator_id,
            site_id: old.site_id,
            member_id: link.member_id,
            token_hash: &fresh.hash(),
            channel: &old.channel,
            expires_at: (now_ms() + 3_600_000).min(old.expires_at),
        })
        .await?;
    store
        .append_event(
            journey.id,
            None,
            Event::JourneyRestarted.as_str(),
            "a new invite from a link that could no longer be used",
        )
        .await?;
    Ok(Ok(format!("/i/{}", fresh.expose())))
}

/// Writes the link's SMS to the outbox with the journey's event, and wakes the worker. The link
/// is bound to `member_id` and `to_e164`, for good. Without a member (strict mode's miss) a
/// stand-in link is written under the same limits, and no text goes out.
pub async fn queue_link(
    state: &AppState,
    journey: &SqlJourney,
    operator: &SqlOperator,
    member_id: Option<i64>,
    to_e164: &str,
) -> Result<Result<(), crate::limits::Limited>, StoreError> {
    let real = member_id.is_some();
    if let Err(limited) = crate::limits::sms(state, operator, to_e164, real).await? {
        state
            .store
            .append_event_once(journey.id, Event::RateLimited.as_str(), limited.scope)
            .await?;
        return Ok(Err(limited));
    }
    queue_link_after(state, journey, operator, member_id, to_e164, &[]).await?;
    Ok(Ok(()))
}

/// A new link and the text that carries it, before they are written: only the token's hash and
/// the code's are stored.
pub struct LinkText {
    pub member_id: Option<i64>,
    pub to_e164: String,
    pub body: String,
    pub token_hash: String,
    pub code_hash: String,
    pub expires_at: i64,
    /// Shown on the journey: the masked number.
    pub detail: String,
}

impl LinkText {
    /// A link to `to_e164` for `member_id` (`None`: strict mode's stand-in), on `operator`'s
    /// settings.
    pub fn new(
        state: &AppState,
        operator: &SqlOperator,
        member_id: Option<i64>,
        to_e164: &str,
        lang: &str,
    ) -> LinkText {
        let token = Token::generate(32);
        let code = six_digits();
        let ttl_secs = link_ttl_secs(state, operator);
        let public_url = &state.config.http.public_url;
        let url = format!("{public_url}/l/{}", token.expose());
        let minutes = ttl_secs.div_ceil(60);
        // The last line is the WebOTP form, so the page that asked can read the code on Android.
        let body = sms_body(lang, &operator.name, &url, minutes, public_url, &code);
        let token_hash = token.hash();
        LinkText {
            member_id,
            to_e164: to_e164.to_owned(),
            body,
            code_hash: code_hash(&token_hash, &code),
            token_hash,
            expires_at: now_ms() + (ttl_secs as i64) * 1000,
            detail: phone::mask(to_e164),
        }
    }

    /// The store's form of it, for `journey_id` of `operator_id`.
    pub fn queued(&self, journey_id: i64, operator_id: i64) -> QueueLinkSms<'_> {
        QueueLinkSms {
            journey_id,
            operator_id,
            member_id: self.member_id,
            to_e164: &self.to_e164,
            body: &self.body,
            token_hash: &self.token_hash,
            code_hash: Some(&self.code_hash),
            expires_at: self.expires_at,
            detail: &self.detail,
        }
    }
}

/// Writes `before` (the journey's steps that led to the text), the link and its SMS in one
/// transaction, and wakes the worker. The caller has counted the text against its limits.
pub async fn queue_link_after(
    state: &AppState,
    journey: &SqlJourney,
    operator: &SqlOperator,
    member_id: Option<i64>,
    to_e164: &str,
    before: &[JourneyWrite],
) -> Result<(), StoreError> {
    // In the language of the page the journey's number was entered on.
    let lang = crate::i18n::choose(
        crate::i18n::Asked {
            journey: journey.language.as_deref(),
            ..Default::default()
        },
        &operator.languages,
        &operator.default_language,
    );
    let text = LinkText::new(state, operator, member_id, to_e164, lang);
    state
        .store
        .queue_link_sms_after(before, &text.queued(journey.id, operator.id))
        .await?;
    if member_id.is_some() {
        metrics::counter!(crate::metrics::SMS_QUEUED).increment(1);
        state.sms_wake.notify_one();
    }
    Ok(())
}

/// How long a texted link works: the operator's setting, else the server's default.
pub fn link_ttl_secs(state: &AppState, operator: &SqlOperator) -> u64 {
    operator
        .link_ttl_secs
        .map(|s| s.clamp(60, 3600) as u64)
        .unwrap_or(state.config.journey.link_ttl_secs)
}

/// Six digits from the operating system's generator.
fn six_digits() -> String {
    use rand::TryRngCore as _;
    let mut n = [0u8; 4];
    rand::rngs::OsRng
        .try_fill_bytes(&mut n)
        .expect("the operating system's random generator is unavailable");
    format!("{:06}", u32::from_le_bytes(n) % 1_000_000)
}

/// A link's text in `lang`: the link, how long it works, and the WebOTP line last (so the page
/// that asked can read the code on Android).
pub fn sms_body(
    lang: &str,
    operator: &str,
    url: &str,
    minutes: u64,
    public_url: &str,
    code: &str,
) -> String {
    let text = crate::i18n::t(
        lang,
        "sms-link",
        &[
            ("operator", crate::i18n::text(operator)),
            ("url", crate::i18n::text(url)),
            ("minutes", crate::i18n::number(minutes as i64)),
        ],
    );
    format!("{text}\n\n@{} #{code}", webotp_host(public_url))
}

/// The host of the public URL, without scheme or port, as WebOTP wants it.
pub fn webotp_host(public_url: &str) -> String {
    url::Url::parse(public_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A code is only good for its own link.
fn code_hash(link_token_hash: &str, code: &str) -> String {
    hash_token(&format!("{link_token_hash}:{code}"))
}

pub const MAX_CODE_TRIES: i64 = 5;
/// Wrong codes a number may get in a day, over all its links.
pub const WRONG_CODES_PER_NUMBER_PER_DAY: i64 = 10;

/// What entering the code from the text led to.
#[derive(Debug)]
pub enum CodeOutcome {
    /// Right: the wallet page, already bound to this browser.
    Open {
        path: String,
        set_cookie: String,
    },
    Wrong {
        tries_left: i64,
    },
    /// Five wrong tries (or too many for this number or address): the code no longer works
    /// (the link still does).
    Locked,
    /// No live link for this journey (expired, replaced, used, or never sent).
    Unavailable,
}

/// Checks the code typed on the "check your messages" page of `journey`. Each try is counted in
/// the same statement that allows it, so parallel guesses get five tries in all; wrong codes
/// also count per number (over all its links) and in the address's submission limit.
pub async fn enter_code(
    state: &AppState,
    invite_token: &str,
    journey: &str,
    code: &str,
    client_ip: &str,
) -> Result<CodeOutcome, LinkError> {
    let store = &state.store;
    let Ok(opened) = crate::invites::find_invite(store, invite_token).await? else {
        return Ok(CodeOutcome::Unavailable);
    };
    if !looks_like_token(journey) {
        return Ok(CodeOutcome::Unavailable);
    }
    let Some(j) = store
        .journey_by_public_id(journey)
        .await?
        .filter(|j| j.invite_id == opened.invite.id)
    else {
        return Ok(CodeOutcome::Unavailable);
    };
    let Some(link) = store.live_link_for_journey(j.id).await? else {
        return Ok(CodeOutcome::Unavailable);
    };
    if link.expires_at <= now_ms() || link.claimed_at.is_some() {
        return Ok(CodeOutcome::Unavailable);
    }
    let number_key = format!(
        "{}:{}",
        opened.operator.id,
        link.to_e164.as_deref().unwrap_or_default()
    );
    let address_key = crate::limits::address_key(client_ip);
    let per_ip = state.config.limits.submissions_per_ip_per_10_minutes;
    // Counted before the code is looked at, in the same statement that checks the cap, so
    // parallel guesses cannot all pass the check first (a right code counts too).
    if store
        .hit(
            "code_number",
            &number_key,
            WRONG_CODES_PER_NUMBER_PER_DAY,
            86_400_000,
        )
        .await?
        .is_some()
        || store
            .hit("submit_ip", &address_key, per_ip, 600_000)
            .await?
            .is_some()
    {
        return Ok(CodeOutcome::Locked);
    }
    let Some((tries, stored, token_hash)) = store.try_code(link.id, MAX_CODE_TRIES).await? else {
        return Ok(CodeOutcome::Locked);
    };
    let typed: String = code
        .chars()
        .filter(|c| c.is_ascii_digit())
        .take(6)
        .collect();
    let right = typed.len() == 6
        && stored.is_some_and(|stored| {
            openssl::memcmp::eq(code_hash(&token_hash, &typed).as_bytes(), stored.as_bytes())
        });
    if !right {
        store
            .append_event(
                j.id,
                None,
                Event::CodeWrong.as_str(),
                &format!("wrong code, try {tries} of {MAX_CODE_TRIES}"),
            )
            .await?;
        return Ok(if tries >= MAX_CODE_TRIES {
            CodeOutcome::Locked
        } else {
            CodeOutcome::Wrong {
                tries_left: MAX_CODE_TRIES - tries,
            }
        });
    }
    let fresh = Token::generate(32);
    let secret = Token::generate(32);
    if !store
        .exchange_code(&link, MAX_CODE_TRIES, &fresh.hash(), &secret.hash())
        .await?
    {
        return Ok(CodeOutcome::Unavailable);
    }
    let new_link = store
        .link_by_token_hash(&fresh.hash())
        .await?
        .ok_or(StoreError::Conflict("the exchanged link"))?;
    let remaining = ((link.expires_at - now_ms()) / 1000).max(1) as u64;
    Ok(CodeOutcome::Open {
        path: format!("/l/{}", fresh.expose()),
        set_cookie: set_cookie(
            &state.config.http.public_url,
            new_link.id,
            &secret,
            remaining,
        ),
    })
}

/// What an issued pass shows now, read from the store (its operator, member and credential);
/// `None` when one of them is gone.
pub async fn content_of(
    store: &Store,
    public_url: &str,
    signer: &credentials::CredentialSigner,
    pass: &SqlWalletPass,
) -> Result<Option<PassContent>, StoreError> {
    let (Some(operator), Some(member)) = (
        store.operator(pass.operator_id).await?,
        store.member(pass.member_id).await?,
    ) else {
        return Ok(None);
    };
    let credential = store
        .credentials_for_member(pass.member_id)
        .await?
        .into_iter()
        .find(|c| c.id == pass.credential_id);
    let Some(credential) = credential else {
        return Ok(None);
    };
    let mut content = pass_content(public_url, signer, &operator, &member, &credential, pass);
    content.images = store.operator_images(operator.id).await?;
    if let Some(site) = &pass.site_name {
        content.location = store
            .site_by_name(operator.id, site)
            .await?
            .as_ref()
            .and_then(crate::wallet::PassLocation::of);
    }
    if let Some(id) = pass.message_id {
        content.message = store
            .holder_message(id)
            .await?
            .map(|m| crate::wallet::PassMessage {
                id: m.id,
                body: m.body,
                notify: pass.message_notifies,
            });
    }
    Ok(Some(content))
}

/// What a pass shows: used when issuing, and when Wallet asks for the latest version.
pub fn pass_content(
    public_url: &str,
    signer: &credentials::CredentialSigner,
    operator: &SqlOperator,
    member: &SqlMember,
    credential: &SqlCredential,
    pass: &SqlWalletPass,
) -> PassContent {
    let payload = credentials::payload(
        credentials::PayloadFormat::parse(&operator.credential_format)
            .unwrap_or(credentials::PayloadFormat::H10301),
        signer,
        &operator.slug,
        credential.facility_code,
        credential.card_number,
        pass.issued_at / 1000,
    );
    PassContent {
        serial: pass.serial.clone(),
        operator_name: operator.name.clone(),
        operator_slug: operator.slug.clone(),
        brand_color: operator.brand_color.clone(),
        member_name: format!("{} {}", member.first_name, member.last_name),
        site_name: pass.site_name.clone(),
        support: operator
            .support_email
            .clone()
            .or(operator.support_phone.clone())
            .or(operator.support_url.clone()),
        facility_code: credential.facility_code,
        card_number: credential.card_number,
        short_payload: if payload.len() <= 64 {
            payload.clone()
        } else {
            credentials::barcode_message(credential.facility_code, credential.card_number)
        },
        payload,
        web_service: match (&pass.auth_token, pass.platform.as_str()) {
            (Some(token), "apple") => Some(WebService {
                url: format!("{}/passkit", public_url.trim_end_matches('/')),
                auth_token: token.clone(),
            }),
            _ => None,
        },
        voided: pass.voided_at.is_some(),
        expires_at: member.membership_ends_at,
        images: Vec::new(),
        message: None,
        location: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_exact_name() {
        let h = Some("a=1; elumo_link_7=secret; elumo_link_70=other");
        assert_eq!(read_cookie(h, "elumo_link_7"), Some("secret"));
        assert_eq!(read_cookie(h, "elumo_link_8"), None);
        assert_eq!(read_cookie(None, "x"), None);
    }

    #[test]
    fn the_claim_cookie_is_host_only_and_secure_over_https() {
        let t = Token::from_user("s3cret-value-0123456789");
        let c = set_cookie("https://pass.example", 7, &t, 600);
        assert!(c.starts_with("__Host-elumo_link_7=s3cret"));
        assert!(
            c.contains("HttpOnly")
                && c.contains("SameSite=Lax")
                && c.contains("Secure")
                && c.contains("Path=/")
        );
        let local = set_cookie("http://127.0.0.1:3000", 7, &t, 600);
        assert!(local.starts_with("elumo_link_7=") && !local.contains("Secure"));
    }

    #[test]
    fn webotp_host_is_the_bare_host() {
        assert_eq!(webotp_host("https://pass.example.com"), "pass.example.com");
        assert_eq!(webotp_host("http://127.0.0.1:3000"), "127.0.0.1");
        let code = six_digits();
        assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()));
    }

    #[test]
    fn platform_guess() {
        assert!(is_apple_device(
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"
        ));
        assert!(!is_apple_device("Mozilla/5.0 (Linux; Android 14; Pixel 7)"));
    }
}
