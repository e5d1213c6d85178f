//! Shared helpers for ferry's integration tests: a guard that runs a real
//! `ferry server` process, a tiny raw Kafka-protocol connection, and rdkafka
//! client configs pointed at the server.
//!
//! Every wait here is bounded; a server that does not come up, or a response
//! that never arrives, fails the test with the server's stderr attached.
#![allow(dead_code, unreachable_pub, unused_imports)]

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};

static SERVER_SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// How long a server gets to print its listener and ready lines.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Upper bound for any single raw request/response exchange.
pub const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `ferry server` child process, killed (by its own PID) on drop.
#[derive(Debug)]
pub struct FerryServer {
    child: Option<Child>,
    /// Keeps a temporary data dir alive for as long as the server is.
    _tmp: Option<tempfile::TempDir>,
    data_dir: PathBuf,
    port: u16,
    overrides: Vec<String>,
    stderr_path: PathBuf,
    cluster_id: String,
    starts: u32,
    /// Listeners besides PLAINTEXT (names like `SASL_SSL`), bound on port 0
    /// at the first start and on the same port at every restart.
    extra_listeners: Vec<String>,
    /// `name → port` of every listener the server printed at its last start.
    listener_ports: std::collections::BTreeMap<String, u16>,
    /// `host:port` of the REST listener printed at the last start, if any.
    rest_addr: Option<String>,
}

impl FerryServer {
    /// Starts a server on a fresh temporary data dir and a free port, with
    /// `group.initial.rebalance.delay.ms=0` and the given extra `key=value`
    /// overrides.
    pub fn start(overrides: &[&str]) -> Self {
        let tmp = tempfile::Builder::new()
            .prefix("ferry-test-")
            .tempdir()
            .expect("create temp data dir");
        let data_dir = tmp.path().join("data");
        let mut server = Self::start_in(&data_dir, overrides);
        server._tmp = Some(tmp);
        server
    }

    /// Starts a server on `data_dir` (created if missing) and a free port.
    pub fn start_in(data_dir: &Path, overrides: &[&str]) -> Self {
        Self::start_in_with_listeners(data_dir, &[], overrides)
    }

    /// Like [`Self::start`], with more listeners besides PLAINTEXT: each name
    /// in `extra` (e.g. `"SASL_SSL"`) is bound on a free port of 127.0.0.1,
    /// kept across restarts; read it with [`Self::listener_addr`].
    pub fn start_with_listeners(extra: &[&str], overrides: &[&str]) -> Self {
        let tmp = tempfile::Builder::new()
            .prefix("ferry-test-")
            .tempdir()
            .expect("create temp data dir");
        let data_dir = tmp.path().join("data");
        let mut server = Self::start_in_with_listeners(&data_dir, extra, overrides);
        server._tmp = Some(tmp);
        server
    }

