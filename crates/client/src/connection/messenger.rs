//! Pipelined request/response over one broker stream.
//!
//! Kafka answers requests on one connection in the order they were sent, each
//! response carrying the request's correlation id. The messenger lets many tasks
//! share one connection: each request registers a one-shot slot under a fresh
//! correlation id, the frame is written under a short write lock, and a reader
//! task routes every response frame to its slot. A link fetcher can thus keep
//! several Fetch requests to one broker in flight without one blocking another.
//!
//! When the stream breaks, the messenger is *poisoned*: every waiting request
//! and every later one fails with [`Error::ConnectionClosed`], and the owner
//! opens a new connection.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::FramedRead;

use super::transport::{ReadHalf, WriteHalf};
use crate::error::{Error, Result};

/// State shared between requesters and the reader task.
#[derive(Debug, Default)]
struct Shared {
    /// Requests awaiting a response, by correlation id.
    pending: HashMap<i32, oneshot::Sender<Bytes>>,
    /// Why the connection is unusable, once it is.
    closed: Option<String>,
}

/// One broker connection shared by concurrent requests.
pub(crate) struct Messenger {
    /// `host:port`, for error messages.
    addr: String,
    /// Frames to the writer task. A channel rather than a lock on the stream
    /// keeps requests cancel-safe: a caller dropped mid-request can never leave
    /// half a frame on the wire.
    writer: mpsc::UnboundedSender<BytesMut>,
    /// Pending requests and the poison flag.
    shared: Arc<Mutex<Shared>>,
    /// The next correlation id. Wraps around; ids only need to be unique among
    /// requests in flight.
    next_correlation_id: AtomicI32,
    /// `client.id` for request headers.
    client_id: StrBytes,
    /// How long a request waits for its response.
    request_timeout: Duration,
    /// The reader task, stopped when the messenger drops.
    reader: tokio::task::JoinHandle<()>,
    /// The writer task, stopped when the messenger drops.
    writer_task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Messenger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Messenger")
            .field("addr", &self.addr)
            .field("closed", &self.closed_reason())
            .finish_non_exhaustive()
    }
}

impl Drop for Messenger {
    fn drop(&mut self) {
        self.reader.abort();
        self.writer_task.abort();
    }
}

