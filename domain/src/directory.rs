//! The seed's requirements for provisioning, applied to the CRM-synced member directory:
//! a valid mobile on record, the entered number matches it (and the invited member, for a
//! member invite), and the member is synced to the platform and active.

use crate::store::SqlMember;

/// Why a number did not lead to a pass. The person sees one message for all of them; the
/// journey records which it was, so the operator can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Miss {
    /// No member of this operator has this mobile on record.
    NoSuchNumber,
    /// A member invite, and the invited member's mobile on record is a different number.
    NumberDiffers,
    /// A member invite, and the invited member has no mobile on record.
    NoMobileOnRecord,
    /// The member exists but has not been synced to the platform.
    NotSynced,
    /// The member exists but is no longer active.
    Inactive,
    /// Several eligible members share this mobile; sending to one would be a guess.
    SharedNumber,
}

impl Miss {
    pub fn as_str(self) -> &'static str {
        match self {
            Miss::NoSuchNumber => "no_such_number",
            Miss::NumberDiffers => "number_differs",
            Miss::NoMobileOnRecord => "no_mobile_on_record",
            Miss::NotSynced => "not_synced",
            Miss::Inactive => "inactive",
            Miss::SharedNumber => "shared_number",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    Matched(Box<SqlMember>),
    Miss(Miss),
}

fn eligibility(m: &SqlMember) -> Result<(), Miss> {
    if m.synced_at.is_none() {
        return Err(Miss::NotSynced);
    }
    if !m.active {
        return Err(Miss::Inactive);
    }
    Ok(())
}

/// Decides on `entered` (E.164). `with_number` are the operator's members whose mobile on record
/// equals it; `invited` is the member a member invite was made for.
pub fn decide(entered: &str, with_number: &[SqlMember], invited: Option<&SqlMember>) -> Lookup {
    if let Some(member) = invited {
        return match member.mobile_e164.as_deref() {
            None => Lookup::Miss(Miss::NoMobileOnRecord),
            Some(on_record) if on_record != entered => Lookup::Miss(Miss::NumberDiffers),
            Some(_) => match eligibility(member) {
                Ok(()) => Lookup::Matched(Box::new(member.clone())),
                Err(miss) => Lookup::Miss(miss),
            },
        };
    }
    let candidates: Vec<&SqlMember> = with_number
        .iter()
        .filter(|m| m.mobile_e164.as_deref() == Some(entered))
        .collect();
    let eligible: Vec<&&SqlMember> = candidates
        .iter()
        .filter(|m| eligibility(m).is_ok())
        .collect();
    match (eligible.as_slice(), candidates.first()) {
        ([one], _) => Lookup::Matched(Box::new((**one).clone())),
        ([], None) => Lookup::Miss(Miss::NoSuchNumber),
        ([], Some(first)) => Lookup::Miss(eligibility(first).err().unwrap_or(Miss::NoSuchNumber)),
        (_, _) => Lookup::Miss(Miss::SharedNumber),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: i64, mobile: Option<&str>, synced: bool, active: bool) -> SqlMember {
        SqlMember {
            id,
            operator_id: 1,
            external_id: format!("m{id}"),
            first_name: "A".into(),
            last_name: "B".into(),
            email: None,
            mobile_e164: mobile.map(Into::into),
            synced_at: synced.then_some(1),
            active,
            membership_ends_at: None,
            language: None,
        }
    }

    const N: &str = "+447400123456";

    #[test]
    fn site_invite_matches_the_one_eligible_member() {
        let m = member(1, Some(N), true, true);
        assert_eq!(
            decide(N, std::slice::from_ref(&m), None),
            Lookup::Matched(Box::new(m))
        );
    }

    #[test]
    fn site_invite_misses_say_why() {
        assert_eq!(decide(N, &[], None), Lookup::Miss(Miss::NoSuchNumber));
        assert_eq!(
            decide(N, &[member(1, Some(N), false, true)], None),
            Lookup::Miss(Miss::NotSynced)
        );
        assert_eq!(
            decide(N, &[member(1, Some(N), true, false)], None),
            Lookup::Miss(Miss::Inactive)
        );
        let shared = [
            member(1, Some(N), true, true),
            member(2, Some(N), true, true),
        ];
        assert_eq!(decide(N, &shared, None), Lookup::Miss(Miss::SharedNumber));
    }

    #[test]
    fn an_inactive_duplicate_does_not_block_the_active_member() {
        let active = member(2, Some(N), true, true);
        let rows = [member(1, Some(N), true, false), active.clone()];
        assert_eq!(decide(N, &rows, None), Lookup::Matched(Box::new(active)));
    }

    #[test]
    fn member_invite_needs_that_members_number() {
        let invited = member(1, Some(N), true, true);
        let other = member(2, Some("+447400123999"), true, true);
        assert_eq!(
            decide(N, std::slice::from_ref(&invited), Some(&invited)),
            Lookup::Matched(Box::new(invited.clone()))
        );
        assert_eq!(
            decide("+447400123999", &[other], Some(&invited)),
            Lookup::Miss(Miss::NumberDiffers)
        );
        let no_mobile = member(3, None, true, true);
        assert_eq!(
            decide(N, &[], Some(&no_mobile)),
            Lookup::Miss(Miss::NoMobileOnRecord)
        );
        let inactive = member(4, Some(N), true, false);
        assert_eq!(
            decide(N, &[], Some(&inactive)),
            Lookup::Miss(Miss::Inactive)
        );
    }
}
