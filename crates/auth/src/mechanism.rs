//! The SASL mechanisms ferry speaks, named as on the wire.

use std::fmt;
use std::str::FromStr;

use crate::error::AuthError;
use crate::scram::ScramAlgorithm;

/// A SASL mechanism, as listed in Kafka's `sasl.enabled.mechanisms` and
/// named in `SaslHandshake` requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mechanism {
    /// `PLAIN` (RFC 4616): the password travels in the clear, so use it over TLS.
    Plain,
    /// `SCRAM-SHA-256` (RFC 7677).
    ScramSha256,
    /// `SCRAM-SHA-512` (same exchange as RFC 7677 with SHA-512).
    ScramSha512,
}

impl Mechanism {
    /// Every mechanism ferry implements, in the order it advertises them.
    pub const ALL: [Mechanism; 3] = [
        Mechanism::Plain,
        Mechanism::ScramSha256,
        Mechanism::ScramSha512,
    ];

    /// The mechanism's name as on the wire (`"PLAIN"`, `"SCRAM-SHA-256"`, `"SCRAM-SHA-512"`).
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::ScramSha256 => "SCRAM-SHA-256",
            Mechanism::ScramSha512 => "SCRAM-SHA-512",
        }
    }

    /// Looks a wire name up. Kafka compares mechanism names exactly, so this
    /// is case-sensitive too.
    pub fn from_name(name: &str) -> Option<Mechanism> {
        Mechanism::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Parses a `sasl.enabled.mechanisms` value: a comma-separated list
    /// (whitespace around names ignored, duplicates dropped).
    ///
    /// # Errors
    /// [`AuthError::UnsupportedMechanism`] for a name ferry does not implement
    /// (e.g. `GSSAPI`, `OAUTHBEARER`).
    pub fn parse_list(value: &str) -> Result<Vec<Mechanism>, AuthError> {
        let mut out = Vec::new();
        for name in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let mechanism: Mechanism = name.parse()?;
            if !out.contains(&mechanism) {
                out.push(mechanism);
            }
        }
        Ok(out)
    }

    /// The SCRAM hash behind this mechanism, or `None` for PLAIN.
    pub(crate) fn scram_algorithm(self) -> Option<ScramAlgorithm> {
        match self {
            Mechanism::Plain => None,
            Mechanism::ScramSha256 => Some(ScramAlgorithm::Sha256),
            Mechanism::ScramSha512 => Some(ScramAlgorithm::Sha512),
        }
    }
}

impl FromStr for Mechanism {
    type Err = AuthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mechanism::from_name(s).ok_or_else(|| AuthError::UnsupportedMechanism(s.to_owned()))
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_case_sensitive() {
        for m in Mechanism::ALL {
            assert_eq!(Mechanism::from_name(m.name()), Some(m));
        }
        assert_eq!(Mechanism::from_name("plain"), None);
        assert_eq!(Mechanism::from_name("SCRAM-SHA-1"), None);
    }

    #[test]
    fn parse_list_trims_dedups_and_rejects_unknown() {
        let got = Mechanism::parse_list(" PLAIN, SCRAM-SHA-512 ,PLAIN,").unwrap();
        assert_eq!(got, vec![Mechanism::Plain, Mechanism::ScramSha512]);
        let err = Mechanism::parse_list("PLAIN,GSSAPI").unwrap_err();
        assert!(matches!(err, AuthError::UnsupportedMechanism(ref n) if n == "GSSAPI"));
    }
}
