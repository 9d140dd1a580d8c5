//! The words a journey is stored in: its steps, its outcomes and the kinds of its events. Each
//! is an enum with one `as_str` (the stored value, which never changes: the event log is
//! append-only) and one `parse`, so no caller spells them by hand.

use crate::links::Platform;

macro_rules! stored_words {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The value as stored.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The stored value read back; `None` for a word this version does not know.
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

stored_words! {
    /// Where a journey stands (`journeys.step`).
    Step {
        InviteOpened = "invite_opened",
        NumberEntered = "number_entered",
        Matched = "matched",
        SmsQueued = "sms_queued",
        SmsSent = "sms_sent",
        SmsFailed = "sms_failed",
        LinkOpened = "link_opened",
        LinkClaimed = "link_claimed",
        PassIssued = "pass_issued",
    }
}

stored_words! {
    /// How a journey that stopped short ended (`journeys.outcome`).
    Outcome {
        /// The number typed is not a mobile number the operator can text.
        InvalidNumber = "invalid_number",
        /// Not in the directory, or not eligible.
        NotFound = "not_found",
        /// A limit stopped it.
        RateLimited = "rate_limited",
    }
}

stored_words! {
    /// What happened on a journey (`journey_events.kind`).
    Event {
        /// The journey started (its first number came in).
        InviteOpened = "invite_opened",
        NumberSubmitted = "number_submitted",
        /// The number could not be used (its outcome is `Outcome::InvalidNumber`).
        NumberInvalid = "number_invalid",
        MemberMatched = "member_matched",
        MemberNotFound = "member_not_found",
        RateLimited = "rate_limited",
        SmsQueued = "sms_queued",
        SmsSent = "sms_sent",
        SmsRetry = "sms_retry",
        SmsFailed = "sms_failed",
        SmsDelivered = "sms_delivered",
        LinkOpened = "link_opened",
        LinkClaimed = "link_claimed",
        LinkResent = "link_resent",
        CodeWrong = "code_wrong",
        JourneyRestarted = "journey_restarted",
        ApplePassIssued = "apple_pass_issued",
        GooglePassIssued = "google_pass_issued",
        /// A device registered for the Apple pass's updates: it is in that device's Wallet.
        ApplePassRegistered = "apple_pass_registered",
        /// A device unregistered (the pass was removed from it), or APNs said it was gone.
        ApplePassUnregistered = "apple_pass_unregistered",
        /// A registration took the pass past the operator's device rule (kept, and a warning).
        AppleDevicesOverLimit = "apple_devices_over_limit",
        /// Google's save callback: the pass is in a Google Wallet.
        GooglePassSaved = "google_pass_saved",
        /// Google's delete callback: the pass was removed from a Google Wallet.
        GooglePassDeleted = "google_pass_deleted",
        /// A new phone's pass was added there: the member's previous pass of that platform is
        /// void now (and a generated credential rotated).
        PassReplaced = "pass_replaced",
        ApplePassUpdated = "apple_pass_updated",
        GooglePassUpdated = "google_pass_updated",
        ApplePassVoided = "apple_pass_voided",
        GooglePassVoided = "google_pass_voided",
    }
}

impl Event {
    /// A pass was issued on `platform`.
    pub fn pass_issued(platform: Platform) -> Event {
        match platform {
            Platform::Apple => Event::ApplePassIssued,
            Platform::Google => Event::GooglePassIssued,
        }
    }

    /// A pass of `platform` (as stored: `apple`, `google`) was voided, or else updated.
    pub fn pass_changed(platform: &str, voided: bool) -> Event {
        match (platform == "google", voided) {
            (false, false) => Event::ApplePassUpdated,
            (false, true) => Event::ApplePassVoided,
            (true, false) => Event::GooglePassUpdated,
            (true, true) => Event::GooglePassVoided,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_reads_back_as_itself() {
        for s in Step::ALL {
            assert_eq!(Step::parse(s.as_str()), Some(*s));
        }
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(*o));
        }
        for e in Event::ALL {
            assert_eq!(Event::parse(e.as_str()), Some(*e));
        }
        assert_eq!(
            Event::parse("invalid_number"),
            None,
            "an outcome, not an event"
        );
        assert_eq!(
            Outcome::parse("number_invalid"),
            None,
            "an event, not an outcome"
        );
    }

    #[test]
    fn pass_events_name_their_platform() {
        assert_eq!(
            Event::pass_issued(Platform::Google).as_str(),
            "google_pass_issued"
        );
        assert_eq!(
            Event::pass_changed("apple", true).as_str(),
            "apple_pass_voided"
        );
        assert_eq!(
            Event::pass_changed("google", false).as_str(),
            "google_pass_updated"
        );
    }
}
