//! What the operator dashboard's forms do, on the server: each action is scoped to the session's
//! operator, written to the audit log, and answers with a code the page turns into a sentence
//! (`app::types::admin::flash`). The forms' routes are `server/src/admin.rs`; the pages, as data,
//! `app/src/admin/views`; passwords after sign-up, `passwords`.

pub mod passwords;

use std::collections::HashMap;

use crate::mail::Mail;
use crate::state::AppState;
use crate::store::{now_ms, SqlOperator, StoreError};
use crate::tokens::Token;

use crate::kinds::Event;
use crate::staff as auth;
use crate::staff::Role;
pub use crate::staff::Session;

/// A form's fields.
pub type Form = HashMap<String, String>;

fn field<'a>(form: &'a Form, name: &str) -> &'a str {
    form.get(name).map(|s| s.trim()).unwrap_or("")
}

/// Texts the journey's member a fresh link (the previous one stops working).
pub async fn resend_link(
    state: &AppState,
    s: &Session,
    public_id: &str,
    ip: &str,
) -> Result<Option<&'static str>, StoreError> {
    let store = &state.store;
    let Some(row) = store.journey_row(s.operator_id, public_id).await? else {
        return Ok(None);
    };
    let Some(member_id) = row.member_id else {
        return Ok(Some("cannot-resend"));
    };
    let (Some(member), Some(op), Some(journey)) = (
        store.member(member_id).await?,
        store.operator(s.operator_id).await?,
        store.journey(row.id).await?,
    ) else {
        return Ok(None);
    };
    let Some(mobile) = member.mobile_e164.clone().filter(|_| member.active) else {
        return Ok(Some("no-mobile"));
    };
    if crate::links::queue_link(state, &journey, &op, Some(member.id), &mobile)
        .await?
        .is_err()
    {
        return Ok(Some("limited"));
    }
    store
        .append_event(journey.id, None, Event::LinkResent.as_str(), &s.email)
        .await?;
    s.audit(
        state,
        "link_resent",
        &format!("journey {public_id}"),
        &crate::phone::mask(&mobile),
        ip,
    )
    .await?;
    Ok(Some("resent"))
}

/// Voids a member's passes (one platform or both); wallets hear of it through the update queue.
pub async fn revoke_passes(
    state: &AppState,
    s: &Session,
    member_id: i64,
    platform: Option<&str>,
    ip: &str,
) -> Result<Option<&'static str>, StoreError> {
    let Some(member) = state.store.member_row(s.operator_id, member_id).await? else {
        return Ok(None);
    };
    let why = format!("revoked by {}", s.email);
    let voided = void_passes(state, s, &member, platform, &why).await?;
    if voided.is_empty() {
        return Ok(Some("nothing-to-revoke"));
    }
    s.audit(
        state,
        "pass_revoked",
        &format!("member {}", member.external_id),
        &voided.join(", "),
        ip,
    )
    .await?;
    Ok(Some("revoked"))
}

