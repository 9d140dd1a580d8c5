//! Invites: the URL an operator prints as a QR code (a site poster) or sends to one member.

use crate::store::{now_ms, NewInvite, SqlInvite, SqlOperator, SqlSite, Store, StoreError};
use crate::tokens::{looks_like_token, Token};

#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    #[error("there is no operator {0:?}")]
    NoOperator(String),
    #[error("operator {operator:?} has no site {site:?}")]
    NoSite { operator: String, site: String },
    #[error("operator {operator:?} has no member with external id {member:?}")]
    NoMember { operator: String, member: String },
    #[error("an invite lasts between 1 and 366 days")]
    BadLifetime,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct NewInviteRequest<'a> {
    pub operator_slug: &'a str,
    pub site: Option<&'a str>,
    /// A member invite (sent by email); else a site invite (a printed poster).
    pub member_external_id: Option<&'a str>,
    pub days: i64,
}

/// Creates an invite and returns its URL on `public_url`. Only the token's hash is stored, so
/// this is the one moment the URL can be shown.
pub async fn create(
    store: &Store,
    public_url: &str,
    req: &NewInviteRequest<'_>,
) -> Result<String, InviteError> {
    if !(1..=366).contains(&req.days) {
        return Err(InviteError::BadLifetime);
    }
    let operator = store
        .operator_by_slug(req.operator_slug)
        .await?
        .ok_or_else(|| InviteError::NoOperator(req.operator_slug.to_owned()))?;
    let site_id = match req.site {
        Some(name) => Some(
            store
                .site_by_name(operator.id, name)
                .await?
                .ok_or_else(|| InviteError::NoSite {
                    operator: operator.slug.clone(),
                    site: name.to_owned(),
                })?
                .id,
        ),
        None => None,
    };
    let member_id = match req.member_external_id {
        Some(ext) => Some(
            store
                .member_by_external_id(operator.id, ext)
                .await?
                .ok_or_else(|| InviteError::NoMember {
                    operator: operator.slug.clone(),
                    member: ext.to_owned(),
                })?
                .id,
        ),
        None => None,
    };
    let created = create_for(store, public_url, operator.id, site_id, member_id, req.days).await?;
    Ok(created.url)
}

/// A new invite: its id, and its URL (the one moment it can be shown, unless it is printed).
pub struct Created {
    pub id: i64,
    pub url: String,
}

/// Creates an invite of an operator by ids (the caller checked they are the operator's). A site
/// invite (no member) is printed for anyone to see, so its token is kept for its poster; a
/// member invite keeps only the hash.
pub async fn create_for(
    store: &Store,
    public_url: &str,
    operator_id: i64,
    site_id: Option<i64>,
    member_id: Option<i64>,
    days: i64,
) -> Result<Created, InviteError> {
    if !(1..=366).contains(&days) {
        return Err(InviteError::BadLifetime);
    }
    let token = Token::generate(16);
    let id = store
        .insert_invite(&NewInvite {
            operator_id,
            site_id,
            member_id,
            token_hash: &token.hash(),
            channel: if member_id.is_some() {
                "email"
            } else {
                "print"
            },
            expires_at: now_ms() + days * 24 * 3_600_000,
        })
        .await?;
    if member_id.is_none() {
        store.set_print_token(id, token.expose(), None).await?;
    }
    Ok(Created {
        id,
        url: format!("{public_url}/i/{}", token.expose()),
    })
}

/// Why an invite cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteProblem {
    Unknown,
    Expired,
}

pub struct OpenedInvite {
    /// The invite's token, as its URL carries it.
    pub token: String,
    pub invite: SqlInvite,
    pub operator: SqlOperator,
    pub site: Option<SqlSite>,
}

/// Finds a usable invite by the token from its URL.
pub async fn find_invite(
    store: &Store,
    token: &str,
) -> Result<Result<OpenedInvite, InviteProblem>, StoreError> {
    if !looks_like_token(token) {
        return Ok(Err(InviteProblem::Unknown));
    }
    let Some(invite) = store
        .invite_by_token_hash(&Token::from_user(token).hash())
        .await?
    else {
        return Ok(Err(InviteProblem::Unknown));
    };
    if invite.revoked_at.is_some() || invite.expires_at <= now_ms() {
        return Ok(Err(InviteProblem::Expired));
    }
    let Some(operator) = store.operator(invite.operator_id).await? else {
        return Ok(Err(InviteProblem::Unknown));
    };
    let site = match invite.site_id {
        Some(id) => store.site(id).await?,
        None => None,
    };
    Ok(Ok(OpenedInvite {
        token: token.to_owned(),
        invite,
        operator,
        site,
    }))
}
