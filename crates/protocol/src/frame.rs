//! Kafka's framing: every request and response is preceded by a big-endian
//! `i32` size.
//!
//! [`FrameCodec`] is tokio-util's length-delimited codec configured for Kafka.
//! The frame-size cap matters: without it a client can announce a 2 GiB frame
//! in four bytes and make the broker reserve that much buffer. Kafka's own cap
//! is `socket.request.max.bytes` (100 MiB by default); ferry uses the same.

use tokio_util::codec::LengthDelimitedCodec;

/// Kafka's default `socket.request.max.bytes`: 100 MiB.
pub const DEFAULT_MAX_FRAME_BYTES: usize = 100 * 1024 * 1024;

/// Builds codecs for Kafka's size-prefixed frames.
#[derive(Debug, Clone, Copy)]
pub struct FrameCodec;

impl FrameCodec {
    /// A codec that strips (on read) and writes (on write) the 4-byte size prefix,
    /// refusing frames larger than `max_frame_bytes`.
    ///
    /// It returns the codec itself rather than a wrapper: tokio-util's codec is
    /// exactly right once configured, and callers use it with `Framed` directly.
    ///
    /// A negative size on the wire reads as an unsigned value above any sane cap,
    /// so it is refused the same way.
    #[allow(clippy::new_ret_no_self)]
    pub fn new(max_frame_bytes: usize) -> LengthDelimitedCodec {
        LengthDelimitedCodec::builder()
            .length_field_length(4)
            .max_frame_length(max_frame_bytes)
            .new_codec()
    }
}
