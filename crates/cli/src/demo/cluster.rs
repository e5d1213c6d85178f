//! The two clusters: for each, a certificate (`ferry tls create-certs`),
//! an API key (`ferry api-key create`), a `server.properties`, and a
//! `ferry server` child process whose PID is kept in `<dir>/<name>.pid`.
//!
//! Each cluster listens on 127.0.0.1 only: Kafka over SASL_SSL (API keys,
//! PLAIN or SCRAM), the Kafka REST API over https with the same certificate
//! and API keys, and the schema registry over http with the same API keys
//! (ferry's registry has no https listener yet). Brokers advertise
//! `localhost`, a name that resolves here and is in the certificate.
//!
//! Behind an SNI proxy (nginx `stream` with `ssl_preread`, as the seed's
//! private clusters sit behind NGINX), each cluster would instead advertise
//! its per-cluster name, e.g. `advertised.listeners=SASL_SSL://kafka.aws.ferry.internal:9092`:
//! the proxy routes each TLS connection by its server name, and the
//! certificate already carries those names ([`sni_names`]).

use std::fs::OpenOptions;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::report::Report;
use super::runner;

/// How long a server gets to print its ready line.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a server gets to exit after SIGTERM before SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// One side of the demo, as configured and started.
#[derive(Debug)]
pub(crate) struct Cluster {
    /// `aws` or `azure`.
    pub(crate) name: &'static str,
    /// `<demo dir>/<name>`.
    pub(crate) dir: PathBuf,
    /// The API key and secret created for it.
    pub(crate) api_key: String,
    pub(crate) api_secret: String,
    /// Ports on 127.0.0.1: Kafka (SASL_SSL), REST (https), registry (http).
    pub(crate) kafka_port: u16,
    pub(crate) rest_port: u16,
    pub(crate) registry_port: u16,
    /// The cluster id the server printed.
    pub(crate) cluster_id: String,
    /// The server process while this demo owns it.
    child: Option<Child>,
}

/// The per-cluster names a certificate carries for SNI routing.
pub(crate) fn sni_names(name: &str) -> Vec<String> {
    ["kafka", "rest", "schema-registry"]
        .iter()
        .map(|service| format!("{service}.{name}.ferry.internal"))
        .collect()
}

/// `<cluster dir>/data`.
pub(crate) fn data_dir(dir: &Path) -> PathBuf {
    dir.join("data")
}

/// `<cluster dir>/tls`.
pub(crate) fn tls_dir(dir: &Path) -> PathBuf {
    dir.join("tls")
}

/// `<cluster dir>/server.properties`.
pub(crate) fn properties_path(dir: &Path) -> PathBuf {
    dir.join("server.properties")
}

/// `<cluster dir>/server.log`: the server's stdout and stderr.
pub(crate) fn log_path(dir: &Path) -> PathBuf {
    dir.join("server.log")
}

/// `<demo dir>/<name>.pid`.
pub(crate) fn pid_path(demo_dir: &Path, name: &str) -> PathBuf {
    demo_dir.join(format!("{name}.pid"))
}

/// `ferry tls create-certs …` for a cluster.
pub(crate) fn certs_args(name: &str, dir: &Path) -> Vec<String> {
    let mut args = vec![
        "tls".to_owned(),
        "create-certs".to_owned(),
        "--dir".to_owned(),
        path_str(&tls_dir(dir)),
    ];
    let mut hosts = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    hosts.extend(sni_names(name));
    for h in hosts {
        args.push("--hostname".to_owned());
        args.push(h);
    }
    args
}