    /// [`Self::start_in`] with the extra listeners of [`Self::start_with_listeners`].
    pub fn start_in_with_listeners(data_dir: &Path, extra: &[&str], overrides: &[&str]) -> Self {
        std::fs::create_dir_all(data_dir).expect("create data dir");
        let stderr_path = data_dir.parent().unwrap_or(data_dir).join(format!(
            "ferry-server-{}-{}.stderr",
            std::process::id(),
            SERVER_SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let mut server = Self {
            child: None,
            _tmp: None,
            data_dir: data_dir.to_path_buf(),
            port: 0,
            overrides: overrides.iter().map(|s| s.to_string()).collect(),
            stderr_path,
            cluster_id: String::new(),
            starts: 0,
            extra_listeners: extra.iter().map(|s| s.to_string()).collect(),
            listener_ports: std::collections::BTreeMap::new(),
            rest_addr: None,
        };
        server.spawn_until_ready();
        server
    }

    /// `127.0.0.1:PORT`, for `bootstrap.servers`.
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The resolved listener port (stable across restarts).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT` of the listener named `name` (`PLAINTEXT`,
    /// `SASL_SSL`, …) as printed at the last start; panics if there is none.
    pub fn listener_addr(&self, name: &str) -> String {
        match self.listener_ports.get(name) {
            Some(p) => format!("127.0.0.1:{p}"),
            None => panic!(
                "the server printed no listener {name} (it has {:?})",
                self.listener_ports
            ),
        }
    }

    /// `http://HOST:PORT` of the REST listener (`rest.listeners`) printed at
    /// the last start; panics if the server has none. The port may change
    /// on every restart when `rest.listeners` names port 0.
    pub fn rest_url(&self) -> String {
        match &self.rest_addr {
            Some(a) => format!("http://{a}"),
            None => panic!(
                "the server printed no `rest listener` line (rest.listeners not set?).\n--- server stderr (tail) ---\n{}",
                self.stderr_tail(4000)
            ),
        }
    }

    /// The cluster id the server printed when it became ready.
    pub fn cluster_id(&self) -> &str {
        &self.cluster_id
    }

    /// The data dir the server runs on.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The child's PID, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// How many times the server process has been started.
    pub fn starts(&self) -> u32 {
        self.starts
    }

    /// True while the child process has not exited.
    pub fn is_alive(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Panics (failing the test) with the server's stderr if it has exited.
    pub fn assert_alive(&mut self, when: &str) {
        if !self.is_alive() {
            let status = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
                .map(|s| s.to_string())
                .unwrap_or_else(|| "not running".into());
            panic!(
                "ferry server died {when} ({status}).\n--- server stderr (tail) ---\n{}",
                self.stderr_tail(8000)
            );
        }
    }

    /// The last `max` bytes the server wrote to stderr (all starts).
    pub fn stderr_tail(&self, max: usize) -> String {
        let text = std::fs::read(&self.stderr_path).unwrap_or_default();
        let from = text.len().saturating_sub(max);
        String::from_utf8_lossy(&text[from..]).into_owned()
    }

    /// SIGKILL: the process gets no chance to flush or clean up.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill(); // std's kill() is SIGKILL on unix
            let _ = child.wait();
        }
    }

    /// SIGTERM and wait (bounded) for a clean exit; returns the exit status.
    pub fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        signal(child.id(), "TERM");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "ferry server ignored SIGTERM for 30s.\n--- server stderr ---\n{}",
                    self.stderr_tail(8000)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the server again on the same data dir and the same port.
    pub fn restart(&mut self) {
        if self.child.is_some() {
            self.kill9();
        }
        self.spawn_until_ready();
    }

    fn spawn_until_ready(&mut self) {
        // On a restart the old port may linger briefly; retry a few times.
        let mut last_err = String::new();
        for attempt in 0..20 {
            match self.spawn_once() {
                Ok(()) => return,
                Err(e) => {
                    last_err = e;
                    if self.port == 0 {
                        break; // a fresh port cannot be "in use": a real failure
                    }
                    std::thread::sleep(Duration::from_millis(250 * (attempt + 1).min(4)));
                }
            }
        }
        panic!(
            "ferry server did not become ready: {last_err}\n--- server stderr (tail) ---\n{}",
            self.stderr_tail(8000)
        );
    }

    fn spawn_once(&mut self) -> Result<(), String> {
        let stderr = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.stderr_path)
            .map_err(|e| format!("open stderr log: {e}"))?;
        let mut listeners = format!("PLAINTEXT://127.0.0.1:{}", self.port);
        for name in &self.extra_listeners {
            let port = self.listener_ports.get(name).copied().unwrap_or(0);
            listeners.push_str(&format!(",{name}://127.0.0.1:{port}"));
        }
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferry"));
        cmd.arg("server")
            .arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--override")
            .arg(format!("listeners={listeners}"))
            .arg("--override")
            .arg("group.initial.rebalance.delay.ms=0")
            // No schema registry unless a test asks (its default, port 8081,
            // would collide between servers running side by side).
            .arg("--override")
            .arg("schema.registry.listeners=");
        for o in &self.overrides {
            cmd.arg("--override").arg(o);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr));
        if std::env::var_os("RUST_LOG").is_none() {
            cmd.env("RUST_LOG", "info");
        }
        let mut child = cmd.spawn().map_err(|e| format!("spawn ferry: {e}"))?;
        self.starts += 1;
        let stdout = child.stdout.take().ok_or("no stdout pipe")?;
        let (tx, rx) = mpsc::channel::<String>();
        // Reads stdout for the whole life of the process so the pipe never fills.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    // Nobody listens any more; keep draining.
                }
            }
        });
        let deadline = Instant::now() + START_TIMEOUT;
        let mut port = None;
        let mut listener_ports = std::collections::BTreeMap::new();
        let mut rest_addr = None;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("no ready line within {START_TIMEOUT:?}"));
            }
            match rx.recv_timeout(left.min(Duration::from_millis(200))) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix("ferry server: listener ")
                        && let Some((name, addr)) = rest.split_once(" on ")
                        && let Some(p) = addr.trim().rsplit(':').next().and_then(|p| p.parse().ok())
                    {
                        listener_ports.insert(name.to_string(), p);
                    }
                    if let Some(rest) = line.strip_prefix("ferry server: rest listener on ") {
                        rest_addr = Some(rest.trim().to_string());
                    }
                    if let Some(rest) = line.strip_prefix("ferry server: listener PLAINTEXT on ") {
                        let p = rest
                            .trim()
                            .rsplit(':')
                            .next()
                            .and_then(|p| p.parse::<u16>().ok())
                            .ok_or_else(|| format!("unparseable listener line {line:?}"))?;
                        port = Some(p);
                    } else if let Some(rest) = line.strip_prefix("ferry server: ready") {
                        let Some(p) = port else {
                            let _ = child.kill();
                            let _ = child.wait();
                            return Err("ready before any PLAINTEXT listener line".into());
                        };
                        if self.port != 0 && p != self.port {
                            let _ = child.kill();
                            let _ = child.wait();
                            return Err(format!("restarted on port {p}, wanted {}", self.port));
                        }
                        self.port = p;
                        for name in &self.extra_listeners {
                            let (Some(now), Some(before)) =
                                (listener_ports.get(name), self.listener_ports.get(name))
                            else {
                                continue;
                            };
                            if now != before {
                                let _ = child.kill();
                                let _ = child.wait();
                                return Err(format!(
                                    "restarted {name} on port {now}, wanted {before}"
                                ));
                            }
                        }
                        self.listener_ports = std::mem::take(&mut listener_ports);
                        self.rest_addr = rest_addr.take();
                        let id = rest
                            .trim()
                            .trim_start_matches("(cluster id")
                            .trim_end_matches(')')
                            .trim();
                        self.cluster_id = id.to_string();
                        self.child = Some(child);
                        return Ok(());
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Ok(Some(status)) = child.try_wait() {
                        return Err(format!("exited before ready: {status}"));
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
                    return Err(format!("stdout closed before ready: {status}"));
                }
            }
        }
    }
}

