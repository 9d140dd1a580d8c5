//! What the domain counts, for `GET /metrics`: the names, their HELP text, and the few calls the
//! journey, the outbox and the pushes make. Through the `metrics` facade, so each call is a no-op
//! until the server installs its Prometheus recorder (tests and commands that never do pay nothing).

use metrics::{counter, describe_counter, describe_gauge, gauge, Unit};

pub const SUBMISSIONS: &str = "elumo_submissions_total";
pub const SMS_QUEUED: &str = "elumo_sms_queued_total";
pub const SMS_SENT: &str = "elumo_sms_sent_total";
pub const SMS_RETRIED: &str = "elumo_sms_retried_total";
pub const SMS_FAILED: &str = "elumo_sms_failed_total";
pub const PUSHES: &str = "elumo_pushes_total";
/// Counted where a worker takes over a lease another instance let lapse (`work`: sms, push).
pub const LEASE_TAKEOVERS: &str = "elumo_lease_takeovers_total";
pub const OUTBOX_DEPTH: &str = "elumo_outbox_depth";
pub const OUTBOX_OLDEST_AGE: &str = "elumo_outbox_oldest_queued_age_seconds";

/// Every `outcome` of a submitted number.
pub const SUBMISSION_OUTCOMES: [&str; 5] = [
    "matched",
    "not_found",
    "invalid",
    "rate_limited",
    "invite_gone",
];
const PUSH_RESULTS: [(&str, &str); 6] = [
    ("apple", "delivered"),
    ("apple", "gone"),
    ("apple", "retry"),
    ("apple", "refused"),
    ("google", "delivered"),
    ("google", "retry"),
];

/// Gives each metric its HELP text and registers every series at zero, so a scrape shows them
/// (and `rate()` has a starting point) before the first event. Call once the recorder is in.
pub fn describe() {
    describe_counter!(
        SUBMISSIONS,
        "Numbers submitted on the phone page, by the journey's answer (outcome)."
    );
    describe_counter!(SMS_QUEUED, "Texts with a link written to the SMS outbox.");
    describe_counter!(SMS_SENT, "Texts the SMS provider accepted.");
    describe_counter!(
        SMS_RETRIED,
        "Send attempts that failed for now and were queued again."
    );
    describe_counter!(
        SMS_FAILED,
        "Texts given up on (a permanent refusal, attempts used up, or the link expired first)."
    );
    describe_counter!(
        PUSHES,
        "Pass update pushes by platform (apple: APNs, google: Wallet API) and result."
    );
    describe_counter!(
        LEASE_TAKEOVERS,
        "Work (sms, push) this instance took over from another whose lease had lapsed."
    );
    describe_gauge!(
        OUTBOX_DEPTH,
        "Texts in the SMS outbox not yet sent or given up (queued or being sent), all instances."
    );
    describe_gauge!(
        OUTBOX_OLDEST_AGE,
        Unit::Seconds,
        "Age of the oldest text still in the SMS outbox (0 when it is empty)."
    );
    for outcome in SUBMISSION_OUTCOMES {
        counter!(SUBMISSIONS, "outcome" => outcome).increment(0);
    }
    for name in [SMS_QUEUED, SMS_SENT, SMS_RETRIED, SMS_FAILED] {
        counter!(name).increment(0);
    }
    for (platform, result) in PUSH_RESULTS {
        counter!(PUSHES, "platform" => platform, "result" => result).increment(0);
    }
    for work in ["sms", "push"] {
        counter!(LEASE_TAKEOVERS, "work" => work).increment(0);
    }
}

/// One submitted number and the journey's answer (one of [`SUBMISSION_OUTCOMES`]).
pub fn submission(outcome: &'static str) {
    counter!(SUBMISSIONS, "outcome" => outcome).increment(1);
}

/// One push's result (`platform`: apple or google).
pub fn push(platform: &'static str, result: &'static str) {
    counter!(PUSHES, "platform" => platform, "result" => result).increment(1);
}

/// The outbox as a scrape finds it: how many texts wait, and since when the oldest (ms).
pub fn outbox(depth: i64, oldest_created_at: Option<i64>, now_ms: i64) {
    gauge!(OUTBOX_DEPTH).set(depth as f64);
    let age_ms = oldest_created_at.map_or(0, |at| (now_ms - at).max(0));
    gauge!(OUTBOX_OLDEST_AGE).set(age_ms as f64 / 1000.0);
}