/// The member's phone is lost: every pass of theirs is voided at once (the devices holding it
/// are pushed its voided state, and a generated credential is revoked in the access system's
/// feed, by the void itself); with `invite`, a new invite is emailed in the same step, so the
/// member can add a new pass on a new phone.
pub async fn phone_lost(
    state: &AppState,
    s: &Session,
    member_id: i64,
    invite: bool,
    confirmed: bool,
    ip: &str,
) -> Result<Option<&'static str>, StoreError> {
    let store = &state.store;
    let Some(member) = store.member_row(s.operator_id, member_id).await? else {
        return Ok(None);
    };
    if !confirmed {
        return Ok(Some("confirm-lost"));
    }
    let why = format!("phone reported lost by {}", s.email);
    let voided = void_passes(state, s, &member, None, &why).await?;
    s.audit(
        state,
        "phone_lost",
        &format!("member {}", member.external_id),
        &if voided.is_empty() {
            "no live pass".to_owned()
        } else {
            format!("voided {}", voided.join(", "))
        },
        ip,
    )
    .await?;
    if !invite {
        return Ok(Some(if voided.is_empty() {
            "nothing-to-revoke"
        } else {
            "phone-lost"
        }));
    }
    let Some(op) = store.operator(s.operator_id).await? else {
        return Ok(None);
    };
    if member.email.as_deref().unwrap_or("").is_empty() {
        return Ok(Some("phone-lost-no-email"));
    }
    let created = match crate::invites::create_for(
        store,
        &state.config.http.public_url,
        s.operator_id,
        None,
        Some(member.id),
        op.invite_days,
    )
    .await
    {
        Ok(c) => c,
        Err(crate::invites::InviteError::Store(e)) => return Err(e),
        Err(_) => return Ok(Some("bad-days")),
    };
    let sent = email_member_invite(state, &op, &member, &created.url, op.invite_days).await;
    if sent {
        store.mark_invite_sent(created.id).await?;
    }
    s.audit(
        state,
        "invite_created",
        &format!("invite {}", created.id),
        &format!("member {} by email, after a lost phone", member.external_id),
        ip,
    )
    .await?;
    Ok(Some(if sent {
        "phone-lost-invite-sent"
    } else {
        "mail-failed"
    }))
}

/// Sends the messages form's message to the passes it names (`to`: `all`, `site:<id>` or
/// `member:<id>`, each of the signed-in operator). `None` for another operator's site or member.
pub async fn send_message(
    state: &AppState,
    s: &Session,
    form: &Form,
    ip: &str,
) -> Result<Option<&'static str>, StoreError> {
    use crate::messages::Refusal;
    use crate::store::MessageScope;
    let store = &state.store;
    let to = field(form, "to");
    let site;
    let (scope, target) = match to.split_once(':') {
        None if to == "all" || to.is_empty() => (MessageScope::Everyone, "every holder".to_owned()),
        Some(("site", id)) => {
            let Some(found) = store.site(id.parse().unwrap_or(-1)).await? else {
                return Ok(None);
            };
            if found.operator_id != s.operator_id {
                return Ok(None);
            }
            site = found.name;
            (MessageScope::Site(&site), format!("site {site}"))
        }
        Some(("member", id)) => {
            let Some(member) = store
                .member_row(s.operator_id, id.parse().unwrap_or(-1))
                .await?
            else {
                return Ok(None);
            };
            (
                MessageScope::Member(member.id),
                format!("member {}", member.external_id),
            )
        }
        _ => return Ok(None),
    };
    let sent =
        crate::messages::send(store, s.operator_id, scope, field(form, "body"), &s.email).await?;
    let back = match sent {
        Ok(m) => {
            s.audit(
                state,
                "message_sent",
                &target,
                &format!("{} passes: {}", m.passes, m.body),
                ip,
            )
            .await?;
            "message-sent"
        }
        Err(Refusal::Empty) => "message-empty",
        Err(Refusal::TooLong) => "message-too-long",
        Err(Refusal::NoPasses) => "message-no-passes",
    };
    Ok(Some(back))
}

/// Voids the member's live passes of `platform` (both when `None`), each with a timeline
/// entry saying `why`. Returns the platforms voided.
async fn void_passes(
    state: &AppState,
    s: &Session,
    member: &crate::store::SqlMemberRow,
    platform: Option<&str>,
    why: &str,
) -> Result<Vec<String>, StoreError> {
    let store = &state.store;
    let mut voided = Vec::new();
    for pass in store.wallet_passes_for_member(member.id).await? {
        if pass.operator_id != s.operator_id || platform.is_some_and(|p| p != pass.platform) {
            continue;
        }
        if store.void_wallet_pass(pass.id).await? {
            voided.push(pass.platform.clone());
            crate::webhooks::emit(
                store,
                Some(&state.webhooks_wake),
                s.operator_id,
                crate::webhooks::EventType::PassVoided,
                serde_json::json!({
                    "pass_id": pass.id,
                    "platform": pass.platform,
                    "serial": pass.serial,
                    "member_external_id": member.external_id,
                    "reason": why,
                }),
            )
            .await;
            if let Some(j) = store.latest_journey_for_member(member.id).await? {
                store
                    .append_event(
                        j,
                        None,
                        Event::pass_changed(&pass.platform, true).as_str(),
                        why,
                    )
                    .await?;
            }
        }
    }
    Ok(voided)
}

