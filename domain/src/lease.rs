//! Leases on work that several instances share (the SMS outbox, due pushes): a claim names the
//! claiming instance and runs out at a time; another instance takes the work over only after that.

use std::sync::OnceLock;

/// Who claims, and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The claiming instance (`instance_id()` in a server).
    pub holder: String,
    pub ttl_ms: i64,
}

/// The default SMS lease: well above the provider's default HTTP timeout (10 s).
pub const DEFAULT_TTL_MS: i64 = 60_000;

impl Lease {
    pub fn new(holder: impl Into<String>, ttl_ms: i64) -> Lease {
        Lease {
            holder: holder.into(),
            ttl_ms,
        }
    }

    /// This process's lease with the default length.
    pub fn of_this_process() -> Lease {
        Lease::new(instance_id(), DEFAULT_TTL_MS)
    }

    /// When a claim taken at `now` runs out.
    pub fn until(&self, now: i64) -> i64 {
        now.saturating_add(self.ttl_ms)
    }
}

/// This process's id, one per process: the instance's name (`ELUMO_INSTANCE_ID`, as the
/// metrics label it; else the host name and the pid) and a random suffix (a pid is reused across
/// restarts and containers, a name can be given twice). The CRM sync's lease uses it too.
pub fn instance_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let suffix = crate::tokens::Token::generate(4);
        if let Some(name) = std::env::var("ELUMO_INSTANCE_ID")
            .ok()
            .filter(|n| !n.trim().is_empty())
        {
            return format!("{}-{}", name.trim(), suffix.expose());
        }
        let host = std::env::var("HOSTNAME")
            .ok()
            .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "host".into());
        format!(
            "{host}-{}-{}",
            std::process::id(),
            crate::tokens::Token::generate(4).expose()
        )
    })
}

/// Counts a claim that took over work whose lease had run out (`work`: `sms`, `push`).
pub fn count_takeover(work: &'static str) {
    metrics::counter!("elumo_lease_takeovers_total", "work" => work).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_id_per_process() {
        assert_eq!(instance_id(), instance_id());
        assert!(instance_id().contains(&format!("-{}-", std::process::id())));
    }
}
