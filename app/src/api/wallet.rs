//! The wallet page's server function. Opening the SMS link only reads; passes are issued by
//! the page's buttons (plain POST routes in the server, since they answer with a file or a
//! redirect to Google).

use leptos::prelude::*;

use crate::types::{AppError, WalletPage};

#[server(endpoint = "get_wallet")]
pub async fn get_wallet(token: String, lang: Option<String>) -> Result<WalletPage, AppError> {
    use http::header;
    let state = crate::api::current_state().ok_or(AppError::Unavailable)?;
    let parts = use_context::<http::request::Parts>();
    let header_str = |name: header::HeaderName| {
        parts
            .as_ref()
            .and_then(|p| p.headers.get(name))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let cookies = header_str(header::COOKIE);
    let user_agent = header_str(header::USER_AGENT).unwrap_or_default();
    let opened = domain::links::open(&state, &token, cookies.as_deref(), &user_agent)
        .await
        .map_err(|err| {
            tracing::error!(error = %err, "wallet page failed");
            AppError::Unavailable
        })?;
    let accept = header_str(header::ACCEPT_LANGUAGE);
    let page = crate::wire::wallet_page(
        &state,
        &token,
        opened,
        &user_agent,
        lang.as_deref(),
        accept.as_deref(),
    );
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.insert_header(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        res.insert_header(
            header::REFERRER_POLICY,
            header::HeaderValue::from_static("no-referrer"),
        );
        if let WalletPage::Problem { problem, .. } = &page {
            use crate::types::LinkProblem;
            res.set_status(match problem {
                LinkProblem::Unknown => http::StatusCode::NOT_FOUND,
                LinkProblem::Used => http::StatusCode::CONFLICT,
                LinkProblem::NotEligible => http::StatusCode::FORBIDDEN,
                LinkProblem::Expired | LinkProblem::Replaced => http::StatusCode::GONE,
            });
        }
    }
    Ok(page)
}
