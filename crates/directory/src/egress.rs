//! Where the connectors may connect: a directory's address is typed by an admin, and
//! the server then calls it with stored credentials, so an address inside our own
//! network (loopback, private ranges, the cloud's metadata service) would make the
//! console a way to reach what the internet cannot.
//!
//! [`Egress`] is the rule: `https://` only, and only to public addresses, unless the
//! operator allows a host name or an address range (the demo's simulator, the tests,
//! a directory on the company's own network). It is checked when the address is
//! saved ([`Egress::check_saved`], which also resolves the name), and again for every
//! connection: [`Egress::resolver`] is reqwest's DNS resolver, so a name that
//! resolves to a public address when saved and to a private one later (DNS
//! rebinding) is refused too. Addresses written as IP literals never reach a
//! resolver; [`Egress::check_url`] covers them on every request.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// An address range (`10.0.0.0/8`, `::1/128`); a bare address is a range of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Cidr, String> {
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = addr
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or range"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: the prefix must be 0–{max}"))?,
            None => max,
        };
        Ok(Cidr { addr, prefix })
    }
}

impl Cidr {
    /// Whether `ip` is in the range. An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`)
    /// is its IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ((a, wa), (b, wb)) = (bits(self.addr), bits(ip));
        if wa != wb {
            return false;
        }
        let prefix = u32::from(self.prefix).min(wa);
        if prefix == 0 {
            return true;
        }
        let shift = wa - prefix;
        (a >> shift) == (b >> shift)
    }
}

fn bits(ip: IpAddr) -> (u128, u32) {
    match canonical(ip) {
        IpAddr::V4(v) => (u128::from(u32::from(v)), 32),
        IpAddr::V6(v) => (u128::from(v), 128),
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v) => match v.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v),
        },
        v4 => v4,
    }
}

/// One entry of the operator's allow-list: a host name (exactly, case aside) or an
/// address range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Allowed {
    Host(String),
    Range(Cidr),
}

impl Allowed {
    /// This machine's loopback, IPv4 and IPv6 (where the fake directories run).
    pub fn loopback() -> Vec<Allowed> {
        vec![
            Allowed::Range("127.0.0.0/8".parse().expect("a range")),
            Allowed::Range("::1/128".parse().expect("a range")),
        ]
    }
}

impl FromStr for Allowed {
    type Err = String;
    fn from_str(s: &str) -> Result<Allowed, String> {
        let s = s.trim();
        if let Ok(range) = s.parse::<Cidr>() {
            return Ok(Allowed::Range(range));
        }
        let valid = !s.is_empty()
            && s.len() <= 253
            && s.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if valid && !s.contains('/') {
            Ok(Allowed::Host(s.to_ascii_lowercase()))
        } else {
            Err(format!(
                "{s:?} is neither a host name nor an IP address or range"
            ))
        }
    }
}

/// Why an address may not be called. The message is for the admin who typed it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// The rule for outgoing connections; see the module's documentation.
#[derive(Clone, Debug, Default)]
pub struct Egress {
    allow: Vec<Allowed>,
}

impl Egress {
    /// Public `https://` addresses, and what `allow` names (which may also be
    /// `http://`: a simulator or a directory on the company's own network).
    pub fn new(allow: Vec<Allowed>) -> Egress {
        Egress { allow }
    }

    /// For tests against the fake directories on this machine: loopback allowed.
    pub fn loopback() -> Egress {
        Egress::new(Allowed::loopback())
    }

    fn allows_name(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.');
        self.allow
            .iter()
            .any(|a| matches!(a, Allowed::Host(h) if h.eq_ignore_ascii_case(host)))
    }

    fn allows_range(&self, ip: IpAddr) -> bool {
        self.allow
            .iter()
            .any(|a| matches!(a, Allowed::Range(r) if r.contains(ip)))
    }

