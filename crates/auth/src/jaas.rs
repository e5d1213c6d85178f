//! Kafka's JAAS configuration strings (`sasl.jaas.config` and
//! `listener.name.<listener>.<mechanism>.sasl.jaas.config`), e.g.
//!
//! ```text
//! org.apache.kafka.common.security.plain.PlainLoginModule required
//!     username="admin" password="admin-secret"
//!     user_admin="admin-secret" user_alice="alice-secret";
//! ```
//!
//! # Grammar (what Kafka's `JaasConfig` tokenizer accepts, in practice)
//! ```text
//! config  = 1*( module-class flag *( option ) ";" )
//! flag    = "required" / "requisite" / "sufficient" / "optional"   (any case)
//! option  = word "=" ( quoted / word )
//! quoted  = '"' *( char / "\" escaped ) '"'   (or the same with single quotes)
//! word    = 1*( letter / digit / "_" / "-" / "." / "$" )
//! ```
//! Whitespace separates tokens; `//` line comments and `/* */` comments are
//! skipped. Inside quotes, `\n`, `\t`, `\r`, `\b`, `\f` are control characters
//! and a backslash before any other character stands for that character
//! (so `\"` and `\\` work), as in Java's `StreamTokenizer`.

use std::collections::HashMap;

use crate::error::AuthError;

/// The prefix of options that define static users in Kafka's PLAIN login module.
const USER_PREFIX: &str = "user_";

/// One login module entry of a JAAS configuration.
#[derive(Clone, PartialEq, Eq)]
pub struct JaasModule {
    /// The login module class, e.g. `org.apache.kafka.common.security.plain.PlainLoginModule`.
    pub login_module: String,
    /// The control flag, lower-cased (`required`, `requisite`, `sufficient`, `optional`).
    pub flag: String,
    /// The options in the order written.
    pub options: Vec<(String, String)>,
}

