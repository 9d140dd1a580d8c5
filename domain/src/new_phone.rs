//! A new phone. Each pass remembers the journey that issued it: downloading again on that
//! journey gets the same pass (so Wallet replaces it in place), and a member who starts again
//! from the invite, on a new phone, gets a new pass with a new serial and token. It is pending
//! while the member's previous pass of that platform is live; once it is added on the new phone
//! (its first PassKit registration, or Google's save callback) the previous pass is voided and
//! pushed, and a generated credential is rotated: the new pass carries a new number, the old
//! one ends in the access system's revocation feed, and the member's other passes move to the
//! new number. A physical card's credential stays (the card still works), and nothing is revoked.

use crate::credentials;
use crate::kinds::Event;
use crate::store::{
    NewWalletPass, Replacement, SqlCredential, SqlMember, SqlOperator, SqlWalletPass, Store,
    StoreError,
};

/// Where a download on a journey puts the member's pass of one platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// This journey issued it: the same pass again (by id).
    Again(i64),
    /// The member has no live pass of this platform: a new live one.
    First,
    /// The member's live pass came from another journey: a new pass, pending until added.
    NewPhone,
}

/// Decides from the member's passes where a download on `journey_id` goes.
pub fn place(passes: &[SqlWalletPass], platform: &str, journey_id: i64) -> Placement {
    let open: Vec<&SqlWalletPass> = passes
        .iter()
        .filter(|p| p.platform == platform && p.voided_at.is_none())
        .collect();
    if let Some(p) = open.iter().find(|p| p.journey_id == Some(journey_id)) {
        return Placement::Again(p.id);
    }
    if open.iter().any(|p| p.pending_at.is_none()) {
        Placement::NewPhone
    } else {
        Placement::First
    }
}

/// The credential the placed pass carries: `Some(id)` of the member's, or `None` for a new
/// generated number. A physical card wins wherever it is (the card and the phone are one key).
pub fn credential_for(
    placement: &Placement,
    passes: &[SqlWalletPass],
    credentials: &[SqlCredential],
) -> Option<i64> {
    let usable = |c: &&SqlCredential| c.revoked_at.is_none();
    if let Some(card) = credentials
        .iter()
        .filter(usable)
        .find(|c| c.source == "physical_card")
    {
        return Some(card.id);
    }
    let live_digital = |id: i64| {
        credentials
            .iter()
            .filter(usable)
            .any(|c| c.id == id && c.source == "digital")
    };
    match placement {
        Placement::NewPhone => None,
        Placement::Again(id) => passes
            .iter()
            .find(|p| p.id == *id)
            .map(|p| p.credential_id)
            .filter(|c| live_digital(*c))
            .or_else(|| current_digital(passes, credentials)),
        Placement::First => current_digital(passes, credentials),
    }
}

/// The member's generated number as their live passes carry it, else their live one that no
/// pending pass holds.
fn current_digital(passes: &[SqlWalletPass], credentials: &[SqlCredential]) -> Option<i64> {
    let live = |c: &&SqlCredential| {
        c.source == "digital" && c.revoked_at.is_none() && c.pending_at.is_none()
    };
    passes
        .iter()
        .filter(|p| p.voided_at.is_none() && p.pending_at.is_none())
        .find_map(|p| {
            credentials
                .iter()
                .filter(live)
                .find(|c| c.id == p.credential_id)
        })
        .or_else(|| credentials.iter().find(live))
        .map(|c| c.id)
}

/// A pass placed for a download.
pub struct Placed {
    pub pass: SqlWalletPass,
    pub credential: SqlCredential,
    /// A new phone's pass, pending beside the live one until it is added.
    pub pending: bool,
}