/// The invite email in `lang`: its subject and body.
fn invite_mail(
    lang: &str,
    op: &SqlOperator,
    first_name: &str,
    url: &str,
    days: i64,
) -> (String, String) {
    use crate::i18n::{number, t, text};
    let operator = [("operator", text(&op.name))];
    let body = t(
        lang,
        "mail-body",
        &[
            ("operator", text(&op.name)),
            ("name", text(first_name)),
            ("url", text(url)),
            ("days", number(days)),
        ],
    );
    let support = match (&op.support_email, &op.support_phone) {
        (Some(e), _) => t(lang, "mail-support-email", &[("email", text(e))]),
        (None, Some(p)) => t(lang, "mail-support-phone", &[("phone", text(p))]),
        _ => String::new(),
    };
    (
        t(lang, "mail-subject", &operator),
        format!("{body}\n\n{support}"),
    )
}

pub(crate) async fn email_member_invite(
    state: &AppState,
    op: &SqlOperator,
    member: &crate::store::SqlMemberRow,
    url: &str,
    days: i64,
) -> bool {
    let Some(email) = member.email.as_deref().filter(|e| !e.is_empty()) else {
        return false;
    };
    // The member's language from the CRM, else the operator's default.
    let language = match state.store.member(member.id).await {
        Ok(found) => found.and_then(|m| m.language),
        Err(_) => None,
    };
    let lang = crate::i18n::choose(
        crate::i18n::Asked {
            member: language.as_deref(),
            ..Default::default()
        },
        &op.languages,
        &op.default_language,
    );
    let (subject, body) = invite_mail(lang, op, &member.first_name, url, days);
    let mail = Mail {
        to_name: &format!("{} {}", member.first_name, member.last_name),
        to_email: email,
        subject: &subject,
        body,
    };
    match state.mailer.send(&state.config.mail.from, &mail).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "invite email failed");
            false
        }
    }
}

/// Creates invites from the invites form: `kind` = `member` (one or several `member` fields,
/// emailed) or `poster` (a site's printed QR code). Returns the code and the poster's id.
pub async fn create_invites(
    state: &AppState,
    s: &Session,
    form: &Form,
    members: &[i64],
    ip: &str,
) -> Result<(&'static str, Option<i64>), StoreError> {
    let store = &state.store;
    let Some(op) = store.operator(s.operator_id).await? else {
        return Ok(("bad-name", None));
    };
    let days = match field(form, "days") {
        "" => op.invite_days,
        d => match d.parse::<i64>() {
            Ok(d) if (1..=366).contains(&d) => d,
            _ => return Ok(("bad-days", None)),
        },
    };
    let site_id = match field(form, "site").parse::<i64>() {
        Ok(id) => match store.site(id).await? {
            Some(site) if site.operator_id == s.operator_id => Some(id),
            _ => return Ok(("bad-number", None)),
        },
        Err(_) => None,
    };
    let public_url = &state.config.http.public_url;
    if field(form, "kind") == "poster" {
        let created =
            match crate::invites::create_for(store, public_url, s.operator_id, site_id, None, days)
                .await
            {
                Ok(c) => c,
                Err(crate::invites::InviteError::Store(e)) => return Err(e),
                Err(_) => return Ok(("bad-days", None)),
            };
        let label = field(form, "label");
        if !label.is_empty() {
            store
                .set_print_token(
                    created.id,
                    created.url.rsplit('/').next().unwrap_or_default(),
                    Some(label),
                )
                .await?;
        }
        s.audit(
            state,
            "invite_created",
            &format!("invite {}", created.id),
            "site poster",
            ip,
        )
        .await?;
        return Ok(("invite-created", Some(created.id)));
    }
    if members.is_empty() {
        return Ok(("choose-members", None));
    }
    let mut sent = 0;
    let mut failed = 0;
    for &member_id in members {
        let Some(member) = store.member_row(s.operator_id, member_id).await? else {
            continue;
        };
        if member.email.as_deref().unwrap_or("").is_empty() {
            failed += 1;
            continue;
        }
        let created = match crate::invites::create_for(
            store,
            public_url,
            s.operator_id,
            site_id,
            Some(member.id),
            days,
        )
        .await
        {
            Ok(c) => c,
            Err(crate::invites::InviteError::Store(e)) => return Err(e),
            Err(_) => return Ok(("bad-days", None)),
        };
        if email_member_invite(state, &op, &member, &created.url, days).await {
            store.mark_invite_sent(created.id).await?;
            sent += 1;
        } else {
            failed += 1;
        }
        s.audit(
            state,
            "invite_created",
            &format!("invite {}", created.id),
            &format!("member {} by email", member.external_id),
            ip,
        )
        .await?;
    }
    Ok(match (sent, failed) {
        (0, _) if members.len() == 1 => ("no-email", None),
        (_, 0) if sent == 1 => ("invite-sent", None),
        (_, 0) => ("invites-sent", None),
        _ => ("mail-failed", None),
    })
}

