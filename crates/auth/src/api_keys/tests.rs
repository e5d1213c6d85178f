use super::*;

fn is_key(s: &str) -> bool {
    s.len() == API_KEY_LEN
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

#[test]
fn create_verify_persist_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let store = ApiKeyStore::open(&data_dir).unwrap();
    assert!(store.list().unwrap().is_empty());

    let (key, secret) = store.create(Some("link to west")).unwrap();
    assert!(is_key(&key), "{key}");
    assert_eq!(secret.len(), API_SECRET_LEN);
    assert!(secret.bytes().all(|b| SECRET_ALPHABET.contains(&b)));
    assert!(store.verify_plain(&key, &secret));
    assert!(!store.verify_plain(&key, &secret[1..]));
    assert!(!store.verify_plain("NOSUCHKEY0000000", &secret));
    let (key2, secret2) = store.create(None).unwrap();
    assert_ne!(key, key2);
    assert_ne!(secret, secret2);

    // The file holds derived material only.
    let text = std::fs::read_to_string(store.path()).unwrap();
    assert!(text.contains(&key) && text.contains("stored_key"));
    for s in [&secret, &secret2] {
        assert!(!text.contains(s.as_str()));
        assert!(
            !text.contains(&s[..16]),
            "a piece of the secret is in the file"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(store.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // A fresh handle (another process, a restart) sees both keys.
    let reopened = ApiKeyStore::open(&data_dir).unwrap();
    assert!(reopened.verify_plain(&key, &secret));
    assert!(reopened.verify_plain(&key2, &secret2));
    let listed = reopened.list().unwrap();
    assert_eq!(listed.len(), 2);
    let first = listed.iter().find(|i| i.api_key == key).unwrap();
    assert_eq!(first.description.as_deref(), Some("link to west"));
    assert!(first.created_at_ms > 0);

    // SCRAM material is there for both hashes, and matches the secret.
    for (mechanism, alg) in [
        (Mechanism::ScramSha256, ScramAlgorithm::Sha256),
        (Mechanism::ScramSha512, ScramAlgorithm::Sha512),
    ] {
        let cred = reopened.scram_credential(&key, mechanism).unwrap();
        assert_eq!(cred.iterations(), 4096);
        assert!(cred.verify_password(alg, &secret));
    }
    assert!(reopened.scram_credential(&key, Mechanism::Plain).is_none());
    assert!(
        reopened
            .scram_credential("NOSUCHKEY0000000", Mechanism::ScramSha256)
            .is_none()
    );

    assert!(reopened.delete(&key).unwrap());
    assert!(!reopened.delete(&key).unwrap());
    assert!(!reopened.verify_plain(&key, &secret));
    // The first handle notices the deletion made through the second.
    assert!(!store.verify_plain(&key, &secret));
    assert!(store.verify_plain(&key2, &secret2));
}

#[test]
fn reloads_when_another_writer_changes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let server = ApiKeyStore::open(dir.path()).unwrap();
    let cli = ApiKeyStore::open(dir.path()).unwrap();
    let (key, secret) = cli.create(None).unwrap();
    assert!(server.contains(&key));
    assert!(server.verify_plain(&key, &secret));

    // The file vanishing empties the store.
    std::fs::remove_file(cli.path()).unwrap();
    assert!(!server.contains(&key));

    // A key written again (by another store) shows up again.
    let (key2, secret2) = cli.create(None).unwrap();
    assert!(server.verify_plain(&key2, &secret2));
}

#[test]
fn corrupt_file_is_reported_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let store = ApiKeyStore::open(dir.path()).unwrap();
    let (key, secret) = store.create(None).unwrap();
    let good = std::fs::read(store.path()).unwrap();

    std::fs::write(store.path(), b"{ not json").unwrap();
    // A running server keeps the last good keys.
    assert!(store.verify_plain(&key, &secret));
    // Opening, creating and listing report the problem and change nothing.
    assert!(matches!(
        ApiKeyStore::open(dir.path()),
        Err(AuthError::ApiKeyStore { .. })
    ));
    assert!(matches!(
        store.create(None),
        Err(AuthError::ApiKeyStore { .. })
    ));
    assert!(store.list().is_err());
    assert_eq!(std::fs::read(store.path()).unwrap(), b"{ not json");

    // Weak iteration counts are refused like any corruption.
    let weak = String::from_utf8(good.clone()).unwrap().replacen(
        "\"iterations\": 4096",
        "\"iterations\": 1000",
        1,
    );
    assert_ne!(weak.as_bytes(), &good[..]);
    std::fs::write(store.path(), weak).unwrap();
    let err = ApiKeyStore::open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("iteration"), "{err}");

    // Fixing the file brings the key back for the running store.
    std::fs::write(store.path(), &good).unwrap();
    assert!(store.verify_plain(&key, &secret));
}

#[test]
fn newer_format_versions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("api-keys.json"),
        br#"{"version": 2, "api_keys": []}"#,
    )
    .unwrap();
    let err = ApiKeyStore::open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("newer"), "{err}");
}

#[test]
fn concurrent_creators_do_not_lose_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || {
                let store = ApiKeyStore::open(&path).unwrap();
                (0..3)
                    .map(|_| store.create(None).unwrap())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let created: Vec<(String, String)> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let store = ApiKeyStore::open(&path).unwrap();
    assert_eq!(store.list().unwrap().len(), 12);
    for (key, secret) in &created {
        assert!(store.verify_plain(key, secret));
    }
}
