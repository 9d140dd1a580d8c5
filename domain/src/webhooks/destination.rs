//! Where a webhook may be sent. An operator types the URL, so the server must not become a way
//! into its own network (SSRF): the host is resolved and every address it resolves to is checked,
//! and the request then connects only to those checked addresses (a second lookup at connect
//! time could answer differently: DNS rebinding).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use ipnet::{Ipv4Net, Ipv6Net};

/// A URL that passed every check, and the addresses the request may connect to.
#[derive(Debug, Clone)]
pub struct Destination {
    pub url: url::Url,
    /// The host name to pin to `addrs` (`None` for an IP address written in the URL).
    pub domain: Option<String>,
    pub addrs: Vec<SocketAddr>,
}

/// Why a URL is refused, in words for the dashboard's form and delivery log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DestinationProblem {
    #[error("this is not a URL: {0}")]
    NotAUrl(String),
    #[error("a webhook URL starts with https:// (or http:// outside production)")]
    Scheme,
    #[error("a webhook URL must start with https:// in production")]
    NotHttps,
    #[error("a webhook URL may not hold a user name or password; authenticate the message by its signature instead")]
    Credentials,
    #[error("the URL names no host")]
    NoHost,
    #[error("a webhook URL is at most {0} characters")]
    TooLong(usize),
    /// Worth trying again: DNS may answer later.
    #[error("{host} could not be looked up: {why}")]
    Unresolved { host: String, why: String },
    /// Allowed only when the operator's settings allow private addresses.
    #[error("{host} is {addr}, {what}: webhooks go to the public internet unless private addresses are allowed in the settings")]
    Private {
        host: String,
        addr: IpAddr,
        what: &'static str,
    },
    /// Never allowed.
    #[error("{host} is {addr}, {what}, which cannot receive webhooks")]
    Unroutable {
        host: String,
        addr: IpAddr,
        what: &'static str,
    },
}

impl DestinationProblem {
    /// Whether the same URL may pass later (a failed lookup); the other refusals stand.
    pub fn is_temporary(&self) -> bool {
        matches!(self, DestinationProblem::Unresolved { .. })
    }
}

/// The longest URL accepted: longer ones are mistakes or abuse.
pub const MAX_URL_LEN: usize = 2_000;

/// What an address is, for the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Public,
    /// The host's own or a private network: allowed only with the operator's setting.
    Private(&'static str),
    /// Nothing to deliver to (or a cloud's metadata service): never allowed.
    Never(&'static str),
}

const fn v4(a: u8, b: u8, c: u8, d: u8, len: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), len)
}

#[allow(clippy::too_many_arguments)]
const fn v6(a: u16, b: u16, c: u16, d: u16, e: u16, f: u16, g: u16, h: u16, len: u8) -> Ipv6Net {
    Ipv6Net::new_assert(Ipv6Addr::new(a, b, c, d, e, f, g, h), len)
}

const METADATA: &str = "a cloud metadata address";
const LOOPBACK: &str = "a loopback address (this server itself)";
const PRIVATE: &str = "a private network address";
const LINK_LOCAL: &str = "a link-local address";
const SHARED: &str = "a carrier-grade NAT address";
const UNIQUE_LOCAL: &str = "a unique-local address";
const UNSPECIFIED: &str = "an unspecified address";
const THIS_NETWORK: &str = "a 'this network' address";
const MULTICAST: &str = "a multicast address";
const BROADCAST: &str = "the broadcast address";
const DOCUMENTATION: &str = "a documentation address";
const RESERVED: &str = "a reserved address";
const TUNNEL: &str = "a Teredo tunnel address";