impl Drop for FerryServer {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- ferry server stderr (tail) ---\n{}",
                self.stderr_tail(6000)
            );
        }
        self.kill9();
    }
}

/// Sends a signal (`"TERM"`, `"KILL"`, …) to one PID this test started.
pub fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status();
}

/// Reads `VmHWM` (peak resident set) of a process, in KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

// ---------------------------------------------------------------------------
// Raw Kafka-protocol connection.

/// A blocking Kafka-protocol connection that speaks exactly what the test
/// encodes, so the bytes on the wire are the test's own.
#[derive(Debug)]
pub struct RawConn {
    stream: TcpStream,
    next_correlation_id: i32,
}

impl RawConn {
    /// Connects with read/write timeouts of [`IO_TIMEOUT`].
    pub fn connect(addr: &str) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            next_correlation_id: 1,
        })
    }

    /// The underlying socket.
    pub fn stream(&mut self) -> &mut TcpStream {
        &mut self.stream
    }

    /// Sends `req` at `version` and decodes the response at the same version.
    pub fn call<R: Request>(&mut self, version: i16, req: &R) -> anyhow::Result<R::Response> {
        let cid = self.send(version, req)?;
        self.receive::<R::Response>(version, cid)
    }

    /// Encodes and sends one request; returns its correlation id.
    pub fn send<R: Request>(&mut self, version: i16, req: &R) -> anyhow::Result<i32> {
        let cid = self.next_correlation_id;
        self.next_correlation_id += 1;
        let frame = encode_request(R::KEY, version, cid, req)?;
        self.stream.write_all(&frame)?;
        Ok(cid)
    }

    /// Reads one response frame and decodes header and body.
    pub fn receive<T: Decodable + HeaderVersion>(
        &mut self,
        version: i16,
        cid: i32,
    ) -> anyhow::Result<T> {
        let mut frame = self.read_frame()?;
        let header = ResponseHeader::decode(&mut frame, T::header_version(version))?;
        anyhow::ensure!(
            header.correlation_id == cid,
            "correlation id {} != {cid}",
            header.correlation_id
        );
        let body = T::decode(&mut frame, version)?;
        Ok(body)
    }

    /// Writes raw bytes (a whole frame, size prefix included, or anything).
    pub fn write_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Reads one size-prefixed frame (without the prefix).
    pub fn read_frame(&mut self) -> anyhow::Result<Bytes> {
        let mut size = [0u8; 4];
        self.stream.read_exact(&mut size)?;
        let size = i32::from_be_bytes(size);
        anyhow::ensure!(
            (0..=256 * 1024 * 1024).contains(&size),
            "response frame size {size} out of range"
        );
        let mut buf = vec![0u8; size as usize];
        self.stream.read_exact(&mut buf)?;
        Ok(Bytes::from(buf))
    }

    /// Half-closes the write side, then reads until EOF or error; returns
    /// how many bytes came back and whether the peer closed (vs. timed out).
    pub fn finish(mut self, timeout: Duration) -> (usize, bool) {
        let _ = self.stream.shutdown(Shutdown::Write);
        let _ = self.stream.set_read_timeout(Some(timeout));
        let mut total = 0;
        let mut buf = [0u8; 16 * 1024];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => return (total, true),
                Ok(n) => total += n,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return (total, false);
                }
                Err(_) => return (total, true), // reset: closed
            }
        }
    }
}

