//! Routing, envelopes and error bodies of the REST API against a real broker
//! and link manager; nothing here needs a working link.

mod common;

use reqwest::Method;

use common::start;

#[tokio::test]
async fn clusters_are_listed_under_both_bases() {
    let rest = start(&[], false).await;
    for base in ["/kafka/v3", "/v3"] {
        let url = format!("{}{base}/clusters", rest.origin);
        let reply = rest.get(&url).await;
        assert_eq!(reply.status, 200, "{url}: {}", reply.text);
        assert!(reply.content_type.starts_with("application/json"));
        let body = reply.json();
        assert_eq!(body["kind"], "KafkaClusterList");
        assert_eq!(body["metadata"]["self"], url.as_str());
        assert!(body["metadata"]["next"].is_null());
        let clusters = body["data"].as_array().unwrap_or_else(|| panic!("{body}"));
        assert_eq!(clusters.len(), 1);
        let cluster = &clusters[0];
        assert_eq!(cluster["kind"], "KafkaCluster");
        assert_eq!(cluster["cluster_id"], rest.cluster_id.as_str());
        let self_url = format!("{url}/{}", rest.cluster_id);
        assert_eq!(cluster["metadata"]["self"], self_url.as_str());
        assert_eq!(
            cluster["metadata"]["resource_name"],
            format!("crn:///kafka={}", rest.cluster_id).as_str()
        );

        let one = rest.get(&self_url).await;
        assert_eq!(one.status, 200, "{}", one.text);
        assert_eq!(one.json(), *cluster);
    }
    rest.stop().await;
}

#[tokio::test]
async fn metadata_self_follows_the_host_header() {
    let rest = start(&[], false).await;
    let reply = rest
        .client
        .get(format!("{}/kafka/v3/clusters", rest.origin))
        .header("host", "broker.example:8090")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let body: serde_json::Value = reply.json().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        body["metadata"]["self"],
        "http://broker.example:8090/kafka/v3/clusters"
    );
    rest.stop().await;
}

