//! The dashboard's frame around every signed-in page: navigation, the flash banner, the CSRF field.

use leptos::prelude::*;
use leptos_meta::{Stylesheet, Title};

use super::query;
use crate::types::admin::{flash, Me};

/// The `?done=` / `?error=` banner after a form.
#[component]
fn Flash() -> impl IntoView {
    let code = {
        let done = query("done");
        if done.is_empty() {
            query("error")
        } else {
            done
        }
    };
    flash(&code).map(|(ok, text)| {
        let class = if ok { "notice notice-ok" } else { "notice notice-error" };
        view! { <p class=class role=if ok { "status" } else { "alert" } data-testid="flash">{text}</p> }
    })
}

#[component]
pub(super) fn Csrf(me: Me) -> impl IntoView {
    view! { <input type="hidden" name="csrf" value=me.csrf/> }
}

/// The dashboard's frame: navigation, who is signed in, sign out.
#[component]
pub(super) fn Layout(
    me: Me,
    current: &'static str,
    title: String,
    children: Children,
) -> impl IntoView {
    let link = move |href: &'static str, key: &'static str, label: &'static str| {
        view! {
            <a href=href aria-current=if current == key { Some("page") } else { None }>{label}</a>
        }
    };
    let admin_links = me.is_admin.then(|| {
        view! {
            {link("/admin/settings", "settings", "Settings")}
            {link("/admin/staff", "staff", "Staff")}
            {link("/admin/security", "security", "Sign-in")}
            {link("/admin/api-keys", "api-keys", "API keys")}
            {link("/admin/webhooks", "webhooks", "Webhooks")}
            {link("/admin/audit", "audit", "Audit log")}
        }
    });
    view! {
        <Title text=format!("{title} · {} · elumo pass", me.operator)/>
        <Stylesheet href="/admin.css"/>
        <div class="admin">
            <header class="admin-header">
                <a class="admin-brand" href="/admin">{me.operator.clone()} <span>" dashboard"</span></a>
                <nav aria-label="Dashboard">
                    {link("/admin", "journeys", "Journeys")}
                    {link("/admin/funnel", "funnel", "Funnel")}
                    {link("/admin/members", "members", "Members")}
                    {link("/admin/invites", "invites", "Invites")}
                    {link("/admin/messages", "messages", "Messages")}
                    {admin_links}
                </nav>
                <form method="post" action="/admin/logout" class="admin-signout">
                    <Csrf me=me.clone()/>
                    <a class="admin-who" href="/admin/account" title="Your account"
                       aria-current=if current == "account" { Some("page") } else { None }>{me.email.clone()}</a>
                    <button type="submit" class="button small">"Sign out"</button>
                </form>
            </header>
            <main class="admin-main" id="main">
                <h1>{title}</h1>
                {me.webhook_notice.clone().map(|text| view! {
                    <p class="notice notice-error" role="status" data-testid="webhook-notice">{text}</p>
                })}
                {me.sms_budget.clone().map(|text| view! {
                    <p class="notice notice-error" role="status" data-testid="sms-budget">{text}</p>
                })}
                <Flash/>
                {children()}
            </main>
        </div>
    }
}
