//! The second factor's page's server function: the signed-in staff member's own (a session
//! restricted to setting one up may read it).

use leptos::prelude::*;

use crate::types::admin::{Admin, MfaView};
use crate::types::AppError;

#[server(endpoint = "admin/mfa")]
pub async fn admin_mfa() -> Result<Admin<MfaView>, AppError> {
    let (state, s, me) = super::ssr::session_enrolling().await?;
    let status = super::ssr::found(domain::mfa::status(&state, &s).await?)?;
    let setup = domain::mfa::pending_enrolment(&state, &s).await?;
    let data = MfaView {
        enabled_since: status.enabled_at.map(crate::admin::views::fmt_time),
        recovery_left: status.recovery_left,
        required: status.required,
        setup_secret: setup.as_ref().map(|e| e.secret.clone()),
        setup_qr_svg: setup.and_then(|e| e.qr_svg),
    };
    Ok(Admin { me, data })
}
