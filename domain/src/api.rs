//! What the REST API changes, in the domain's terms: members upserted and deactivated as a CRM
//! sync would (so passes are voided and wallets told exactly as for a sync), invites created and
//! revoked, single passes voided. Every action is scoped to the key's operator and audited with
//! the key's name. The HTTP side (`server/src/api`) turns these answers into JSON.

use crate::api_keys::Caller;
use crate::crm::RawMember;
use crate::kinds::Event;
use crate::state::AppState;
use crate::store::{PageWrite, SqlMember, SqlOperator, StoreError};

/// A member as a client sends it for `PUT /v1/members/{external_id}`.
#[derive(Debug, Clone, Default)]
pub struct MemberInput {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    /// As typed: national numbers are read in the operator's default region.
    pub mobile: Option<String>,
    pub active: bool,
    pub language: Option<String>,
    /// Milliseconds.
    pub membership_ends: Option<i64>,
}

/// What an upsert did.
#[derive(Debug, Clone, PartialEq)]
pub enum Upserted {
    Created(SqlMember),
    Updated(SqlMember),
    Unchanged(SqlMember),
    /// The directory refused the record: why, in words for the client.
    Refused(String),
}

async fn write_member(
    state: &AppState,
    operator: &SqlOperator,
    raw: RawMember,
) -> Result<crate::store::PageResult, StoreError> {
    let (records, rejections) =
        crate::crm::engine::Checker::new(&operator.default_region).check(vec![raw]);
    state
        .store
        .write_sync_page(&PageWrite {
            operator_id: operator.id,
            source: "api",
            run_id: None,
            records: &records,
            rejections: &rejections,
            next_cursor: None,
            webhook_event: None,
            dry_run: false,
        })
        .await
}

/// Creates the member with this external id or updates it, as a CRM sync would.
pub async fn upsert_member(
    state: &AppState,
    caller: &Caller,
    external_id: &str,
    input: MemberInput,
    ip: &str,
) -> Result<Option<Upserted>, StoreError> {
    let Some(operator) = state.store.operator(caller.operator_id).await? else {
        return Ok(None);
    };
    let raw = RawMember {
        row_ref: format!("member {external_id}"),
        external_id: Some(external_id.to_owned()),
        first_name: Some(input.first_name),
        last_name: Some(input.last_name),
        email: input.email,
        mobile: input.mobile,
        active: Some(input.active),
        membership_ends: input.membership_ends,
        language: input.language,
        modified_at: Some(crate::store::now_ms()),
        carries_names: true,
        carries_email: true,
        ..Default::default()
    };
    let result = write_member(state, &operator, raw).await?;
    if let Some(problem) = result.problems.iter().find(|p| p.kind == "rejected") {
        return Ok(Some(Upserted::Refused(problem.reason.clone())));
    }
    let Some(member) = state
        .store
        .member_by_external_id(operator.id, external_id)
        .await?
    else {
        return Ok(None);
    };
    let what = if result.created > 0 {
        "created"
    } else if result.updated > 0 || result.deactivated > 0 {
        "updated"
    } else {
        "unchanged"
    };
    if what != "unchanged" {
        caller
            .as_session()
            .audit(
                state,
                &format!("member_{what}"),
                &format!("member {external_id}"),
                "by the REST API",
                ip,
            )
            .await?;
    }
    Ok(Some(match what {
        "created" => Upserted::Created(member),
        "updated" => Upserted::Updated(member),
        _ => Upserted::Unchanged(member),
    }))
}

/// Deactivates the member: their passes are voided and their links end, as when the CRM says a
/// member left. `None` when the operator has no such member.
pub async fn deactivate_member(
    state: &AppState,
    caller: &Caller,
    external_id: &str,
    ip: &str,
) -> Result<Option<SqlMember>, StoreError> {
    let store = &state.store;
    let (Some(operator), Some(known)) = (
        store.operator(caller.operator_id).await?,
        store
            .member_by_external_id(caller.operator_id, external_id)
            .await?,
    ) else {
        return Ok(None);
    };
    if known.active {
        let raw = RawMember {
            row_ref: format!("member {external_id}"),
            external_id: Some(external_id.to_owned()),
            first_name: Some(known.first_name.clone()),
            last_name: Some(known.last_name.clone()),
            email: known.email.clone(),
            mobile: known.mobile_e164.clone(),
            active: Some(false),
            modified_at: Some(crate::store::now_ms()),
            carries_names: true,
            carries_email: true,
            ..Default::default()
        };
        write_member(state, &operator, raw).await?;
        caller
            .as_session()
            .audit(
                state,
                "member_deactivated",
                &format!("member {external_id}"),
                "by the REST API",
                ip,
            )
            .await?;
    }
    store.member_by_external_id(operator.id, external_id).await
}

