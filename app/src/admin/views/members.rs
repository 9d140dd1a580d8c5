//! The members list and one member.

use super::*;
use domain::phone;
use domain::store::{SqlMemberRow, Store, StoreError};

/// One member's row, its passes shown under the device rule `max`.
async fn member_view(store: &Store, max: i64, m: &SqlMemberRow) -> Result<MemberRow, StoreError> {
    let credentials = store
        .credentials_for_member(m.id)
        .await?
        .iter()
        .filter(|c| c.revoked_at.is_none())
        .map(|c| {
            format!(
                "{}:{} ({})",
                c.facility_code,
                c.card_number,
                if c.source == "physical_card" {
                    "physical card"
                } else {
                    "digital"
                }
            )
        })
        .collect();
    // The member's passes and devices, read once for both the list and the pass state.
    let rows = store.wallet_passes_for_member(m.id).await?;
    let devices = store.pass_devices_for_member(m.id).await?;
    let passes = rows.iter().map(|p| pass_view(p, &devices, max)).collect();
    let pass_state = domain::devices::PassState::of(&rows, &devices)
        .as_str()
        .to_owned();
    Ok(MemberRow {
        id: m.id,
        external_id: m.external_id.clone(),
        name: format!("{} {}", m.first_name, m.last_name)
            .trim()
            .to_owned(),
        email: m.email.clone(),
        mobile: m.mobile_e164.as_deref().map(phone::mask),
        active: m.active,
        source: m.source.clone(),
        synced: m.synced_at.map(fmt_time),
        problem: m.sync_problem.clone(),
        credentials,
        passes,
        pass_state,
    })
}

pub async fn members(
    store: &Store,
    operator_id: i64,
    q: &str,
    pass: &str,
    page: u32,
) -> Result<MemberList, StoreError> {
    let pass_state = domain::devices::PassState::parse(pass);
    let page = page.max(1);
    let search = q.trim();
    let search = if search.is_empty() {
        None
    } else {
        let digits: String = search.chars().filter(|c| c.is_ascii_digit()).collect();
        if search
            .chars()
            .all(|c| c.is_ascii_digit() || " +-()".contains(c))
            && !digits.is_empty()
        {
            Some(digits)
        } else {
            Some(search.chars().take(100).collect::<String>())
        }
    };
    let (rows, total) = store
        .member_rows(
            operator_id,
            search.as_deref(),
            pass_state,
            PAGE_SIZE,
            (page as i64 - 1) * PAGE_SIZE,
        )
        .await?;
    let max = device_rule(store, operator_id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for m in &rows {
        out.push(member_view(store, max, m).await?);
    }
    Ok(MemberList {
        rows: out,
        total,
        page,
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1) as u32,
        q: q.to_owned(),
        pass: pass_state
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
    })
}

pub async fn member(
    store: &Store,
    operator_id: i64,
    id: i64,
) -> Result<Option<MemberDetail>, StoreError> {
    let Some(m) = store.member_row(operator_id, id).await? else {
        return Ok(None);
    };
    let journeys = store
        .member_journeys(operator_id, id)
        .await?
        .iter()
        .map(journey_row)
        .collect();
    Ok(Some(MemberDetail {
        member: member_view(store, device_rule(store, operator_id).await?, &m).await?,
        journeys,
    }))
}
