//! Just enough HTTP/1.1 to drive the destination's Kafka REST v3 API:
//! create a link and its mirrors. One request per connection
//! (`Connection: close`), so the response is whatever arrives before EOF.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The destination's REST listener and cluster id.
#[derive(Debug, Clone)]
pub(crate) struct Rest {
    pub(crate) addr: String,
    pub(crate) cluster_id: String,
}

impl Rest {
    /// `POST …/links?link_name=NAME` with `configs` (name, value) pairs; no
    /// auto-created mirrors unless the caller passes that config.
    pub(crate) fn create_link(
        &self,
        name: &str,
        source_cluster_id: &str,
        configs: &[(String, String)],
    ) -> anyhow::Result<()> {
        let configs: Vec<String> = configs
            .iter()
            .map(|(k, v)| format!(r#"{{"name":"{}","value":"{}"}}"#, json(k), json(v)))
            .collect();
        let body = format!(
            r#"{{"source_cluster_id":"{}","configs":[{}]}}"#,
            json(source_cluster_id),
            configs.join(",")
        );
        let path = format!(
            "/kafka/v3/clusters/{}/links?link_name={name}",
            self.cluster_id
        );
        self.expect_2xx("POST", &path, &body)
    }

    /// `POST …/links/LINK/mirrors` for `source_topic_name`.
    pub(crate) fn create_mirror(&self, link: &str, topic: &str) -> anyhow::Result<()> {
        let path = format!(
            "/kafka/v3/clusters/{}/links/{link}/mirrors",
            self.cluster_id
        );
        let body = format!(r#"{{"source_topic_name":"{}"}}"#, json(topic));
        self.expect_2xx("POST", &path, &body)
    }

    fn expect_2xx(&self, method: &str, path: &str, body: &str) -> anyhow::Result<()> {
        let (status, answer) = request(&self.addr, method, path, body)?;
        anyhow::ensure!(
            status / 100 == 2,
            "{method} {path}: HTTP {status}: {answer}"
        );
        Ok(())
    }
}

/// Escapes `"` and `\` for a JSON string (the values here are names,
/// addresses and filter JSON).
fn json(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// One request; returns the status code and the body.
fn request(addr: &str, method: &str, path: &str, body: &str) -> anyhow::Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("{method} {path}: no HTTP status in {head:?}"))?;
    Ok((status, body.to_string()))
}
