//! The HTML shell and the routes.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::pages::admin::*;
use crate::pages::{HomePage, NotFoundPage, PhonePage, SentPage, WalletPage};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::first_load::send_preload_links(&options);
    let style = stylesheet(&options);
    // The member pages say their language themselves (`PageLang`); the rest is English.
    let lang = (!member_page()).then_some("en");
    view! {
        <!DOCTYPE html>
        <html lang=lang>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="theme-color" content="#1f4fd1"/>
                {style}
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// A member page (`/i/…`, `/l/…`): it sets `<html lang>` to its own language.
pub(crate) fn member_page() -> bool {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>().is_some_and(|parts| {
            let path = parts.uri.path();
            (path.starts_with("/i/") || path.starts_with("/l/")) && !path.contains("/api/")
        })
    }
    #[cfg(not(feature = "ssr"))]
    {
        false
    }
}

/// The member pages carry their stylesheet inline, under the response's CSP nonce; the dashboard
/// links it (see `first_load`).
fn stylesheet(options: &LeptosOptions) -> AnyView {
    #[cfg(feature = "ssr")]
    {
        use crate::first_load;
        let path = use_context::<http::request::Parts>().map(|parts| parts.uri.path().to_owned());
        if let Some(css) = path
            .filter(|path| first_load::inlines_style(path))
            .and_then(|_| first_load::stylesheet(options))
        {
            return view! { <style nonce=leptos::nonce::use_nonce() inner_html=css></style> }
                .into_any();
        }
    }
    let href = format!("/{}/{}.css", options.site_pkg_dir, options.output_name);
    view! { <link rel="stylesheet" href=href/> }.into_any()
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Router>
            <Routes fallback=NotFoundPage>
                <Route path=path!("/") view=HomePage/>
                <Route path=path!("/i/:token") view=PhonePage ssr=SsrMode::Async/>
                <Route path=path!("/i/:token/sent") view=SentPage ssr=SsrMode::Async/>
                <Route path=path!("/l/:token") view=WalletPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/login") view=AdminLoginPage/>
                <Route path=path!("/admin") view=AdminJourneysPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/journeys/:id") view=AdminJourneyPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/funnel") view=AdminFunnelPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/members") view=AdminMembersPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/members/:id") view=AdminMemberPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/invites") view=AdminInvitesPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/messages") view=AdminMessagesPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/invites/:id/poster") view=AdminPosterPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/settings") view=AdminSettingsPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/staff") view=AdminStaffPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/api-keys") view=AdminApiKeysPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/webhooks") view=AdminWebhooksPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/webhooks/:id") view=AdminWebhookPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/security") view=AdminSecurityPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/audit") view=AdminAuditPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/account") view=AdminAccountPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/account/mfa") view=AdminMfaPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/reset/:token") view=AdminResetPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}
