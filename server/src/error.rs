//! One error type at the HTTP edge. Handlers return `Result<Response, HttpError>` and use `?`:
//! a store, link or wallet failure becomes [`AppError::Unavailable`], its detail goes to the log
//! (inside the request's span, so with its id and path) and the client gets the one outage page.
//! [`Plain`] is the same error for machine clients (Apple's PassKit web service): the status
//! alone. The words are `app::types::AppError`'s, the ones server functions answer with.

use app::components::ProblemDocument;
use app::types::AppError;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::links::LinkError;
use domain::store::StoreError;
use domain::wallet::WalletError;
use leptos::prelude::*;

/// Why a request could not be answered as asked.
pub struct HttpError(Inner);

enum Inner {
    /// One of the answers every handler can give; `detail` (for the log only) says what failed.
    Problem {
        error: AppError,
        detail: Option<String>,
    },
    /// An answer the handler already made: a page that explains, or a redirect. (Boxed: a
    /// `Response` is large, and every `Result` carrying this error would be as large.)
    Answer(Box<Response>),
}

impl HttpError {
    /// Our side failed (the database, signing, a provider); `detail` is logged, never shown.
    pub fn unavailable(detail: impl std::fmt::Display) -> Self {
        HttpError(Inner::Problem {
            error: AppError::Unavailable,
            detail: Some(detail.to_string()),
        })
    }

    /// No such thing for this operator (or it belongs to another).
    pub fn not_found() -> Self {
        AppError::NotFound.into()
    }

    /// The signed-in staff member's role does not allow this.
    pub fn forbidden() -> Self {
        AppError::Forbidden.into()
    }

    /// The dashboard needs a (live) session.
    pub fn sign_in() -> Self {
        AppError::SignIn.into()
    }

    /// A finished answer that stops the handler: a page that explains, a redirect.
    pub fn answer(res: Response) -> Self {
        HttpError(Inner::Answer(Box::new(res)))
    }

    /// Logs what failed, once, when the answer is made.
    fn log(&self) {
        if let Inner::Problem {
            error,
            detail: Some(detail),
        } = &self.0
        {
            tracing::error!(error = %detail, kind = ?error, "request failed");
        }
    }
}

/// The status each of the product's errors answers with (server functions' too).
pub fn status(error: &AppError) -> StatusCode {
    match error {
        AppError::BadRequest => StatusCode::BAD_REQUEST,
        AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        AppError::SignIn => StatusCode::UNAUTHORIZED,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::NotFound => StatusCode::NOT_FOUND,
    }
}

impl From<AppError> for HttpError {
    fn from(error: AppError) -> Self {
        HttpError(Inner::Problem {
            error,
            detail: None,
        })
    }
}

impl From<StoreError> for HttpError {
    fn from(err: StoreError) -> Self {
        HttpError::unavailable(err)
    }
}

impl From<LinkError> for HttpError {
    fn from(err: LinkError) -> Self {
        HttpError::unavailable(err)
    }
}

impl From<WalletError> for HttpError {
    fn from(err: WalletError) -> Self {
        HttpError::unavailable(err)
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        self.log();
        match self.0 {
            Inner::Answer(res) => *res,
            Inner::Problem { error, .. } => match error {
                AppError::Unavailable => unavailable_page(),
                AppError::SignIn => crate::see_other("/admin/login?error=expired"),
                AppError::NotFound => page(status(&error), "Not found", error.to_string()),
                AppError::Forbidden => page(status(&error), "Admins only", error.to_string()),
                AppError::BadRequest => page(status(&error), "Bad request", error.to_string()),
            },
        }
    }
}

/// [`HttpError`] for machine clients: the status code alone, no page.
pub struct Plain(HttpError);

impl<E: Into<HttpError>> From<E> for Plain {
    fn from(err: E) -> Self {
        Plain(err.into())
    }
}

impl IntoResponse for Plain {
    fn into_response(self) -> Response {
        self.0.log();
        match self.0 .0 {
            Inner::Answer(res) => *res,
            Inner::Problem { error, .. } => status(&error).into_response(),
        }
    }
}

/// The outage page: the database or a provider failed, the member can try again.
fn unavailable_page() -> Response {
    html(
        StatusCode::SERVICE_UNAVAILABLE,
        view! {
            <ProblemDocument title="Temporarily unavailable">
                "Something went wrong on our side. Please go back and try again in a moment."
            </ProblemDocument>
        },
    )
}

/// The answer when a handler panicked (the request's other layers still apply).
pub fn panic_page() -> Response {
    html(
        StatusCode::INTERNAL_SERVER_ERROR,
        view! {
            <ProblemDocument title="Something went wrong">
                {AppError::Unavailable.to_string()}
            </ProblemDocument>
        },
    )
}

/// A dashboard page with a title and a sentence (text, or a view with a link), and the way back.
pub fn page(status: StatusCode, title: &str, body: impl IntoView + 'static) -> Response {
    html(
        status,
        view! { <ProblemDocument title=title dashboard=true>{body}</ProblemDocument> },
    )
}

/// A page rendered by Leptos, which escapes what it shows.
fn html(status: StatusCode, page: impl IntoView) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page.to_html(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(res: Response) -> (StatusCode, String) {
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn an_outage_is_the_page_for_people_and_the_status_for_machines() {
        let (status, page) = body(HttpError::unavailable("db down").into_response()).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(page.contains("Temporarily unavailable") && !page.contains("db down"));
        let plain = Plain::from(StoreError::Conflict("thing")).into_response();
        let (status, text) = body(plain).await;
        assert_eq!(
            (status, text.as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, "")
        );
    }

    #[tokio::test]
    async fn dashboard_problems_use_the_apps_words() {
        let (status, page) = body(HttpError::not_found().into_response()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(page.contains(&AppError::NotFound.to_string()));
        let (status, page) = body(HttpError::forbidden().into_response()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(page.contains("<h1>Admins only</h1>"));
        let res = HttpError::sign_in().into_response();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            res.headers()[header::LOCATION],
            "/admin/login?error=expired"
        );
    }

    #[tokio::test]
    async fn the_panic_page_says_what_server_functions_say() {
        let (status, page) = body(panic_page()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            page.contains("<p>Something went wrong on our side. Please try again in a moment.</p>")
        );
    }

    #[tokio::test]
    async fn a_dashboard_page_escapes_what_it_shows() {
        let (status, html) =
            body(page(StatusCode::FORBIDDEN, "<b>title</b>", "a & <i>b</i>")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(
            html.starts_with("<!DOCTYPE html><html lang=\"en\">"),
            "{html}"
        );
        assert!(html.contains("<h1>&lt;b&gt;title&lt;/b&gt;</h1>"), "{html}");
        assert!(
            html.contains("<p>a &amp; &lt;i&gt;b&lt;/i&gt;</p>"),
            "{html}"
        );
        assert!(
            html.contains("<link rel=\"stylesheet\" href=\"/admin.css\">"),
            "{html}"
        );
    }
}
