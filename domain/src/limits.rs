//! Abuse limits: per client IP and per invite on number submissions, per number and per
//! operator on texts, and the countries an operator's texts may go to. Counts live in the
//! database (`rate_counters`), so they hold across several server instances; a number
//! submission counts its limits inside its own transaction.

use crate::state::AppState;
use crate::store::{Count, SqlInvite, SqlOperator, Store, StoreError};

/// A limit that was reached: which, and how long until it frees up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limited {
    pub scope: &'static str,
    pub retry_after_ms: i64,
}

impl Limited {
    /// "Too many attempts. Try again in N minutes."
    pub fn message(&self) -> String {
        let minutes = (self.retry_after_ms + 59_999) / 60_000;
        if self.scope == "sms_operator" {
            return format!(
                "We can't send texts right now. Try again in {minutes} minute{}.",
                plural(minutes)
            );
        }
        if self.retry_after_ms < 60_000 {
            let secs = (self.retry_after_ms + 999) / 1000;
            return format!("Too many attempts. Try again in {secs} seconds.");
        }
        format!(
            "Too many attempts. Try again in {minutes} minute{}.",
            plural(minutes)
        )
    }

    /// [`Limited::message`] in `lang` (`domain::i18n`).
    pub fn message_in(&self, lang: &str) -> String {
        use crate::i18n::{number, t};
        let minutes = (self.retry_after_ms + 59_999) / 60_000;
        if self.scope == "sms_operator" {
            return t(lang, "limit-no-texts", &[("minutes", number(minutes))]);
        }
        if self.retry_after_ms < 60_000 {
            let secs = (self.retry_after_ms + 999) / 1000;
            return t(lang, "limit-seconds", &[("seconds", number(secs))]);
        }
        t(lang, "limit-minutes", &[("minutes", number(minutes))])
    }

    pub fn retry_after_secs(&self) -> i64 {
        (self.retry_after_ms + 999) / 1000
    }
}

fn plural(n: i64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The client's address: the connection's, or, when the connection comes from a trusted reverse
/// proxy (`ELUMO_TRUSTED_PROXIES`), the nearest `X-Forwarded-For` address that is not one of
/// them. Without a trusted proxy the header is ignored, so clients cannot pick their address.
pub fn client_address(parts: &http::request::Parts, trusted: &[std::net::IpAddr]) -> String {
    let Some(peer) = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
    else {
        return "unknown".to_owned();
    };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let forwarded = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|a| a.trim().parse::<std::net::IpAddr>())
        .collect::<Vec<_>>();
    for address in forwarded.into_iter().rev() {
        match address {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return ip.to_string(),
            // A malformed entry: nothing to its left can be believed.
            Err(_) => break,
        }
    }
    peer.to_string()
}

/// The key an address is counted under: an IPv4 address as it is, an IPv6 address by its /64
/// (one household or phone gets a whole /64, and picks any address in it at will).
pub fn address_key(client_ip: &str) -> String {
    match client_ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        _ => client_ip.to_owned(),
    }
}

/// One limit, owned: at most `max` hits per `window_ms` for `scope` and `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub scope: &'static str,
    pub key: String,
    pub max: i64,
    pub window_ms: i64,
}

impl Limit {
    /// A hit against this limit.
    pub fn count(&self) -> Count<'_> {
        Count {
            scope: self.scope,
            key: &self.key,
            max: self.max,
            window_ms: self.window_ms,
            add: 1,
        }
    }

    /// A check of this limit that spends nothing (refused only when it is reached).
    pub fn check(&self) -> Count<'_> {
        Count {
            add: 0,
            ..self.count()
        }
    }

    pub fn refused(&self, retry_after_ms: i64) -> Limited {
        Limited {
            scope: self.scope,
            retry_after_ms,
        }
    }
}

/// How many of [`submission_limits`] come first and are the client address's own.
pub const ADDRESS_LIMITS: usize = 2;

/// What a number submission from `client_ip` on `invite` counts against: the address's attempts
/// that text nobody (`submit_ip`), every attempt from the address (`submit_ip_all`, sized for a
/// building behind one address), then the invite's. A member invite is one person's and keeps its
/// own per-invite limit; a poster is a whole building's, so it only has a ceiling sized for a
/// 9 a.m. rush (`submissions_per_poster_per_hour`) and relies on the per-address and per-number
/// limits: two people cannot lock it.
pub fn submission_limits(state: &AppState, client_ip: &str, invite: &SqlInvite) -> [Limit; 3] {
    let l = state.config.limits;
    let (scope, max) = if invite.member_id.is_some() {
        ("submit_invite", l.submissions_per_invite_per_hour)
    } else {
        ("submit_poster", l.submissions_per_poster_per_hour)
    };
    [
        Limit {
            scope: "submit_ip",
            key: address_key(client_ip),
            max: l.submissions_per_ip_per_10_minutes,
            window_ms: 600_000,
        },
        Limit {
            scope: "submit_ip_all",
            key: address_key(client_ip),
            max: l.submissions_per_ip_all_per_10_minutes,
            window_ms: 600_000,
        },
        Limit {
            scope,
            key: invite.id.to_string(),
            max,
            window_ms: 3_600_000,
        },
    ]
}

/// What one text to `e164` for `operator` counts against: one a minute and five a day per number
/// and operator, then the operator's hourly budget.
pub fn sms_limits(state: &AppState, operator: &SqlOperator, e164: &str) -> [Limit; 3] {
    let l = state.config.limits;
    let number_key = format!("{}:{e164}", operator.id);
    [
        Limit {
            scope: "sms_number_minute",
            key: number_key.clone(),
            max: l.sms_per_number_per_minute,
            window_ms: 60_000,
        },
        Limit {
            scope: "sms_number_day",
            key: number_key,
            max: l.sms_per_number_per_day,
            window_ms: 86_400_000,
        },
        Limit {
            scope: "sms_operator",
            key: operator.id.to_string(),
            max: operator.sms_hourly_budget,
            window_ms: 3_600_000,
        },
    ]
}