/// Encodes a whole request frame (size prefix, header, body).
pub fn encode_request<R: Encodable>(
    api_key: i16,
    version: i16,
    correlation_id: i32,
    req: &R,
) -> anyhow::Result<BytesMut> {
    let mut buf = BytesMut::new();
    buf.put_i32(0);
    encode_header(&mut buf, api_key, version, correlation_id)?;
    req.encode(&mut buf, version)?;
    let size = (buf.len() - 4) as i32;
    buf[..4].copy_from_slice(&size.to_be_bytes());
    Ok(buf)
}

/// Appends a request header for `api_key`/`version` (v1 or v2 as the API
/// requires; v2 for an unknown key, which only hostile tests send).
pub fn encode_header(
    buf: &mut BytesMut,
    api_key: i16,
    version: i16,
    correlation_id: i32,
) -> anyhow::Result<()> {
    let header_version = ApiKey::try_from(api_key)
        .map(|k| k.request_header_version(version))
        .unwrap_or(2);
    RequestHeader::default()
        .with_request_api_key(api_key)
        .with_request_api_version(version)
        .with_correlation_id(correlation_id)
        .with_client_id(Some(StrBytes::from_static_str("ferry-test")))
        .encode(buf, header_version)?;
    Ok(())
}

/// Splits a response frame into header-less body for callers that decode by hand.
pub fn skip_response_header(frame: &mut Bytes, header_version: i16) -> anyhow::Result<i32> {
    let h = ResponseHeader::decode(frame, header_version)?;
    Ok(h.correlation_id)
}

/// Reads the first i16 of a buffer without consuming it.
pub fn peek_i16(b: &Bytes) -> Option<i16> {
    (b.len() >= 2).then(|| (&b[..2]).get_i16())
}

// ---------------------------------------------------------------------------
// rdkafka configs.

/// A base rdkafka config for `server` with short timeouts suited to tests.
pub fn rdkafka_config(server: &FerryServer) -> rdkafka::ClientConfig {
    let mut c = rdkafka::ClientConfig::new();
    c.set("bootstrap.servers", server.bootstrap())
        .set("broker.address.family", "v4")
        .set("socket.timeout.ms", "30000")
        .set("topic.metadata.refresh.interval.ms", "5000");
    c
}

/// Opens (creating) a file, for tests that log progress next to the data dir.
pub fn log_file(path: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open log file")
}

/// Polls `f` every 50 ms until it returns `Some`, failing after `timeout`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------
// Raw requests the tests share.

pub use kafka_protocol::messages::{
    ApiVersionsRequest, ApiVersionsResponse, FetchRequest, FetchResponse, MetadataRequest,
    MetadataResponse, ProduceRequest, ProduceResponse, TopicName,
};

/// A topic name in the crate's newtype.
pub fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_string()))
}

/// ApiVersions v3 on `conn`; returns the (min, max) the server advertises per key.
pub fn api_versions(
    conn: &mut RawConn,
) -> anyhow::Result<std::collections::BTreeMap<i16, (i16, i16)>> {
    let req = ApiVersionsRequest::default()
        .with_client_software_name(StrBytes::from_static_str("ferry-test"))
        .with_client_software_version(StrBytes::from_static_str("0"));
    let resp = conn.call(3, &req)?;
    anyhow::ensure!(
        resp.error_code == 0,
        "ApiVersions error {}",
        resp.error_code
    );
    Ok(resp
        .api_keys
        .iter()
        .map(|k| (k.api_key, (k.min_version, k.max_version)))
        .collect())
}

/// Metadata v12 for the named topics (all topics when `None`).
pub fn metadata(conn: &mut RawConn, topics: Option<&[&str]>) -> anyhow::Result<MetadataResponse> {
    use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
    let req = MetadataRequest::default()
        .with_allow_auto_topic_creation(false)
        .with_topics(topics.map(|ts| {
            ts.iter()
                .map(|t| MetadataRequestTopic::default().with_name(Some(topic_name(t))))
                .collect()
        }));
    conn.call(12, &req)
}