impl std::fmt::Debug for JaasModule {
    /// Option values are passwords more often than not, so only keys are shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JaasModule")
            .field("login_module", &self.login_module)
            .field("flag", &self.flag)
            .field(
                "option_keys",
                &self.options.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl JaasModule {
    /// The value of option `key`, if set.
    pub fn option(&self, key: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The `user_<name>="<password>"` entries as name → password: the static
    /// users a Kafka broker's PLAIN login module accepts.
    ///
    /// # Errors
    /// [`AuthError::InvalidJaasConfig`] for an option named just `user_`.
    pub fn static_users(&self) -> Result<HashMap<String, String>, AuthError> {
        let mut users = HashMap::new();
        for (key, value) in &self.options {
            if let Some(name) = key.strip_prefix(USER_PREFIX) {
                if name.is_empty() {
                    return Err(AuthError::InvalidJaasConfig(format!(
                        "option {USER_PREFIX:?} names no user"
                    )));
                }
                users.insert(name.to_owned(), value.clone());
            }
        }
        Ok(users)
    }

    /// The `username` and `password` options: a client's own credentials.
    pub fn client_credentials(&self) -> Option<(&str, &str)> {
        Some((self.option("username")?, self.option("password")?))
    }
}

/// Parses a JAAS configuration with any number of modules.
///
/// # Errors
/// [`AuthError::InvalidJaasConfig`] naming the character position and what
/// was expected there; the message never quotes option values.
pub fn parse_jaas(value: &str) -> Result<Vec<JaasModule>, AuthError> {
    let mut parser = Parser {
        chars: value.chars().collect(),
        pos: 0,
    };
    let mut modules = Vec::new();
    loop {
        parser.skip_blank()?;
        if parser.at_end() {
            break;
        }
        modules.push(parser.module()?);
    }
    if modules.is_empty() {
        return Err(AuthError::InvalidJaasConfig(
            "no login module in the JAAS configuration".to_owned(),
        ));
    }
    Ok(modules)
}

/// Parses a configuration that must hold exactly one login module (Kafka's
/// rule for `sasl.jaas.config` properties).
///
/// # Errors
/// As [`parse_jaas`], and for zero or several modules.
pub fn parse_single_jaas(value: &str) -> Result<JaasModule, AuthError> {
    let mut modules = parse_jaas(value)?;
    match (modules.pop(), modules.is_empty()) {
        (Some(module), true) => Ok(module),
        _ => Err(AuthError::InvalidJaasConfig(format!(
            "JAAS config property contains {} login modules, should be 1 module",
            modules.len() + 1
        ))),
    }
}

/// Parses a broker listener's PLAIN (or SCRAM) JAAS configuration and returns
/// its static users (`user_<name>="<password>"`) as name → password.
///
/// # Errors
/// [`AuthError::InvalidJaasConfig`] for bad syntax, several modules, or an
/// option named just `user_`.
pub fn parse_plain_jaas(value: &str) -> Result<HashMap<String, String>, AuthError> {
    parse_single_jaas(value)?.static_users()
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '$')
}

impl Parser {
    fn error(&self, what: &str) -> AuthError {
        AuthError::InvalidJaasConfig(format!("{what} at character {}", self.pos + 1))
    }

    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek2(&self) -> Option<char> {
        self.chars.get(self.pos + 1).copied()
    }

    /// Skips whitespace and comments.
    fn skip_blank(&mut self) -> Result<(), AuthError> {
        loop {
            match (self.peek(), self.peek2()) {
                (Some(c), _) if c.is_whitespace() => self.pos += 1,
                (Some('/'), Some('/')) => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.pos += 1;
                    }
                }
                (Some('/'), Some('*')) => {
                    let start = self.pos;
                    self.pos += 2;
                    loop {
                        match (self.peek(), self.peek2()) {
                            (Some('*'), Some('/')) => {
                                self.pos += 2;
                                break;
                            }
                            (Some(_), _) => self.pos += 1,
                            (None, _) => {
                                self.pos = start;
                                return Err(self.error("unterminated /* comment"));
                            }
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn word(&mut self, what: &str) -> Result<String, AuthError> {
        self.skip_blank()?;
        let start = self.pos;
        while self.peek().is_some_and(is_word_char) {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.error(&format!("expected {what}")));
        }
        Ok(self
            .chars
            .get(start..self.pos)
            .unwrap_or_default()
            .iter()
            .collect())
    }

    fn quoted(&mut self, quote: char) -> Result<String, AuthError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                self.pos = start;
                return Err(self.error("unterminated quoted value"));
            };
            self.pos += 1;
            match c {
                c if c == quote => return Ok(out),
                '\\' => {
                    let Some(escaped) = self.peek() else {
                        self.pos = start;
                        return Err(self.error("unterminated quoted value"));
                    };
                    self.pos += 1;
                    out.push(match escaped {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        other => other,
                    });
                }
                c => out.push(c),
            }
        }
    }

    fn module(&mut self) -> Result<JaasModule, AuthError> {
        let login_module = self.word("a login module class name")?;
        let flag = self.word("a control flag (required, requisite, sufficient, optional)")?;
        let flag = flag.to_ascii_lowercase();
        if !matches!(
            flag.as_str(),
            "required" | "requisite" | "sufficient" | "optional"
        ) {
            return Err(self.error(&format!(
                "invalid control flag {flag:?} (expected required, requisite, sufficient or optional)"
            )));
        }
        let mut options: Vec<(String, String)> = Vec::new();
        loop {
            self.skip_blank()?;
            match self.peek() {
                Some(';') => {
                    self.pos += 1;
                    return Ok(JaasModule {
                        login_module,
                        flag,
                        options,
                    });
                }
                None => return Err(self.error("expected ';' to end the login module")),
                Some(_) => {}
            }
            let key = self.word("an option name or ';'")?;
            self.skip_blank()?;
            if self.peek() != Some('=') {
                return Err(self.error(&format!("expected '=' after option {key:?}")));
            }
            self.pos += 1;
            self.skip_blank()?;
            let value = match self.peek() {
                Some(q @ ('"' | '\'')) => self.quoted(q)?,
                _ => self.word(&format!("a value for option {key:?}"))?,
            };
            if options.iter().any(|(k, _)| *k == key) {
                return Err(self.error(&format!("option {key:?} is set twice")));
            }
            options.push((key, value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kafka_plain_example() {
        let users = parse_plain_jaas(
            r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";"#,
        )
        .unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(users["admin"], "admin-secret");
        assert_eq!(users["alice"], "alice-secret");
    }

    #[test]
    fn scram_module_multiline_comments_and_client_credentials() {
        let text = "org.apache.kafka.common.security.scram.ScramLoginModule REQUIRED\n  // inter-broker\n  username=\"bob\" /* the secret */ password='b\\'o\\\\b'\n  user_bob=bare-word.1$;\n";
        let module = parse_single_jaas(text).unwrap();
        assert_eq!(
            module.login_module,
            "org.apache.kafka.common.security.scram.ScramLoginModule"
        );
        assert_eq!(module.flag, "required");
        assert_eq!(module.client_credentials(), Some(("bob", "b'o\\b")));
        assert_eq!(parse_plain_jaas(text).unwrap()["bob"], "bare-word.1$");
    }

    #[test]
    fn escapes_inside_quotes() {
        let users = parse_plain_jaas(
            r#"x.PlainLoginModule required user_a="q\"uo\\te" user_b="tab\there" user_c="a;b=c d" user_d="";"#,
        )
        .unwrap();
        assert_eq!(users["a"], "q\"uo\\te");
        assert_eq!(users["b"], "tab\there");
        assert_eq!(users["c"], "a;b=c d");
        assert_eq!(users["d"], "");
    }

    #[test]
    fn errors_are_clear_and_do_not_quote_values() {
        let cases: &[(&str, &str)] = &[
            ("", "no login module"),
            ("   // only a comment", "no login module"),
            (
                "x.Plain required user_a=\"s3cret",
                "unterminated quoted value",
            ),
            ("x.Plain required user_a=\"s3cret\"", "expected ';'"),
            ("x.Plain mandatory;", "invalid control flag"),
            ("x.Plain required user_a \"s3cret\";", "expected '='"),
            ("x.Plain required user_a=;", "expected a value"),
            ("x.Plain required user_=\"s3cret\";", "names no user"),
            (
                "x.Plain required user_a=\"s3cret\" user_a=\"s3cret\";",
                "set twice",
            ),
            ("x.Plain required; y.Plain required;", "2 login modules"),
            (
                "x.Plain required /* never closed",
                "unterminated /* comment",
            ),
            ("\"x\" required;", "expected a login module class name"),
        ];
        for (text, expected) in cases {
            let err = parse_plain_jaas(text).unwrap_err();
            let msg = err.to_string();
            assert!(
                matches!(err, AuthError::InvalidJaasConfig(_)),
                "{text}: {msg}"
            );
            assert!(msg.contains(expected), "{text}: {msg}");
            assert!(!msg.contains("s3cret"), "{text}: {msg}");
        }
    }

    #[test]
    fn error_positions_point_at_the_problem() {
        let err = parse_plain_jaas("x.Plain required a=b c").unwrap_err();
        assert!(err.to_string().contains("at character 23"), "{err}");
    }

    #[test]
    fn debug_hides_values() {
        let module = parse_single_jaas("x required password=\"hunter2\";").unwrap();
        let text = format!("{module:?}");
        assert!(text.contains("password") && !text.contains("hunter2"));
    }
}
