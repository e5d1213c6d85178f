//! Exchanges between ferry's own SASL clients and servers, plus the RFC 7677
//! test vector that pins the SCRAM arithmetic to the spec.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::*;
use crate::client::{ClientSession, client_session};
use crate::scram::client::ScramClientSession;

const ALL: [Mechanism; 3] = Mechanism::ALL;

fn users() -> HashMap<String, String> {
    HashMap::from([
        ("alice".to_owned(), "alice-secret".to_owned()),
        ("a,b=c".to_owned(), "pässwörd with spaces".to_owned()),
    ])
}

fn authenticator() -> Authenticator {
    Authenticator::new(ALL.to_vec(), users(), None)
}

/// Runs a whole exchange between a server session and a client session.
/// Returns the principal once the client has verified the server too.
fn exchange(
    auth: &Authenticator,
    mechanism: &str,
    username: &str,
    password: &str,
) -> Result<String, AuthError> {
    let mut server = auth.start(mechanism)?;
    let mut client = client_session(mechanism, username, password)?;
    let mut outgoing = client.initial_response();
    for _ in 0..4 {
        match server.step(&outgoing)? {
            Step::Challenge(challenge) => {
                outgoing = client
                    .step(&challenge)?
                    .ok_or_else(|| AuthError::Malformed("client finished early".into()))?;
            }
            Step::Done {
                principal,
                server_final,
            } => {
                assert_eq!(client.step(&server_final)?, None);
                assert!(client.is_complete());
                return Ok(principal);
            }
        }
    }
    panic!("exchange did not finish");
}

#[test]
fn every_mechanism_authenticates_static_users() {
    let auth = authenticator();
    for m in ALL {
        assert_eq!(
            exchange(&auth, m.name(), "alice", "alice-secret").unwrap(),
            "alice"
        );
        // Names needing SCRAM escapes and non-ASCII passwords.
        assert_eq!(
            exchange(&auth, m.name(), "a,b=c", "pässwörd with spaces").unwrap(),
            "a,b=c"
        );
    }
}

#[test]
fn wrong_password_and_unknown_user_fail_alike() {
    let auth = authenticator();
    for m in ALL {
        let wrong = exchange(&auth, m.name(), "alice", "alice-secreT").unwrap_err();
        let unknown = exchange(&auth, m.name(), "mallory", "alice-secret").unwrap_err();
        assert!(
            matches!(wrong, AuthError::InvalidCredentials(_)),
            "{m}: {wrong:?}"
        );
        assert!(
            matches!(unknown, AuthError::InvalidCredentials(_)),
            "{m}: {unknown:?}"
        );
        assert_eq!(wrong.to_string(), unknown.to_string(), "{m}");
    }
    let scram = exchange(&auth, "SCRAM-SHA-256", "mallory", "x").unwrap_err();
    assert_eq!(
        scram.to_string(),
        "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256"
    );
    let scram = exchange(&auth, "SCRAM-SHA-512", "alice", "x").unwrap_err();
    assert!(scram.to_string().ends_with("SASL mechanism SCRAM-SHA-512"));
    let plain = exchange(&auth, "PLAIN", "alice", "x").unwrap_err();
    assert_eq!(
        plain.to_string(),
        "Authentication failed: Invalid username or password"
    );
}

#[test]
fn unknown_scram_user_gets_a_stable_plausible_challenge() {
    let auth = authenticator();
    let salt_of = |user: &str| {
        let mut server = auth.start("SCRAM-SHA-256").unwrap();
        let first = format!("n,,n={user},r=clientnonce");
        let Step::Challenge(challenge) = server.step(first.as_bytes()).unwrap() else {
            panic!("expected a challenge");
        };
        let text = String::from_utf8(challenge).unwrap();
        let parts: Vec<&str> = text.split(',').collect();
        assert_eq!(parts.len(), 3, "{text}");
        assert!(parts[0].starts_with("r=clientnonce") && parts[0].len() > 15);
        assert_eq!(parts[2], "i=4096");
        parts[1].to_owned()
    };
    let ghost = salt_of("ghost");
    assert_eq!(
        ghost,
        salt_of("ghost"),
        "decoy salt must not change between probes"
    );
    assert_ne!(ghost, salt_of("phantom"));
    assert_eq!(salt_of("alice"), salt_of("alice"), "real salts are cached");
}