fn lock(shared: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    // Nothing panics while holding the lock; recover the data if something did.
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

fn poison(shared: &Mutex<Shared>, reason: String) {
    let mut s = lock(shared);
    if s.closed.is_none() {
        s.closed = Some(reason);
    }
    // Dropping the senders wakes every waiter with a closed channel.
    s.pending.clear();
}

impl Messenger {
    /// Starts the reader task over an open stream.
    pub(crate) fn new(
        addr: String,
        read: ReadHalf,
        write: WriteHalf,
        client_id: &str,
        request_timeout: Duration,
        max_frame_bytes: usize,
    ) -> Self {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let reader = tokio::spawn(read_loop(
            FramedRead::new(read, ferry_protocol::FrameCodec::new(max_frame_bytes)),
            Arc::clone(&shared),
        ));
        let (writer, frames) = mpsc::unbounded_channel();
        let writer_task = tokio::spawn(write_loop(write, frames, Arc::clone(&shared)));
        Self {
            addr,
            writer,
            writer_task,
            shared,
            next_correlation_id: AtomicI32::new(1),
            client_id: StrBytes::from_string(client_id.to_owned()),
            request_timeout,
            reader,
        }
    }

    /// Changes the response timeout (handshakes use the connect timeout).
    pub(crate) fn set_request_timeout(&mut self, timeout: Duration) {
        self.request_timeout = timeout;
    }

    /// The broker's `host:port`.
    pub(crate) fn addr(&self) -> &str {
        &self.addr
    }

    /// Why the connection can no longer be used, if it cannot.
    pub(crate) fn closed_reason(&self) -> Option<String> {
        lock(&self.shared).closed.clone()
    }

    /// Sends `request` at `version` and returns the decoded response.
    ///
    /// `extra_wait` is added to the request timeout, for requests the broker may
    /// legitimately hold (a long-polling Fetch).
    pub(crate) async fn call<R: Request>(
        &self,
        request: &R,
        version: i16,
        extra_wait: Duration,
    ) -> Result<R::Response> {
        let api = api_key(R::KEY)?;
        let mut frame = self.round_trip(request, api, version, extra_wait).await?;
        let header_version = R::Response::header_version(version);
        ResponseHeader::decode(&mut frame, header_version)
            .map_err(|e| Error::Protocol(format!("{api:?} v{version} response header: {e}")))?;
        R::Response::decode(&mut frame, version).map_err(|e| {
            Error::Protocol(format!(
                "{api:?} v{version} response from {}: {e}",
                self.addr
            ))
        })
    }

    /// Sends `request` at `version` and returns the raw response frame
    /// (correlation id included, header undecoded).
    pub(crate) async fn round_trip<R: Encodable>(
        &self,
        request: &R,
        api: ApiKey,
        version: i16,
        extra_wait: Duration,
    ) -> Result<Bytes> {
        if let Some(reason) = self.closed_reason() {
            return Err(self.closed(reason));
        }
        let correlation_id = self.next_correlation_id.fetch_add(1, Ordering::Relaxed);
        let frame = self.encode(request, api, version, correlation_id)?;
        let (tx, rx) = oneshot::channel();
        {
            let mut s = lock(&self.shared);
            if let Some(reason) = s.closed.clone() {
                return Err(self.closed(reason));
            }
            s.pending.insert(correlation_id, tx);
        }
        // Correlation ids are registered before the write so that the reader can
        // never see a response whose request it does not know about.
        if self.writer.send(frame).is_err() {
            return Err(self.closed(
                self.closed_reason()
                    .unwrap_or_else(|| "connection closed".into()),
            ));
        }
        let timeout = self.request_timeout + extra_wait;
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(frame)) => Ok(frame),
            Ok(Err(_)) => Err(self.closed(
                self.closed_reason()
                    .unwrap_or_else(|| "connection closed".into()),
            )),
            Err(_) => {
                lock(&self.shared).pending.remove(&correlation_id);
                Err(Error::Timeout {
                    addr: self.addr.clone(),
                    api,
                    timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                })
            }
        }
    }

    fn encode<R: Encodable>(
        &self,
        request: &R,
        api: ApiKey,
        version: i16,
        correlation_id: i32,
    ) -> Result<BytesMut> {
        let header = RequestHeader::default()
            .with_request_api_key(api as i16)
            .with_request_api_version(version)
            .with_correlation_id(correlation_id)
            .with_client_id(Some(self.client_id.clone()));
        let mut buf = BytesMut::with_capacity(128);
        buf.extend_from_slice(&[0; 4]);
        header
            .encode(&mut buf, api.request_header_version(version))
            .map_err(|e| Error::Protocol(format!("{api:?} v{version} request header: {e}")))?;
        request
            .encode(&mut buf, version)
            .map_err(|e| Error::Protocol(format!("{api:?} v{version} request: {e}")))?;
        let size = i32::try_from(buf.len() - 4)
            .map_err(|_| Error::Protocol(format!("{api:?} request too large")))?;
        buf[..4].copy_from_slice(&size.to_be_bytes());
        Ok(buf)
    }

    fn closed(&self, reason: String) -> Error {
        Error::ConnectionClosed {
            addr: self.addr.clone(),
            reason,
        }
    }
}

/// Writes queued frames in order, flushing when the queue runs dry.
async fn write_loop(
    mut stream: WriteHalf,
    mut frames: mpsc::UnboundedReceiver<BytesMut>,
    shared: Arc<Mutex<Shared>>,
) {
    while let Some(frame) = frames.recv().await {
        let mut result = stream.write_all(&frame).await;
        // Coalesce whatever else is already queued into the same flush.
        while result.is_ok() {
            match frames.try_recv() {
                Ok(next) => result = stream.write_all(&next).await,
                Err(_) => break,
            }
        }
        if result.is_ok() {
            result = stream.flush().await;
        }
        if let Err(e) = result {
            poison(&shared, format!("write failed: {e}"));
            return;
        }
    }
}

