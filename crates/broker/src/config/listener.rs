//! `listeners`, `advertised.listeners` and `listener.security.protocol.map`.

use std::collections::BTreeMap;

use super::{ConfigError, value_err};

/// How a listener secures its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityProtocol {
    /// No TLS, no authentication.
    Plaintext,
    /// TLS, no SASL.
    Ssl,
    /// SASL over plain TCP.
    SaslPlaintext,
    /// SASL over TLS.
    SaslSsl,
}

impl SecurityProtocol {
    /// Parses Kafka's protocol names.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_uppercase().as_str() {
            "PLAINTEXT" => Self::Plaintext,
            "SSL" => Self::Ssl,
            "SASL_PLAINTEXT" => Self::SaslPlaintext,
            "SASL_SSL" => Self::SaslSsl,
            _ => return None,
        })
    }

    /// True when connections are wrapped in TLS.
    pub fn uses_tls(self) -> bool {
        matches!(self, Self::Ssl | Self::SaslSsl)
    }

    /// True when clients must authenticate with SASL before any other request.
    pub fn uses_sasl(self) -> bool {
        matches!(self, Self::SaslPlaintext | Self::SaslSsl)
    }

    /// Kafka's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Plaintext => "PLAINTEXT",
            Self::Ssl => "SSL",
            Self::SaslPlaintext => "SASL_PLAINTEXT",
            Self::SaslSsl => "SASL_SSL",
        }
    }
}

/// One listener: where the broker accepts connections and what it tells
/// clients to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    /// Its name, upper case (`PLAINTEXT`, `SASL_SSL`, or a custom name).
    pub name: String,
    /// Bind host; empty means all interfaces.
    pub host: String,
    /// Bind port; 0 means any free port (the bound port is then advertised).
    pub port: u16,
    /// Its security protocol.
    pub protocol: SecurityProtocol,
    /// Advertised host, if `advertised.listeners` names this listener.
    pub advertised_host: Option<String>,
    /// Advertised port, if `advertised.listeners` names this listener.
    pub advertised_port: Option<u16>,
}

fn split_endpoint(key: &str, s: &str) -> Result<(String, String, u16), ConfigError> {
    let (name, rest) = s
        .split_once("://")
        .ok_or_else(|| value_err(key, s, "expected NAME://host:port"))?;
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| value_err(key, s, "expected NAME://host:port"))?;
    let port = port
        .parse::<u16>()
        .map_err(|_| value_err(key, s, "port must be 0..65535"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Ok((name.trim().to_ascii_uppercase(), host.to_string(), port))
}

/// Parses the three listener properties into listeners.
pub(super) fn parse_listeners(
    listeners: &str,
    advertised: Option<&str>,
    protocol_map: Option<&str>,
) -> Result<Vec<Listener>, ConfigError> {
    let mut map = BTreeMap::new();
    for p in ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] {
        map.insert(p.to_string(), SecurityProtocol::parse(p));
    }
    if let Some(m) = protocol_map {
        for entry in m.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, proto) = entry.split_once(':').ok_or_else(|| {
                value_err(
                    "listener.security.protocol.map",
                    entry,
                    "expected NAME:PROTOCOL",
                )
            })?;
            let proto = SecurityProtocol::parse(proto).ok_or_else(|| {
                value_err(
                    "listener.security.protocol.map",
                    entry,
                    "protocol must be PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL",
                )
            })?;
            map.insert(name.trim().to_ascii_uppercase(), Some(proto));
        }
    }
    let mut out: Vec<Listener> = Vec::new();
    for item in listeners
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let (name, host, port) = split_endpoint("listeners", item)?;
        let protocol = map.get(&name).copied().flatten().ok_or_else(|| {
            value_err(
                "listeners",
                item,
                "listener name is not in listener.security.protocol.map",
            )
        })?;
        if out.iter().any(|l| l.name == name) {
            return Err(value_err(
                "listeners",
                item,
                "listener names must be unique",
            ));
        }
        out.push(Listener {
            name,
            host,
            port,
            protocol,
            advertised_host: None,
            advertised_port: None,
        });
    }
    if out.is_empty() {
        return Err(value_err(
            "listeners",
            listeners,
            "at least one listener is required",
        ));
    }
    if let Some(adv) = advertised {
        for item in adv.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, host, port) = split_endpoint("advertised.listeners", item)?;
            let l = out.iter_mut().find(|l| l.name == name).ok_or_else(|| {
                value_err(
                    "advertised.listeners",
                    item,
                    "names a listener that `listeners` does not define",
                )
            })?;
            l.advertised_host = Some(host);
            l.advertised_port = (port != 0).then_some(port);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_listeners_with_custom_names() {
        let l = parse_listeners(
            "INTERNAL://127.0.0.1:9092,EXTERNAL://0.0.0.0:9093,SASL_SSL://:0",
            Some("EXTERNAL://broker.example.com:443"),
            Some("INTERNAL:PLAINTEXT,EXTERNAL:SASL_SSL"),
        )
        .unwrap();
        assert_eq!(l.len(), 3);
        assert_eq!(l[0].protocol, SecurityProtocol::Plaintext);
        assert_eq!(l[1].protocol, SecurityProtocol::SaslSsl);
        assert_eq!(l[1].advertised_host.as_deref(), Some("broker.example.com"));
        assert_eq!(l[1].advertised_port, Some(443));
        assert_eq!(l[2].host, "");
        assert_eq!(l[2].port, 0);
    }

    #[test]
    fn unknown_names_and_bad_ports_are_errors() {
        assert!(parse_listeners("FOO://:9092", None, None).is_err());
        assert!(parse_listeners("PLAINTEXT://:99999", None, None).is_err());
        assert!(parse_listeners("PLAINTEXT:9092", None, None).is_err());
        assert!(parse_listeners("PLAINTEXT://:1,PLAINTEXT://:2", None, None).is_err());
        assert!(parse_listeners("PLAINTEXT://:1", Some("OTHER://h:1"), None).is_err());
    }
}
