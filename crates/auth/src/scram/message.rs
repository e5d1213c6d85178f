//! The four SCRAM messages (RFC 5802 §7), parsed and formatted.
//!
//! ```text
//! client-first  = gs2-header client-first-bare
//! gs2-header    = ("n" / "y") "," [ "a=" saslname ] ","     ("p=" is channel binding: refused)
//! client-first-bare = "n=" saslname ",r=" c-nonce *("," extension)
//! server-first  = "r=" c-nonce s-nonce ",s=" base64(salt) ",i=" iterations *("," extension)
//! client-final  = "c=" base64(gs2-header) ",r=" nonce *("," extension) ",p=" base64(ClientProof)
//! server-final  = ("v=" base64(ServerSignature) / "e=" error) *("," extension)
//! ```
//! A `saslname` escapes `,` as `=2C` and `=` as `=3D`; any other `=` is an error.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::error::AuthError;

fn malformed(what: impl Into<String>) -> AuthError {
    AuthError::Malformed(what.into())
}

/// Decodes a message as UTF-8 (every SCRAM message is text).
pub(crate) fn utf8(message: &[u8]) -> Result<&str, AuthError> {
    std::str::from_utf8(message).map_err(|_| malformed("SCRAM message is not valid UTF-8"))
}

/// Escapes a user name for a `saslname` field.
pub(crate) fn encode_saslname(name: &str) -> String {
    name.replace('=', "=3D").replace(',', "=2C")
}

/// Undoes [`encode_saslname`], refusing `=` sequences other than `=2C` and `=3D`.
pub(crate) fn decode_saslname(encoded: &str) -> Result<String, AuthError> {
    let mut out = String::with_capacity(encoded.len());
    let mut rest = encoded;
    while let Some(pos) = rest.find('=') {
        out.push_str(rest.get(..pos).unwrap_or_default());
        let escape = rest.get(pos..pos + 3);
        match escape {
            Some("=2C") => out.push(','),
            Some("=3D") => out.push('='),
            _ => return Err(malformed("invalid escape in SCRAM user name")),
        }
        rest = rest.get(pos + 3..).unwrap_or_default();
    }
    out.push_str(rest);
    if out.is_empty() {
        return Err(malformed("empty SCRAM user name"));
    }
    Ok(out)
}

/// Checks a nonce: non-empty printable ASCII without `,`.
fn check_nonce(nonce: &str) -> Result<(), AuthError> {
    if nonce.is_empty()
        || !nonce
            .bytes()
            .all(|b| (0x21..=0x7e).contains(&b) && b != b',')
    {
        return Err(malformed("invalid SCRAM nonce"));
    }
    Ok(())
}

/// Splits `attr=value` and checks the attribute name.
fn attribute<'a>(part: Option<&'a str>, name: char, what: &str) -> Result<&'a str, AuthError> {
    let part = part.ok_or_else(|| malformed(format!("SCRAM message lacks {what}")))?;
    let mut chars = part.chars();
    if chars.next() == Some(name) && chars.next() == Some('=') {
        Ok(part.get(2..).unwrap_or_default())
    } else {
        Err(malformed(format!("SCRAM message lacks {what}")))
    }
}

/// Parses trailing `key=value` extensions.
fn extensions<'a>(
    parts: impl Iterator<Item = &'a str>,
) -> Result<Vec<(String, String)>, AuthError> {
    parts
        .map(|part| {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| malformed("SCRAM extension without '='"))?;
            if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(malformed("invalid SCRAM extension name"));
            }
            Ok((key.to_owned(), value.to_owned()))
        })
        .collect()
}

/// A parsed client-first message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClientFirst {
    /// The GS2 header exactly as sent (e.g. `n,,`); the client echoes it,
    /// base64-encoded, as the channel binding of its final message.
    pub(crate) gs2_header: String,
    /// The requested authorization identity, if any.
    pub(crate) authzid: Option<String>,
    /// The user name, unescaped.
    pub(crate) username: String,
    /// The client's nonce.
    pub(crate) nonce: String,
    /// Extensions after the nonce (Kafka knows only `tokenauth`).
    pub(crate) extensions: Vec<(String, String)>,
    /// `client-first-message-bare`, part of the AuthMessage both sides sign.
    pub(crate) bare: String,
}

