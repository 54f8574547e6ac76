//! Who is asking, and how fast: the client's address (from the socket, or from
//! `X-Forwarded-For` only when the socket is a proxy the operator trusts), and a token
//! bucket per address across all accounts, checked in memory before any database work
//! or password hash.
//!
//! The per-account limits live with the accounts, in `store/access.rs`; the cap on
//! concurrent password hashes there too. The numbers and their reasons are in
//! docs/DECISIONS.md.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use axum::http::HeaderMap;

/// An address or a range (`10.0.0.0/8`, `::1`), as the operator lists trusted proxies
/// (the same type lists the directory addresses the operator allows).
pub use alc_directory::egress::Cidr;

/// Where a request comes from, as far as the server can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Client {
    pub addr: IpAddr,
    /// The request reached a trusted proxy over TLS (`X-Forwarded-Proto: https` from
    /// a trusted proxy): the session cookie is then `Secure`.
    pub tls: bool,
}

impl Client {
    /// The client of a request whose socket peer is `peer`.
    pub fn of(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[Cidr]) -> Client {
        let Some(peer) = peer else {
            return Client {
                addr: IpAddr::from([0, 0, 0, 0]),
                tls: false,
            };
        };
        let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
        if !is_trusted(peer) {
            return Client {
                addr: peer,
                tls: false,
            };
        }
        // The rightmost address that is not one of our proxies is the client; anything
        // left of it was written by the client and proves nothing.
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse().ok())
            .collect();
        let addr = forwarded
            .iter()
            .rev()
            .copied()
            .find(|ip| !is_trusted(*ip))
            .unwrap_or(peer);
        let tls = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"));
        Client { addr, tls }
    }
}

/// A token bucket per client address: `capacity` sign-in attempts at once, refilled at
/// `per_minute`. Kept in memory (per server instance); bounded in size.
pub struct AddressBuckets {
    capacity: f64,
    per_sec: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

/// Most addresses remembered; past it, the full buckets (nothing to remember) go.
const MAX_ADDRESSES: usize = 100_000;

impl AddressBuckets {
    pub fn new(capacity: u32, per_minute: u32) -> AddressBuckets {
        AddressBuckets {
            capacity: f64::from(capacity),
            per_sec: f64::from(per_minute) / 60.0,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one attempt for `addr`, or says how many seconds until one is free.
    pub fn take(&self, addr: IpAddr) -> Result<(), u64> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_ADDRESSES {
            let (capacity, per_sec) = (self.capacity, self.per_sec);
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * per_sec < capacity
            });
        }
        let (tokens, at) = buckets.entry(addr).or_insert((self.capacity, now));
        *tokens =
            (*tokens + now.duration_since(*at).as_secs_f64() * self.per_sec).min(self.capacity);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.per_sec).ceil().max(1.0) as u64)
        }
    }
}

impl Default for AddressBuckets {
    /// 20 attempts at once, then 20 a minute, per address.
    fn default() -> Self {
        AddressBuckets::new(20, 20)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_contain_what_they_should() {
        let c: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(c.contains(ip("10.1.2.3")) && !c.contains(ip("11.0.0.1")));
        let one: Cidr = "127.0.0.1".parse().unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        assert!(one.contains(ip("::ffff:127.0.0.1")), "IPv4-mapped");
        let v6: Cidr = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")) && !v6.contains(ip("fe80::1")));
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("proxy.example".parse::<Cidr>().is_err());
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "6.6.6.6, 203.0.113.9".parse().unwrap());
        h.insert("x-forwarded-proto", "https".parse().unwrap());
        let trusted = ["127.0.0.1".parse().unwrap()];
        let direct = Client::of(Some(ip("198.51.100.1")), &h, &trusted);
        assert_eq!(
            direct,
            Client {
                addr: ip("198.51.100.1"),
                tls: false
            }
        );
        let proxied = Client::of(Some(ip("127.0.0.1")), &h, &trusted);
        assert_eq!(
            proxied,
            Client {
                addr: ip("203.0.113.9"),
                tls: true
            }
        );
        let untrusting = Client::of(Some(ip("127.0.0.1")), &h, &[]);
        assert_eq!(
            untrusting,
            Client {
                addr: ip("127.0.0.1"),
                tls: false
            }
        );
    }

    #[test]
    fn a_bucket_empties_and_says_when_it_refills() {
        let b = AddressBuckets::new(3, 60);
        let a = ip("192.0.2.1");
        for _ in 0..3 {
            assert_eq!(b.take(a), Ok(()));
        }
        assert_eq!(b.take(a), Err(1));
        assert_eq!(b.take(ip("192.0.2.2")), Ok(()), "addresses are apart");
    }
}