pub async fn revoke_invite(
    state: &AppState,
    s: &Session,
    id: i64,
    ip: &str,
) -> Result<Option<&'static str>, StoreError> {
    if !state.store.revoke_invite(s.operator_id, id).await? {
        return Ok(state
            .store
            .invite_row(s.operator_id, id)
            .await?
            .map(|_| "expired-invite"));
    }
    s.audit(state, "invite_revoked", &format!("invite {id}"), "", ip)
        .await?;
    Ok(Some("invite-revoked"))
}

/// Re-sends a member invite with a new link (the old one stops working) and a new expiry.
pub async fn resend_invite(
    state: &AppState,
    s: &Session,
    id: i64,
    ip: &str,
) -> Result<Option<&'static str>, StoreError> {
    let store = &state.store;
    let Some(invite) = store.invite_row(s.operator_id, id).await? else {
        return Ok(None);
    };
    let (Some(member_id), Some(op)) = (invite.member_id, store.operator(s.operator_id).await?)
    else {
        return Ok(Some("cannot-resend"));
    };
    let Some(member) = store.member_row(s.operator_id, member_id).await? else {
        return Ok(None);
    };
    let token = Token::generate(16);
    let days = op.invite_days;
    store
        .rotate_invite(
            s.operator_id,
            id,
            &token.hash(),
            now_ms() + days * 86_400_000,
        )
        .await?;
    let url = format!("{}/i/{}", state.config.http.public_url, token.expose());
    let ok = email_member_invite(state, &op, &member, &url, days).await;
    s.audit(
        state,
        "invite_resent",
        &format!("invite {id}"),
        &format!("member {}", member.external_id),
        ip,
    )
    .await?;
    Ok(Some(if ok { "invite-sent" } else { "mail-failed" }))
}

fn colour_ok(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit())
}

