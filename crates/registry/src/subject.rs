//! Qualified subjects (reference §7.2): `:.ctx:subject` names a subject in
//! context `.ctx`; anything else is in the default context `.`.

/// The default context's name.
pub const DEFAULT_CONTEXT: &str = ".";

/// A subject split into its context and its name within the context.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QualifiedSubject {
    /// `.` or `.name` (may contain more dots); `*` for the wildcard.
    pub context: String,
    /// The subject within the context; empty when the string names a whole
    /// context (`:.ctx:` or `:.ctx`).
    pub subject: String,
}

impl QualifiedSubject {
    /// Parses Confluent's qualified form (no tenant prefix).
    pub fn parse(text: &str) -> Self {
        if let Some(rest) = text.strip_prefix(":*:") {
            return Self {
                context: "*".to_owned(),
                subject: rest.to_owned(),
            };
        }
        if let Some(rest) = text.strip_prefix(":.") {
            return match rest.split_once(':') {
                Some((ctx, subject)) => Self {
                    context: format!(".{ctx}"),
                    subject: subject.to_owned(),
                },
                None => Self {
                    context: format!(".{rest}"),
                    subject: String::new(),
                },
            };
        }
        Self {
            context: DEFAULT_CONTEXT.to_owned(),
            subject: text.to_owned(),
        }
    }

    /// Builds a qualified subject from its parts.
    pub fn new(context: &str, subject: &str) -> Self {
        Self {
            context: context.to_owned(),
            subject: subject.to_owned(),
        }
    }

    /// Whether this is in the default context.
    pub fn is_default_context(&self) -> bool {
        self.context == DEFAULT_CONTEXT
    }

    /// The printed form: `subject` in the default context, `:.ctx:subject`
    /// elsewhere (the key the registry stores subjects under).
    pub fn to_qualified(&self) -> String {
        if self.is_default_context() {
            self.subject.clone()
        } else {
            format!(":{}:{}", self.context, self.subject)
        }
    }

    /// The context of a qualified subject string.
    pub fn context_of(text: &str) -> String {
        Self::parse(text).context
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_and_printing() {
        let q = QualifiedSubject::parse(":.ctx:orders-value");
        assert_eq!(
            (q.context.as_str(), q.subject.as_str()),
            (".ctx", "orders-value")
        );
        assert_eq!(q.to_qualified(), ":.ctx:orders-value");
        let q = QualifiedSubject::parse(":.a.b");
        assert_eq!((q.context.as_str(), q.subject.as_str()), (".a.b", ""));
        let q = QualifiedSubject::parse("plain:name");
        assert_eq!(
            (q.context.as_str(), q.subject.as_str()),
            (".", "plain:name")
        );
        assert_eq!(q.to_qualified(), "plain:name");
        let q = QualifiedSubject::parse(":*:x");
        assert_eq!(q.context, "*");
        assert_eq!(QualifiedSubject::parse(":.ctx:").to_qualified(), ":.ctx:");
    }
}
