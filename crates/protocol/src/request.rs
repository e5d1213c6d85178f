//! Request headers in, response frames out.
//!
//! `kafka_protocol`'s header decoder peeks at bytes 0..4 without a length check and
//! panics on a short frame, so [`RequestFrame::parse`] checks lengths first and
//! turns every decode failure into a [`RequestError`].

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable};

/// Why a request frame could not be understood.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// Fewer than the 8 bytes every request header starts with.
    #[error("request frame of {0} bytes is shorter than a request header")]
    Short(usize),
    /// An API key this protocol implementation does not know at all.
    #[error("unknown api key {0}")]
    UnknownApiKey(i16),
    /// The header or body did not decode at the announced version.
    #[error("malformed {api:?} v{version} request: {reason}")]
    Malformed {
        /// The API the frame claimed to be.
        api: ApiKey,
        /// The version the frame claimed.
        version: i16,
        /// What the decoder said.
        reason: String,
    },
}

/// One request frame with its header decoded and its body still raw.
#[derive(Debug)]
pub struct RequestFrame {
    /// The API named by the header.
    pub api_key: ApiKey,
    /// The version named by the header.
    pub api_version: i16,
    /// The correlation id, echoed in the response. Read before the rest of the
    /// header so that even an undecodable header can be answered or logged.
    pub correlation_id: i32,
    /// The decoded header (client id, tagged fields).
    pub header: RequestHeader,
    /// The request body, undecoded.
    pub body: Bytes,
}

impl RequestFrame {
    /// Peeks at the api key, version and correlation id: the first 8 bytes.
    pub fn peek(frame: &[u8]) -> Result<(i16, i16, i32), RequestError> {
        if frame.len() < 8 {
            return Err(RequestError::Short(frame.len()));
        }
        let key = i16::from_be_bytes([frame[0], frame[1]]);
        let version = i16::from_be_bytes([frame[2], frame[3]]);
        let correlation_id = i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]);
        Ok((key, version, correlation_id))
    }

    /// Decodes the header of one frame (size prefix already stripped).
    ///
    /// # Errors
    /// [`RequestError`] for a short frame, an unknown API key, or a header that
    /// does not decode. The body is not looked at.
    pub fn parse(mut frame: Bytes) -> Result<Self, RequestError> {
        let (key, api_version, correlation_id) = Self::peek(&frame)?;
        let api_key = ApiKey::try_from(key).map_err(|()| RequestError::UnknownApiKey(key))?;
        // Versions outside the crate's range still have a well-defined header
        // layout for every api key: pick it from the nearest known version.
        let header_version = api_key.request_header_version(api_version);
        let header = RequestHeader::decode(&mut frame, header_version).map_err(|e| {
            RequestError::Malformed {
                api: api_key,
                version: api_version,
                reason: e.to_string(),
            }
        })?;
        Ok(Self {
            api_key,
            api_version,
            correlation_id,
            header,
            body: frame,
        })
    }

    /// Decodes the body as `T` at the frame's version.
    ///
    /// Trailing bytes after a complete body are tolerated, as Kafka does.
    pub fn decode_body<T: Decodable>(&self) -> Result<T, RequestError> {
        let mut body = self.body.clone();
        T::decode(&mut body, self.api_version).map_err(|e| RequestError::Malformed {
            api: self.api_key,
            version: self.api_version,
            reason: e.to_string(),
        })
    }
}

/// Encodes one response frame: size prefix, response header, body.
///
/// `header_version` comes from `api_key.response_header_version(version)`, except for
/// ApiVersions, whose response header is always v0 (the caller passes it).
///
/// # Errors
/// The crate refuses to encode a field that is not defined at `version` but holds a
/// non-default value; callers build responses version-aware to avoid that.
pub fn encode_response<T: Encodable>(
    correlation_id: i32,
    header_version: i16,
    version: i16,
    body: &T,
) -> Result<BytesMut, String> {
    let header = ResponseHeader::default().with_correlation_id(correlation_id);
    // Size the buffer once: a Fetch response carries megabytes of records,
    // and growing from a small buffer would copy them several times over.
    let size = header
        .compute_size(header_version)
        .and_then(|h| Ok(h + body.compute_size(version)?))
        .map_err(|e| e.to_string())?;
    let mut out = BytesMut::with_capacity(4 + size);
    out.extend_from_slice(&[0, 0, 0, 0]);
    header
        .encode(&mut out, header_version)
        .map_err(|e| e.to_string())?;
    body.encode(&mut out, version).map_err(|e| e.to_string())?;
    let size = i32::try_from(out.len() - 4).map_err(|_| "response too large".to_string())?;
    out[..4].copy_from_slice(&size.to_be_bytes());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_frames_are_errors_not_panics() {
        for n in 0..8 {
            let err = RequestFrame::parse(Bytes::from(vec![0u8; n])).unwrap_err();
            assert!(matches!(err, RequestError::Short(m) if m == n));
        }
    }

    #[test]
    fn unknown_api_key_is_reported() {
        let frame = Bytes::from_static(&[0x7f, 0x00, 0, 0, 0, 0, 0, 7, 0, 0]);
        assert!(matches!(
            RequestFrame::parse(frame),
            Err(RequestError::UnknownApiKey(0x7f00))
        ));
    }
}
