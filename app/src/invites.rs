//! Invites: the URL an operator prints as a QR code (a site poster) or sends to one member.

use crate::store::{now_ms, NewInvite, Store, StoreError};
use crate::tokens::Token;

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
    let token = Token::generate(16);
    store
        .insert_invite(&NewInvite {
            operator_id: operator.id,
            site_id,
            member_id,
            token_hash: &token.hash(),
            channel: if member_id.is_some() {
                "email"
            } else {
                "print"
            },
            expires_at: now_ms() + req.days * 24 * 3_600_000,
        })
        .await?;
    Ok(format!("{public_url}/i/{}", token.expose()))
}
