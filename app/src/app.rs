//! The HTML shell and the routes.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::pages::admin::*;
use crate::pages::{HomePage, NotFoundPage, PhonePage, SentPage, WalletPage};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="theme-color" content="#1f4fd1"/>
                <link rel="stylesheet" href="/pkg/elumo-pass.css"/>
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
                <Route path=path!("/admin/invites/:id/poster") view=AdminPosterPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/settings") view=AdminSettingsPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/staff") view=AdminStaffPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/audit") view=AdminAuditPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/account") view=AdminAccountPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/reset/:token") view=AdminResetPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}