/// Saves the settings form (admins only; the caller checked the role).
/// `regions`: the countries the phone form offers (a page's list: the region and the text
/// countries must be among them).
pub async fn save_settings(
    state: &AppState,
    s: &Session,
    form: &Form,
    regions: &[&str],
    ip: &str,
) -> Result<&'static str, StoreError> {
    let store = &state.store;
    let Some(mut op) = store.operator(s.operator_id).await? else {
        return Ok("bad-name");
    };
    let name = field(form, "name");
    if name.is_empty() || name.chars().count() > 80 {
        return Ok("bad-name");
    }
    let (brand, accent) = (
        field(form, "brand_color").to_lowercase(),
        field(form, "accent_color").to_lowercase(),
    );
    if !colour_ok(&brand) || !colour_ok(&accent) {
        return Ok("bad-colour");
    }
    let region = field(form, "default_region").to_ascii_uppercase();
    if !regions.contains(&region.as_str()) {
        return Ok("bad-region");
    }
    let opt = |k: &str| Some(field(form, k).to_owned()).filter(|v| !v.is_empty());
    let (logo, support_url) = (opt("logo_url"), opt("support_url"));
    for url in [&logo, &support_url].into_iter().flatten() {
        if !url.starts_with("https://") && !url.starts_with('/') || url.len() > 500 {
            return Ok("bad-url");
        }
    }
    let support_email = opt("support_email");
    if support_email
        .as_deref()
        .is_some_and(|e| e.parse::<lettre::Address>().is_err())
    {
        return Ok("bad-email");
    }
    let number = |k: &str, lo: i64, hi: i64| {
        field(form, k)
            .parse::<i64>()
            .ok()
            .filter(|n| (lo..=hi).contains(n))
    };
    let (Some(link_minutes), Some(invite_days), Some(budget)) = (
        number("link_minutes", 1, 60),
        number("invite_days", 1, 366),
        number("sms_hourly_budget", 1, 1_000_000),
    ) else {
        return Ok("bad-number");
    };
    let mut countries = Vec::new();
    for code in field(form, "sms_countries")
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let code = code.to_ascii_uppercase();
        if !regions.contains(&code.as_str()) {
            return Ok("bad-countries");
        }
        countries.push(code);
    }
    op.name = name.to_owned();
    op.brand_color = brand;
    op.accent_color = accent;
    op.logo_url = logo;
    op.support_email = support_email;
    op.support_phone = opt("support_phone");
    op.support_url = support_url;
    op.default_region = region;
    op.strict_enumeration = field(form, "strict") == "on";
    op.sms_countries = countries.join(",");
    op.sms_hourly_budget = budget;
    if let Some(format) = crate::credentials::PayloadFormat::parse(field(form, "credential_format"))
    {
        op.credential_format = format.as_str().to_owned();
    }
    // A form from before the device rule leaves it as it is.
    if !field(form, "max_apple_devices").is_empty() {
        let Some(devices) = number("max_apple_devices", 1, crate::devices::MOST_APPLE_DEVICES)
        else {
            return Ok("bad-number");
        };
        op.max_apple_devices = devices;
    }
    // A form from before languages could be chosen leaves them as they are.
    if field(form, "languages_shown") == "1" {
        let chosen: Vec<&str> = crate::i18n::available()
            .into_iter()
            .filter(|tag| field(form, &format!("language-{tag}")) == "on")
            .collect();
        let Some(default) = crate::i18n::known(field(form, "default_language")) else {
            return Ok("bad-language");
        };
        if chosen.is_empty() || !chosen.contains(&default) {
            return Ok("bad-language");
        }
        op.languages = chosen.join(",");
        op.default_language = default.to_owned();
    }
    op.link_ttl_secs = Some(link_minutes * 60);
    op.invite_days = invite_days;
    store.update_operator_settings(&op).await?;
    // Names, colours and the credential's form show on passes: wallets fetch the new version.
    store.refresh_operator_passes(s.operator_id).await?;
    s.audit(state, "settings_saved", "settings", "", ip).await?;
    Ok("saved")
}

