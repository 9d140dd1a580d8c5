//! The journey's server functions. Each also answers a plain HTML form post (JavaScript off)
//! with a redirect to the page that shows the result.

use leptos::prelude::*;

use crate::types::{AppError, InvitePage, ResendOutcome, SentPage, SubmitOutcome};

#[cfg(feature = "ssr")]
fn state() -> Result<domain::state::AppState, AppError> {
    crate::api::current_state().ok_or(AppError::Unavailable)
}

/// True when a browser posted a plain form (no JavaScript): it wants a page, not data.
#[cfg(feature = "ssr")]
fn wants_page() -> bool {
    use_context::<http::request::Parts>()
        .and_then(|parts| {
            parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.contains("text/html"))
        })
        .unwrap_or(false)
}

/// The client's address as the connection shows it.
#[cfg(feature = "ssr")]
fn client_ip() -> String {
    let trusted = state()
        .map(|s| s.config.http.trusted_proxies.clone())
        .unwrap_or_default();
    use_context::<http::request::Parts>()
        .map(|parts| domain::limits::client_address(&parts, &trusted))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The browser's `Accept-Language` header.
#[cfg(feature = "ssr")]
pub(crate) fn accept_language() -> Option<String> {
    use_context::<http::request::Parts>().and_then(|parts| {
        parts
            .headers
            .get(http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(200).collect())
    })
}

#[cfg(feature = "ssr")]
fn set_status(code: u16) {
    if let (Some(res), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(code),
    ) {
        res.set_status(status);
    }
}

/// The phone page's data for an invite token.
#[server(endpoint = "get_invite")]
pub async fn get_invite(
    token: String,
    journey: Option<String>,
    lang: Option<String>,
    #[server(default)] wait: Option<i64>,
) -> Result<InvitePage, AppError> {
    let accept = accept_language();
    let asked = domain::i18n::Asked {
        switch: lang.as_deref(),
        accept_language: accept.as_deref(),
        ..Default::default()
    };
    let mut page = crate::wire::invite_page(
        domain::journeys::open_invite(&state()?, &token, journey.as_deref(), asked).await?,
        accept.as_deref(),
    );
    // A limit stopped a number before its journey started (nothing of it was written): the page
    // a form post without JavaScript comes back to says so all the same, and for how long.
    if let (InvitePage::Ready(v), Some(secs)) = (&mut page, wait) {
        if v.previous.is_none() {
            let limited = domain::limits::Limited {
                scope: "submit_ip",
                retry_after_ms: secs.clamp(1, 86_400) * 1000,
            };
            v.previous = Some(SubmitOutcome::RateLimited {
                message: limited.message_in(&v.texts.lang),
                number: String::new(),
                region: v.default_region.clone(),
            });
        }
    }
    match page {
        InvitePage::Problem(crate::types::InviteProblem::Unknown, _) => set_status(404),
        InvitePage::Problem(crate::types::InviteProblem::Expired, _) => set_status(410),
        InvitePage::Ready(_) => {}
    }
    Ok(page)
}

/// Checks a mobile number against the operator's member directory.
#[server(endpoint = "submit_number")]
pub async fn submit_number(
    token: String,
    journey: String,
    region: String,
    number: String,
    #[server(default)] lang: Option<String>,
) -> Result<SubmitOutcome, AppError> {
    let state = state()?;
    let started = std::time::Instant::now();
    // The language of the page it was entered on (its hidden field), when it says.
    let accept = accept_language();
    let asked = domain::i18n::Asked {
        switch: lang.as_deref(),
        accept_language: accept.as_deref(),
        ..Default::default()
    };
    let lang = lang.as_deref().and_then(domain::i18n::known);
    // Only the regions the form offers; anything else means the operator's default.
    let region = crate::types::dial_code(&region)
        .is_some()
        .then_some(region.as_str());
    let submitted = domain::journeys::submit_number(
        &state,
        &token,
        &journey,
        region,
        &number,
        &client_ip(),
        asked,
    )
    .await?;
    domain::metrics::submission(outcome_label(&submitted.outcome));
    // Found and not-found answers take the same time, so timing does not tell them apart.
    state.answer_floor(started).await;
    let wait = submitted.unwritten_wait_secs;
    let mut outcome = SubmitOutcome::from(submitted.outcome);
    // The next page speaks the language this one did.
    let lang_param = lang.map(|l| format!("&lang={l}")).unwrap_or_default();
    if let SubmitOutcome::Matched { next } = &mut outcome {
        next.push_str(&lang_param);
    }
    if wants_page() {
        let to = match &outcome {
            SubmitOutcome::Matched { next } => next.clone(),
            SubmitOutcome::InviteGone { .. } => format!("/i/{}", domain::tokens::urlencode(&token)),
            SubmitOutcome::Invalid { .. } | SubmitOutcome::NotFound { .. } => format!(
                "/i/{}?j={}{lang_param}",
                domain::tokens::urlencode(&token),
                domain::tokens::urlencode(&submitted.journey)
            ),
            SubmitOutcome::RateLimited { .. } => format!(
                "/i/{}?j={}{lang_param}{}",
                domain::tokens::urlencode(&token),
                domain::tokens::urlencode(&submitted.journey),
                wait.map(|s| format!("&wait={s}")).unwrap_or_default()
            ),
        };
        leptos_axum::redirect(&to);
    }
    Ok(outcome)
}

/// The journey's answer as the submissions metric labels it (the operator's view: unlike the
/// page, it may tell a match from a miss).
#[cfg(feature = "ssr")]
fn outcome_label(answer: &domain::journeys::Answer) -> &'static str {
    use domain::journeys::Answer;
    match answer {
        Answer::Matched { .. } => "matched",
        Answer::NotFound { .. } => "not_found",
        Answer::Invalid { .. } => "invalid",
        Answer::RateLimited { .. } => "rate_limited",
        Answer::InviteGone { .. } => "invite_gone",
    }
}

/// The "check your messages" page's data.
#[server(endpoint = "get_sent")]
pub async fn get_sent(
    token: String,
    journey: String,
    notice: Option<String>,
    lang: Option<String>,
) -> Result<SentPage, AppError> {
    let accept = accept_language();
    let page = crate::wire::sent_page(
        domain::journeys::sent(&state()?, &token, &journey).await?,
        notice.as_deref(),
        lang.as_deref(),
        accept.as_deref(),
    );
    if let SentPage::Problem(..) = page {
        set_status(404);
    }
    Ok(page)
}

/// Sends a new link for a matched journey, after a short wait.
#[server(endpoint = "resend_link")]
pub async fn resend_link(token: String, journey: String) -> Result<ResendOutcome, AppError> {
    use domain::journeys::Resend;
    let state = state()?;
    let started = std::time::Instant::now();
    let resent = domain::journeys::resend(&state, &token, &journey).await?;
    state.answer_floor(started).await;
    let outcome = match resent {
        Resend::Sent => ResendOutcome::Sent,
        Resend::Wait(seconds) => ResendOutcome::Wait { seconds },
        Resend::NotPossible => ResendOutcome::NotPossible,
    };
    if wants_page() {
        let notice = match &outcome {
            ResendOutcome::Sent => "resent".to_owned(),
            ResendOutcome::Wait { seconds } => format!("wait-{seconds}"),
            ResendOutcome::NotPossible => "unavailable".to_owned(),
        };
        leptos_axum::redirect(&format!(
            "/i/{}/sent?j={}&n={notice}",
            domain::tokens::urlencode(&token),
            domain::tokens::urlencode(&journey)
        ));
    }
    Ok(outcome)
}