/// Fetches one partition raw at `version` (by name below v13, by topic id from
/// `metadata` at v13+), returning the partition's response data.
pub fn fetch_partition(
    conn: &mut RawConn,
    version: i16,
    topic: &str,
    partition: i32,
    offset: i64,
    max_bytes: i32,
) -> anyhow::Result<kafka_protocol::messages::fetch_response::PartitionData> {
    use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
    let mut ft = FetchTopic::default().with_partitions(vec![
        FetchPartition::default()
            .with_partition(partition)
            .with_fetch_offset(offset)
            .with_partition_max_bytes(max_bytes),
    ]);
    let mut topic_id = None;
    if version >= 13 {
        let md = metadata(conn, Some(&[topic]))?;
        let t = md
            .topics
            .first()
            .ok_or_else(|| anyhow::anyhow!("no metadata for {topic}"))?;
        anyhow::ensure!(
            t.error_code == 0,
            "metadata error {} for {topic}",
            t.error_code
        );
        ft = ft.with_topic_id(t.topic_id);
        topic_id = Some(t.topic_id);
    } else {
        ft = ft.with_topic(topic_name(topic));
    }
    let req = FetchRequest::default()
        .with_max_wait_ms(500)
        .with_min_bytes(1)
        .with_max_bytes(max_bytes)
        .with_isolation_level(0)
        .with_session_id(0)
        .with_session_epoch(-1)
        .with_topics(vec![ft]);
    let resp: FetchResponse = conn.call(version, &req)?;
    anyhow::ensure!(resp.error_code == 0, "fetch error {}", resp.error_code);
    let t = resp
        .responses
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("fetch response without topics"))?;
    if let Some(id) = topic_id {
        anyhow::ensure!(
            t.topic_id == id,
            "fetch answered topic id {} not {id}",
            t.topic_id
        );
    } else {
        anyhow::ensure!(&*t.topic.0 == topic, "fetch answered topic {:?}", t.topic);
    }
    let p = t
        .partitions
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("fetch response without partitions"))?;
    anyhow::ensure!(
        p.partition_index == partition,
        "wrong partition {}",
        p.partition_index
    );
    Ok(p)
}

/// Reads every whole batch of one partition from `from` up to the high
/// watermark, raw, with Fetch at `version`. Bounded by `timeout`.
pub fn fetch_all_batches(
    conn: &mut RawConn,
    version: i16,
    topic: &str,
    partition: i32,
    from: i64,
    timeout: Duration,
) -> anyhow::Result<Vec<Bytes>> {
    let deadline = Instant::now() + timeout;
    let mut offset = from;
    let mut out = Vec::new();
    loop {
        anyhow::ensure!(
            Instant::now() < deadline,
            "fetch_all_batches timed out at {offset}"
        );
        let p = fetch_partition(conn, version, topic, partition, offset, 4 << 20)?;
        anyhow::ensure!(p.error_code == 0, "fetch partition error {}", p.error_code);
        if offset >= p.high_watermark {
            return Ok(out);
        }
        let records = p.records.unwrap_or_default();
        let mut progressed = false;
        for item in ferry_protocol::BatchIter::new(records) {
            let (header, bytes) = item.map_err(|e| anyhow::anyhow!("bad batch in fetch: {e}"))?;
            if header.next_offset() <= offset {
                continue; // a batch straddling the fetch offset, already seen
            }
            offset = header.next_offset();
            out.push(bytes);
            progressed = true;
        }
        if !progressed {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// CreateTopics v5 for one topic; fails unless the broker reports success.
pub fn create_topic_raw(conn: &mut RawConn, name: &str, partitions: i32) -> anyhow::Result<()> {
    use kafka_protocol::messages::CreateTopicsRequest;
    use kafka_protocol::messages::create_topics_request::CreatableTopic;
    let req = CreateTopicsRequest::default()
        .with_timeout_ms(30_000)
        .with_topics(vec![
            CreatableTopic::default()
                .with_name(topic_name(name))
                .with_num_partitions(partitions)
                .with_replication_factor(1),
        ]);
    let resp = conn.call(5, &req)?;
    let t = resp
        .topics
        .first()
        .ok_or_else(|| anyhow::anyhow!("CreateTopics response without topics"))?;
    anyhow::ensure!(
        t.error_code == 0,
        "CreateTopics {name}: error {} {:?}",
        t.error_code,
        t.error_message
    );
    Ok(())
}

/// Wall-clock milliseconds, for record timestamps that retention will not
/// consider expired.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------
// HTTP (the REST listener) and the ferry CLI.

/// One HTTP/1.1 exchange with `Connection: close`: `method` on `url`
/// (`http://host:port/path`), with an optional JSON body. Returns the status
/// code and the body (chunked bodies de-chunked). Bounded by [`IO_TIMEOUT`].
pub fn http(method: &str, url: &str, json_body: Option<&str>) -> anyhow::Result<(u16, String)> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow::anyhow!("only http:// URLs: {url}"))?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let body = json_body.unwrap_or("");
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nAccept: application/json\r\n"
    );
    if json_body.is_some() {
        req.push_str("Content-Type: application/json\r\n");
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, payload) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| anyhow::anyhow!("no HTTP header end in {text:?}"))?;
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("bad HTTP status line in {head:?}"))?;
    let chunked = head
        .lines()
        .any(|l| l.to_ascii_lowercase().starts_with("transfer-encoding:") && l.contains("chunked"));
    let payload = if chunked {
        let mut out = String::new();
        let mut rest = payload;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16)
                .map_err(|e| anyhow::anyhow!("bad chunk size {size:?}: {e}"))?;
            if n == 0 || after.len() < n {
                out.push_str(&after[..n.min(after.len())]);
                break;
            }
            out.push_str(&after[..n]);
            rest = after[n..].trim_start_matches("\r\n");
        }
        out
    } else {
        payload.to_string()
    };
    Ok((status, payload))
}

