//! One member's server function.

use leptos::prelude::*;

use crate::types::admin::{Admin, MemberDetail};
use crate::types::AppError;

#[server(endpoint = "admin/member")]
pub async fn admin_member(id: i64) -> Result<Admin<MemberDetail>, AppError> {
    let (state, s, me) = super::ssr::session(false).await?;
    let data =
        super::ssr::found(crate::admin::views::member(&state.store, s.operator_id, id).await?)?;
    Ok(Admin { me, data })
}
