//! HTTP Basic authentication: on when the broker has a SASL listener, with
//! the JAAS users of that listener and the data directory's API keys.

mod common;

use ferry_auth::ApiKeyStore;
use reqwest::Method;

use common::{Reply, Rest, start};

const SASL: &[&str] = &[
    "listeners=SASL_PLAINTEXT://127.0.0.1:0",
    "listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_alice=\"alice-secret\";",
];

fn assert_unauthorized(reply: &Reply) {
    reply.assert_error(401, 40101);
    assert_eq!(
        reply.www_authenticate.as_deref(),
        Some("Basic realm=\"ferry\""),
        "{}",
        reply.text
    );
}

async fn clusters(rest: &Rest) -> Reply {
    rest.get(&format!("{}/kafka/v3/clusters", rest.origin))
        .await
}

#[tokio::test]
async fn sasl_broker_requires_basic_credentials() {
    let mut rest = start(SASL, true).await;
    let c = rest.cluster_url();
    // Nothing is served without credentials: not the API, not /metrics, not
    // even the 404 of an unknown path, nor a JSON error for a bad body.
    assert_unauthorized(&clusters(&rest).await);
    assert_unauthorized(&rest.get(&format!("{}/metrics", rest.origin)).await);
    assert_unauthorized(&rest.get(&format!("{}/nothing", rest.origin)).await);
    assert_unauthorized(
        &rest
            .json(Method::POST, &format!("{c}/links?link_name=x"), "{bad")
            .await,
    );
    // Bearer tokens are not accepted.
    let bearer = rest
        .client
        .get(format!("{}/kafka/v3/clusters", rest.origin))
        .bearer_auth("token")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bearer.status(), 401);

    // A JAAS user of the SASL listener.
    rest.credentials = Some(("alice".into(), "alice-secret".into()));
    let ok = clusters(&rest).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let metrics = rest.get(&format!("{}/metrics", rest.origin)).await;
    assert_eq!(metrics.status, 200, "{}", metrics.text);

    for (user, password) in [("alice", "wrong"), ("bob", "alice-secret"), ("alice", "")] {
        rest.credentials = Some((user.into(), password.into()));
        assert_unauthorized(&clusters(&rest).await);
    }

    // An API key created while the server runs works at once; its secret
    // is checked.
    let store = ApiKeyStore::open(&rest.data_dir).unwrap_or_else(|e| panic!("{e}"));
    let (key, secret) = store
        .create(Some("rest test"))
        .unwrap_or_else(|e| panic!("{e}"));
    rest.credentials = Some((key.clone(), secret));
    let ok = clusters(&rest).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    rest.credentials = Some((key, "not-the-secret".into()));
    assert_unauthorized(&clusters(&rest).await);
    rest.stop().await;
}

#[tokio::test]
async fn plaintext_broker_serves_without_credentials() {
    let rest = start(&[], true).await;
    let ok = clusters(&rest).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    rest.stop().await;
}

#[tokio::test]
async fn sasl_broker_with_api_keys_only() {
    // No JAAS users: the API keys are the only credentials.
    let mut rest = start(&["listeners=SASL_SSL://127.0.0.1:0"], true).await;
    assert_unauthorized(&clusters(&rest).await);
    let store = ApiKeyStore::open(&rest.data_dir).unwrap_or_else(|e| panic!("{e}"));
    let (key, secret) = store.create(None).unwrap_or_else(|e| panic!("{e}"));
    rest.credentials = Some((key, secret));
    let ok = clusters(&rest).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    rest.stop().await;
}