impl ClientFirst {
    /// Parses a client-first message.
    pub(crate) fn parse(message: &str) -> Result<Self, AuthError> {
        // GS2 header: cbind flag, authzid, then the bare message.
        let (flag, rest) = message
            .split_once(',')
            .ok_or_else(|| malformed("SCRAM client-first message lacks a GS2 header"))?;
        match flag {
            "n" | "y" => {}
            f if f.starts_with("p=") => {
                return Err(malformed("SCRAM channel binding is not supported"));
            }
            _ => return Err(malformed("invalid GS2 channel-binding flag")),
        }
        let (authzid_part, bare) = rest
            .split_once(',')
            .ok_or_else(|| malformed("SCRAM client-first message lacks a GS2 header"))?;
        let authzid = if authzid_part.is_empty() {
            None
        } else {
            let encoded = authzid_part
                .strip_prefix("a=")
                .ok_or_else(|| malformed("invalid GS2 authorization identity"))?;
            Some(decode_saslname(encoded)?)
        };
        let gs2_header = format!("{flag},{authzid_part},");

        let mut parts = bare.split(',');
        let first = parts.next();
        if first.is_some_and(|p| p.starts_with("m=")) {
            return Err(malformed("mandatory SCRAM extensions are not supported"));
        }
        let username = decode_saslname(attribute(first, 'n', "a user name (n=)")?)?;
        let nonce = attribute(parts.next(), 'r', "a nonce (r=)")?;
        check_nonce(nonce)?;
        let extensions = extensions(parts)?;
        Ok(ClientFirst {
            gs2_header,
            authzid,
            username,
            nonce: nonce.to_owned(),
            extensions,
            bare: bare.to_owned(),
        })
    }

    /// Formats a client-first message with no authzid and no extensions.
    pub(crate) fn format(username: &str, nonce: &str) -> (String, String) {
        let bare = format!("n={},r={nonce}", encode_saslname(username));
        (format!("n,,{bare}"), bare)
    }
}

/// A parsed server-first message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServerFirst {
    /// Client nonce followed by the server's.
    pub(crate) nonce: String,
    /// The decoded salt.
    pub(crate) salt: Vec<u8>,
    /// PBKDF2 iterations.
    pub(crate) iterations: u32,
}

impl ServerFirst {
    /// Formats a server-first message.
    pub(crate) fn format(nonce: &str, salt_base64: &str, iterations: u32) -> String {
        format!("r={nonce},s={salt_base64},i={iterations}")
    }

    /// Parses a server-first message (client side).
    pub(crate) fn parse(message: &str) -> Result<Self, AuthError> {
        if let Some(error) = message.strip_prefix("e=") {
            return Err(AuthError::InvalidCredentials(format!(
                "SCRAM server error: {error}"
            )));
        }
        let mut parts = message.split(',');
        let first = parts.next();
        if first.is_some_and(|p| p.starts_with("m=")) {
            return Err(malformed("mandatory SCRAM extensions are not supported"));
        }
        let nonce = attribute(first, 'r', "a nonce (r=)")?;
        check_nonce(nonce)?;
        let salt = BASE64
            .decode(attribute(parts.next(), 's', "a salt (s=)")?)
            .map_err(|_| malformed("SCRAM salt is not valid base64"))?;
        if salt.is_empty() {
            return Err(malformed("SCRAM salt is empty"));
        }
        let iterations = attribute(parts.next(), 'i', "an iteration count (i=)")?
            .parse::<u32>()
            .map_err(|_| malformed("SCRAM iteration count is not a number"))?;
        Ok(ServerFirst {
            nonce: nonce.to_owned(),
            salt,
            iterations,
        })
    }
}

/// A parsed client-final message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClientFinal {
    /// The decoded channel binding (must equal the GS2 header).
    pub(crate) channel_binding: Vec<u8>,
    /// The combined nonce.
    pub(crate) nonce: String,
    /// The decoded ClientProof.
    pub(crate) proof: Vec<u8>,
    /// `client-final-message-without-proof`, part of the AuthMessage.
    pub(crate) without_proof: String,
}

impl ClientFinal {
    /// Parses a client-final message.
    pub(crate) fn parse(message: &str) -> Result<Self, AuthError> {
        let (without_proof, proof) = message
            .rsplit_once(",p=")
            .ok_or_else(|| malformed("SCRAM client-final message lacks a proof (p=)"))?;
        let proof = BASE64
            .decode(proof)
            .map_err(|_| malformed("SCRAM client proof is not valid base64"))?;
        let mut parts = without_proof.split(',');
        let channel_binding = BASE64
            .decode(attribute(parts.next(), 'c', "a channel binding (c=)")?)
            .map_err(|_| malformed("SCRAM channel binding is not valid base64"))?;
        let nonce = attribute(parts.next(), 'r', "a nonce (r=)")?;
        check_nonce(nonce)?;
        // Extensions between the nonce and the proof are allowed and ignored,
        // but they must still be well formed.
        extensions(parts)?;
        Ok(ClientFinal {
            channel_binding,
            nonce: nonce.to_owned(),
            proof,
            without_proof: without_proof.to_owned(),
        })
    }

    /// Formats `client-final-message-without-proof` for the given GS2 header and nonce.
    pub(crate) fn format_without_proof(gs2_header: &str, nonce: &str) -> String {
        format!("c={},r={nonce}", BASE64.encode(gs2_header))
    }
}