#[test]
fn tampered_client_proof_fails() {
    let auth = authenticator();
    for m in ["SCRAM-SHA-256", "SCRAM-SHA-512"] {
        let mut server = auth.start(m).unwrap();
        let mut client = client_session(m, "alice", "alice-secret").unwrap();
        let Step::Challenge(challenge) = server.step(&client.initial_response()).unwrap() else {
            panic!("expected a challenge");
        };
        let last = String::from_utf8(client.step(&challenge).unwrap().unwrap()).unwrap();
        let (without_proof, proof) = last.rsplit_once(",p=").unwrap();
        let mut proof = BASE64.decode(proof).unwrap();
        proof[0] ^= 1;
        let tampered = format!("{without_proof},p={}", BASE64.encode(&proof));
        let err = server.step(tampered.as_bytes()).unwrap_err();
        assert!(matches!(err, AuthError::InvalidCredentials(_)), "{err:?}");
        // The session is over after a failure.
        assert!(server.step(last.as_bytes()).is_err());
    }
}

#[test]
fn final_message_must_repeat_nonce_and_channel_binding() {
    let auth = authenticator();
    let run = |edit: &dyn Fn(&str) -> String| {
        let mut server = auth.start("SCRAM-SHA-256").unwrap();
        let mut client = client_session("SCRAM-SHA-256", "alice", "alice-secret").unwrap();
        let Step::Challenge(challenge) = server.step(&client.initial_response()).unwrap() else {
            panic!("expected a challenge");
        };
        let last = String::from_utf8(client.step(&challenge).unwrap().unwrap()).unwrap();
        server.step(edit(&last).as_bytes())
    };
    assert!(matches!(run(&|m| m.to_owned()), Ok(Step::Done { .. })));
    let other_nonce = run(&|m| m.replacen(",r=", ",r=X", 1)).unwrap_err();
    assert!(
        matches!(other_nonce, AuthError::Malformed(_)),
        "{other_nonce:?}"
    );
    let other_binding = run(&|m| m.replacen("c=biws", "c=eSws", 1)).unwrap_err();
    assert!(
        matches!(other_binding, AuthError::Malformed(_)),
        "{other_binding:?}"
    );
    let short_proof = run(&|m| format!("{},p=AAAA", m.rsplit_once(",p=").unwrap().0)).unwrap_err();
    assert!(matches!(short_proof, AuthError::InvalidCredentials(_)));
}

#[test]
fn scram_refuses_tokenauth_unknown_extensions_and_other_authzid() {
    let auth = authenticator();
    let first = |msg: &str| auth.start("SCRAM-SHA-256").unwrap().step(msg.as_bytes());
    let err = first("n,,n=alice,r=abc,tokenauth=true").unwrap_err();
    assert!(matches!(err, AuthError::InvalidCredentials(ref m) if m.contains("tokenauth")));
    assert!(matches!(
        first("n,,n=alice,r=abc,tokenauth=false"),
        Ok(Step::Challenge(_))
    ));
    assert!(matches!(
        first("n,,n=alice,r=abc,foo=1"),
        Err(AuthError::Malformed(_))
    ));
    assert!(matches!(
        first("n,a=alice,n=alice,r=abc"),
        Ok(Step::Challenge(_))
    ));
    assert!(matches!(
        first("n,a=admin,n=alice,r=abc"),
        Err(AuthError::InvalidCredentials(_))
    ));
    assert!(matches!(
        first("n,,n=alice,r=abc\u{0}"),
        Err(AuthError::Malformed(_))
    ));
    assert!(matches!(
        auth.start("SCRAM-SHA-256").unwrap().step(b"\xff\xfe"),
        Err(AuthError::Malformed(_))
    ));
}

