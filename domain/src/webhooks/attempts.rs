//! What one attempt's answer means: delivered, try again at a time, or give up. Plain functions,
//! so the schedule is tested without a receiver or a database.

/// The waits between attempts, after the first: Standard Webhooks' suggested schedule (5 s,
/// 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), about 28 hours in all. A receiver that was down for
/// most of a day still gets the message; one down for longer is disabled (see `DISABLE_AFTER_MS`).
pub const RETRY_DELAYS_MS: [i64; 7] = [
    5_000,
    5 * 60_000,
    30 * 60_000,
    2 * 3_600_000,
    5 * 3_600_000,
    10 * 3_600_000,
    10 * 3_600_000,
];

/// Every attempt a message gets: the first and one per delay.
pub const MAX_ATTEMPTS: i64 = RETRY_DELAYS_MS.len() as i64 + 1;

/// An endpoint that has answered nothing but failures for this long, when a message runs out
/// of attempts, is disabled (a day: a receiver that stays down is switched off, not a blip).
pub const DISABLE_AFTER_MS: i64 = 24 * 3_600_000;

/// Why an endpoint was disabled by the worker, shown in the dashboard.
pub const DISABLED_REASON: &str = "disabled after a day of failed deliveries";

/// Each attempt waits at most this long for the receiver's answer.
pub const TIMEOUT_MS: i64 = 10_000;

/// How long after `attempts` failed attempts the next one is due, or `None` when none is left.
pub fn retry_delay_ms(attempts: i64) -> Option<i64> {
    usize::try_from(attempts - 1)
        .ok()
        .and_then(|i| RETRY_DELAYS_MS.get(i).copied())
}

/// How one attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The receiver answered with this status (and the start of its body, for the log).
    Status { code: u16, body: String },
    /// No answer: the connection failed or timed out (the reason, for the log).
    NoAnswer(String),
    /// Not sent, and never will be (the destination is refused, the secret is unusable).
    Refused(String),
    /// Not sent this time (the host could not be looked up).
    NotYet(String),
}

/// What to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Delivered,
    /// Try again at this time, having failed for this reason.
    RetryAt {
        at: i64,
        error: String,
    },
    /// No attempt left (or none worth making), for this reason.
    GiveUp {
        error: String,
    },
}

/// The error for the log from an answer that is not a success.
pub fn describe(answer: &Answer) -> Option<String> {
    match answer {
        Answer::Status { code, .. } if (200..300).contains(code) => None,
        Answer::Status { code, body } if (300..400).contains(code) => Some(format!(
            "HTTP {code}: redirects are not followed; register the URL the receiver redirects to{}",
            snippet(body)
        )),
        Answer::Status { code, body } => Some(format!("HTTP {code}{}", snippet(body))),
        Answer::NoAnswer(why) | Answer::Refused(why) | Answer::NotYet(why) => Some(why.clone()),
    }
}

fn snippet(body: &str) -> String {
    let body = body.trim();
    if body.is_empty() {
        String::new()
    } else {
        format!(": {}", body.chars().take(200).collect::<String>())
    }
}

/// What the `attempts`-th attempt's `answer` leads to, at `now`. Only a 2xx delivers; every
/// other status and a missing answer are tried again on the schedule (Standard Webhooks treats
/// them alike); a refused destination is not tried again.
pub fn decide(attempts: i64, answer: &Answer, now: i64) -> Decision {
    let Some(error) = describe(answer) else {
        return Decision::Delivered;
    };
    if matches!(answer, Answer::Refused(_)) {
        return Decision::GiveUp { error };
    }
    match retry_delay_ms(attempts) {
        Some(delay) => Decision::RetryAt {
            at: now.saturating_add(delay),
            error,
        },
        None => Decision::GiveUp {
            error: format!("gave up after {attempts} attempts; the last: {error}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> Answer {
        Answer::Status {
            code,
            body: String::new(),
        }
    }

    #[test]
    fn the_schedule_spans_about_a_day_and_then_stops() {
        let total: i64 = RETRY_DELAYS_MS.iter().sum();
        assert!(
            total > DISABLE_AFTER_MS && total < 2 * DISABLE_AFTER_MS,
            "{total}"
        );
        assert_eq!(retry_delay_ms(0), None);
        assert_eq!(retry_delay_ms(1), Some(5_000));
        assert_eq!(retry_delay_ms(2), Some(300_000));
        assert_eq!(retry_delay_ms(7), Some(36_000_000));
        assert_eq!(retry_delay_ms(MAX_ATTEMPTS), None);
        assert_eq!(MAX_ATTEMPTS, 8);
    }

    #[test]
    fn only_2xx_delivers() {
        for code in [200, 201, 202, 204, 299] {
            assert_eq!(decide(1, &status(code), 0), Decision::Delivered, "{code}");
        }
        for code in [100, 301, 302, 400, 401, 404, 410, 429, 500, 503] {
            assert!(
                matches!(
                    decide(1, &status(code), 0),
                    Decision::RetryAt { at: 5_000, .. }
                ),
                "{code}"
            );
        }
    }

    #[test]
    fn failures_retry_on_the_schedule_until_the_last_attempt() {
        let mut now = 1_000;
        for attempts in 1..MAX_ATTEMPTS {
            match decide(attempts, &status(500), now) {
                Decision::RetryAt { at, error } => {
                    assert_eq!(at - now, RETRY_DELAYS_MS[attempts as usize - 1]);
                    assert_eq!(error, "HTTP 500");
                    now = at;
                }
                other => panic!("attempt {attempts}: {other:?}"),
            }
        }
        assert_eq!(
            decide(MAX_ATTEMPTS, &Answer::NoAnswer("timed out".into()), now),
            Decision::GiveUp {
                error: "gave up after 8 attempts; the last: timed out".into()
            }
        );
    }

    #[test]
    fn a_refused_destination_is_not_tried_again_and_a_failed_lookup_is() {
        assert_eq!(
            decide(1, &Answer::Refused("localhost is 127.0.0.1".into()), 0),
            Decision::GiveUp {
                error: "localhost is 127.0.0.1".into()
            }
        );
        assert!(matches!(
            decide(1, &Answer::NotYet("lookup failed".into()), 0),
            Decision::RetryAt { .. }
        ));
    }

    #[test]
    fn the_log_says_what_the_receiver_answered() {
        let answer = Answer::Status {
            code: 503,
            body: format!("  down for maintenance {}", "x".repeat(500)),
        };
        let error = describe(&answer).unwrap();
        assert!(
            error.starts_with("HTTP 503: down for maintenance x"),
            "{error}"
        );
        assert!(error.chars().count() < 220);
        let moved = describe(&Answer::Status {
            code: 301,
            body: String::new(),
        })
        .unwrap();
        assert!(moved.contains("redirects are not followed"), "{moved}");
    }
}
