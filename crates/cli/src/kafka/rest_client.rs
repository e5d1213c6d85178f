//! A small typed client of the Kafka REST API v3 (reference §4), which the
//! `ferry kafka link …` and `ferry kafka mirror …` commands drive, as the
//! `confluent` CLI drives Confluent's.
//!
//! It knows the base URL (`http://host:8090/kafka`, the embedded REST
//! server's root), HTTP basic auth with an API key, the `{"data":[…]}` list
//! envelope, and turns error bodies (`{"error_code","message"}`) into errors
//! that show the server's message and the HTTP status.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use ferry_link::view::{AlterMirrorResult, LinkConfigEntry, LinkDescription, MirrorDescription};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::args::OutputArgs;

/// Flags every REST-driven command takes: where the REST API is, which
/// cluster, how to authenticate, and the output format.
#[derive(Debug, Clone, Args)]
pub(crate) struct RestArgs {
    /// Base URL of the Kafka REST API, including `/kafka` for the REST server
    /// embedded in `ferry server` (e.g. http://localhost:8090/kafka).
    /// Defaults to --environment's, then $FERRY_REST_URL, then
    /// $CONFLUENT_REST_URL, then the active environment's (`ferry environment use`).
    #[arg(long, value_name = "URL")]
    pub(crate) url: Option<String>,
    /// The environment (`ferry environment create`) whose REST URL, API key
    /// and CA to use when --url is not given (default: $FERRY_ENVIRONMENT,
    /// then the active one).
    #[arg(long, value_name = "NAME")]
    pub(crate) environment: Option<String>,
    /// Kafka cluster ID. When omitted, the REST API is asked for its clusters
    /// (GET /v3/clusters) and the only one is used (a ferry convenience; the
    /// `confluent` CLI requires it).
    #[arg(long, value_name = "ID", allow_hyphen_values = true)]
    pub(crate) cluster: Option<String>,
    /// API key for HTTP basic authentication towards the REST API.
    #[arg(long, env = "FERRY_API_KEY", value_name = "KEY")]
    pub(crate) api_key: Option<String>,
    /// API secret for HTTP basic authentication towards the REST API.
    #[arg(
        long,
        env = "FERRY_API_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub(crate) api_secret: Option<String>,
    /// PEM file of the CA that signed the REST server's certificate (https).
    #[arg(long, alias = "ca-cert-path", value_name = "FILE")]
    pub(crate) certificate_authority_path: Option<PathBuf>,
    /// Do not verify the REST server's TLS certificate (testing only).
    #[arg(long)]
    pub(crate) insecure_skip_tls_verify: bool,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// An error answer of the REST API, with the server's own message.
#[derive(Debug)]
pub(crate) struct RestError {
    /// HTTP status.
    pub(crate) status: StatusCode,
    /// The body's `error_code`, when it had one.
    pub(crate) error_code: Option<i64>,
    /// The body's `message`, or the raw body text.
    pub(crate) message: String,
}

impl std::fmt::Display for RestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (HTTP {}", self.message, self.status.as_u16())?;
        if let Some(code) = self.error_code {
            write!(f, ", error code {code}")?;
        }
        write!(f, ")")
    }
}

impl std::error::Error for RestError {}

/// Confluent's error body.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    error_code: Option<i64>,
    message: Option<String>,
}

/// Confluent's list envelope; `kind` and `metadata` are ignored.
#[derive(Debug, Deserialize)]
struct DataList<T> {
    data: Vec<T>,
}

/// One entry of `GET /v3/clusters`.
#[derive(Debug, Deserialize)]
struct ClusterData {
    cluster_id: String,
}

/// `ConfigData` of request bodies.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ConfigData {
    /// Config name.
    pub(crate) name: String,
    /// Value.
    pub(crate) value: String,
}

/// `CreateLinkRequestData`.
#[derive(Debug, Serialize)]
pub(crate) struct CreateLinkBody {
    /// The source cluster's id, checked by the server when validating.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) source_cluster_id: Option<String>,
    /// The link's configs.
    pub(crate) configs: Vec<ConfigData>,
}

/// `CreateMirrorTopicRequestData`.
#[derive(Debug, Serialize)]
pub(crate) struct CreateMirrorBody {
    /// The topic on the source.
    pub(crate) source_topic_name: String,
    /// Sent only when it differs from the source name (prefixed links).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) mirror_topic_name: Option<String>,
    /// Sent only when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) replication_factor: Option<i32>,
    /// Topic configs of the mirror.
    pub(crate) configs: Vec<ConfigData>,
}

/// `AlterMirrorsRequestData`.
#[derive(Debug, Serialize)]
struct AlterMirrorsBody<'a> {
    mirror_topic_names: &'a [String],
}