/// The outcome of one `ferry` CLI run.
#[derive(Debug)]
pub struct CliOutput {
    /// Exit status; `None` when it was killed for exceeding its time.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl CliOutput {
    /// True when the command exited 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// Runs the `ferry` binary with `args` (stdin closed), killed after `timeout`.
pub fn ferry_cli(args: &[&str], timeout: Duration) -> CliOutput {
    ferry_cli_with_stdin(args, None, timeout)
}

/// [`ferry_cli`] with `stdin` written to the command's standard input
/// (then closed).
pub fn ferry_cli_with_stdin(args: &[&str], stdin: Option<&str>, timeout: Duration) -> CliOutput {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferry"));
    cmd.args(args);
    run_command(cmd, stdin, timeout)
}

/// Runs `cmd` with `stdin` written to its standard input (then closed; no
/// input: stdin closed from the start), collecting both outputs; killed
/// after `timeout`.
pub fn run_command(mut cmd: Command, stdin: Option<&str>, timeout: Duration) -> CliOutput {
    let mut child = cmd
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the command");
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let text = text.to_string();
        std::thread::spawn(move || {
            let _ = pipe.write_all(text.as_bytes());
        });
    }
    let mut out = child.stdout.take().expect("stdout pipe");
    let mut err = child.stderr.take().expect("stderr pipe");
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + timeout;
    let code = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status.code(),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    CliOutput {
        code,
        stdout: out_t.join().unwrap_or_default(),
        stderr: err_t.join().unwrap_or_default(),
    }
}

/// Generates TLS material with `ferry tls create-certs` for `localhost` and
/// `127.0.0.1` in `dir`; returns (CA PEM path, PEM keystore path holding the
/// server chain and key, as `ssl.keystore.type=PEM` expects).
pub fn create_certs(dir: &Path) -> (PathBuf, PathBuf) {
    let d = dir.to_str().expect("utf-8 path");
    let out = ferry_cli(
        &[
            "tls",
            "create-certs",
            "--dir",
            d,
            "--hostname",
            "localhost",
            "--hostname",
            "127.0.0.1",
        ],
        Duration::from_secs(60),
    );
    assert!(out.success(), "ferry tls create-certs failed: {out:?}");
    let read = |name: &str| {
        std::fs::read(dir.join(name))
            .unwrap_or_else(|e| panic!("ferry tls create-certs did not write {name}: {e}"))
    };
    let mut keystore = read("server.pem");
    keystore.extend(read("server-key.pem"));
    let keystore_path = dir.join("keystore.pem");
    std::fs::write(&keystore_path, keystore).expect("write keystore.pem");
    (dir.join("ca.pem"), keystore_path)
}

/// `ferry api-key create --data-dir D -o json` → (key, secret). Run it
/// before the server starts on `data_dir`.
pub fn api_key_create(data_dir: &Path) -> (String, String) {
    std::fs::create_dir_all(data_dir).expect("create data dir");
    let d = data_dir.to_str().expect("utf-8 path");
    let out = ferry_cli(
        &["api-key", "create", "--data-dir", d, "-o", "json"],
        Duration::from_secs(60),
    );
    assert!(out.success(), "ferry api-key create failed: {out:?}");
    let doc: serde_json::Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("api-key create -o json printed {:?}: {e}", out.stdout));
    let field = |k: &str| {
        doc[k]
            .as_str()
            .unwrap_or_else(|| panic!("no {k} in {doc}"))
            .to_string()
    };
    (field("api_key"), field("api_secret"))
}

