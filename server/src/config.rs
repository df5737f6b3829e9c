//! Command line and environment configuration (DESIGN.md, "Running the server").

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use clap::Parser;

/// Sessions can never be configured longer than this (DESIGN.md).
pub const MAX_SESSION_CAP_SECS: i64 = 60 * 60;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "viewas-server",
    version,
    about = "viewas reference server: the impersonation API over SQLite, the audit trail, and the built SPA"
)]
pub struct Config {
    /// Address and port to listen on (port 0 picks a free one).
    #[arg(long, env = "VIEWAS_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// SQLite database file; created (with its directory) and migrated on start.
    #[arg(long, env = "VIEWAS_DB", default_value = "data/viewas.db")]
    pub db: PathBuf,

    /// Directory of the built SPA (Trunk's output).
    #[arg(long, env = "VIEWAS_DIST", default_value = "dist")]
    pub dist: PathBuf,

    /// Seed the demo data when the database is empty.
    #[arg(
        long,
        env = "VIEWAS_DEMO",
        value_parser = BoolishValueParser::new(),
        num_args = 0..=1,
        default_missing_value = "true",
        default_value = "false"
    )]
    pub demo: bool,

    /// Do not seed the demo data (overrides --demo and VIEWAS_DEMO).
    #[arg(long = "no-demo")]
    pub no_demo: bool,

    /// Size of the demo data: `full` (thousands of users and runs) or `small`.
    #[arg(long, env = "VIEWAS_DEMO_SIZE", default_value = "full", value_parser = parse_seed_size)]
    pub demo_size: crate::seed::SeedSize,

    /// Multiply the demo's runs (everyone's) by this, for benchmarks: 0.1 on
    /// the full seed gives ≈5,000 runs in all, 10 gives ≈510,000.
    #[arg(long, env = "VIEWAS_DEMO_RUNS_SCALE", default_value = "1", value_parser = parse_runs_scale)]
    pub demo_runs_scale: f64,

    /// Maximum length of an impersonation session, e.g. 30m, 20s, 1h (at most 60m).
    #[arg(long, env = "VIEWAS_MAX_SESSION", default_value = "30m", value_parser = parse_max_session)]
    pub max_session: Secs,

    /// A session ends after this long without a view request, e.g. 10m.
    #[arg(long, env = "VIEWAS_IDLE_TIMEOUT", default_value = "10m", value_parser = parse_positive_duration)]
    pub idle_timeout: Secs,

    /// Origin allowed to embed the console in a frame (e.g. https://portal.northwind.example).
    /// Repeatable; the environment variable takes a comma-separated list.
    #[arg(
        long = "partner-origin",
        env = "VIEWAS_PARTNER_ORIGINS",
        value_delimiter = ',',
        value_parser = parse_origin
    )]
    pub partner_origins: Vec<String>,

    /// Serve the demo partner portal on this second address (another origin),
    /// e.g. 127.0.0.1:8090; off when not given. Its origin is added to the
    /// partner origins.
    #[arg(long, env = "VIEWAS_PORTAL_ADDR")]
    pub portal_addr: Option<SocketAddr>,

    /// Directory of the demo partner portal's static page.
    #[arg(long, env = "VIEWAS_PORTAL_DIR", default_value = "portal")]
    pub portal_dir: PathBuf,

    /// A request's headers must arrive within this, e.g. 10s; a connection
    /// waiting longer (also between kept-alive requests) is closed.
    #[arg(long, env = "VIEWAS_HEADER_TIMEOUT", default_value = "10s", value_parser = parse_positive_duration)]
    pub header_timeout: Secs,

    /// A request's body must arrive within this after its headers, e.g. 30s;
    /// later, it is answered 408 and the connection closed.
    #[arg(long, env = "VIEWAS_BODY_TIMEOUT", default_value = "30s", value_parser = parse_positive_duration)]
    pub body_timeout: Secs,

    /// A kept-alive connection with no request is closed after this, e.g. 5s
    /// (or after --header-timeout, whichever is shorter).
    #[arg(long, env = "VIEWAS_KEEPALIVE_TIMEOUT", default_value = "5s", value_parser = parse_positive_duration)]
    pub keepalive_timeout: Secs,

    /// Open connections in all; more are closed as soon as they arrive
    /// (lowered at start if the open-file limit cannot hold them).
    #[arg(long, env = "VIEWAS_MAX_CONNECTIONS", default_value = "1024", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// Open connections from one client address (the socket peer; an IPv6
    /// /64 counts as one address).
    #[arg(long, env = "VIEWAS_MAX_CONNECTIONS_PER_ADDR", default_value = "64", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections_per_addr: u32,

    /// On shutdown, requests in flight get this long to finish, e.g. 10s.
    #[arg(long, env = "VIEWAS_SHUTDOWN_DRAIN", default_value = "10s", value_parser = parse_positive_duration)]
    pub shutdown_drain: Secs,

    /// A reverse proxy or load balancer whose `X-Forwarded-For` is believed
    /// (CIDR or a single address, e.g. 10.0.0.0/8). Repeatable; the
    /// environment variable takes a comma-separated list. None by default:
    /// sign-in throttling then counts the socket's peer.
    #[arg(
        long = "trusted-proxy",
        env = "VIEWAS_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = parse_trusted_proxy
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Config {
    /// The connection limits the flags ask for.
    pub fn limits(&self) -> crate::serve::Limits {
        let secs = |s: Secs| std::time::Duration::from_secs(s.0.unsigned_abs());
        crate::serve::Limits {
            header_timeout: secs(self.header_timeout),
            body_timeout: secs(self.body_timeout),
            keepalive_timeout: secs(self.keepalive_timeout),
            max_connections: self.max_connections as usize,
            max_connections_per_addr: self.max_connections_per_addr as usize,
            drain: secs(self.shutdown_drain),
        }
    }

    pub fn seed_demo(&self) -> bool {
        self.demo && !self.no_demo
    }

    pub fn demo_seed(&self) -> crate::seed::SeedOptions {
        crate::seed::SeedOptions {
            size: self.demo_size,
            runs_scale: self.demo_runs_scale,
        }
    }
}