/// Saves where a site's door is (admins only; the caller checked the role): latitude and
/// longitude in decimal degrees, both or neither, and the entrance's name. `None` for a site
/// of another operator.
pub async fn save_site_location(
    state: &AppState,
    s: &Session,
    site_id: i64,
    form: &Form,
    ip: &str,
) -> Result<Option<&'static str>, StoreError> {
    let degrees = |k: &str, limit: f64| -> Result<Option<f64>, ()> {
        match field(form, k).replace(',', ".").trim() {
            "" => Ok(None),
            v => v
                .parse::<f64>()
                .ok()
                .filter(|d| d.is_finite() && d.abs() <= limit)
                .map(Some)
                .ok_or(()),
        }
    };
    let at = match (degrees("latitude", 90.0), degrees("longitude", 180.0)) {
        (Ok(Some(lat)), Ok(Some(lng))) => Some((lat, lng)),
        (Ok(None), Ok(None)) => None,
        _ => return Ok(Some("bad-location")),
    };
    let entrance = field(form, "entrance").trim();
    if entrance.chars().count() > 80 {
        return Ok(Some("bad-location"));
    }
    let entrance = Some(entrance).filter(|e| !e.is_empty());
    if !state
        .store
        .set_site_location(s.operator_id, site_id, at, entrance)
        .await?
    {
        return Ok(None);
    }
    let detail = match at {
        Some((lat, lng)) => format!("{lat}, {lng} {}", entrance.unwrap_or_default()),
        None => "location removed".to_owned(),
    };
    s.audit(
        state,
        "site_location_saved",
        &format!("site {site_id}"),
        detail.trim(),
        ip,
    )
    .await?;
    Ok(Some("site-saved"))
}

/// Adds a staff account to the signed-in admin's operator.
pub async fn add_staff(
    state: &AppState,
    s: &Session,
    form: &Form,
    ip: &str,
) -> Result<&'static str, StoreError> {
    let email = field(form, "email").to_lowercase();
    if email.parse::<lettre::Address>().is_err() {
        return Ok("bad-email");
    }
    let password = form.get("password").map(String::as_str).unwrap_or("");
    if auth::password_problem(password).is_some() {
        return Ok("weak-password");
    }
    let role = Role::parse(field(form, "role")).unwrap_or(Role::Staff);
    match state
        .store
        .create_staff(
            s.operator_id,
            &email,
            &auth::hash_password(password),
            role.as_str(),
        )
        .await
    {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => return Ok("duplicate-email"),
        Err(e) => return Err(e),
    }
    s.audit(state, "staff_added", &email, role.as_str(), ip)
        .await?;
    Ok("staff-added")
}

/// Changes a staff member's role, or disables or re-enables the account.
pub async fn update_staff(
    state: &AppState,
    s: &Session,
    id: i64,
    form: &Form,
    ip: &str,
) -> Result<Option<&'static str>, StoreError> {
    if id == s.staff_id {
        return Ok(Some("not-yourself"));
    }
    let role = Role::parse(field(form, "role"));
    let disable = field(form, "disabled") == "on";
    if !state
        .store
        .update_staff(s.operator_id, id, role.map(Role::as_str), disable)
        .await?
    {
        return Ok(None);
    }
    s.audit(
        state,
        "staff_updated",
        &format!("staff {id}"),
        &format!(
            "role {}{}",
            role.map(Role::as_str).unwrap_or("unchanged"),
            if disable { ", disabled" } else { "" }
        ),
        ip,
    )
    .await?;
    Ok(Some("staff-updated"))
}

/// Saves an uploaded pass image after checking it, or removes one; wallets are told.
pub async fn save_image(
    state: &AppState,
    s: &Session,
    kind: &str,
    png: Option<&[u8]>,
    ip: &str,
) -> Result<&'static str, StoreError> {
    if !crate::wallet::images::UPLOAD_KINDS.contains(&kind) {
        return Ok("image-kind");
    }
    let store = &state.store;
    match png {
        Some(bytes) => {
            let size = match crate::wallet::images::validate_upload(kind, bytes) {
                Ok(size) => size,
                Err(why) => return Ok(why.code()),
            };
            store
                .set_operator_image(s.operator_id, kind, bytes, size)
                .await?;
            s.audit(
                state,
                "image_uploaded",
                kind,
                &format!("{} × {} px", size.0, size.1),
                ip,
            )
            .await?;
        }
        None => {
            store.remove_operator_image(s.operator_id, kind).await?;
            s.audit(state, "image_removed", kind, "", ip).await?;
        }
    }
    store.refresh_operator_passes(s.operator_id).await?;
    Ok("image-saved")
}