#[test]
fn plain_server_good_bad_and_malformed() {
    let auth = authenticator();
    let step = |msg: &[u8]| auth.start("PLAIN").unwrap().step(msg);
    assert_eq!(
        step(b"\0alice\0alice-secret").unwrap(),
        Step::Done {
            principal: "alice".into(),
            server_final: Vec::new()
        }
    );
    assert!(matches!(
        step(b"alice\0alice\0alice-secret"),
        Ok(Step::Done { .. })
    ));
    assert!(matches!(
        step(b"admin\0alice\0alice-secret"),
        Err(AuthError::InvalidCredentials(_))
    ));
    assert!(matches!(
        step(b"\0alice\0wrong"),
        Err(AuthError::InvalidCredentials(_))
    ));
    assert!(matches!(step(b"\0alice"), Err(AuthError::Malformed(_))));
    assert!(matches!(step(b""), Err(AuthError::Malformed(_))));
    assert!(matches!(
        step(b"\0\0"),
        Err(AuthError::InvalidCredentials(_))
    ));
    // One message per session.
    let mut session = auth.start("PLAIN").unwrap();
    assert!(session.step(b"\0alice\0alice-secret").is_ok());
    assert!(matches!(
        session.step(b"\0alice\0alice-secret"),
        Err(AuthError::Malformed(_))
    ));
}

#[test]
fn only_enabled_mechanisms_start() {
    let auth = Authenticator::new(
        vec![Mechanism::ScramSha512, Mechanism::Plain, Mechanism::Plain],
        users(),
        None,
    );
    assert_eq!(auth.mechanisms(), vec!["SCRAM-SHA-512", "PLAIN"]);
    for name in ["SCRAM-SHA-256", "GSSAPI", "plain", ""] {
        assert!(
            matches!(auth.start(name), Err(AuthError::UnsupportedMechanism(ref n)) if n == name),
            "{name}"
        );
    }
    assert!(exchange(&auth, "SCRAM-SHA-512", "alice", "alice-secret").is_ok());
}

#[test]
fn debug_output_holds_no_secrets() {
    let auth = authenticator();
    let text = format!("{auth:?}");
    assert!(!text.contains("alice-secret"), "{text}");
}

#[test]
fn client_refuses_a_forged_server_signature_and_weak_iterations() {
    let auth = authenticator();
    let mut server = auth.start("SCRAM-SHA-256").unwrap();
    let mut client = client_session("SCRAM-SHA-256", "alice", "alice-secret").unwrap();
    let Step::Challenge(challenge) = server.step(&client.initial_response()).unwrap() else {
        panic!("expected a challenge");
    };
    let _last = client.step(&challenge).unwrap().unwrap();
    let forged = format!("v={}", BASE64.encode([0u8; 32]));
    let err = client.step(forged.as_bytes()).unwrap_err();
    assert!(
        matches!(err, AuthError::ServerSignatureMismatch(_)),
        "{err:?}"
    );
    assert!(!client.is_complete());

    let mut client = ScramClientSession::with_nonce(ScramAlgorithm::Sha256, "u", "p", "abc");
    assert_eq!(client.initial_response(), b"n,,n=u,r=abc");
    let weak = client.step(b"r=abcdef,s=c2FsdA==,i=1000").unwrap_err();
    assert!(
        matches!(weak, AuthError::Malformed(ref m) if m.contains("1000")),
        "{weak:?}"
    );

    let mut client = ScramClientSession::with_nonce(ScramAlgorithm::Sha256, "u", "p", "abc");
    let replaced = client.step(b"r=xyzdef,s=c2FsdA==,i=4096").unwrap_err();
    assert!(matches!(replaced, AuthError::Malformed(_)));

    let mut client = ScramClientSession::with_nonce(ScramAlgorithm::Sha256, "u", "p", "abc");
    client.step(b"r=abcdef,s=c2FsdA==,i=4096").unwrap();
    let refused = client.step(b"e=invalid-proof").unwrap_err();
    assert!(matches!(refused, AuthError::InvalidCredentials(ref m) if m.contains("invalid-proof")));
}

