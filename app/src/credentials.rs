//! Access credentials: the member's existing card, or a new one generated in 26-bit Wiegand
//! H10301 form (8-bit facility code, 16-bit card number), unique within the operator.

use rand::Rng as _;

use crate::store::{CredentialSource, SqlCredential, SqlMember, SqlOperator, Store, StoreError};

/// The bits a reader sees: bit 1 even parity over bits 2-13, the facility code, the card number,
/// and bit 26 odd parity over bits 14-25.
pub fn wiegand26(facility: u8, card: u16) -> u32 {
    let data = (u32::from(facility) << 16) | u32::from(card);
    let first_half = data >> 12;
    let second_half = data & 0xFFF;
    let even = first_half.count_ones() & 1;
    let odd = (second_half.count_ones() & 1) ^ 1;
    (even << 25) | (data << 1) | odd
}

/// How a credential reads on a pass: "42 / 01002".
pub fn display(facility: i64, card: i64) -> String {
    format!("{facility} / {card:05}")
}

/// What the pass's barcode carries: the scheme, the facility code and the card number.
pub fn barcode_message(facility: i64, card: i64) -> String {
    format!("H10301:{facility}:{card}")
}

/// The credential a pass carries: the member's physical card if they have one, else their live
/// generated credential, else a new one. Safe when several requests race for the same member.
pub async fn ensure(
    store: &Store,
    operator: &SqlOperator,
    member: &SqlMember,
) -> Result<SqlCredential, StoreError> {
    if let Some(existing) = pick(store.credentials_for_member(member.id).await?) {
        return Ok(existing);
    }
    let facility = u8::try_from(operator.digital_facility_code).unwrap_or(200);
    for _ in 0..32 {
        let card: u16 = rand::rng().random_range(1..=u16::MAX);
        match store
            .insert_credential(
                operator.id,
                member.id,
                CredentialSource::Digital,
                facility,
                card,
            )
            .await
        {
            Ok(_) => break,
            // Either the card number is taken (try another) or a concurrent request just gave
            // this member their credential (the re-read below finds it).
            Err(StoreError::Conflict(_)) => {
                if let Some(existing) = pick(store.credentials_for_member(member.id).await?) {
                    return Ok(existing);
                }
            }
            Err(e) => return Err(e),
        }
    }
    pick(store.credentials_for_member(member.id).await?)
        .ok_or(StoreError::Conflict("every card number tried"))
}

fn pick(all: Vec<SqlCredential>) -> Option<SqlCredential> {
    let live = all.into_iter().filter(|c| c.revoked_at.is_none());
    let (physical, digital): (Vec<_>, Vec<_>) = live.partition(|c| c.source == "physical_card");
    physical
        .into_iter()
        .next()
        .or_else(|| digital.into_iter().next())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wiegand_h10301_layout_and_parity() {
        // Facility 0, card 0: even parity bit 0, odd parity bit 1.
        assert_eq!(wiegand26(0, 0), 0b1);
        // All ones: 12 ones in each half, so the even bit is 0 and the odd bit is 1.
        assert_eq!(wiegand26(255, 65535), (0xFF_FFFF << 1) | 1);
        let w = wiegand26(42, 1002);
        assert_eq!((w >> 17) & 0xFF, 42, "facility code in bits 2-9");
        assert_eq!((w >> 1) & 0xFFFF, 1002, "card number in bits 10-25");
        assert_eq!(
            ((w >> 13) & 0x1FFF).count_ones() % 2,
            0,
            "bits 1-13 hold an even number of ones"
        );
        assert_eq!(
            (w & 0x1FFF).count_ones() % 2,
            1,
            "bits 14-26 hold an odd number of ones"
        );
        assert!(w < (1 << 26));
    }

    #[test]
    fn display_and_barcode() {
        assert_eq!(display(42, 1002), "42 / 01002");
        assert_eq!(barcode_message(42, 1002), "H10301:42:1002");
    }
}
