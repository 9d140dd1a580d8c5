//! Messages to holders: staff write a short message to every holder of the operator's passes,
//! of one site's, or to one member; each pass in scope shows it (Apple: a back field with a
//! `changeMessage`, so Wallet's update is a lock-screen notification; Google: the object's
//! message, `TEXT_AND_NOTIFY` while the pass has had fewer than 3 in 24 hours, else `TEXT`).

use crate::store::{MessageScope, Result, SqlHolderMessage, Store};

/// A message's length, at most (a lock-screen notification shows about this much).
pub const MAX_CHARS: usize = 160;

/// Why a message was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Empty,
    TooLong,
    NoPasses,
}

/// The message as it will be sent: trimmed, one line, within [`MAX_CHARS`].
pub fn checked_body(body: &str) -> std::result::Result<String, Refusal> {
    let one_line: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.is_empty() {
        Err(Refusal::Empty)
    } else if one_line.chars().count() > MAX_CHARS {
        Err(Refusal::TooLong)
    } else {
        Ok(one_line)
    }
}

/// Sends `body` to the live passes in `scope`: wallets hear of it through the update queue.
pub async fn send(
    store: &Store,
    operator_id: i64,
    scope: MessageScope<'_>,
    body: &str,
    sent_by: &str,
) -> Result<std::result::Result<SqlHolderMessage, Refusal>> {
    let body = match checked_body(body) {
        Ok(b) => b,
        Err(r) => return Ok(Err(r)),
    };
    Ok(store
        .send_holder_message(operator_id, scope, &body, sent_by, crate::store::now_ms())
        .await?
        .ok_or(Refusal::NoPasses))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_one_trimmed_line_of_at_most_160_characters() {
        assert_eq!(
            checked_body("  The lobby door\nis closed today. "),
            Ok("The lobby door is closed today.".to_owned())
        );
        assert_eq!(checked_body(" \n "), Err(Refusal::Empty));
        assert_eq!(
            checked_body(&"é".repeat(160)).map(|b| b.chars().count()),
            Ok(160)
        );
        assert_eq!(checked_body(&"é".repeat(161)), Err(Refusal::TooLong));
    }
}
