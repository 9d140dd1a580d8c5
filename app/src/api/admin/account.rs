//! The account page's server function.

use leptos::prelude::*;

use crate::types::admin::Admin;
use crate::types::AppError;

/// The account page: who is signed in (the page's form changes the password).
#[server(endpoint = "admin/account")]
pub async fn admin_account() -> Result<Admin<()>, AppError> {
    let (_, _, me) = super::ssr::session(false).await?;
    Ok(Admin { me, data: () })
}