    /// Whether a connection to `ip` may be made (for a name the allow-list does not
    /// name).
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), Refused> {
        self.check_ip_as(ip, &ip.to_string())
    }

    /// [`Egress::check_ip`], the refusal naming `ip` as `shown` ("localhost resolves
    /// to 127.0.0.1").
    fn check_ip_as(&self, ip: IpAddr, shown: &str) -> Result<(), Refused> {
        if self.allows_range(ip) || is_public(ip) {
            Ok(())
        } else {
            Err(Refused(format!(
                "{shown}, {}: the console does not call addresses inside its own network",
                kind_of(ip)
            )))
        }
    }

    /// The address's form: `https://` (or a host the allow-list names), no user name
    /// or password in it, and an IP literal only if it may be called.
    pub fn check_url(&self, url: &Url) -> Result<(), Refused> {
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refused(
                "The address must not contain a user name or password: enter them in their own fields.".into(),
            ));
        }
        let host = url
            .host()
            .ok_or_else(|| Refused("The address has no host.".into()))?;
        let allowed = match &host {
            url::Host::Domain(d) => self.allows_name(d),
            url::Host::Ipv4(ip) => self.allows_range(IpAddr::V4(*ip)),
            url::Host::Ipv6(ip) => self.allows_range(IpAddr::V6(*ip)),
        };
        match url.scheme() {
            "https" => {}
            "http" if allowed => {}
            _ => {
                return Err(Refused(
                    "The address must start with https:// (the credentials travel with every request).".into(),
                ));
            }
        }
        match host {
            url::Host::Domain(_) => Ok(()),
            url::Host::Ipv4(ip) => self.check_ip(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => self.check_ip(IpAddr::V6(ip)),
        }
    }

    /// Everything [`Egress::check_url`] checks, and that the host name resolves, to
    /// addresses that may be called: what saving a directory's address requires.
    pub async fn check_saved(&self, address: &str) -> Result<(), Refused> {
        let url = Url::parse(address.trim())
            .map_err(|_| Refused("This is not a web address: start it with https://".into()))?;
        self.check_url(&url)?;
        let Some(url::Host::Domain(name)) = url.host() else {
            return Ok(());
        };
        if self.allows_name(name) {
            return Ok(());
        }
        let port = url.port_or_known_default().unwrap_or(443);
        let addrs = tokio::net::lookup_host((name, port))
            .await
            .map_err(|_| Refused(format!("No address was found for {name}.")))?;
        for addr in addrs {
            self.check_ip_as(addr.ip(), &format!("{name} resolves to {}", addr.ip()))?;
        }
        Ok(())
    }

    /// reqwest's DNS resolver under this rule: the addresses a name resolves to,
    /// without those that may not be called; none left is an error.
    pub fn resolver(self: &Arc<Self>) -> Arc<GuardedResolver> {
        Arc::new(GuardedResolver(self.clone()))
    }
}

/// See [`Egress::resolver`].
pub struct GuardedResolver(Arc<Egress>);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let egress = self.0.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let by_name = egress.allows_name(&host);
            let mut refused = None;
            let ok: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| match by_name {
                    true => true,
                    false => match egress.check_ip(a.ip()) {
                        Ok(()) => true,
                        Err(e) => {
                            refused.get_or_insert(e);
                            false
                        }
                    },
                })
                .collect();
            if ok.is_empty() {
                let e = refused.unwrap_or_else(|| Refused(format!("no address for {host}")));
                return Err(Box::new(e) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(ok.into_iter()) as Addrs)
        })
    }
}

/// Whether `ip` is on the public internet: not loopback, private, shared (CGNAT),
/// link-local (the cloud metadata service is 169.254.169.254), unique-local,
/// multicast, broadcast, unspecified, documentation, benchmarking or reserved.
/// IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4) are judged by it.
pub fn is_public(ip: IpAddr) -> bool {
    kind_of(ip) == "public"
}

fn kind_of(ip: IpAddr) -> &'static str {
    match canonical(ip) {
        IpAddr::V4(v) => kind_of_v4(v),
        IpAddr::V6(v) => kind_of_v6(v),
    }
}