/// IPv4 ranges, the narrower first (the metadata address lies in link-local).
const V4: &[(Ipv4Net, Reach)] = &[
    (v4(169, 254, 169, 254, 32), Reach::Never(METADATA)),
    (v4(255, 255, 255, 255, 32), Reach::Never(BROADCAST)),
    (v4(0, 0, 0, 0, 32), Reach::Never(UNSPECIFIED)),
    (v4(0, 0, 0, 0, 8), Reach::Never(THIS_NETWORK)),
    (v4(127, 0, 0, 0, 8), Reach::Private(LOOPBACK)),
    (v4(10, 0, 0, 0, 8), Reach::Private(PRIVATE)),
    (v4(172, 16, 0, 0, 12), Reach::Private(PRIVATE)),
    (v4(192, 168, 0, 0, 16), Reach::Private(PRIVATE)),
    (v4(169, 254, 0, 0, 16), Reach::Private(LINK_LOCAL)),
    (v4(100, 64, 0, 0, 10), Reach::Private(SHARED)),
    (v4(192, 0, 0, 0, 24), Reach::Never(RESERVED)),
    (v4(192, 0, 2, 0, 24), Reach::Never(DOCUMENTATION)),
    (v4(198, 51, 100, 0, 24), Reach::Never(DOCUMENTATION)),
    (v4(203, 0, 113, 0, 24), Reach::Never(DOCUMENTATION)),
    (v4(198, 18, 0, 0, 15), Reach::Never(RESERVED)),
    (v4(224, 0, 0, 0, 4), Reach::Never(MULTICAST)),
    (v4(240, 0, 0, 0, 4), Reach::Never(RESERVED)),
];

/// IPv6 ranges that carry no IPv4 address (those are read as their IPv4 address: see `reach`).
const V6: &[(Ipv6Net, Reach)] = &[
    (v6(0, 0, 0, 0, 0, 0, 0, 0, 128), Reach::Never(UNSPECIFIED)),
    (v6(0, 0, 0, 0, 0, 0, 0, 1, 128), Reach::Private(LOOPBACK)),
    // AWS's metadata service on IPv6.
    (
        v6(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254, 128),
        Reach::Never(METADATA),
    ),
    (
        v6(0xfe80, 0, 0, 0, 0, 0, 0, 0, 10),
        Reach::Private(LINK_LOCAL),
    ),
    // Site-local, deprecated but still routed by some networks as private.
    (v6(0xfec0, 0, 0, 0, 0, 0, 0, 0, 10), Reach::Private(PRIVATE)),
    (
        v6(0xfc00, 0, 0, 0, 0, 0, 0, 0, 7),
        Reach::Private(UNIQUE_LOCAL),
    ),
    // NAT64 for a local network's own use.
    (
        v6(0x64, 0xff9b, 1, 0, 0, 0, 0, 0, 48),
        Reach::Private(PRIVATE),
    ),
    (v6(0xff00, 0, 0, 0, 0, 0, 0, 0, 8), Reach::Never(MULTICAST)),
    (
        v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0, 32),
        Reach::Never(DOCUMENTATION),
    ),
    (v6(0x2001, 0, 0, 0, 0, 0, 0, 0, 32), Reach::Never(TUNNEL)),
    (v6(0x100, 0, 0, 0, 0, 0, 0, 0, 64), Reach::Never(RESERVED)),
];

/// What `ip` is. An IPv6 address that carries an IPv4 one (IPv4-mapped `::ffff:a.b.c.d`,
/// IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, 6to4 `2002:aabb:ccdd::`) is what that
/// IPv4 address is: the packet ends up there.
pub fn reach(ip: IpAddr) -> Reach {
    match ip {
        IpAddr::V4(ip) => V4
            .iter()
            .find(|(net, _)| net.contains(&ip))
            .map_or(Reach::Public, |(_, reach)| *reach),
        IpAddr::V6(ip) => {
            if let Some((_, reach)) = V6.iter().find(|(net, _)| net.contains(&ip)) {
                return *reach;
            }
            match embedded_v4(ip) {
                Some(inner) => reach(IpAddr::V4(inner)),
                None => Reach::Public,
            }
        }
    }
}