/// Routes response frames to their requests until the stream ends.
async fn read_loop(
    mut frames: FramedRead<ReadHalf, tokio_util::codec::LengthDelimitedCodec>,
    shared: Arc<Mutex<Shared>>,
) {
    let reason = loop {
        match frames.next().await {
            Some(Ok(frame)) => {
                let frame = frame.freeze();
                let Some(id) = frame.get(..4) else {
                    break format!(
                        "response frame of {} bytes has no correlation id",
                        frame.len()
                    );
                };
                let id = i32::from_be_bytes([id[0], id[1], id[2], id[3]]);
                let slot = lock(&shared).pending.remove(&id);
                // A missing slot is a request that timed out: drop the response.
                if let Some(tx) = slot {
                    let _ = tx.send(frame);
                }
            }
            Some(Err(e)) => break format!("read failed: {e}"),
            None => break "closed by the broker".to_owned(),
        }
    };
    poison(&shared, reason);
}

/// The [`ApiKey`] for a request type's numeric key.
pub(crate) fn api_key(key: i16) -> Result<ApiKey> {
    ApiKey::try_from(key).map_err(|()| Error::Protocol(format!("unknown api key {key}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BufMut;
    use kafka_protocol::messages::{ApiVersionsRequest, ApiVersionsResponse};
    use kafka_protocol::protocol::Encodable;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpListener;

    /// Reads `n` request frames, then answers them in reverse order, each
    /// response's `throttle_time_ms` set to its correlation id; then hangs up.
    async fn reversing_broker(listener: TcpListener, n: usize) {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut ids = Vec::new();
        for _ in 0..n {
            let len = sock.read_i32().await.unwrap();
            let mut frame = vec![0u8; usize::try_from(len).unwrap()];
            sock.read_exact(&mut frame).await.unwrap();
            ids.push(i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]));
        }
        for id in ids.into_iter().rev() {
            let mut body = BytesMut::new();
            body.put_i32(id);
            ApiVersionsResponse::default()
                .with_throttle_time_ms(id)
                .encode(&mut body, 3)
                .unwrap();
            let mut frame = BytesMut::new();
            frame.put_i32(i32::try_from(body.len()).unwrap());
            frame.extend_from_slice(&body);
            sock.write_all(&frame).await.unwrap();
        }
    }

    async fn messenger(listener: &TcpListener) -> Messenger {
        let addr = listener.local_addr().unwrap().to_string();
        let (r, w) = super::super::transport::open(&addr, None, Duration::from_secs(5))
            .await
            .unwrap();
        Messenger::new(addr, r, w, "t", Duration::from_secs(30), 1 << 20)
    }

    #[tokio::test]
    async fn responses_are_routed_by_correlation_id() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let m = messenger(&listener).await;
        let server = tokio::spawn(reversing_broker(listener, 8));
        let req = ApiVersionsRequest::default();
        let calls = (0..8).map(|_| m.call(&req, 3, Duration::ZERO));
        let responses = futures::future::join_all(calls).await;
        let mut seen: Vec<i32> = responses
            .into_iter()
            .map(|r| r.unwrap().throttle_time_ms)
            .collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 8, "each request got its own response");
        server.await.unwrap();
    }

    #[tokio::test]
    async fn hang_up_fails_pending_and_later_requests() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let m = messenger(&listener).await;
        let server = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let _ = sock.read_i32().await;
            // Drop the socket without answering.
        });
        let err = m
            .call(&ApiVersionsRequest::default(), 3, Duration::ZERO)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::ConnectionClosed { .. }), "{err}");
        server.await.unwrap();
        let err = m
            .call(&ApiVersionsRequest::default(), 3, Duration::ZERO)
            .await
            .unwrap_err();
        // Poisoned: later requests fail at once with the same reason.
        assert!(matches!(err, Error::ConnectionClosed { .. }), "{err}");
    }
}