/// A fixed credential table, for replaying published exchanges.
struct Fixed(HashMap<String, ScramCredential>);

impl CredentialSource for Fixed {
    fn verify_plain(&self, _: &str, _: &str) -> bool {
        false
    }
    fn scram_credential(&self, username: &str, _: ScramAlgorithm) -> Option<ScramCredential> {
        self.0.get(username).cloned()
    }
    fn decoy_credential(&self, username: &str, alg: ScramAlgorithm) -> ScramCredential {
        ScramCredential::decoy(alg, b"k", username)
    }
}

/// RFC 7677 §3: user "user", password "pencil", 4096 iterations.
#[test]
fn rfc7677_scram_sha_256_test_vector() {
    const CLIENT_FIRST: &str = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
    const SERVER_FIRST: &str =
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    const CLIENT_FINAL: &str = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    const SERVER_FINAL: &str = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    // Client side, with the RFC's client nonce.
    let mut client = ScramClientSession::with_nonce(
        ScramAlgorithm::Sha256,
        "user",
        "pencil",
        "rOprNGfwEbeRWgbNEkqO",
    );
    assert_eq!(client.initial_response(), CLIENT_FIRST.as_bytes());
    let last = client.step(SERVER_FIRST.as_bytes()).unwrap().unwrap();
    assert_eq!(String::from_utf8(last).unwrap(), CLIENT_FINAL);
    assert_eq!(client.step(SERVER_FINAL.as_bytes()).unwrap(), None);
    assert!(client.is_complete());

    // Server side, with the RFC's salt and server nonce.
    let salt = BASE64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
    let credential =
        ScramCredential::derive(ScramAlgorithm::Sha256, "pencil", &salt, 4096).unwrap();
    let source = Arc::new(Fixed(HashMap::from([("user".to_owned(), credential)])));
    let mut server = ScramServerSession::with_server_nonce(
        ScramAlgorithm::Sha256,
        source,
        "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    );
    assert_eq!(
        server.step(CLIENT_FIRST.as_bytes()).unwrap(),
        Step::Challenge(SERVER_FIRST.as_bytes().to_vec())
    );
    assert_eq!(
        server.step(CLIENT_FINAL.as_bytes()).unwrap(),
        Step::Done {
            principal: "user".into(),
            server_final: SERVER_FINAL.as_bytes().to_vec()
        }
    );
}

#[test]
fn api_keys_work_for_every_mechanism_including_keys_made_later() {
    let dir = tempfile::tempdir().unwrap();
    let store = ApiKeyStore::open(dir.path()).unwrap();
    let auth = Authenticator::new(ALL.to_vec(), users(), Some(store));
    // Created through a second handle, as `ferry api-key create` would, after
    // the authenticator was built.
    let (key, secret) = ApiKeyStore::open(dir.path()).unwrap().create(None).unwrap();
    for m in ALL {
        assert_eq!(
            exchange(&auth, m.name(), &key, &secret).unwrap(),
            key,
            "{m}"
        );
        let wrong = exchange(&auth, m.name(), &key, "nope").unwrap_err();
        let unknown = exchange(&auth, m.name(), "ZZZZZZZZZZZZZZZZ", &secret).unwrap_err();
        assert_eq!(wrong.to_string(), unknown.to_string(), "{m}");
    }
    // Static users still work next to the store.
    assert!(exchange(&auth, "PLAIN", "alice", "alice-secret").is_ok());
}