/// Voids one of the operator's passes. `None` when it is not theirs; `Some(false)` when it was
/// void already.
pub async fn void_pass(
    state: &AppState,
    caller: &Caller,
    pass_id: i64,
    ip: &str,
) -> Result<Option<bool>, StoreError> {
    let store = &state.store;
    let Some(pass) = store
        .wallet_pass(pass_id)
        .await?
        .filter(|p| p.operator_id == caller.operator_id)
    else {
        return Ok(None);
    };
    if !store.void_wallet_pass(pass.id).await? {
        return Ok(Some(false));
    }
    let member = store.member(pass.member_id).await?;
    crate::webhooks::emit(
        store,
        Some(&state.webhooks_wake),
        caller.operator_id,
        crate::webhooks::EventType::PassVoided,
        serde_json::json!({
            "pass_id": pass.id,
            "platform": pass.platform,
            "serial": pass.serial,
            "member_external_id": member.map(|m| m.external_id),
            "reason": format!("voided by {}", caller.actor()),
        }),
    )
    .await;
    if let Some(j) = store.latest_journey_for_member(pass.member_id).await? {
        store
            .append_event(
                j,
                None,
                Event::pass_changed(&pass.platform, true).as_str(),
                &format!("voided by {}", caller.actor()),
            )
            .await?;
    }
    caller
        .as_session()
        .audit(
            state,
            "pass_revoked",
            &format!("pass {}", pass.id),
            &pass.platform,
            ip,
        )
        .await?;
    Ok(Some(true))
}

/// Why an invite could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteRefusal {
    UnknownSite,
    UnknownMember,
    MemberHasNoEmail,
    BadLifetime,
}

/// An invite made through the API: its id and link (shown once: only its hash is kept, but a
/// poster's link stays printable), and whether its email went out.
pub struct NewInvite {
    pub id: i64,
    pub url: String,
    pub emailed: bool,
}

/// Makes a poster (no member) or a member's invite, emailed to the member when `email` says so.
pub async fn create_invite(
    state: &AppState,
    caller: &Caller,
    site_id: Option<i64>,
    member_external_id: Option<&str>,
    days: Option<i64>,
    email: bool,
    ip: &str,
) -> Result<Result<NewInvite, InviteRefusal>, StoreError> {
    let store = &state.store;
    let Some(op) = store.operator(caller.operator_id).await? else {
        return Ok(Err(InviteRefusal::UnknownSite));
    };
    if let Some(id) = site_id {
        match store.site(id).await? {
            Some(site) if site.operator_id == op.id => {}
            _ => return Ok(Err(InviteRefusal::UnknownSite)),
        }
    }
    let member = match member_external_id {
        Some(ext) => match store.member_by_external_id(op.id, ext).await? {
            Some(m) => match store.member_row(op.id, m.id).await? {
                Some(row) => Some(row),
                None => return Ok(Err(InviteRefusal::UnknownMember)),
            },
            None => return Ok(Err(InviteRefusal::UnknownMember)),
        },
        None => None,
    };
    if email
        && member
            .as_ref()
            .is_some_and(|m| m.email.as_deref().unwrap_or("").is_empty())
    {
        return Ok(Err(InviteRefusal::MemberHasNoEmail));
    }
    let days = days.unwrap_or(op.invite_days);
    let created = match crate::invites::create_for(
        store,
        &state.config.http.public_url,
        op.id,
        site_id,
        member.as_ref().map(|m| m.id),
        days,
    )
    .await
    {
        Ok(c) => c,
        Err(crate::invites::InviteError::Store(e)) => return Err(e),
        Err(_) => return Ok(Err(InviteRefusal::BadLifetime)),
    };
    let mut emailed = false;
    if let (Some(m), true) = (&member, email) {
        emailed = crate::dashboard::email_member_invite(state, &op, m, &created.url, days).await;
        if emailed {
            store.mark_invite_sent(created.id).await?;
        }
    }
    let detail = match &member {
        Some(m) if emailed => format!("member {} by email, by the REST API", m.external_id),
        Some(m) => format!("member {}, by the REST API", m.external_id),
        None => "site poster, by the REST API".to_owned(),
    };
    caller
        .as_session()
        .audit(
            state,
            "invite_created",
            &format!("invite {}", created.id),
            &detail,
            ip,
        )
        .await?;
    Ok(Ok(NewInvite {
        id: created.id,
        url: created.url,
        emailed,
    }))
}