/// Issues (or issues again) the member's pass of `platform` on `journey_id`.
pub async fn place_pass(
    store: &Store,
    operator: &SqlOperator,
    member: &SqlMember,
    platform: &str,
    journey_id: i64,
    site_name: Option<&str>,
) -> Result<Placed, StoreError> {
    let serial = crate::tokens::Token::generate(16);
    let auth = crate::tokens::Token::generate(24);
    let mut last = StoreError::Conflict("the member's passes kept changing");
    // A race with another download or an add can make the decision stale: decide again.
    for _ in 0..3 {
        let passes = store.wallet_passes_for_member(member.id).await?;
        let placement = place(&passes, platform, journey_id);
        let credentials = store.credentials_for_member(member.id).await?;
        let fresh = match credential_for(&placement, &passes, &credentials) {
            Some(id) => credentials.into_iter().find(|c| c.id == id),
            None if placement == Placement::NewPhone => {
                Some(credentials::generate_pending(store, operator, member).await?)
            }
            None => None,
        };
        let credential = match fresh {
            Some(c) => c,
            None => credentials::ensure(store, operator, member).await?,
        };
        let new = NewWalletPass {
            operator_id: operator.id,
            member_id: member.id,
            credential_id: credential.id,
            platform,
            new_serial: serial.expose(),
            new_auth_token: auth.expose(),
            site_name,
            journey_id: Some(journey_id),
        };
        let placed = match placement {
            Placement::Again(id) => {
                store
                    .reissue_wallet_pass(id, credential.id, site_name)
                    .await
            }
            Placement::First => store.upsert_wallet_pass(&new).await.map(Some),
            Placement::NewPhone => store.insert_pending_pass(&new).await.map(Some),
        };
        match placed {
            Ok(Some(pass)) => {
                if pass.credential_id != credential.id && credential.pending_at.is_some() {
                    // Another download on this journey made the pending pass first.
                    store.discard_credential(credential.id).await?;
                }
                let credential = if pass.credential_id == credential.id {
                    credential
                } else {
                    match store
                        .credentials_for_member(member.id)
                        .await?
                        .into_iter()
                        .find(|c| c.id == pass.credential_id)
                    {
                        Some(c) => c,
                        None => continue,
                    }
                };
                let pending = pass.pending_at.is_some();
                return Ok(Placed {
                    pass,
                    credential,
                    pending,
                });
            }
            // Voided meanwhile: decide again.
            Ok(None) => {}
            Err(e @ StoreError::Conflict(_)) => last = e,
            Err(e) => return Err(e),
        }
        if credential.pending_at.is_some() {
            store.discard_credential(credential.id).await?;
        }
    }
    Err(last)
}

/// What the timeline says when a new phone's pass replaced the member's previous one.
pub fn replaced_events(r: &Replacement, credentials: &[SqlCredential]) -> Vec<(Event, String)> {
    if r.replaced.is_empty() {
        return Vec::new();
    }
    let number = |id: i64| {
        credentials
            .iter()
            .find(|c| c.id == id)
            .map(|c| credentials::display(c.facility_code, c.card_number))
            .unwrap_or_else(|| "?".to_owned())
    };
    let platform = if r.pass.platform == "google" {
        "Google"
    } else {
        "Apple"
    };
    let serials: Vec<&str> = r.replaced.iter().map(|p| p.serial.as_str()).collect();
    let old = r.replaced[0].credential_id;
    let credential = if old == r.pass.credential_id {
        format!(
            "the card's credential {} stays (the card still works)",
            number(old)
        )
    } else {
        format!(
            "the generated credential moved from {} to {}",
            number(old),
            number(r.pass.credential_id)
        )
    };
    vec![(
        Event::PassReplaced,
        format!(
            "the {platform} pass added on a new phone replaces serial {}, which is void now; {credential}",
            serials.join(", ")
        ),
    )]
}

