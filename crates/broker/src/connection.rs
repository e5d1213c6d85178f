//! One client connection: frames in, one response per request out, in order.
//!
//! Kafka processes a connection's requests one at a time and answers in order
//! (clients match responses by correlation id but rely on the order too), so
//! this loop does the same. Responses are fed to the socket and flushed only
//! when no further request is already buffered, which batches small writes
//! for pipelining producers.
//!
//! On a SASL listener the only requests allowed before authentication are
//! ApiVersions, SaslHandshake and SaslAuthenticate; anything else closes the
//! connection, as Kafka does.

use std::sync::Arc;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::{ApiKey, ApiVersionsResponse};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio_util::codec::Framed;

use crate::api::{self, Outcome, RequestContext};
use crate::sasl::SaslState;
use crate::state::Broker;
use ferry_protocol::{FrameCodec, RequestFrame};

/// Responses at least this large bypass the codec's write buffer.
const DIRECT_WRITE_BYTES: usize = 64 * 1024;

/// Everything a connection needs to know about where it came from.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionInfo {
    /// The listener's name.
    pub(crate) listener: String,
    /// The listener's SASL authenticator, on SASL listeners.
    pub(crate) authenticator: Option<ferry_auth::Authenticator>,
    /// The peer's address.
    pub(crate) peer: String,
}

/// Serves one connection until the client closes it, sends something that
/// cannot be answered, or the broker shuts down.
pub(crate) async fn serve<S>(
    broker: Arc<Broker>,
    info: ConnectionInfo,
    stream: S,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    let codec = FrameCodec::new(broker.config().max_request_bytes);
    let mut framed = Framed::new(stream, codec);
    let mut sasl = SaslState::new(info.authenticator.clone());
    loop {
        let next = tokio::select! {
            next = framed.next() => next,
            _ = shutdown.changed() => return,
        };
        let frame = match next {
            None => return,
            Some(Ok(frame)) => frame.freeze(),
            Some(Err(e)) => {
                // Oversized or unreadable frame: Kafka closes the connection.
                tracing::debug!(peer = %info.peer, "closing connection: {e}");
                return;
            }
        };
        match handle_frame(&broker, &info, &mut sasl, frame).await {
            Outcome::Respond(bytes) => {
                let more_buffered = !framed.read_buffer().is_empty();
                let sent = if bytes.len() >= DIRECT_WRITE_BYTES {
                    // Large responses (fetches) already carry their size
                    // prefix: write them straight to the socket rather than
                    // copy megabytes into the codec's buffer first.
                    match SinkExt::<Bytes>::flush(&mut framed).await {
                        Ok(()) => framed.get_mut().write_all(&bytes).await,
                        Err(e) => Err(e),
                    }
                } else {
                    // The codec writes its own size prefix; our frames carry one.
                    let body = bytes.freeze().slice(4..);
                    if more_buffered {
                        framed.feed(body).await
                    } else {
                        framed.send(body).await
                    }
                };
                if let Err(e) = sent {
                    tracing::debug!(peer = %info.peer, "write failed: {e}");
                    return;
                }
                if sasl.must_close() {
                    return;
                }
            }
            Outcome::Silent => {}
            Outcome::Close(reason) => {
                tracing::info!(peer = %info.peer, "closing connection: {reason}");
                let _ = SinkExt::<Bytes>::flush(&mut framed).await;
                return;
            }
        }
    }
}

async fn handle_frame(
    broker: &Arc<Broker>,
    info: &ConnectionInfo,
    sasl: &mut SaslState,
    frame: Bytes,
) -> Outcome {
    // An ApiVersions request newer than we know is answered before decoding
    // its body (KIP-511): v0 response, UNSUPPORTED_VERSION, our ranges.
    if let Ok((key, version, correlation_id)) = RequestFrame::peek(&frame)
        && key == ApiKey::ApiVersions as i16
        && version > ApiKey::ApiVersions.valid_versions().max
    {
        let body = ApiVersionsResponse::default()
            .with_error_code(ResponseError::UnsupportedVersion.code())
            .with_api_keys(api::api_versions_list());
        return match ferry_protocol::encode_response(correlation_id, 0, 0, &body) {
            Ok(b) => Outcome::Respond(b),
            Err(e) => Outcome::Close(e),
        };
    }
    let frame = match RequestFrame::parse(frame) {
        Ok(f) => f,
        Err(e) => return Outcome::Close(e.to_string()),
    };
    let Some((min, max)) = api::version_range(frame.api_key) else {
        return Outcome::Close(format!("{:?} is not served by ferry", frame.api_key));
    };
    if frame.api_version < min || frame.api_version > max {
        return Outcome::Close(format!(
            "{:?} v{} is outside the served range v{min}–v{max}",
            frame.api_key, frame.api_version
        ));
    }
    let ctx = RequestContext {
        broker: Arc::clone(broker),
        api_version: frame.api_version,
        client_id: frame.header.client_id.as_ref().map(|s| s.to_string()),
        client_host: info.peer.clone(),
        principal: sasl.principal().map(str::to_string),
        listener: info.listener.clone(),
    };
    match frame.api_key {
        ApiKey::SaslHandshake => sasl.handshake(&ctx, &frame),
        ApiKey::SaslAuthenticate => sasl.authenticate(&ctx, &frame),
        ApiKey::ApiVersions => api::dispatch(&ctx, &frame).await,
        other if !sasl.is_authenticated() => Outcome::Close(format!(
            "{other:?} request before SASL authentication completed"
        )),
        _ => api::dispatch(&ctx, &frame).await,
    }
}