/// `PUT …/configs:alter` body.
#[derive(Debug, Serialize)]
struct AlterConfigsBody {
    data: Vec<ConfigData>,
}

/// A connected client bound to one cluster.
#[derive(Debug)]
pub(crate) struct RestClient {
    http: reqwest::Client,
    /// The base URL as given (`…/kafka`), for messages.
    base: Url,
    auth: Option<(String, String)>,
    cluster: String,
}

/// Where the REST API is and how to reach it, settled from the flags and
/// the environment.
#[derive(Debug)]
pub(crate) struct RestTarget {
    /// The base URL (`…/kafka`).
    pub(crate) url: Url,
    /// HTTP basic credentials.
    pub(crate) auth: Option<(String, String)>,
    /// Extra CA file.
    pub(crate) ca: Option<PathBuf>,
}

/// The REST base URL, credentials and CA: the flags, else the environment
/// (see [`crate::environment::resolve`]); an environment's credentials and
/// CA are used only with its own URL.
pub(crate) fn target(args: &RestArgs) -> anyhow::Result<RestTarget> {
    let endpoint = crate::environment::resolve::endpoint(
        crate::environment::resolve::REST_URL,
        args.url.as_deref(),
        args.environment.as_deref(),
    )?;
    let raw = &endpoint.value;
    let url = Url::parse(raw).with_context(|| format!("invalid --url '{raw}'"))?;
    anyhow::ensure!(
        matches!(url.scheme(), "http" | "https"),
        "--url must be an http:// or https:// URL, got '{raw}'"
    );
    anyhow::ensure!(
        !url.cannot_be_a_base(),
        "--url '{raw}' cannot be used as a base URL"
    );
    let flags = key_pair(
        args.api_key.as_deref(),
        args.api_secret.as_deref(),
        "--api-key",
        "--api-secret",
    )?;
    let profile = endpoint.profile();
    Ok(RestTarget {
        url,
        auth: flags.or_else(|| profile.and_then(|p| p.cluster_credentials())),
        ca: args
            .certificate_authority_path
            .clone()
            .or_else(|| profile.and_then(|p| p.ca_location.clone())),
    })
}

/// The REST base URL from the flag or the environment.
pub(crate) fn base_url(args: &RestArgs) -> anyhow::Result<Url> {
    Ok(target(args)?.url)
}

/// Both halves of a key/secret pair, or neither.
pub(crate) fn key_pair(
    key: Option<&str>,
    secret: Option<&str>,
    key_flag: &str,
    secret_flag: &str,
) -> anyhow::Result<Option<(String, String)>> {
    match (key, secret) {
        (Some(k), Some(s)) => Ok(Some((k.to_owned(), s.to_owned()))),
        (None, None) => Ok(None),
        _ => anyhow::bail!("{key_flag} and {secret_flag} must be supplied together"),
    }
}