/// Every path of the API, with a body where one is needed.
fn every_path(cluster: &str) -> Vec<(Method, String, Option<&'static str>)> {
    let c = format!("/kafka/v3/clusters/{cluster}");
    let l = format!("{c}/links/nolink");
    let sel = Some(r#"{"mirror_topic_names":["t"]}"#);
    vec![
        (Method::GET, c.clone(), None),
        (Method::GET, format!("{c}/links"), None),
        (
            Method::POST,
            format!("{c}/links?link_name=nolink"),
            Some(r#"{"configs":[{"name":"bootstrap.servers","value":"127.0.0.1:1"}]}"#),
        ),
        (Method::GET, l.clone(), None),
        (Method::DELETE, l.clone(), None),
        (Method::GET, format!("{l}/configs"), None),
        (
            Method::GET,
            format!("{l}/configs/consumer.offset.sync.ms"),
            None,
        ),
        (
            Method::PUT,
            format!("{l}/configs/consumer.offset.sync.ms"),
            Some(r#"{"value":"1000"}"#),
        ),
        (
            Method::DELETE,
            format!("{l}/configs/consumer.offset.sync.ms"),
            None,
        ),
        (
            Method::PUT,
            format!("{l}/configs:alter"),
            Some(r#"{"data":[{"name":"consumer.offset.sync.ms","value":"1000"}]}"#),
        ),
        (Method::GET, format!("{l}/mirrors"), None),
        (
            Method::POST,
            format!("{l}/mirrors"),
            Some(r#"{"source_topic_name":"t"}"#),
        ),
        (Method::GET, format!("{c}/links/-/mirrors"), None),
        (Method::GET, format!("{l}/mirrors/t"), None),
        (Method::POST, format!("{l}/mirrors:promote"), sel),
        (Method::POST, format!("{l}/mirrors:failover"), sel),
        (Method::POST, format!("{l}/mirrors:pause"), sel),
        (Method::POST, format!("{l}/mirrors:resume"), sel),
    ]
}

#[tokio::test]
async fn an_unknown_cluster_is_404_on_every_path() {
    let rest = start(&[], false).await;
    for (method, path, body) in every_path("not-this-cluster") {
        let url = format!("{}{path}", rest.origin);
        let reply = rest.send(method.clone(), &url, body, true).await;
        let message = reply.assert_error(404, 404);
        assert!(
            message.contains("not-this-cluster"),
            "{method} {path}: {message}"
        );
    }
    rest.stop().await;
}

/// Each route reaches its handler, which asks the link manager about the
/// link: the answer is the link manager's not-found (40403), not the
/// router's (404 with error_code 404). This covers the literal colon
/// segments (`configs:alter`, `mirrors:<action>`).
#[tokio::test]
async fn link_routes_reach_the_link_manager() {
    let rest = start(&[], false).await;
    let link_paths = every_path(&rest.cluster_id)
        .into_iter()
        .filter(|(m, p, _)| {
            p.contains("/links/nolink") && !(m == Method::GET && p.ends_with("/nolink/mirrors"))
        });
    for (method, path, body) in link_paths {
        let url = format!("{}{path}", rest.origin);
        let reply = rest.send(method.clone(), &url, body, true).await;
        let message = reply.assert_error(404, 40403);
        assert!(message.contains("nolink"), "{method} {path}: {message}");
        // The same through the standalone REST Proxy base.
        let v3 = url.replacen("/kafka/v3/", "/v3/", 1);
        rest.send(method, &v3, body, true)
            .await
            .assert_error(404, 40403);
    }
    rest.stop().await;
}

#[tokio::test]
async fn empty_listings_have_list_envelopes() {
    let rest = start(&[], false).await;
    let c = rest.cluster_url();
    for (path, kind) in [
        ("links", "KafkaLinkDataList"),
        ("links/-/mirrors", "KafkaMirrorDataList"),
    ] {
        let url = format!("{c}/{path}");
        let reply = rest.get(&url).await;
        assert_eq!(reply.status, 200, "{url}: {}", reply.text);
        let body = reply.json();
        assert_eq!(body["kind"], kind);
        assert_eq!(body["metadata"]["self"], url.as_str());
        assert!(body["metadata"]["next"].is_null());
        assert_eq!(body["data"], serde_json::json!([]));
    }
    let filtered = rest
        .get(&format!("{c}/links/-/mirrors?mirror_status=active"))
        .await;
    assert_eq!(filtered.status, 200, "{}", filtered.text);
    rest.stop().await;
}

#[tokio::test]
async fn wrong_methods_and_paths_get_json_errors() {
    let rest = start(&[], false).await;
    let l = format!("{}/links/x", rest.cluster_url());
    // Confluent Platform 8 answers POST on configs:alter with 405.
    let body = r#"{"data":[]}"#;
    rest.json(Method::POST, &format!("{l}/configs:alter"), body)
        .await
        .assert_error(405, 405);
    rest.get(&format!("{l}/mirrors:promote"))
        .await
        .assert_error(405, 405);
    rest.get(&format!("{l}/configs:alter"))
        .await
        .assert_error(405, 405);
    for path in [
        format!("{l}/mirrors:bogus"),
        format!("{l}/configs:bogus"),
        format!("{}/kafka/v3/nothing", rest.origin),
        format!("{}/", rest.origin),
    ] {
        rest.json(Method::POST, &path, "{}")
            .await
            .assert_error(404, 404);
    }
    rest.stop().await;
}

#[tokio::test]
async fn bidirectional_actions_are_refused_clearly() {
    let rest = start(&[], false).await;
    let l = format!("{}/links/x", rest.cluster_url());
    for action in [
        "reverse-and-start-mirror",
        "reverse-and-pause-mirror",
        "truncate-and-restore",
        "promote-local-and-start-remote-mirror",
        "promote-local-and-pause-remote-mirror",
    ] {
        let reply = rest
            .json(
                Method::POST,
                &format!("{l}/mirrors:{action}"),
                r#"{"mirror_topic_names":["t"]}"#,
            )
            .await;
        let message = reply.assert_error(400, 400);
        assert!(message.contains("bidirectional"), "{action}: {message}");
    }
    rest.stop().await;
}

#[tokio::test]
async fn malformed_requests_are_400_with_a_message() {
    let rest = start(&[], false).await;
    let c = rest.cluster_url();
    let l = format!("{c}/links/x");
    let cases: Vec<(Method, String, &str)> = vec![
        (Method::POST, format!("{c}/links?link_name=x"), "{not json"),
        (
            Method::POST,
            format!("{c}/links?link_name=x"),
            r#"{"configs":{"a":"b"}}"#,
        ),
        (Method::PUT, format!("{l}/configs/a.b"), "[1,2"),
        (Method::PUT, format!("{l}/configs:alter"), r#"{"data":"x"}"#),
        (
            Method::POST,
            format!("{l}/mirrors"),
            r#"{"source_topic_name":5}"#,
        ),
        (Method::POST, format!("{l}/mirrors:promote"), "\u{0}\u{1}"),
    ];
    for (method, url, body) in cases {
        for json_type in [true, false] {
            let reply = rest.send(method.clone(), &url, Some(body), json_type).await;
            let message = reply.assert_error(400, 400);
            assert!(
                message.contains("malformed JSON"),
                "{method} {url} {body:?}: {message}"
            );
        }
    }
    rest.stop().await;
}

#[tokio::test]
async fn missing_and_bad_parameters_are_400() {
    let rest = start(&[], false).await;
    let c = rest.cluster_url();
    let l = format!("{c}/links/x");
    let configs = r#"{"configs":[{"name":"bootstrap.servers","value":"127.0.0.1:1"}]}"#;
    let cases: Vec<(Method, String, Option<&str>, &str)> = vec![
        (
            Method::POST,
            format!("{c}/links"),
            Some(configs),
            "link_name",
        ),
        (
            Method::POST,
            format!("{c}/links?link_name=x&validate_only=maybe"),
            Some(configs),
            "validate_only",
        ),
        (Method::DELETE, format!("{l}?force=yes"), None, "force"),
        (
            Method::GET,
            format!("{c}/links/-/mirrors?mirror_status=sleeping"),
            None,
            "mirror_status",
        ),
        (
            Method::POST,
            format!("{l}/mirrors"),
            Some("{}"),
            "source_topic_name",
        ),
        (
            Method::POST,
            format!("{l}/mirrors"),
            None,
            "source_topic_name",
        ),
        (
            Method::POST,
            format!("{l}/mirrors:pause"),
            Some("{}"),
            "mirror_topic_names",
        ),
        (Method::PUT, format!("{l}/configs/a.b"), Some("{}"), "value"),
        (
            Method::PUT,
            format!("{l}/configs:alter"),
            Some("{}"),
            "data",
        ),
        (
            Method::PUT,
            format!("{l}/configs:alter"),
            Some(r#"{"data":[{"name":"a.b","operation":"APPEND","value":"1"}]}"#),
            "SET or DELETE",
        ),
        (
            Method::PUT,
            format!("{l}/configs:alter"),
            Some(r#"{"data":[{"name":"a.b"}]}"#),
            "value",
        ),
        (
            Method::POST,
            format!("{c}/links/-/mirrors"),
            Some(r#"{"source_topic_name":"t"}"#),
            "one link",
        ),
    ];
    for (method, url, body, needle) in cases {
        let reply = rest.send(method.clone(), &url, body, true).await;
        let message = reply.assert_error(400, 400);
        assert!(message.contains(needle), "{method} {url}: {message}");
    }
    rest.stop().await;
}

#[tokio::test]
async fn metrics_are_prometheus_text() {
    let rest = start(&[], false).await;
    let reply = rest.get(&format!("{}/metrics", rest.origin)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(
        reply.content_type.starts_with("text/plain; version=0.0.4"),
        "{}",
        reply.content_type
    );
    rest.stop().await;
}

/// Clients that percent-encode the colon of an action segment reach the
/// same handlers.
#[tokio::test]
async fn percent_encoded_colons_route_the_same() {
    let rest = start(&[], false).await;
    let l = format!("{}/links/nolink", rest.cluster_url());
    let body = r#"{"mirror_topic_names":["t"]}"#;
    for colon in ["%3A", "%3a"] {
        rest.json(Method::POST, &format!("{l}/mirrors{colon}promote"), body)
            .await
            .assert_error(404, 40403);
        rest.json(
            Method::PUT,
            &format!("{l}/configs{colon}alter"),
            r#"{"data":[{"name":"a.b","value":"1"}]}"#,
        )
        .await
        .assert_error(404, 40403);
        let message = rest
            .json(
                Method::POST,
                &format!("{l}/mirrors{colon}truncate-and-restore"),
                body,
            )
            .await
            .assert_error(400, 400);
        assert!(message.contains("bidirectional"), "{message}");
    }
    rest.stop().await;
}