/// The IPv4 address an IPv6 address stands for, if it stands for one.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = |hi: u16, lo: u16| {
        let ([a, b], [c, d]) = (hi.to_be_bytes(), lo.to_be_bytes());
        Ipv4Addr::new(a, b, c, d)
    };
    match s {
        // IPv4-mapped and IPv4-compatible (`::` and `::1` are matched before this).
        [0, 0, 0, 0, 0, 0xffff | 0, g, h] => Some(low(g, h)),
        // NAT64's well-known prefix.
        [0x64, 0xff9b, 0, 0, 0, 0, g, h] => Some(low(g, h)),
        // 6to4.
        [0x2002, b, c, ..] => Some(low(b, c)),
        _ => None,
    }
}

/// The URL checked without the network: a web URL (https in production), no credentials in it.
pub fn check_url(raw: &str, production: bool) -> Result<url::Url, DestinationProblem> {
    let raw = raw.trim();
    if raw.len() > MAX_URL_LEN {
        return Err(DestinationProblem::TooLong(MAX_URL_LEN));
    }
    let url = url::Url::parse(raw).map_err(|e| DestinationProblem::NotAUrl(e.to_string()))?;
    match url.scheme() {
        "https" => {}
        "http" if !production => {}
        "http" => return Err(DestinationProblem::NotHttps),
        _ => return Err(DestinationProblem::Scheme),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(DestinationProblem::Credentials);
    }
    if url.host().is_none() {
        return Err(DestinationProblem::NoHost);
    }
    Ok(url)
}

/// Checks the addresses `host` resolved to: every one must be public (or private, when
/// `allow_private`); one that is not refuses the whole URL, since a lookup may answer with any.
pub fn check_addrs(
    host: &str,
    addrs: &[SocketAddr],
    allow_private: bool,
) -> Result<(), DestinationProblem> {
    for addr in addrs {
        let ip = addr.ip();
        match reach(ip) {
            Reach::Public => {}
            Reach::Private(_) if allow_private => {}
            Reach::Private(what) => {
                return Err(DestinationProblem::Private {
                    host: host.to_owned(),
                    addr: ip,
                    what,
                })
            }
            Reach::Never(what) => {
                return Err(DestinationProblem::Unroutable {
                    host: host.to_owned(),
                    addr: ip,
                    what,
                })
            }
        }
    }
    Ok(())
}

fn is_localhost(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    name.eq_ignore_ascii_case("localhost") || name.to_ascii_lowercase().ends_with(".localhost")
}

