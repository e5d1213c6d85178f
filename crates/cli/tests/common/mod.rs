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
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferry"));
        cmd.arg("server")
            .arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--override")
            .arg(format!("listeners=PLAINTEXT://127.0.0.1:{}", self.port))
            .arg("--override")
            .arg("group.initial.rebalance.delay.ms=0");
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
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("no ready line within {START_TIMEOUT:?}"));
            }
            match rx.recv_timeout(left.min(Duration::from_millis(200))) {
                Ok(line) => {
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