/// The limits a text counts against. Strict mode's stand-in for a miss (`real` false) meets
/// every limit but spends only the number's, so it answers as a match would: the budget is
/// checked first, without spending it.
pub async fn text_limits(
    state: &AppState,
    operator: &SqlOperator,
    e164: &str,
    real: bool,
) -> Result<Result<Vec<Limit>, Limited>, StoreError> {
    let mut limits = sms_limits(state, operator, e164).to_vec();
    if !real {
        let budget = limits.pop().expect("the budget is the last limit");
        if let Some(ms) = state
            .store
            .would_limit(budget.scope, &budget.key, budget.max, budget.window_ms)
            .await?
        {
            return Ok(Err(budget.refused(ms)));
        }
    }
    Ok(Ok(limits))
}

/// Counts a hit against every limit of `limits`, or against none when one is reached.
pub async fn count(store: &Store, limits: &[Limit]) -> Result<Result<(), Limited>, StoreError> {
    let counts: Vec<Count<'_>> = limits.iter().map(Limit::count).collect();
    Ok(match store.count_all(&counts).await? {
        Some((i, ms)) => Err(limits[i].refused(ms)),
        None => Ok(()),
    })
}

/// Checks, then counts, one text to `e164` for `operator` (see `text_limits`).
pub async fn sms(
    state: &AppState,
    operator: &SqlOperator,
    e164: &str,
    real: bool,
) -> Result<Result<(), Limited>, StoreError> {
    match text_limits(state, operator, e164, real).await? {
        Ok(limits) => count(&state.store, &limits).await,
        Err(limited) => Ok(Err(limited)),
    }
}

/// What the dashboard says about the operator's hourly text budget: nothing below 80% of it,
/// then how much is used, then when it ran out.
pub async fn budget_notice(
    store: &crate::store::Store,
    operator: &SqlOperator,
) -> Result<Option<String>, StoreError> {
    let budget = operator.sms_hourly_budget.max(1);
    let (used, last) = store
        .recent_hits("sms_operator", &operator.id.to_string(), 3_600_000)
        .await?;
    Ok(if used >= budget {
        Some(format!(
            "Your hourly text budget ({budget}) ran out at {}: texts wait until the oldest of the \
             last hour's leave the window. An owner can raise the budget in Settings.",
            crate::store::fmt_time(last.unwrap_or_default())
        ))
    } else if used * 100 >= budget * 80 {
        Some(format!(
            "{}% of your hourly text budget is used ({used} of {budget} texts in the last hour).",
            used * 100 / budget
        ))
    } else {
        None
    })
}

/// The regions an operator's texts may go to: its list, or its own region.
pub fn allowed_regions(operator: &SqlOperator) -> Vec<String> {
    let list: Vec<String> = operator
        .sms_countries
        .split(',')
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
        .collect();
    if list.is_empty() {
        vec![operator.default_region.to_ascii_uppercase()]
    } else {
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_when_to_try_again() {
        let l = Limited {
            scope: "submit_ip",
            retry_after_ms: 9 * 60_000 + 1,
        };
        assert_eq!(l.message(), "Too many attempts. Try again in 10 minutes.");
        let l = Limited {
            scope: "sms_number_minute",
            retry_after_ms: 42_000,
        };
        assert_eq!(l.message(), "Too many attempts. Try again in 42 seconds.");
        let l = Limited {
            scope: "sms_operator",
            retry_after_ms: 60_000,
        };
        assert_eq!(
            l.message(),
            "We can't send texts right now. Try again in 1 minute."
        );
    }

    fn address(peer: &str, forwarded: &[&str], trusted: &[&str]) -> String {
        let mut req = http::Request::builder();
        for f in forwarded {
            req = req.header("x-forwarded-for", *f);
        }
        let (mut parts, ()) = req.body(()).unwrap().into_parts();
        parts.extensions.insert(axum::extract::ConnectInfo(
            format!("{peer}:443")
                .parse::<std::net::SocketAddr>()
                .unwrap(),
        ));
        let trusted: Vec<std::net::IpAddr> = trusted.iter().map(|t| t.parse().unwrap()).collect();
        client_address(&parts, &trusted)
    }

    #[test]
    fn forwarded_addresses_count_only_through_trusted_proxies() {
        // No trusted proxy: the header is the client's to invent, so it is ignored.
        assert_eq!(address("203.0.113.9", &["10.0.0.1"], &[]), "203.0.113.9");
        // Through the trusted proxy: the nearest address it saw.
        assert_eq!(
            address("127.0.0.1", &["198.51.100.1, 203.0.113.7"], &["127.0.0.1"]),
            "203.0.113.7"
        );
        // Several trusted hops are skipped; a spoofed left part is never reached.
        assert_eq!(
            address(
                "127.0.0.1",
                &["6.6.6.6, 203.0.113.7", "10.0.0.2"],
                &["127.0.0.1", "10.0.0.2"]
            ),
            "203.0.113.7"
        );
        // A trusted proxy that names nobody, or garbage: the proxy's own address.
        assert_eq!(address("127.0.0.1", &[], &["127.0.0.1"]), "127.0.0.1");
        assert_eq!(
            address("127.0.0.1", &["not-an-address"], &["127.0.0.1"]),
            "127.0.0.1"
        );
    }
}