/// A duration in whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Secs(pub i64);

/// Parses a humantime duration (`30m`, `20s`, `1h`, `1h 30m`, `90s`) in
/// whole seconds; a bare number means minutes, as the README has always said.
pub fn parse_duration(s: &str) -> Result<Secs, String> {
    let s = s.trim();
    if let Ok(minutes) = s.parse::<i64>() {
        return minutes
            .checked_mul(60)
            .map(Secs)
            .ok_or_else(|| format!("duration {s:?} is too large"));
    }
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("bad duration {s:?} ({e}): use e.g. 30m, 20s or 1h"))?;
    if d.subsec_nanos() != 0 {
        return Err(format!("duration {s:?} must be whole seconds"));
    }
    i64::try_from(d.as_secs())
        .map(Secs)
        .map_err(|_| format!("duration {s:?} is too large"))
}

fn parse_positive_duration(s: &str) -> Result<Secs, String> {
    let d = parse_duration(s)?;
    if d.0 <= 0 {
        return Err("the duration must be longer than zero".into());
    }
    Ok(d)
}

fn parse_max_session(s: &str) -> Result<Secs, String> {
    let d = parse_positive_duration(s)?;
    if d.0 > MAX_SESSION_CAP_SECS {
        return Err(format!(
            "{s} is longer than the 60m a session may last; choose 60m or less"
        ));
    }
    Ok(d)
}

fn parse_runs_scale(s: &str) -> Result<f64, String> {
    let f: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("runs scale {s:?} is not a number"))?;
    if f > 0.0 && f <= crate::seed::MAX_RUNS_SCALE {
        Ok(f)
    } else {
        Err(format!(
            "runs scale {s} must be above 0 and at most {}",
            crate::seed::MAX_RUNS_SCALE
        ))
    }
}

fn parse_seed_size(s: &str) -> Result<crate::seed::SeedSize, String> {
    match s {
        "full" => Ok(crate::seed::SeedSize::Full),
        "small" => Ok(crate::seed::SeedSize::Small),
        _ => Err("use `full` or `small`".into()),
    }
}

/// A trusted proxy: a CIDR block, or one address (its own /32 or /128).
pub fn parse_trusted_proxy(s: &str) -> Result<ipnet::IpNet, String> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map(|net| net.trunc())
        .map_err(|_| {
            format!("trusted proxy {s:?} must be a CIDR block such as 10.0.0.0/8, or an address")
        })
}

/// The origin a browser uses for a server bound to `addr`. An unspecified
/// address (0.0.0.0, ::) is reached through loopback on this machine, so the
/// printed URL and the CSP name that.
pub fn origin_of(addr: SocketAddr) -> String {
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    format!("http://{addr}")
}