// ---------------------------------------------------------------------------
// Cluster links (a destination server with `rest.listeners`).

/// `http://HOST:PORT/kafka/v3/clusters/{id}` of `dest`'s REST listener.
pub fn cluster_api(dest: &FerryServer) -> String {
    format!(
        "{}/kafka/v3/clusters/{}",
        dest.rest_url(),
        dest.cluster_id()
    )
}

/// `method` on `cluster_api(dest) + path`; returns status and parsed JSON
/// (`Null` for an empty body). Panics with the body if it is not JSON.
pub fn rest_call(
    dest: &FerryServer,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
) -> (u16, serde_json::Value) {
    let url = format!("{}{path}", cluster_api(dest));
    let body = body.map(serde_json::Value::to_string);
    let (status, text) = http(method, &url, body.as_deref()).unwrap_or_else(|e| {
        panic!(
            "{method} {url}: {e:#}\n--- dest stderr ---\n{}",
            dest.stderr_tail(4000)
        )
    });
    if text.trim().is_empty() {
        return (status, serde_json::Value::Null);
    }
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{method} {url} answered {status} with non-JSON {text:?}: {e}"));
    (status, json)
}

/// The REST description of one mirror topic, or `None` on 404.
pub fn mirror_description(
    dest: &FerryServer,
    link: &str,
    mirror: &str,
) -> Option<serde_json::Value> {
    let (status, json) = rest_call(
        dest,
        "GET",
        &format!("/links/{link}/mirrors/{mirror}"),
        None,
    );
    match status {
        200 => Some(json),
        404 => None,
        other => panic!("GET mirror {link}/{mirror}: HTTP {other}: {json}"),
    }
}

/// Names of the mirror topics of `link`.
pub fn mirror_names(dest: &FerryServer, link: &str) -> Vec<String> {
    let (status, json) = rest_call(dest, "GET", &format!("/links/{link}/mirrors"), None);
    assert_eq!(status, 200, "GET mirrors of {link}: {json}");
    let mut names: Vec<String> = json["data"]
        .as_array()
        .unwrap_or_else(|| panic!("mirror list without data: {json}"))
        .iter()
        .filter_map(|m| m["mirror_topic_name"].as_str().map(str::to_string))
        .collect();
    names.sort();
    names
}

