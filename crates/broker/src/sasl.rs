//! SASL on one connection: SaslHandshake (v1) names the mechanism, then
//! SaslAuthenticate carries its messages until the exchange completes.
//!
//! The mechanisms themselves live in `ferry_auth`. A failed exchange is
//! answered with SASL_AUTHENTICATION_FAILED and a message, then the connection
//! is closed, as Kafka does: the client always learns why, never sees a
//! silently dropped socket.

use ferry_auth::{AuthError, Authenticator, ServerSession, Step};
use ferry_protocol::RequestFrame;
use kafka_protocol::ResponseError;
use kafka_protocol::messages::{
    SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse,
};
use kafka_protocol::protocol::StrBytes;

use crate::api::{Outcome, RequestContext, encode};

/// Where a connection is in its SASL exchange.
pub(crate) struct SaslState {
    authenticator: Option<Authenticator>,
    session: Option<Box<dyn ServerSession>>,
    principal: Option<String>,
    close_after_response: bool,
}

impl std::fmt::Debug for SaslState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaslState")
            .field("required", &self.authenticator.is_some())
            .field("in_progress", &self.session.is_some())
            .field("principal", &self.principal)
            .finish()
    }
}

impl SaslState {
    /// `authenticator` is `Some` on SASL listeners.
    pub(crate) fn new(authenticator: Option<Authenticator>) -> Self {
        Self {
            authenticator,
            session: None,
            principal: None,
            close_after_response: false,
        }
    }

    /// True once authenticated, or always on listeners without SASL.
    pub(crate) fn is_authenticated(&self) -> bool {
        self.authenticator.is_none() || self.principal.is_some()
    }

    /// The authenticated user.
    pub(crate) fn principal(&self) -> Option<&str> {
        self.principal.as_deref()
    }

    /// True after a failed exchange: the failure response is sent, then the
    /// connection closes.
    pub(crate) fn must_close(&self) -> bool {
        self.close_after_response
    }

    pub(crate) fn handshake(&mut self, ctx: &RequestContext, frame: &RequestFrame) -> Outcome {
        let req: SaslHandshakeRequest = match frame.decode_body() {
            Ok(r) => r,
            Err(e) => return Outcome::Close(e.to_string()),
        };
        let Some(auth) = &self.authenticator else {
            // Kafka answers a handshake on a non-SASL listener with ILLEGAL_SASL_STATE.
            return encode(
                ctx,
                frame,
                &SaslHandshakeResponse::default()
                    .with_error_code(ResponseError::IllegalSaslState.code()),
            );
        };
        let mechanisms = auth
            .mechanisms()
            .into_iter()
            .map(StrBytes::from_static_str)
            .collect();
        let mut resp = SaslHandshakeResponse::default().with_mechanisms(mechanisms);
        if ctx.api_version == 0 {
            // v0 would be followed by unframed SASL tokens, which Kafka 4
            // removed; say so and close rather than misread them as frames.
            resp = resp.with_error_code(ResponseError::UnsupportedVersion.code());
            self.close_after_response = true;
        } else if self.principal.is_some() || self.session.is_some() {
            resp = resp.with_error_code(ResponseError::IllegalSaslState.code());
            self.close_after_response = true;
        } else {
            match auth.start(&req.mechanism) {
                Ok(session) => self.session = Some(session),
                Err(_) => {
                    resp = resp.with_error_code(ResponseError::UnsupportedSaslMechanism.code());
                    self.close_after_response = true;
                }
            }
        }
        encode(ctx, frame, &resp)
    }

    pub(crate) fn authenticate(&mut self, ctx: &RequestContext, frame: &RequestFrame) -> Outcome {
        let req: SaslAuthenticateRequest = match frame.decode_body() {
            Ok(r) => r,
            Err(e) => return Outcome::Close(e.to_string()),
        };
        let Some(session) = self.session.as_mut() else {
            self.close_after_response = true;
            return encode(
                ctx,
                frame,
                &failure(
                    ResponseError::IllegalSaslState,
                    "SaslAuthenticate without a SaslHandshake first",
                ),
            );
        };
        let resp = match session.step(&req.auth_bytes) {
            Ok(Step::Challenge(bytes)) => {
                SaslAuthenticateResponse::default().with_auth_bytes(bytes.into())
            }
            Ok(Step::Done {
                principal,
                server_final,
            }) => {
                tracing::info!(principal = %principal, peer = %ctx.client_host, "SASL authentication succeeded");
                self.principal = Some(principal);
                self.session = None;
                SaslAuthenticateResponse::default().with_auth_bytes(server_final.into())
            }
            Err(e) => {
                tracing::warn!(peer = %ctx.client_host, listener = %ctx.listener, "SASL authentication failed: {e}");
                self.session = None;
                self.close_after_response = true;
                let text = match &e {
                    AuthError::InvalidCredentials(m) | AuthError::Malformed(m) => m.clone(),
                    other => other.to_string(),
                };
                failure(ResponseError::SaslAuthenticationFailed, &text)
            }
        };
        encode(ctx, frame, &resp)
    }
}

fn failure(error: ResponseError, message: &str) -> SaslAuthenticateResponse {
    SaslAuthenticateResponse::default()
        .with_error_code(error.code())
        .with_error_message(Some(StrBytes::from_string(message.to_string())))
}