/// A pass was added to a wallet: if it was a new phone's pending pass, it replaces the member's
/// previous one now. Returns the timeline's entries (none when there was nothing to replace).
pub async fn on_added(
    store: &Store,
    pass: &SqlWalletPass,
) -> Result<Vec<(Event, String)>, StoreError> {
    if pass.pending_at.is_none() {
        return Ok(Vec::new());
    }
    let Some(replacement) = store.activate_pending_pass(pass.id).await? else {
        return Ok(Vec::new());
    };
    let credentials = store.credentials_for_member(pass.member_id).await?;
    Ok(replaced_events(&replacement, &credentials))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(id: i64, platform: &str, journey: Option<i64>) -> SqlWalletPass {
        SqlWalletPass {
            id,
            member_id: 1,
            credential_id: 10,
            platform: platform.into(),
            serial: format!("s{id}"),
            issued_at: 0,
            updated_at: 0,
            voided_at: None,
            auth_token: None,
            site_name: None,
            operator_id: 1,
            wallet_saved_at: None,
            wallet_removed_at: None,
            message_id: None,
            message_notifies: false,
            journey_id: journey,
            pending_at: None,
            replaced_by: None,
        }
    }

    fn credential(id: i64, source: &str) -> SqlCredential {
        SqlCredential {
            id,
            member_id: 1,
            source: source.into(),
            facility_code: 200,
            card_number: id,
            revoked_at: None,
            pending_at: None,
        }
    }

    #[test]
    fn the_same_journey_downloads_the_same_pass_and_another_journey_is_a_new_phone() {
        let passes = [pass(1, "apple", Some(7))];
        assert_eq!(place(&passes, "apple", 7), Placement::Again(1));
        assert_eq!(place(&passes, "apple", 8), Placement::NewPhone);
        // The other platform is the member's first pass there.
        assert_eq!(place(&passes, "google", 8), Placement::First);
        // A pass from before journeys were remembered is another phone's too.
        assert_eq!(
            place(&[pass(1, "apple", None)], "apple", 8),
            Placement::NewPhone
        );
    }

    #[test]
    fn a_voided_pass_is_not_placed_again_and_a_pending_one_is_only_for_its_journey() {
        let mut voided = pass(1, "apple", Some(7));
        voided.voided_at = Some(5);
        assert_eq!(place(&[voided], "apple", 7), Placement::First);
        let mut pending = pass(2, "apple", Some(8));
        pending.pending_at = Some(5);
        assert_eq!(place(&[pending.clone()], "apple", 8), Placement::Again(2));
        // Pending beside nothing live: a third journey makes a live pass.
        assert_eq!(place(&[pending.clone()], "apple", 9), Placement::First);
        assert_eq!(
            place(&[pass(1, "apple", Some(7)), pending], "apple", 9),
            Placement::NewPhone
        );
    }

    #[test]
    fn a_new_phone_gets_a_new_number_unless_the_member_has_a_card() {
        let passes = [pass(1, "apple", Some(7))];
        let digital = [credential(10, "digital")];
        assert_eq!(
            credential_for(&Placement::NewPhone, &passes, &digital),
            None
        );
        assert_eq!(
            credential_for(&Placement::Again(1), &passes, &digital),
            Some(10)
        );
        assert_eq!(
            credential_for(&Placement::First, &passes, &digital),
            Some(10)
        );
        let card = [credential(10, "digital"), credential(11, "physical_card")];
        for p in [Placement::NewPhone, Placement::Again(1), Placement::First] {
            assert_eq!(credential_for(&p, &passes, &card), Some(11), "{p:?}");
        }
    }

    #[test]
    fn a_pending_number_is_carried_only_by_its_own_pass() {
        let mut pending = pass(2, "apple", Some(8));
        pending.pending_at = Some(5);
        pending.credential_id = 12;
        let passes = [pass(1, "apple", Some(7)), pending];
        let mut new = credential(12, "digital");
        new.pending_at = Some(5);
        let credentials = [credential(10, "digital"), new];
        assert_eq!(
            credential_for(&Placement::Again(2), &passes, &credentials),
            Some(12)
        );
        // The member's first Google pass carries the live number, not the pending one.
        assert_eq!(
            credential_for(&Placement::First, &passes, &credentials),
            Some(10)
        );
    }
}