/// `ferry api-key create …` for a cluster.
pub(crate) fn api_key_args(name: &str, dir: &Path) -> Vec<String> {
    [
        "api-key",
        "create",
        "--data-dir",
        &path_str(&data_dir(dir)),
        "--description",
        &format!("ferry demo {name}"),
        "-o",
        "json",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// `ferry server …` for a cluster.
pub(crate) fn server_args(dir: &Path) -> Vec<String> {
    vec![
        "server".to_owned(),
        "--config".to_owned(),
        path_str(&properties_path(dir)),
    ]
}

/// A path as text for a command line.
pub(crate) fn path_str(p: &Path) -> String {
    p.display().to_string()
}

/// Both clusters, stopped (by PID, gracefully) when dropped unless detached.
#[derive(Debug)]
pub(crate) struct Clusters {
    pub(crate) source: Cluster,
    pub(crate) destination: Cluster,
    demo_dir: PathBuf,
}

impl Clusters {
    /// Leaves the servers running past this process (`--servers-only`).
    pub(crate) fn detach(&mut self) {
        self.source.child = None;
        self.destination.child = None;
    }

    /// Stops both servers, destination first (its link reads the source).
    pub(crate) fn stop(&mut self, report: &mut Report) {
        for c in [&mut self.destination, &mut self.source] {
            if let Some(child) = c.child.take() {
                match stop_child(child) {
                    Ok(how) => report.pass(&format!("stopped {} ({how})", c.name)),
                    Err(e) => report.fail(&format!("stop {}", c.name), &format!("{e:#}")),
                }
                let _ = std::fs::remove_file(pid_path(&self.demo_dir, c.name));
            }
        }
    }
}

impl Drop for Clusters {
    fn drop(&mut self) {
        for c in [&mut self.destination, &mut self.source] {
            if let Some(child) = c.child.take() {
                let _ = stop_child(child);
                let _ = std::fs::remove_file(pid_path(&self.demo_dir, c.name));
            }
        }
    }
}

/// Prepares `dir` (refusing one a running demo uses) and starts both clusters.
pub(crate) fn start_both(dir: &Path, report: &mut Report) -> anyhow::Result<Clusters> {
    prepare_dir(dir)?;
    let ports = free_ports(6)?;
    let mut start = |name: &'static str, p: &[u16]| -> anyhow::Result<Cluster> {
        let mut ports = p.to_vec();
        let mut attempt = 1;
        let cluster = loop {
            match start_one(dir, name, &ports, report) {
                Ok(c) => break c,
                // Another process took a port between its pick and the
                // bind: start this cluster afresh on new ports.
                Err(e) if attempt < 3 && format!("{e:#}").contains("in use") => {
                    report.line(&format!("{name}: a port was taken meanwhile; new ports"));
                    std::fs::remove_dir_all(dir.join(name))
                        .with_context(|| format!("removing {}", dir.join(name).display()))?;
                    ports = free_ports(3)?;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        };
        let pid = cluster.child.as_ref().map_or(0, Child::id);
        report.pass(&format!(
            "{name}: ferry server up (PID {pid}, cluster id {}, Kafka SASL_SSL localhost:{}, REST https://localhost:{}/kafka, schema registry http://localhost:{})",
            cluster.cluster_id, cluster.kafka_port, cluster.rest_port, cluster.registry_port
        ));
        Ok(cluster)
    };
    let source = start("aws", &ports[0..3])?;
    let destination = match start("azure", &ports[3..6]) {
        Ok(d) => d,
        Err(e) => {
            if let Some(child) = source.child {
                let _ = stop_child(child);
            }
            return Err(e);
        }
    };
    Ok(Clusters {
        source,
        destination,
        demo_dir: dir.to_owned(),
    })
}

/// A fresh demo directory: an old demo's is replaced (unless its servers
/// still run); any other non-empty directory is refused.
fn prepare_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        let is_demo = dir.join(super::state::STATE_FILE).exists();
        let empty = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .next()
            .is_none();
        if !is_demo && !empty {
            anyhow::bail!(
                "{} exists and is not a ferry demo directory; choose another --dir",
                dir.display()
            );
        }
        for name in ["aws", "azure"] {
            if let Some(pid) = super::down::running_pid(&pid_path(dir, name)) {
                anyhow::bail!(
                    "a demo is still running in {} ({name}, PID {pid}); stop it with `ferry demo down --dir {}`",
                    dir.display(),
                    dir.display()
                );
            }
        }
        std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

/// `n` distinct free ports of 127.0.0.1 (all held open until all are picked).
fn free_ports(n: usize) -> anyhow::Result<Vec<u16>> {
    let held: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()
        .context("finding free ports on 127.0.0.1")?;
    held.iter()
        .map(|l| Ok(l.local_addr()?.port()))
        .collect::<std::io::Result<Vec<u16>>>()
        .context("finding free ports on 127.0.0.1")
}

fn start_one(
    demo_dir: &Path,
    name: &'static str,
    ports: &[u16],
    report: &mut Report,
) -> anyhow::Result<Cluster> {
    let &[kafka_port, rest_port, registry_port] = ports else {
        anyhow::bail!("three ports needed for {name}");
    };
    let dir = demo_dir.join(name);
    std::fs::create_dir_all(data_dir(&dir))
        .with_context(|| format!("creating {}", data_dir(&dir).display()))?;
    let home = super::state::home_dir(demo_dir);
    runner::ferry_ok(&certs_args(name, &dir), &home)
        .with_context(|| format!("creating the certificates of {name}"))?;
    let created = runner::ferry_ok(&api_key_args(name, &dir), &home)
        .with_context(|| format!("creating the API key of {name}"))?;
    let doc: serde_json::Value = serde_json::from_str(&created)
        .with_context(|| format!("`ferry api-key create -o json` printed {created:?}"))?;
    let field = |k: &str| -> anyhow::Result<String> {
        doc[k]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("no {k} in {doc}"))
    };
    let (api_key, api_secret) = (field("api_key")?, field("api_secret")?);
    report.pass(&format!(
        "{name}: certificate for localhost, 127.0.0.1 and {}; API key {api_key}",
        sni_names(name).join(", ")
    ));
    let properties = server_properties(name, &dir, kafka_port, rest_port, registry_port);
    std::fs::write(properties_path(&dir), properties)
        .with_context(|| format!("writing {}", properties_path(&dir).display()))?;
    let (child, cluster_id) = spawn_server(demo_dir, name, &dir)?;
    Ok(Cluster {
        name,
        dir,
        api_key,
        api_secret,
        kafka_port,
        rest_port,
        registry_port,
        cluster_id,
        child: Some(child),
    })
}

/// The `server.properties` of one cluster.
fn server_properties(
    name: &str,
    dir: &Path,
    kafka_port: u16,
    rest_port: u16,
    registry_port: u16,
) -> String {
    let role = if name == "aws" {
        "source"
    } else {
        "destination"
    };
    let keystore = tls_dir(dir).join("server-keystore.pem");
    let sni = sni_names(name);
    let kafka_sni = sni.first().map_or("", String::as_str);
    format!(
        "# ferry demo: the \"{name}\" cluster ({role}).\n\
         # Kafka over SASL_SSL only (API keys from `ferry api-key create`, PLAIN or SCRAM),\n\
         # with the certificate of `ferry tls create-certs` in {tls}.\n\
         # Behind an SNI proxy (nginx stream + ssl_preread), advertise the per-cluster\n\
         # name instead, e.g. advertised.listeners=SASL_SSL://{kafka_sni}:9092, and point\n\
         # that name at the proxy: the certificate carries it.\n\
         ferry.data.dir={data}\n\
         node.id=1\n\
         listeners=SASL_SSL://127.0.0.1:{kafka_port}\n\
         advertised.listeners=SASL_SSL://localhost:{kafka_port}\n\
         sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512\n\
         ssl.keystore.type=PEM\n\
         ssl.keystore.location={keystore}\n\
         num.partitions=6\n\
         group.initial.rebalance.delay.ms=0\n\
         # Kafka REST v3 (links, mirrors) over https with the same certificate and API keys.\n\
         rest.listeners=https://127.0.0.1:{rest_port}\n\
         # The schema registry, with the same API keys (HTTP Basic).\n\
         schema.registry.listeners=http://127.0.0.1:{registry_port}\n",
        tls = tls_dir(dir).display(),
        data = data_dir(dir).display(),
        keystore = keystore.display(),
    )
}

/// Starts `ferry server --config …` in its own process group (so a Ctrl-C
/// at the terminal reaches the demo, which then stops it in order), its
/// output appended to `server.log`; waits for the ready line.
fn spawn_server(demo_dir: &Path, name: &str, dir: &Path) -> anyhow::Result<(Child, String)> {
    let log = log_path(dir);
    let out = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .with_context(|| format!("opening {}", log.display()))?;
    let err = out.try_clone()?;
    let from = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
    let mut cmd = Command::new(runner::ferry_exe()?);
    cmd.args(server_args(dir))
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err));
    runner::clean_env(&mut cmd, &super::state::home_dir(demo_dir));
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child =
        runner::spawn(&mut cmd).with_context(|| format!("starting ferry server for {name}"))?;
    std::fs::write(pid_path(demo_dir, name), format!("{}\n", child.id()))
        .with_context(|| format!("writing {}", pid_path(demo_dir, name).display()))?;
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let text = std::fs::read(&log).unwrap_or_default();
        let text = String::from_utf8_lossy(text.get(from as usize..).unwrap_or_default());
        if let Some(id) = text
            .lines()
            .find_map(|l| l.strip_prefix("ferry server: ready (cluster id "))
        {
            return Ok((child, id.trim_end_matches(')').trim().to_owned()));
        }
        let tail = || {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(15)..].join("\n")
        };
        if let Ok(Some(status)) = child.try_wait() {
            let _ = std::fs::remove_file(pid_path(demo_dir, name));
            anyhow::bail!(
                "ferry server for {name} exited ({status}) before it was ready; {}:\n{}",
                log.display(),
                tail()
            );
        }
        if Instant::now() > deadline {
            let _ = stop_child(child);
            let _ = std::fs::remove_file(pid_path(demo_dir, name));
            anyhow::bail!(
                "ferry server for {name} was not ready within {START_TIMEOUT:?}; {}:\n{}",
                log.display(),
                tail()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// SIGTERM, then a bounded wait, then SIGKILL. Says which it took.
fn stop_child(mut child: Child) -> anyhow::Result<&'static str> {
    if child.try_wait()?.is_some() {
        return Ok("had already exited");
    }
    super::down::signal(child.id(), "TERM");
    let deadline = Instant::now() + STOP_TIMEOUT;
    while Instant::now() < deadline {
        if child.try_wait()?.is_some() {
            return Ok("SIGTERM, clean exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill()?;
    child.wait()?;
    Ok("SIGKILL after ignoring SIGTERM")
}