fn kind_of_v4(v: Ipv4Addr) -> &'static str {
    let [a, b, c, _] = v.octets();
    match () {
        _ if v.is_unspecified() || a == 0 => "unspecified",
        _ if v.is_loopback() => "loopback",
        _ if v.is_private() => "a private address",
        _ if a == 100 && (64..128).contains(&b) => "a shared (carrier-grade NAT) address",
        _ if v.is_link_local() => "link-local (the cloud metadata service lives here)",
        _ if v.is_multicast() => "multicast",
        _ if v.is_broadcast() => "broadcast",
        _ if v.is_documentation() => "a documentation address",
        _ if a == 198 && (b == 18 || b == 19) => "a benchmarking address",
        _ if a == 192 && b == 0 && c == 0 => "reserved for protocols",
        _ if a >= 240 => "reserved",
        _ => "public",
    }
}

fn kind_of_v6(v: Ipv6Addr) -> &'static str {
    let s = v.segments();
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match () {
        _ if v.is_unspecified() => "unspecified",
        _ if v.is_loopback() => "loopback",
        _ if v.is_multicast() => "multicast",
        _ if (s[0] & 0xfe00) == 0xfc00 => "a unique-local address",
        _ if (s[0] & 0xffc0) == 0xfe80 => "link-local",
        _ if (s[0] & 0xffc0) == 0xfec0 => "site-local",
        _ if s[0] == 0x2001 && s[1] == 0x0db8 => "a documentation address",
        // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach an IPv4 address: judge that.
        _ if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] => {
            kind_of_v4(embedded(s[6], s[7]))
        }
        _ if s[0] == 0x2002 => kind_of_v4(embedded(s[1], s[2])),
        // IPv4-compatible (::a.b.c.d, deprecated).
        _ if s[0..6] == [0, 0, 0, 0, 0, 0] => "reserved",
        _ => "public",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn inside_addresses_are_not_public() {
        for s in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "2002:7f00:1::",
            "2001:db8::1",
        ] {
            assert!(!is_public(ip(s)), "{s} passed as public");
        }
        for s in ["8.8.8.8", "52.1.2.3", "2606:4700::1111", "64:ff9b::808:808"] {
            assert!(is_public(ip(s)), "{s} refused");
        }
    }

    #[test]
    fn urls_need_https_and_a_public_literal_unless_allowed() {
        let strict = Egress::default();
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(
            strict
                .check_url(&url("https://platform.ringcentral.com"))
                .is_ok()
        );
        for s in [
            "http://platform.ringcentral.com",
            "https://127.0.0.1:22",
            "https://10.0.0.1",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]:8443",
            "https://[::ffff:7f00:1]",
            "https://user:pw@platform.ringcentral.com",
            "ftp://platform.ringcentral.com",
        ] {
            assert!(strict.check_url(&url(s)).is_err(), "{s} allowed");
        }
        let lab = Egress::new(vec![
            "10.1.0.0/16".parse().unwrap(),
            "sim.test".parse().unwrap(),
        ]);
        assert!(lab.check_url(&url("http://10.1.2.3:8080")).is_ok());
        assert!(lab.check_url(&url("http://SIM.test:9000")).is_ok());
        assert!(lab.check_url(&url("https://10.2.0.1")).is_err());
        assert!(lab.check_url(&url("http://other.test")).is_err());
    }

    #[test]
    fn allow_list_entries_parse() {
        assert_eq!(
            "sim.example.com".parse::<Allowed>().unwrap(),
            Allowed::Host("sim.example.com".into())
        );
        assert!(matches!(
            "192.168.0.0/16".parse::<Allowed>().unwrap(),
            Allowed::Range(_)
        ));
        assert!(matches!(
            "[::1]".parse::<Allowed>().unwrap(),
            Allowed::Range(_)
        ));
        for bad in ["", "http://x", "a..b", "10.0.0.0/40", "a b"] {
            assert!(bad.parse::<Allowed>().is_err(), "{bad:?} accepted");
        }
    }

    #[tokio::test]
    async fn a_name_that_resolves_inside_is_refused_when_saved() {
        let strict = Egress::default();
        let e = strict
            .check_saved("https://localhost:8443")
            .await
            .unwrap_err();
        assert!(e.0.contains("localhost resolves to"), "{e}");
        assert!(strict.check_saved("https://name.invalid").await.is_err());
        assert!(strict.check_saved("not a url").await.is_err());
        let named = Egress::new(vec!["localhost".parse().unwrap()]);
        assert!(named.check_saved("http://localhost:8443").await.is_ok());
    }
}
