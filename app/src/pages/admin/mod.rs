//! The operator dashboard under `/admin`: server-rendered pages over the admin server functions;
//! every form posts to a route of the server crate with the session's CSRF token and comes back
//! here with `?done=` or `?error=`.

mod account;
mod api_keys;
mod audit;
mod funnel;
mod invites;
mod journey;
mod journeys;
mod layout;
mod member;
mod members;
mod messages;
mod mfa;
mod parts;
mod poster;
mod reset;
mod security;
mod settings;
mod sign_in;
mod staff;
mod webhooks;

pub use account::AdminAccountPage;
pub use api_keys::AdminApiKeysPage;
pub use audit::AdminAuditPage;
pub use funnel::AdminFunnelPage;
pub use invites::AdminInvitesPage;
pub use journey::AdminJourneyPage;
pub use journeys::AdminJourneysPage;
pub use member::AdminMemberPage;
pub use members::AdminMembersPage;
pub use messages::AdminMessagesPage;
pub use mfa::AdminMfaPage;
pub use parts::REVOKE_CONFIRM;
pub use poster::AdminPosterPage;
pub use reset::AdminResetPage;
pub use security::AdminSecurityPage;
pub use settings::AdminSettingsPage;
pub use sign_in::AdminLoginPage;
pub use staff::AdminStaffPage;
pub use webhooks::{AdminWebhookPage, AdminWebhooksPage};

use leptos::prelude::*;
use leptos_meta::{Stylesheet, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

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
