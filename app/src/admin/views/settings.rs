//! Settings, staff and the audit log.

use super::*;
use domain::store::{Store, StoreError};

pub async fn settings(
    store: &Store,
    operator_id: i64,
    default_link_secs: u64,
    public_url: &str,
) -> Result<Option<SettingsView>, StoreError> {
    let Some(op) = store.operator(operator_id).await? else {
        return Ok(None);
    };
    let minutes = op
        .link_ttl_secs
        .map(|s| s as u64)
        .unwrap_or(default_link_secs)
        .div_ceil(60);
    let enabled = domain::i18n::enabled(&op.languages);
    // A link as long as the real ones (43 characters of token).
    let url = format!("{public_url}/l/{}", "x".repeat(43));
    let languages = domain::i18n::available()
        .into_iter()
        .map(|tag| {
            let body = domain::links::sms_body(tag, &op.name, &url, minutes, public_url, "123456");
            let count = domain::sms::segments::count(&body);
            LanguageView {
                tag: tag.to_owned(),
                name: domain::i18n::t(tag, "language-name", &[]),
                enabled: enabled.contains(&tag),
                segments: count.segments,
                encoding: count.encoding.as_str().to_owned(),
                characters: count.units,
            }
        })
        .collect();
    Ok(Some(SettingsView {
        languages,
        default_language: op.default_language.clone(),
        name: op.name,
        brand_color: op.brand_color,
        accent_color: op.accent_color,
        logo_url: op.logo_url.unwrap_or_default(),
        support_email: op.support_email.unwrap_or_default(),
        support_phone: op.support_phone.unwrap_or_default(),
        support_url: op.support_url.unwrap_or_default(),
        default_region: op.default_region,
        link_minutes: op
            .link_ttl_secs
            .map(|s| s as u64)
            .unwrap_or(default_link_secs)
            .div_ceil(60) as i64,
        invite_days: op.invite_days,
        strict: op.strict_enumeration,
        sms_countries: op.sms_countries,
        sms_hourly_budget: op.sms_hourly_budget,
        credential_format: op.credential_format,
        max_apple_devices: op.max_apple_devices,
        images: store
            .operator_images(operator_id)
            .await?
            .into_iter()
            .map(|(kind, _)| kind)
            .collect(),
        sites: store
            .sites_of(operator_id)
            .await?
            .into_iter()
            .map(|s| SiteView {
                id: s.id,
                name: s.name,
                latitude: s.latitude.map(|d| d.to_string()).unwrap_or_default(),
                longitude: s.longitude.map(|d| d.to_string()).unwrap_or_default(),
                entrance: s.entrance.unwrap_or_default(),
            })
            .collect(),
    }))
}

pub async fn staff(store: &Store, operator_id: i64, me: i64) -> Result<Vec<StaffRow>, StoreError> {
    let with_mfa: Vec<i64> = store
        .mfa_overview(operator_id)
        .await?
        .into_iter()
        .filter(|m| m.totp_enabled_at.is_some())
        .map(|m| m.staff_id)
        .collect();
    Ok(store
        .staff_of(operator_id)
        .await?
        .into_iter()
        .map(|s| StaffRow {
            id: s.id,
            mfa: with_mfa.contains(&s.id),
            email: s.email,
            role: s.role,
            disabled: s.disabled_at.is_some(),
            created: fmt_time(s.created_at),
            is_me: s.id == me,
        })
        .collect())
}

pub async fn security(
    store: &Store,
    operator_id: i64,
    public_url: &str,
) -> Result<Option<SecurityView>, StoreError> {
    let Some(op) = store.operator(operator_id).await? else {
        return Ok(None);
    };
    let sso = store.sso_settings(operator_id).await?.unwrap_or_default();
    Ok(Some(SecurityView {
        slug: op.slug,
        issuer: sso.oidc_issuer.clone().unwrap_or_default(),
        client_id: sso.oidc_client_id.clone().unwrap_or_default(),
        secret_saved: sso
            .oidc_client_secret
            .as_deref()
            .is_some_and(|s| !s.is_empty()),
        require_sso: sso.require_sso,
        callback_url: domain::sso::redirect_uri(public_url),
        require_mfa: store.operator_requires_mfa(operator_id).await?,
    }))
}

fn endpoint_row(e: domain::store::SqlEndpoint) -> EndpointRow {
    let state = match (&e.disabled_at, &e.failing_since) {
        (Some(at), _) => format!(
            "Off since {}: {}",
            fmt_time(*at),
            e.disabled_reason.clone().unwrap_or_default()
        ),
        (None, Some(since)) => format!("Failing since {} (retrying)", fmt_time(*since)),
        (None, None) => "Active".to_owned(),
    };
    EndpointRow {
        id: e.id,
        events: domain::webhooks::events::split_events(&e.events)
            .into_iter()
            .map(|t| t.as_str().to_owned())
            .collect(),
        url: e.url,
        description: e.description,
        disabled: e.disabled_at.is_some(),
        state,
    }
}

