//! Checking one config value against its [`ConfigType`], with Kafka-style
//! messages that never echo a secret.

use super::ConfigError;
use super::catalogue::{ConfigDef, ConfigType};
use super::timestamp::parse_iso8601_millis;
use crate::filter::{parse_acl_filters, parse_group_filters, parse_topic_filters};

/// Longest value quoted back in an error message.
const MAX_ECHO: usize = 100;

/// `Invalid value 'v' for configuration k: reason`, leaving the value out
/// when it is secret or long.
pub(crate) fn invalid(name: &str, value: &str, sensitive: bool, reason: &str) -> ConfigError {
    if sensitive || value.len() > MAX_ECHO || value.contains('\n') {
        ConfigError(format!("Invalid value for configuration {name}: {reason}"))
    } else {
        ConfigError(format!(
            "Invalid value '{value}' for configuration {name}: {reason}"
        ))
    }
}

/// Checks `value` against `def`.
pub(crate) fn check(def: &ConfigDef, value: &str) -> Result<(), ConfigError> {
    let bad = |reason: &str| invalid(def.name, value, def.sensitive, reason);
    match def.kind {
        ConfigType::Boolean => parse_bool(value)
            .map(|_| ())
            .ok_or_else(|| bad("expected true or false")),
        ConfigType::Int { min } => {
            let n: i32 = value
                .trim()
                .parse()
                .map_err(|_| bad("expected a 32-bit integer"))?;
            if n < min {
                return Err(bad(&format!("must be at least {min}")));
            }
            Ok(())
        }
        ConfigType::Long { min } => {
            let n: i64 = value
                .trim()
                .parse()
                .map_err(|_| bad("expected a 64-bit integer"))?;
            if n < min {
                return Err(bad(&format!("must be at least {min}")));
            }
            Ok(())
        }
        ConfigType::Enum(allowed) => {
            if allowed.iter().any(|a| a.eq_ignore_ascii_case(value.trim())) {
                Ok(())
            } else {
                let shown: Vec<String> = allowed
                    .iter()
                    .map(|a| {
                        if a.is_empty() {
                            "\"\"".to_string()
                        } else {
                            (*a).to_string()
                        }
                    })
                    .collect();
                Err(bad(&format!("expected one of {}", shown.join(", "))))
            }
        }
        ConfigType::List | ConfigType::String => Ok(()),
        ConfigType::HostPorts => check_host_ports(value).map_err(|r| bad(&r)),
        ConfigType::TopicFilters => parse_topic_filters(value)
            .map(|_| ())
            .map_err(|e| bad(&e.0)),
        ConfigType::GroupFilters => parse_group_filters(value)
            .map(|_| ())
            .map_err(|e| bad(&e.0)),
        ConfigType::AclFilters => parse_acl_filters(value).map(|_| ()).map_err(|e| bad(&e.0)),
        ConfigType::StartOffsetSpec => super::StartOffsetSpec::parse(value)
            .map(|_| ())
            .map_err(|r| bad(&r)),
        ConfigType::Prefix => check_prefix(value).map_err(|r| bad(&r)),
        ConfigType::Pem => {
            if value.trim().is_empty() || value.contains("-----BEGIN CERTIFICATE-----") {
                Ok(())
            } else {
                Err(bad(
                    "expected PEM certificates (-----BEGIN CERTIFICATE----- …)",
                ))
            }
        }
    }
}

/// `true` / `false` in any case, as Kafka reads booleans.
pub(crate) fn parse_bool(value: &str) -> Option<bool> {
    match value.trim() {
        v if v.eq_ignore_ascii_case("true") => Some(true),
        v if v.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// `host:port[,host:port…]`; an empty value is "unset".
fn check_host_ports(value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Ok(());
    }
    for entry in value.split(',').map(str::trim) {
        let Some((host, port)) = entry.rsplit_once(':') else {
            return Err(format!("'{entry}' is not host:port"));
        };
        if host.is_empty() || host.contains("://") {
            return Err(format!("'{entry}' is not host:port"));
        }
        match port.parse::<u16>() {
            Ok(p) if p > 0 => {}
            _ => return Err(format!("'{entry}' has no valid port")),
        }
    }
    Ok(())
}

/// At most 12 characters of `[a-zA-Z0-9._-]`; empty is "unset".
fn check_prefix(value: &str) -> Result<(), String> {
    if value.chars().count() > 12 {
        return Err("at most 12 characters".into());
    }
    if let Some(c) = value.chars().find(|c| !is_topic_char(*c)) {
        return Err(format!(
            "'{c}' is not allowed in a topic name (only ASCII letters, digits, '.', '_' and '-')"
        ));
    }
    Ok(())
}

/// A character Kafka allows in topic names (and ferry in link names).
pub(crate) fn is_topic_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// The ISO-8601 part of `mirror.start.offset.spec`.
pub(crate) fn timestamp(value: &str) -> Result<i64, String> {
    parse_iso8601_millis(value.trim())
}
