//! SASL authentication (SaslHandshake v1 + SaslAuthenticate) and the TLS client
//! configuration.
//!
//! The mechanisms' client state machines (PLAIN, SCRAM-SHA-256/512) live in
//! `ferry-auth`, shared with the broker; this module only carries their
//! messages over the Kafka protocol.

use std::sync::Arc;

use bytes::Bytes;
use kafka_protocol::messages::{
    SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest,
};
use kafka_protocol::protocol::StrBytes;

use super::{BrokerConnection, SaslCredentials};
use crate::error::{Error, Result};

/// Kafka's UNSUPPORTED_SASL_MECHANISM.
const UNSUPPORTED_SASL_MECHANISM: i16 = 33;
/// Kafka's ILLEGAL_SASL_STATE.
const ILLEGAL_SASL_STATE: i16 = 34;
/// Most round trips any supported mechanism needs; a guard against a broker
/// that keeps challenging forever.
const MAX_SASL_ROUNDS: usize = 8;

/// Runs SaslHandshake and the SaslAuthenticate exchange on a fresh connection.
pub(super) async fn authenticate(conn: &BrokerConnection, creds: &SaslCredentials) -> Result<()> {
    let mechanism = creds.mechanism.name();
    let handshake =
        SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str(mechanism));
    // v1 is the version after which the tokens travel in SaslAuthenticate frames.
    let response = conn.call_at(&handshake, 1).await?;
    match response.error_code {
        0 => {}
        UNSUPPORTED_SASL_MECHANISM => {
            let offered: Vec<&str> = response.mechanisms.iter().map(|m| m.as_str()).collect();
            return Err(Error::Authentication(format!(
                "broker {} does not enable SASL mechanism {mechanism} (it offers: {})",
                conn.addr(),
                if offered.is_empty() {
                    "none".to_owned()
                } else {
                    offered.join(", ")
                }
            )));
        }
        ILLEGAL_SASL_STATE => {
            return Err(Error::Authentication(format!(
                "broker {} is not expecting SASL on this listener (is security.protocol right?)",
                conn.addr()
            )));
        }
        code => {
            return Err(Error::kafka(
                code,
                None,
                format!("SASL handshake with {}", conn.addr()),
            ));
        }
    }
    let mut session = ferry_auth::client_session(mechanism, &creds.username, &creds.password)
        .map_err(|e| Error::Authentication(e.to_string()))?;
    let mut token = Some(session.initial_response());
    let version = conn.version_for::<SaslAuthenticateRequest>()?;
    for _ in 0..MAX_SASL_ROUNDS {
        let Some(out) = token.take() else { break };
        let request = SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(out));
        let response: SaslAuthenticateResponse = conn.call_at(&request, version).await?;
        if response.error_code != 0 {
            let why = response
                .error_message
                .as_ref()
                .map(|m| m.as_str().to_owned())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "invalid credentials".to_owned());
            // Brokers often start with the words the error prefix already says.
            let why = strip_prefix_ignore_case(&why, "authentication failed")
                .trim_start_matches([':', ' '])
                .to_owned();
            return Err(Error::Authentication(format!(
                "{why} (user '{}', {mechanism})",
                creds.username
            )));
        }
        if session.is_complete() && response.auth_bytes.is_empty() {
            return Ok(());
        }
        token = session
            .step(&response.auth_bytes)
            .map_err(|e| Error::Authentication(e.to_string()))?;
        if token.is_none() && session.is_complete() {
            return Ok(());
        }
    }
    if session.is_complete() {
        return Ok(());
    }
    Err(Error::Authentication(format!(
        "SASL {mechanism} exchange with {} did not complete",
        conn.addr()
    )))
}

/// The shared rustls client configuration: `ca_pem` roots (else the system's
/// web roots as bundled by ferry-auth), or no verification at all.
pub(super) fn tls_config(
    ca_pem: Option<&[u8]>,
    insecure_skip_verify: bool,
) -> Result<Arc<rustls::ClientConfig>> {
    if ca_pem.is_none() && !insecure_skip_verify {
        return Err(Error::Config(
            "TLS needs the CA that signed the brokers' certificates: pass --ca-cert FILE (ssl.ca.location), or --insecure-skip-tls-verify for a test setup".into(),
        ));
    }
    ferry_auth::tls::client_config(ca_pem, insecure_skip_verify)
        .map_err(|e| Error::Config(format!("TLS: {e}")))
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> &'a str {
    match s.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => &s[prefix.len()..],
        _ => s,
    }
}