pub async fn webhooks(store: &Store, operator_id: i64) -> Result<WebhooksView, StoreError> {
    Ok(WebhooksView {
        endpoints: store
            .endpoints_of(operator_id)
            .await?
            .into_iter()
            .map(endpoint_row)
            .collect(),
        allow_private: store.webhooks_allow_private(operator_id).await?,
        event_types: domain::webhooks::EventType::ALL
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect(),
    })
}

pub async fn webhook(
    store: &Store,
    operator_id: i64,
    id: i64,
) -> Result<Option<EndpointView>, StoreError> {
    let Some(e) = store.endpoint(operator_id, id).await? else {
        return Ok(None);
    };
    let deliveries = store
        .deliveries_of(operator_id, id, 50)
        .await?
        .into_iter()
        .map(|d| DeliveryRow {
            when: match (d.status.as_str(), d.delivered_at) {
                ("delivered", Some(at)) => format!("delivered {}", fmt_time(at)),
                ("queued", _) => format!("next attempt {}", fmt_time(d.next_attempt_at)),
                _ => String::new(),
            },
            id: d.id,
            event_type: d.event_type,
            message_id: d.message_id,
            status: d.status,
            attempts: d.attempts,
            status_code: d.last_status_code,
            latency_ms: d.last_latency_ms,
            error: d.last_error,
            created: fmt_time(d.created_at),
        })
        .collect();
    Ok(Some(EndpointView {
        endpoint: endpoint_row(e),
        deliveries,
    }))
}

pub async fn api_keys(store: &Store, operator_id: i64) -> Result<Vec<ApiKeyRow>, StoreError> {
    Ok(store
        .api_keys_of(operator_id)
        .await?
        .into_iter()
        .map(|k| ApiKeyRow {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            scopes: k.scopes,
            created_by: k.created_by,
            created: fmt_time(k.created_at),
            last_used: k.last_used_at.map(fmt_time),
            revoked: k.revoked_at.map(fmt_time),
        })
        .collect())
}

pub async fn audit(
    store: &Store,
    operator_id: i64,
    page: u32,
) -> Result<Vec<AuditRow>, StoreError> {
    let page = page.max(1) as i64;
    Ok(store
        .audit_entries(operator_id, 100, (page - 1) * 100)
        .await?
        .into_iter()
        .map(|a| AuditRow {
            at: fmt_time(a.at),
            actor: a.actor,
            action: a.action.replace('_', " "),
            target: a.target,
            detail: a.detail,
            ip: a.ip,
        })
        .collect())
}

/// `/admin/messages`: the form's choices and the messages sent, newest first.
pub async fn messages(
    store: &Store,
    operator_id: i64,
    member: Option<i64>,
) -> Result<MessagesView, StoreError> {
    let sites: Vec<(i64, String)> = store
        .sites_of(operator_id)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let mut sent = Vec::new();
    for m in store.holder_messages(operator_id, 50).await? {
        let to = match (&m.site_name, m.member_id) {
            (Some(site), _) => site.clone(),
            (None, Some(id)) => match store.member_row(operator_id, id).await? {
                Some(r) => format!("{} {}", r.first_name, r.last_name)
                    .trim()
                    .to_owned(),
                None => "A member".to_owned(),
            },
            (None, None) => "Every holder".to_owned(),
        };
        let plural = |n: i64, one: &str, many: &str| {
            if n == 1 {
                format!("1 {one}")
            } else {
                format!("{n} {many}")
            }
        };
        sent.push(MessageRow {
            at: fmt_time(m.created_at),
            by: m.sent_by,
            to,
            body: m.body,
            reach: format!(
                "{}: {} on an Apple device (pushed), {} notified",
                plural(m.passes, "pass", "passes"),
                m.apple_on_devices,
                plural(m.google_notified, "Google pass", "Google passes")
            ),
            quiet: (m.google_quiet > 0).then(|| {
                format!(
                    "{} had 3 notifying messages in the last 24 hours (Google's limit): it shows there without a notification.",
                    plural(m.google_quiet, "Google pass", "Google passes")
                )
            }),
        });
    }
    let member = match member {
        Some(id) => store.member_row(operator_id, id).await?.map(|r| {
            (
                r.id,
                format!("{} {}", r.first_name, r.last_name)
                    .trim()
                    .to_owned(),
            )
        }),
        None => None,
    };
    Ok(MessagesView {
        sites,
        sent,
        member,
    })
}