/// Checks a webhook URL and resolves its host: the addresses to connect to, or why not.
/// Called when the endpoint is saved and again before every attempt.
pub async fn check_destination(
    raw: &str,
    production: bool,
    allow_private: bool,
) -> Result<Destination, DestinationProblem> {
    let url = check_url(raw, production)?;
    let port = url
        .port_or_known_default()
        .ok_or(DestinationProblem::Scheme)?;
    let (domain, addrs) = match url.host() {
        Some(url::Host::Ipv4(ip)) => (None, vec![SocketAddr::new(IpAddr::V4(ip), port)]),
        Some(url::Host::Ipv6(ip)) => (None, vec![SocketAddr::new(IpAddr::V6(ip), port)]),
        Some(url::Host::Domain(name)) => {
            // `localhost` and its subdomains are the host itself (RFC 6761) whatever DNS says;
            // some resolvers do not answer for them, which would read as a temporary problem.
            if is_localhost(name) && !allow_private {
                return Err(DestinationProblem::Private {
                    host: name.to_owned(),
                    addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
                    what: LOOPBACK,
                });
            }
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name, port))
                .await
                .map_err(|e| DestinationProblem::Unresolved {
                    host: name.to_owned(),
                    why: e.to_string(),
                })?
                .collect();
            if found.is_empty() {
                return Err(DestinationProblem::Unresolved {
                    host: name.to_owned(),
                    why: "no addresses".into(),
                });
            }
            (Some(name.to_owned()), found)
        }
        None => return Err(DestinationProblem::NoHost),
    };
    let host = url.host_str().unwrap_or_default().to_owned();
    check_addrs(&host, &addrs, allow_private)?;
    Ok(Destination { url, domain, addrs })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn each_refused_range_is_named() {
        for (addr, expected) in [
            ("127.0.0.1", Reach::Private(LOOPBACK)),
            ("127.255.1.2", Reach::Private(LOOPBACK)),
            ("::1", Reach::Private(LOOPBACK)),
            ("10.1.2.3", Reach::Private(PRIVATE)),
            ("172.16.0.1", Reach::Private(PRIVATE)),
            ("172.31.255.254", Reach::Private(PRIVATE)),
            ("192.168.1.1", Reach::Private(PRIVATE)),
            ("169.254.10.20", Reach::Private(LINK_LOCAL)),
            ("fe80::1", Reach::Private(LINK_LOCAL)),
            ("fc00::1", Reach::Private(UNIQUE_LOCAL)),
            ("fd12:3456::1", Reach::Private(UNIQUE_LOCAL)),
            ("100.64.0.1", Reach::Private(SHARED)),
            ("100.127.255.254", Reach::Private(SHARED)),
            ("169.254.169.254", Reach::Never(METADATA)),
            ("fd00:ec2::254", Reach::Never(METADATA)),
            ("0.0.0.0", Reach::Never(UNSPECIFIED)),
            ("::", Reach::Never(UNSPECIFIED)),
            ("0.1.2.3", Reach::Never(THIS_NETWORK)),
            ("224.0.0.1", Reach::Never(MULTICAST)),
            ("239.255.255.250", Reach::Never(MULTICAST)),
            ("ff02::1", Reach::Never(MULTICAST)),
            ("255.255.255.255", Reach::Never(BROADCAST)),
            ("192.0.2.1", Reach::Never(DOCUMENTATION)),
            ("198.51.100.7", Reach::Never(DOCUMENTATION)),
            ("203.0.113.9", Reach::Never(DOCUMENTATION)),
            ("2001:db8::1", Reach::Never(DOCUMENTATION)),
            ("240.0.0.1", Reach::Never(RESERVED)),
            ("198.18.0.1", Reach::Never(RESERVED)),
        ] {
            assert_eq!(reach(ip(addr)), expected, "{addr}");
        }
    }

    #[test]
    fn ipv6_forms_of_an_ipv4_address_are_that_address() {
        for (addr, expected) in [
            ("::ffff:127.0.0.1", Reach::Private(LOOPBACK)),
            ("::ffff:10.0.0.1", Reach::Private(PRIVATE)),
            ("::ffff:169.254.169.254", Reach::Never(METADATA)),
            ("::127.0.0.1", Reach::Private(LOOPBACK)),
            ("::192.168.0.1", Reach::Private(PRIVATE)),
            ("64:ff9b::7f00:1", Reach::Private(LOOPBACK)),
            ("64:ff9b::a9fe:a9fe", Reach::Never(METADATA)),
            ("2002:7f00:1::", Reach::Private(LOOPBACK)),
            ("2002:c0a8:101::1", Reach::Private(PRIVATE)),
            ("::ffff:8.8.8.8", Reach::Public),
            ("2002:808:808::1", Reach::Public),
        ] {
            assert_eq!(reach(ip(addr)), expected, "{addr}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for addr in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "192.169.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4009:81f::200e",
        ] {
            assert_eq!(reach(ip(addr)), Reach::Public, "{addr}");
        }
    }

    #[test]
    fn only_web_urls_without_credentials_pass() {
        assert_eq!(
            check_url("ftp://example.com/", false),
            Err(DestinationProblem::Scheme)
        );
        assert_eq!(
            check_url("file:///etc/passwd", false),
            Err(DestinationProblem::Scheme)
        );
        assert_eq!(
            check_url("gopher://example.com/", false),
            Err(DestinationProblem::Scheme)
        );
        assert!(matches!(
            check_url("example.com/hook", false),
            Err(DestinationProblem::NotAUrl(_))
        ));
        assert!(matches!(
            check_url("", false),
            Err(DestinationProblem::NotAUrl(_))
        ));
        assert_eq!(
            check_url("https://user:pw@example.com/", false),
            Err(DestinationProblem::Credentials)
        );
        assert_eq!(
            check_url("https://user@example.com/", false),
            Err(DestinationProblem::Credentials)
        );
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert_eq!(
            check_url(&long, false),
            Err(DestinationProblem::TooLong(MAX_URL_LEN))
        );
        assert!(check_url(" https://example.com/hooks?x=1 ", true).is_ok());
    }

    #[test]
    fn production_refuses_plain_http() {
        assert_eq!(
            check_url("http://example.com/", true),
            Err(DestinationProblem::NotHttps)
        );
        assert!(check_url("http://example.com/", false).is_ok());
        assert!(check_url("https://example.com/", true).is_ok());
    }

    async fn refused(raw: &str) -> DestinationProblem {
        check_destination(raw, false, false).await.expect_err(raw)
    }

    #[tokio::test]
    async fn loopback_in_any_spelling_is_refused() {
        for raw in [
            "http://127.0.0.1/",
            "http://127.0.0.1:8080/hook",
            "http://127.1/",
            "http://0x7f.1/",
            "http://0177.0.0.1/",
            "http://2130706433/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://localhost/",
            "http://LOCALHOST./",
            "https://api.localhost/hook",
        ] {
            match refused(raw).await {
                DestinationProblem::Private { what, .. } => assert_eq!(what, LOOPBACK, "{raw}"),
                other => panic!("{raw}: {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn private_link_local_and_metadata_literals_are_refused() {
        for (raw, private) in [
            ("https://10.0.0.5/", true),
            ("https://192.168.0.10/", true),
            ("https://172.20.1.1/", true),
            ("https://[fd00::1]/", true),
            ("https://[fe80::1]/", true),
            ("https://100.64.1.1/", true),
            ("http://169.254.169.254/latest/meta-data/", false),
            ("https://0.0.0.0/", false),
            ("https://224.0.0.1/", false),
        ] {
            let problem = refused(raw).await;
            assert_eq!(
                matches!(problem, DestinationProblem::Private { .. }),
                private,
                "{raw}: {problem}"
            );
            assert!(!problem.is_temporary(), "{raw}");
        }
    }

    #[tokio::test]
    async fn allowing_private_addresses_lets_loopback_through_but_never_metadata() {
        let d = check_destination("http://127.0.0.1:9/hook", false, true)
            .await
            .unwrap();
        assert_eq!(d.addrs, vec!["127.0.0.1:9".parse().unwrap()]);
        assert_eq!(d.domain, None);
        let d = check_destination("http://localhost:9/", false, true)
            .await
            .unwrap();
        assert_eq!(d.domain.as_deref(), Some("localhost"));
        assert!(d
            .addrs
            .iter()
            .all(|a| a.ip().is_loopback() && a.port() == 9));
        assert!(matches!(
            check_destination("http://169.254.169.254/", false, true).await,
            Err(DestinationProblem::Unroutable { .. })
        ));
        assert!(matches!(
            check_destination("http://[::ffff:169.254.169.254]/", false, true).await,
            Err(DestinationProblem::Unroutable { .. })
        ));
    }

    #[tokio::test]
    async fn an_unknown_host_is_a_temporary_problem() {
        let problem = refused("https://no-such-host.invalid/").await;
        assert!(problem.is_temporary(), "{problem}");
    }

    #[test]
    fn one_private_address_among_public_ones_refuses_the_host() {
        let addrs = [
            "93.184.216.34:443".parse().unwrap(),
            "10.0.0.1:443".parse().unwrap(),
        ];
        assert!(matches!(
            check_addrs("rebind.example", &addrs, false),
            Err(DestinationProblem::Private { .. })
        ));
        assert!(check_addrs("rebind.example", &addrs, true).is_ok());
    }

    #[test]
    fn the_messages_say_what_to_do() {
        let problem = DestinationProblem::Private {
            host: "localhost".into(),
            addr: ip("127.0.0.1"),
            what: LOOPBACK,
        };
        assert_eq!(
            problem.to_string(),
            "localhost is 127.0.0.1, a loopback address (this server itself): webhooks go to the \
             public internet unless private addresses are allowed in the settings"
        );
    }
}