/// Waits (bounded) until the mirror's description satisfies `ok`; the
/// failure message shows the last description and the dest's stderr.
pub fn wait_mirror(
    dest: &FerryServer,
    link: &str,
    mirror: &str,
    what: &str,
    timeout: Duration,
    ok: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + timeout;
    loop {
        let last = mirror_description(dest, link, mirror);
        if let Some(d) = &last
            && ok(d)
        {
            return d.clone();
        }
        if Instant::now() > deadline {
            panic!(
                "mirror {link}/{mirror}: not {what} after {timeout:?}; last description: {}\n--- dest stderr (tail) ---\n{}",
                last.map(|d| d.to_string()).unwrap_or_else(|| "404".into()),
                dest.stderr_tail(6000)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs `ferry kafka <args…> --url <dest REST>/kafka --cluster <dest id>`
/// and fails the test with both outputs unless it exits 0; returns stdout.
pub fn kafka_rest_cli(dest: &FerryServer, args: &[&str]) -> String {
    let out = kafka_rest_cli_raw(dest, args);
    assert!(
        out.success(),
        "ferry kafka {} failed ({:?}):\nstdout: {}\nstderr: {}\n--- dest stderr (tail) ---\n{}",
        args.join(" "),
        out.code,
        out.stdout,
        out.stderr,
        dest.stderr_tail(4000)
    );
    out.stdout
}

/// [`kafka_rest_cli`] without the success check.
pub fn kafka_rest_cli_raw(dest: &FerryServer, args: &[&str]) -> CliOutput {
    let url = format!("{}/kafka", dest.rest_url());
    let mut all: Vec<&str> = vec!["kafka"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--url", &url, "--cluster", dest.cluster_id()]);
    ferry_cli(&all, Duration::from_secs(60))
}

/// Log end offsets (ListOffsets latest) of every partition of `topic`, in
/// partition order, through a raw connection to `addr`.
pub fn log_end_offsets(addr: &str, topic: &str) -> anyhow::Result<Vec<i64>> {
    use kafka_protocol::messages::ListOffsetsRequest;
    use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
    let mut conn = RawConn::connect(addr)?;
    let md = metadata(&mut conn, Some(&[topic]))?;
    let t = md
        .topics
        .first()
        .ok_or_else(|| anyhow::anyhow!("no metadata for {topic}"))?;
    anyhow::ensure!(
        t.error_code == 0,
        "metadata error {} for {topic}",
        t.error_code
    );
    let mut indexes: Vec<i32> = t.partitions.iter().map(|p| p.partition_index).collect();
    indexes.sort_unstable();
    let req = ListOffsetsRequest::default()
        .with_replica_id(kafka_protocol::messages::BrokerId(-1))
        .with_isolation_level(0)
        .with_topics(vec![
            ListOffsetsTopic::default()
                .with_name(topic_name(topic))
                .with_partitions(
                    indexes
                        .iter()
                        .map(|&p| {
                            ListOffsetsPartition::default()
                                .with_partition_index(p)
                                .with_timestamp(-1)
                        })
                        .collect(),
                ),
        ]);
    let resp = conn.call(7, &req)?;
    let mut out = Vec::new();
    for &p in &indexes {
        let part = resp
            .topics
            .iter()
            .flat_map(|t| t.partitions.iter())
            .find(|x| x.partition_index == p)
            .ok_or_else(|| anyhow::anyhow!("ListOffsets left out {topic}/{p}"))?;
        anyhow::ensure!(
            part.error_code == 0,
            "ListOffsets {topic}/{p}: error {}",
            part.error_code
        );
        out.push(part.offset);
    }
    Ok(out)
}

/// Waits (bounded) until `dest`'s `mirror` has the same partitions and log
/// end offsets as `source`'s `topic`; returns them.
pub fn wait_caught_up(
    source: &FerryServer,
    dest: &FerryServer,
    topic: &str,
    mirror: &str,
    timeout: Duration,
) -> Vec<i64> {
    let deadline = Instant::now() + timeout;
    loop {
        let src = log_end_offsets(&source.bootstrap(), topic);
        let dst = log_end_offsets(&dest.bootstrap(), mirror);
        if let (Ok(s), Ok(d)) = (&src, &dst)
            && s == d
        {
            return d.clone();
        }
        if Instant::now() > deadline {
            panic!(
                "mirror {mirror} did not catch up with {topic} in {timeout:?}: source {src:?}, mirror {dst:?}\n--- dest stderr (tail) ---\n{}",
                dest.stderr_tail(6000)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Compares every partition of `topic` on `source` with `mirror` on `dest`,
/// raw Fetch (v12) batch by batch from offset 0: same batches, same offsets,
/// same bytes. The mirror appends the source's batches verbatim, so even the
/// partitionLeaderEpoch field (bytes 12..16, outside the CRC) must match.
/// Returns the number of batches compared.
pub fn assert_partitions_identical(
    source: &FerryServer,
    dest: &FerryServer,
    topic: &str,
    mirror: &str,
) -> usize {
    let partitions = log_end_offsets(&source.bootstrap(), topic)
        .unwrap_or_else(|e| panic!("source offsets of {topic}: {e:#}"))
        .len();
    let mut src = RawConn::connect(&source.bootstrap()).expect("connect source");
    let mut dst = RawConn::connect(&dest.bootstrap()).expect("connect dest");
    let mut total = 0;
    for p in 0..partitions as i32 {
        let a = fetch_all_batches(&mut src, 12, topic, p, 0, Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("fetch source {topic}/{p}: {e:#}"));
        let b = fetch_all_batches(&mut dst, 12, mirror, p, 0, Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("fetch mirror {mirror}/{p}: {e:#}"));
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            if x == y {
                continue;
            }
            let at = (0..x.len().min(y.len())).find(|&k| x[k] != y[k]);
            let field = match at {
                Some(0..8) => "baseOffset",
                Some(8..12) => "batchLength",
                Some(12..16) => "partitionLeaderEpoch",
                Some(16) => "magic",
                Some(17..21) => "crc",
                Some(_) => "attributes/records",
                None => "length",
            };
            panic!(
                "{topic}/{p} batch {i}: mirror differs from source at byte {at:?} ({field}); source batch at offset {} ({} bytes), mirror batch at offset {} ({} bytes)",
                i64::from_be_bytes(x[0..8].try_into().unwrap_or_default()),
                x.len(),
                i64::from_be_bytes(y[0..8].try_into().unwrap_or_default()),
                y.len()
            );
        }
        assert_eq!(
            a.len(),
            b.len(),
            "{topic}/{p}: source has {} batches, mirror {}",
            a.len(),
            b.len()
        );
        total += a.len();
    }
    total
}