/// A parsed server-final message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ServerFinal {
    /// `v=`: the ServerSignature.
    Verifier(Vec<u8>),
    /// `e=`: the server's error value.
    Error(String),
}

impl ServerFinal {
    /// Formats a successful server-final message.
    pub(crate) fn format_verifier(signature: &[u8]) -> String {
        format!("v={}", BASE64.encode(signature))
    }

    /// Parses a server-final message (client side).
    pub(crate) fn parse(message: &str) -> Result<Self, AuthError> {
        let first = message.split(',').next().unwrap_or_default();
        if let Some(error) = first.strip_prefix("e=") {
            return Ok(ServerFinal::Error(error.to_owned()));
        }
        let verifier = first
            .strip_prefix("v=")
            .ok_or_else(|| malformed("SCRAM server-final message lacks a verifier (v=)"))?;
        let signature = BASE64
            .decode(verifier)
            .map_err(|_| malformed("SCRAM server signature is not valid base64"))?;
        Ok(ServerFinal::Verifier(signature))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saslname_escapes_round_trip() {
        let name = "a,b=c==,";
        let enc = encode_saslname(name);
        assert_eq!(enc, "a=2Cb=3Dc=3D=3D=2C");
        assert_eq!(decode_saslname(&enc).unwrap(), name);
        for bad in ["a=2", "a=", "=41", "a=2c", ""] {
            assert!(decode_saslname(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn client_first_parses_header_user_nonce_and_extensions() {
        let m = ClientFirst::parse("n,,n=us=3Der,r=abc,tokenauth=true").unwrap();
        assert_eq!(m.gs2_header, "n,,");
        assert_eq!(m.authzid, None);
        assert_eq!(m.username, "us=er");
        assert_eq!(m.nonce, "abc");
        assert_eq!(m.extensions, vec![("tokenauth".into(), "true".into())]);
        assert_eq!(m.bare, "n=us=3Der,r=abc,tokenauth=true");

        let m = ClientFirst::parse("y,a=bob,n=bob,r=x").unwrap();
        assert_eq!(m.gs2_header, "y,a=bob,");
        assert_eq!(m.authzid.as_deref(), Some("bob"));
    }

    #[test]
    fn client_first_rejects_bad_input() {
        for bad in [
            "",
            "n",
            "n,",
            "p=tls-unique,,n=u,r=x",
            "q,,n=u,r=x",
            "n,b=x,n=u,r=x",
            "n,,m=ext,n=u,r=x",
            "n,,r=x,n=u",
            "n,,n=u",
            "n,,n=u,r=",
            "n,,n=u,r=a b",
            "n,,n=,r=x",
            "n,,n=u,r=x,noequals",
        ] {
            assert!(
                matches!(ClientFirst::parse(bad), Err(AuthError::Malformed(_))),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn server_first_round_trips_and_rejects_bad_input() {
        let text = ServerFirst::format("abcdef", "c2FsdA==", 4096);
        let m = ServerFirst::parse(&text).unwrap();
        assert_eq!(m.nonce, "abcdef");
        assert_eq!(m.salt, b"salt");
        assert_eq!(m.iterations, 4096);
        for bad in [
            "r=a,s=!!,i=4096",
            "r=a,s=c2FsdA==,i=x",
            "r=a,i=4096",
            "s=c2FsdA==,r=a,i=1",
            "r=a,s=,i=4096",
        ] {
            assert!(ServerFirst::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(matches!(
            ServerFirst::parse("e=unknown-user"),
            Err(AuthError::InvalidCredentials(_))
        ));
    }

    #[test]
    fn client_final_splits_at_the_last_proof() {
        let m = ClientFinal::parse("c=biws,r=abc,ext=1,p=AAEC").unwrap();
        assert_eq!(m.channel_binding, b"n,,");
        assert_eq!(m.nonce, "abc");
        assert_eq!(m.proof, vec![0, 1, 2]);
        assert_eq!(m.without_proof, "c=biws,r=abc,ext=1");
        for bad in [
            "c=biws,r=abc",
            "c=biws,r=abc,p=%%",
            "r=abc,c=biws,p=AAEC",
            "c=@,r=a,p=AAEC",
        ] {
            assert!(ClientFinal::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn server_final_verifier_or_error() {
        assert_eq!(
            ServerFinal::parse("v=AAEC").unwrap(),
            ServerFinal::Verifier(vec![0, 1, 2])
        );
        assert_eq!(
            ServerFinal::parse("e=invalid-proof").unwrap(),
            ServerFinal::Error("invalid-proof".into())
        );
        assert!(ServerFinal::parse("x=1").is_err());
        assert!(ServerFinal::parse("v=***").is_err());
    }
}
