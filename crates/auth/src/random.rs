//! Randomness for salts, nonces, API keys and secrets.
//!
//! Everything comes from `rand::rng()`, a ChaCha-based CSPRNG seeded and
//! periodically reseeded from the operating system, so values are fit for
//! secrets.

use rand::RngExt as _;

/// Characters of SCRAM nonces: printable ASCII without `,` (RFC 5802 `printable`),
/// kept to letters and digits so they never need escaping anywhere.
const ALPHANUMERIC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `len` random bytes.
pub(crate) fn bytes(len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    rand::rng().fill(&mut out[..]);
    out
}

/// A random string of `len` characters drawn uniformly from `alphabet`
/// (which must be non-empty and shorter than `u32::MAX`).
pub(crate) fn string_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .filter_map(|_| {
            let i = rng.random_range(0..alphabet.len());
            alphabet.get(i).map(|&b| char::from(b))
        })
        .collect()
}

/// A random nonce of `len` letters and digits.
pub(crate) fn nonce(len: usize) -> String {
    string_from(ALPHANUMERIC, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_have_the_length_and_alphabet_asked_for() {
        let s = string_from(b"AB", 200);
        assert_eq!(s.len(), 200);
        assert!(s.contains('A') && s.contains('B'));
        assert!(s.chars().all(|c| c == 'A' || c == 'B'));
        assert_ne!(nonce(32), nonce(32));
        assert_eq!(bytes(17).len(), 17);
    }
}
