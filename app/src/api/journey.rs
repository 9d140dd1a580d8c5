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
pub async fn get_invite(token: String, journey: Option<String>) -> Result<InvitePage, AppError> {
    let page = crate::wire::invite_page(
        domain::journeys::open_invite(&state()?, &token, journey.as_deref()).await?,
    );
    match page {
        InvitePage::Problem(crate::types::InviteProblem::Unknown) => set_status(404),
        InvitePage::Problem(crate::types::InviteProblem::Expired) => set_status(410),
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
) -> Result<SubmitOutcome, AppError> {
    let state = state()?;
    let started = std::time::Instant::now();
    // Only the regions the form offers; anything else means the operator's default.
    let region = crate::types::dial_code(&region)
        .is_some()
        .then_some(region.as_str());
    let submitted =
        domain::journeys::submit_number(&state, &token, &journey, region, &number, &client_ip())
            .await?;
    domain::metrics::submission(outcome_label(&submitted.outcome));
    // Found and not-found answers take the same time, so timing does not tell them apart.
    state.answer_floor(started).await;
    let outcome = SubmitOutcome::from(submitted.outcome);
    if wants_page() {
        let to = match &outcome {
            SubmitOutcome::Matched { next } => next.clone(),
            SubmitOutcome::InviteGone { .. } => format!("/i/{}", domain::tokens::urlencode(&token)),
            SubmitOutcome::Invalid { .. }
            | SubmitOutcome::NotFound { .. }
            | SubmitOutcome::RateLimited { .. } => {
                format!(
                    "/i/{}?j={}",
                    domain::tokens::urlencode(&token),
                    domain::tokens::urlencode(&submitted.journey)
                )
            }
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
) -> Result<SentPage, AppError> {
    let notice = notice.as_deref().and_then(notice_text);
    let page = crate::wire::sent_page(
        domain::journeys::sent(&state()?, &token, &journey).await?,
        notice,
    );
    if let SentPage::Problem(_) = page {
        set_status(404);
    }
    Ok(page)
}

#[cfg(feature = "ssr")]
/// What a notice code in the "check your messages" URL says.
fn notice_text(code: &str) -> Option<String> {
    let number = |prefix: &str| {
        code.strip_prefix(prefix)
            .and_then(|s| s.parse::<u32>().ok())
    };
    Some(match code {
        "resent" => "We've sent you a new link. Earlier links no longer work.".to_owned(),
        "unavailable" => {
            "We can't send another text for this request. Start again from the QR code.".to_owned()
        }
        "code-locked" => {
            "Too many wrong codes. Open the link in the text, or ask for a new text.".to_owned()
        }
        "code-unavailable" => "That code no longer works. Ask for a new text.".to_owned(),
        _ => {
            if let Some(left) = number("code-wrong-") {
                format!(
                    "That code isn't right. You have {left} more {}.",
                    if left == 1 { "try" } else { "tries" }
                )
            } else if let Some(secs) = number("wait-") {
                format!("Please wait {secs} seconds before asking for another text.")
            } else {
                return None;
            }
        }
    })
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