/// The HTTP client of the REST commands: ring as the TLS provider, the CA
/// bundle of `ca` trusted besides the system's, and bounds so that a server
/// that accepts and never answers cannot hang a command.
pub(crate) fn http_client(
    ca: Option<&std::path::Path>,
    insecure_skip_tls_verify: bool,
    timeout: std::time::Duration,
) -> anyhow::Result<reqwest::Client> {
    // reqwest is built without a default crypto provider; ring is ferry's
    // only one. A second install (already done) is not an error.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder()
        .user_agent("ferry-cli")
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(timeout);
    if let Some(path) = ca {
        let pem = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .with_context(|| format!("no PEM certificate in {}", path.display()))?;
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    if insecure_skip_tls_verify {
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    builder.build().context("building the HTTP client")
}

impl RestClient {
    /// Checks the flags, builds the HTTP client and settles the cluster id
    /// (asking the server when `--cluster` is not given).
    pub(crate) async fn connect(args: &RestArgs) -> anyhow::Result<Self> {
        let RestTarget {
            url: base,
            auth,
            ca,
        } = target(args)?;
        // Generous: promote waits for a final sync.
        let http = http_client(
            ca.as_deref(),
            args.insecure_skip_tls_verify,
            std::time::Duration::from_secs(120),
        )?;
        let mut client = Self {
            http,
            base,
            auth,
            cluster: String::new(),
        };
        client.cluster = match &args.cluster {
            Some(id) => id.clone(),
            None => client.only_cluster().await?,
        };
        Ok(client)
    }

    /// The cluster the client talks to.
    pub(crate) fn cluster_id(&self) -> &str {
        &self.cluster
    }

    /// `GET /v3/clusters`, which must list exactly one cluster.
    async fn only_cluster(&self) -> anyhow::Result<String> {
        let url = self.url(&["v3", "clusters"], &[]);
        let list: DataList<ClusterData> =
            self.send(Method::GET, url, None::<&()>)
                .await
                .map_err(|e| match e.downcast_ref::<RestError>() {
                    Some(r) if r.status == StatusCode::NOT_FOUND => e.context(format!(
                        "no Kafka REST API v3 at {} (does --url end with /kafka?)",
                        self.base
                    )),
                    _ => e,
                })?;
        match list.data.as_slice() {
            [one] => Ok(one.cluster_id.clone()),
            [] => anyhow::bail!("the REST API at {} lists no cluster", self.base),
            many => anyhow::bail!(
                "the REST API at {} serves several clusters ({}); pass --cluster",
                self.base,
                many.iter()
                    .map(|c| c.cluster_id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// `base/<segments…>?<query>`, each segment percent-encoded.
    fn url(&self, segments: &[&str], query: &[(&str, String)]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        url
    }

    /// `base/v3/clusters/{cluster}/<segments…>`.
    fn cluster_url(&self, segments: &[&str], query: &[(&str, String)]) -> Url {
        let mut all = vec!["v3", "clusters", self.cluster.as_str()];
        all.extend_from_slice(segments);
        self.url(&all, query)
    }

    /// Sends a request and returns the raw successful response.
    async fn exchange<B: Serialize + ?Sized>(
        &self,
        method: Method,
        url: Url,
        body: Option<&B>,
    ) -> anyhow::Result<reqwest::Response> {
        let mut req = self.http.request(method.clone(), url.clone());
        if let Some((key, secret)) = &self.auth {
            req = req.basic_auth(key, Some(secret));
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("cannot reach the REST API: {method} {url}"))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let text = resp.text().await.unwrap_or_default();
        let parsed = serde_json::from_str::<ErrorBody>(&text).ok();
        let message = parsed
            .as_ref()
            .and_then(|b| b.message.clone())
            .unwrap_or_else(|| {
                let t = text.trim();
                if t.is_empty() {
                    status.canonical_reason().unwrap_or("error").to_owned()
                } else {
                    t.chars().take(500).collect()
                }
            });
        Err(RestError {
            status,
            error_code: parsed.and_then(|b| b.error_code),
            message,
        }
        .into())
    }

    /// Sends a request and decodes the JSON answer.
    async fn send<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        url: Url,
        body: Option<&B>,
    ) -> anyhow::Result<T> {
        let resp = self.exchange(method.clone(), url.clone(), body).await?;
        let bytes = resp
            .bytes()
            .await
            .with_context(|| format!("reading the answer of {method} {url}"))?;
        serde_json::from_slice(&bytes)
            .with_context(|| format!("unexpected answer to {method} {url}"))
    }

    /// Sends a request whose answer carries nothing the CLI needs.
    async fn send_empty<B: Serialize + ?Sized>(
        &self,
        method: Method,
        url: Url,
        body: Option<&B>,
    ) -> anyhow::Result<()> {
        self.exchange(method, url, body).await.map(drop)
    }

    /// `GET …/links`.
    pub(crate) async fn list_links(&self) -> anyhow::Result<Vec<LinkDescription>> {
        let url = self.cluster_url(&["links"], &[]);
        let list: DataList<LinkDescription> = self.send(Method::GET, url, None::<&()>).await?;
        Ok(list.data)
    }

    /// `GET …/links/{name}` (with `include_tasks`).
    pub(crate) async fn get_link(
        &self,
        name: &str,
        include_tasks: bool,
    ) -> anyhow::Result<LinkDescription> {
        let query = if include_tasks {
            vec![("include_tasks", "true".to_owned())]
        } else {
            Vec::new()
        };
        let url = self.cluster_url(&["links", name], &query);
        self.send(Method::GET, url, None::<&()>).await
    }

    /// `POST …/links?link_name=…&validate_only=…&validate_link=…`.
    pub(crate) async fn create_link(
        &self,
        name: &str,
        body: &CreateLinkBody,
        validate_only: bool,
        validate_link: bool,
    ) -> anyhow::Result<()> {
        let url = self.cluster_url(
            &["links"],
            &[
                ("link_name", name.to_owned()),
                ("validate_only", validate_only.to_string()),
                ("validate_link", validate_link.to_string()),
            ],
        );
        self.send_empty(Method::POST, url, Some(body)).await
    }

    /// `DELETE …/links/{name}`.
    pub(crate) async fn delete_link(&self, name: &str) -> anyhow::Result<()> {
        let url = self.cluster_url(&["links", name], &[]);
        self.send_empty(Method::DELETE, url, None::<&()>).await
    }

    /// `GET …/links/{name}/configs`.
    pub(crate) async fn link_configs(&self, name: &str) -> anyhow::Result<Vec<LinkConfigEntry>> {
        let url = self.cluster_url(&["links", name, "configs"], &[]);
        let list: DataList<LinkConfigEntry> = self.send(Method::GET, url, None::<&()>).await?;
        Ok(list.data)
    }

    /// `PUT …/links/{name}/configs:alter`.
    pub(crate) async fn alter_link_configs(
        &self,
        name: &str,
        configs: Vec<ConfigData>,
    ) -> anyhow::Result<()> {
        let url = self.cluster_url(&["links", name, "configs:alter"], &[]);
        let body = AlterConfigsBody { data: configs };
        self.send_empty(Method::PUT, url, Some(&body)).await
    }

    /// `POST …/links/{link}/mirrors`.
    pub(crate) async fn create_mirror(
        &self,
        link: &str,
        body: &CreateMirrorBody,
    ) -> anyhow::Result<()> {
        let url = self.cluster_url(&["links", link, "mirrors"], &[]);
        self.send_empty(Method::POST, url, Some(body)).await
    }

    /// `GET …/links/{link}/mirrors`, or `…/links/-/mirrors` for every link.
    pub(crate) async fn list_mirrors(
        &self,
        link: Option<&str>,
        mirror_status: Option<&str>,
    ) -> anyhow::Result<Vec<MirrorDescription>> {
        let query: Vec<(&str, String)> = mirror_status
            .map(|s| ("mirror_status", s.to_owned()))
            .into_iter()
            .collect();
        let url = self.cluster_url(&["links", link.unwrap_or("-"), "mirrors"], &query);
        let list: DataList<MirrorDescription> = self.send(Method::GET, url, None::<&()>).await?;
        Ok(list.data)
    }

    /// `GET …/links/{link}/mirrors/{topic}`.
    pub(crate) async fn get_mirror(
        &self,
        link: &str,
        topic: &str,
    ) -> anyhow::Result<MirrorDescription> {
        let url = self.cluster_url(&["links", link, "mirrors", topic], &[]);
        self.send(Method::GET, url, None::<&()>).await
    }

    /// `POST …/links/{link}/mirrors:{action}?validate_only=…`.
    pub(crate) async fn alter_mirrors(
        &self,
        link: &str,
        action: &str,
        topics: &[String],
        validate_only: bool,
    ) -> anyhow::Result<Vec<AlterMirrorResult>> {
        let segment = format!("mirrors:{action}");
        let url = self.cluster_url(
            &["links", link, &segment],
            &[("validate_only", validate_only.to_string())],
        );
        let body = AlterMirrorsBody {
            mirror_topic_names: topics,
        };
        let list: DataList<AlterMirrorResult> = self.send(Method::POST, url, Some(&body)).await?;
        Ok(list.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> RestClient {
        let _ = rustls::crypto::ring::default_provider().install_default();
        RestClient {
            http: reqwest::Client::new(),
            base: Url::parse(base).unwrap(),
            auth: None,
            cluster: "c-1".to_owned(),
        }
    }

    #[test]
    fn urls_join_under_the_base_with_or_without_a_trailing_slash() {
        for base in ["http://h:8090/kafka", "http://h:8090/kafka/"] {
            let c = client(base);
            assert_eq!(
                c.cluster_url(&["links", "my link", "mirrors:promote"], &[])
                    .as_str(),
                "http://h:8090/kafka/v3/clusters/c-1/links/my%20link/mirrors:promote"
            );
        }
        let c = client("http://h:8090/kafka");
        assert_eq!(
            c.cluster_url(
                &["links"],
                &[
                    ("link_name", "a&b".into()),
                    ("validate_only", "true".into())
                ]
            )
            .as_str(),
            "http://h:8090/kafka/v3/clusters/c-1/links?link_name=a%26b&validate_only=true"
        );
        assert_eq!(
            c.cluster_url(&["links", "-", "mirrors"], &[]).as_str(),
            "http://h:8090/kafka/v3/clusters/c-1/links/-/mirrors"
        );
    }

    #[test]
    fn key_pairs_must_come_together() {
        assert!(key_pair(None, None, "--a", "--b").unwrap().is_none());
        assert_eq!(
            key_pair(Some("k"), Some("s"), "--a", "--b").unwrap(),
            Some(("k".to_owned(), "s".to_owned()))
        );
        let err = key_pair(Some("k"), None, "--a", "--b").unwrap_err();
        assert_eq!(err.to_string(), "--a and --b must be supplied together");
        assert!(key_pair(None, Some("s"), "--a", "--b").is_err());
    }

    #[test]
    fn rest_errors_show_message_status_and_code() {
        let e = RestError {
            status: StatusCode::NOT_FOUND,
            error_code: Some(40403),
            message: "cluster link 'x' does not exist".into(),
        };
        assert_eq!(
            e.to_string(),
            "cluster link 'x' does not exist (HTTP 404, error code 40403)"
        );
    }
}