/// An origin is `scheme://host[:port]`, nothing else: it goes verbatim into
/// the CSP header, so `;`, spaces, paths and wildcards are refused.
pub fn parse_origin(s: &str) -> Result<String, String> {
    let s = s.trim().trim_end_matches('/');
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or_else(|| format!("partner origin {s:?} must start with https:// or http://"))?;
    let ok = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !ok {
        return Err(format!(
            "partner origin {s:?} must be scheme://host[:port] with no path"
        ));
    }
    Ok(s.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("30m"), Ok(Secs(1800)));
        assert_eq!(parse_duration("20s"), Ok(Secs(20)));
        assert_eq!(parse_duration("90s"), Ok(Secs(90)));
        assert_eq!(parse_duration("1h"), Ok(Secs(3600)));
        assert_eq!(parse_duration("1h30m"), Ok(Secs(5400)));
        assert_eq!(parse_duration("10"), Ok(Secs(600)));
        assert_eq!(parse_duration("1h 30m"), Ok(Secs(5400)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("10x").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("5m3").is_err());
        assert!(parse_duration("1500ms").is_err());
    }

    #[test]
    fn max_session_is_capped_at_an_hour() {
        assert_eq!(parse_max_session("60m"), Ok(Secs(3600)));
        let err = parse_max_session("61m").unwrap_err();
        assert!(err.contains("60m"), "{err}");
        assert!(parse_max_session("0s").is_err());
    }

    #[test]
    fn origins_are_strict() {
        assert_eq!(
            parse_origin("https://Portal.Northwind.example/").unwrap(),
            "https://portal.northwind.example"
        );
        assert!(parse_origin("http://localhost:3000").is_ok());
        assert!(parse_origin("portal.example").is_err());
        assert!(parse_origin("https://a.example; script-src *").is_err());
        assert!(parse_origin("https://a.example/path").is_err());
        assert!(parse_origin("https://*").is_err());
    }

    #[test]
    fn cli_flags_and_defaults() {
        let c = Config::try_parse_from(["viewas-server"]).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(c.max_session, Secs(1800));
        assert_eq!(c.idle_timeout, Secs(600));
        let c = Config::try_parse_from([
            "viewas-server",
            "--addr",
            "127.0.0.1:0",
            "--demo",
            "--max-session",
            "20s",
            "--partner-origin",
            "https://a.example",
            "--partner-origin",
            "https://b.example",
        ])
        .unwrap();
        assert!(c.seed_demo());
        assert_eq!(c.max_session, Secs(20));
        assert_eq!(c.partner_origins.len(), 2);
        let c = Config::try_parse_from(["viewas-server", "--demo", "--no-demo"]).unwrap();
        assert!(!c.seed_demo());
        assert!(Config::try_parse_from(["viewas-server", "--max-session", "2h"]).is_err());
        let c = Config::try_parse_from(["viewas-server"]).unwrap();
        assert_eq!(c.portal_addr, None, "the portal is off by default");
        assert_eq!(c.portal_dir, PathBuf::from("portal"));
        assert_eq!(c.demo_runs_scale, 1.0);
        let c = Config::try_parse_from(["viewas-server", "--demo-runs-scale", "0.1"]).unwrap();
        assert_eq!(c.demo_seed().runs_scale, 0.1);
        assert!(Config::try_parse_from(["viewas-server", "--demo-runs-scale", "0"]).is_err());
        assert!(Config::try_parse_from(["viewas-server", "--demo-runs-scale", "NaN"]).is_err());
        assert!(Config::try_parse_from(["viewas-server", "--demo-runs-scale", "21"]).is_err());
        let c =
            Config::try_parse_from(["viewas-server", "--portal-addr", "127.0.0.1:8090"]).unwrap();
        assert_eq!(c.portal_addr.unwrap().port(), 8090);
    }

    #[test]
    fn connection_limits_have_defaults_and_flags() {
        let c = Config::try_parse_from(["viewas-server"]).unwrap();
        assert_eq!(c.limits(), crate::serve::Limits::default());
        let c = Config::try_parse_from([
            "viewas-server",
            "--header-timeout",
            "3s",
            "--body-timeout",
            "1m",
            "--keepalive-timeout",
            "2s",
            "--max-connections",
            "100",
            "--max-connections-per-addr",
            "8",
            "--shutdown-drain",
            "4s",
        ])
        .unwrap();
        let l = c.limits();
        assert_eq!(l.header_timeout.as_secs(), 3);
        assert_eq!(l.body_timeout.as_secs(), 60);
        assert_eq!(l.keepalive_timeout.as_secs(), 2);
        assert_eq!((l.max_connections, l.max_connections_per_addr), (100, 8));
        assert_eq!(l.drain.as_secs(), 4);
        assert!(Config::try_parse_from(["viewas-server", "--max-connections", "0"]).is_err());
        assert!(Config::try_parse_from(["viewas-server", "--header-timeout", "0s"]).is_err());
    }

    #[test]
    fn trusted_proxies_are_cidr_blocks() {
        let c = Config::try_parse_from(["viewas-server"]).unwrap();
        assert!(c.trusted_proxies.is_empty(), "none by default");
        let c = Config::try_parse_from([
            "viewas-server",
            "--trusted-proxy",
            "10.0.0.0/8",
            "--trusted-proxy",
            "192.0.2.7",
            "--trusted-proxy",
            "fd00::/8",
        ])
        .unwrap();
        let nets: Vec<String> = c.trusted_proxies.iter().map(|n| n.to_string()).collect();
        assert_eq!(nets, ["10.0.0.0/8", "192.0.2.7/32", "fd00::/8"]);
        assert_eq!(
            parse_trusted_proxy("10.1.2.3/8").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert!(parse_trusted_proxy("10.0.0.0/33").is_err());
        assert!(parse_trusted_proxy("proxy.internal").is_err());
    }

    #[test]
    fn origins_of_bound_addresses() {
        assert_eq!(
            origin_of("127.0.0.1:8090".parse().unwrap()),
            "http://127.0.0.1:8090"
        );
        assert_eq!(
            origin_of("0.0.0.0:8090".parse().unwrap()),
            "http://127.0.0.1:8090"
        );
        assert_eq!(origin_of("[::]:81".parse().unwrap()), "http://[::1]:81");
    }
}
