//! ApiVersions negotiation.
//!
//! The client opens with the newest ApiVersions it knows. A broker that does not
//! know that version answers with an ApiVersions **v0** body carrying
//! UNSUPPORTED_VERSION (35) and its own supported range; kafka-protocol cannot
//! decode that as the version that was sent, so the body's first two bytes (the
//! error code, present at every version) are read first and, on 35, the body is
//! decoded as v0 and the request retried at the broker's highest version.

use std::collections::HashMap;
use std::time::Duration;

use bytes::Buf;
use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, ApiVersionsResponse};
use kafka_protocol::protocol::{Decodable, Message, StrBytes, VersionRange};

use super::messenger::Messenger;
use crate::error::{Error, Result};

const UNSUPPORTED_VERSION: i16 = 35;

/// Asks the broker which API versions it supports.
pub(super) async fn negotiate(messenger: &Messenger) -> Result<HashMap<i16, VersionRange>> {
    let request = ApiVersionsRequest::default()
        .with_client_software_name(StrBytes::from_static_str("ferry"))
        .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
    let mut version = ApiVersionsRequest::VERSIONS.max;
    // One retry at most: the second attempt uses a version the broker named.
    for _ in 0..2 {
        let frame = messenger
            .round_trip(&request, ApiKey::ApiVersions, version, Duration::ZERO)
            .await?;
        let response = decode(frame, version, messenger.addr())?;
        if response.error_code == UNSUPPORTED_VERSION {
            let theirs = response
                .api_keys
                .iter()
                .find(|k| k.api_key == ApiKey::ApiVersions as i16)
                .map(|k| k.max_version)
                .unwrap_or(0);
            let next = theirs.min(ApiVersionsRequest::VERSIONS.max);
            if next >= version {
                break;
            }
            version = next;
            continue;
        }
        if response.error_code != 0 {
            return Err(Error::kafka(
                response.error_code,
                None,
                format!("ApiVersions to {}", messenger.addr()),
            ));
        }
        return Ok(table(&response));
    }
    Err(Error::Protocol(format!(
        "broker {} refused every ApiVersions version this client can send",
        messenger.addr()
    )))
}

/// Decodes an ApiVersions response frame (correlation id first; the response
/// header is always v0), falling back to v0 for an UNSUPPORTED_VERSION reply.
fn decode(mut frame: bytes::Bytes, version: i16, addr: &str) -> Result<ApiVersionsResponse> {
    if frame.len() < 6 {
        return Err(Error::Protocol(format!(
            "{addr} sent a {}-byte ApiVersions response; is it a Kafka broker?",
            frame.len()
        )));
    }
    frame.advance(4);
    let error_code = i16::from_be_bytes([frame[0], frame[1]]);
    let at = if error_code == UNSUPPORTED_VERSION {
        0
    } else {
        version
    };
    ApiVersionsResponse::decode(&mut frame, at)
        .map_err(|e| Error::Protocol(format!("ApiVersions v{at} response from {addr}: {e}")))
}

fn table(response: &ApiVersionsResponse) -> HashMap<i16, VersionRange> {
    response
        .api_keys
        .iter()
        .map(|k| {
            (
                k.api_key,
                VersionRange {
                    min: k.min_version,
                    max: k.max_version,
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use kafka_protocol::messages::api_versions_response::ApiVersion;
    use kafka_protocol::protocol::Encodable;

    fn frame(body: &ApiVersionsResponse, version: i16) -> bytes::Bytes {
        let mut b = BytesMut::new();
        b.extend_from_slice(&7i32.to_be_bytes());
        body.encode(&mut b, version).unwrap();
        b.freeze()
    }

    #[test]
    fn v0_error_reply_to_newer_request_decodes() {
        let reply = ApiVersionsResponse::default()
            .with_error_code(UNSUPPORTED_VERSION)
            .with_api_keys(vec![
                ApiVersion::default()
                    .with_api_key(18)
                    .with_min_version(0)
                    .with_max_version(2),
            ]);
        let decoded = decode(frame(&reply, 0), 4, "b:1").unwrap();
        assert_eq!(decoded.error_code, UNSUPPORTED_VERSION);
        assert_eq!(decoded.api_keys[0].max_version, 2);
    }

    #[test]
    fn normal_reply_builds_table_and_short_frame_is_error() {
        let reply = ApiVersionsResponse::default().with_api_keys(vec![
            ApiVersion::default()
                .with_api_key(0)
                .with_min_version(0)
                .with_max_version(11),
        ]);
        let decoded = decode(frame(&reply, 3), 3, "b:1").unwrap();
        let t = table(&decoded);
        assert_eq!(t.get(&0), Some(&VersionRange { min: 0, max: 11 }));
        assert!(decode(bytes::Bytes::from_static(&[0, 0, 0, 1, 0]), 3, "b:1").is_err());
    }
}
