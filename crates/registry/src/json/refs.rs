//! `$ref` resolution over a schema and its Confluent references.
//!
//! A JSON Schema may point inside itself (`#`, `#/definitions/X`,
//! `#/$defs/X`, any JSON pointer) or at a referenced schema by the name the
//! registration's `references[].name` gives it (`customer.json`,
//! `customer.json#/definitions/Address`, or an absolute URL whose last path
//! segment is that name). Every `$ref` must resolve, as it must for
//! Confluent's parser; one that does not makes the schema invalid.

use serde_json::Value;

/// Which document a schema node lives in: the main schema or a reference.
pub(crate) type DocId = usize;

/// The main schema (document 0) and the referenced schemas, by name.
#[derive(Debug, Clone)]
pub(crate) struct Documents {
    /// `(name, schema)`; index 0 is the main schema (its name empty).
    docs: Vec<(String, Value)>,
}

impl Documents {
    /// The main schema and the referenced ones (`(name, parsed JSON)`).
    pub(crate) fn new(main: Value, references: Vec<(String, Value)>) -> Self {
        let mut docs = vec![(String::new(), main)];
        docs.extend(references);
        Self { docs }
    }

    /// The root of document `doc`.
    pub(crate) fn root(&self, doc: DocId) -> Option<&Value> {
        self.docs.get(doc).map(|(_, v)| v)
    }

    /// The main schema.
    pub(crate) fn main(&self) -> &Value {
        // Index 0 always exists (set in `new`).
        self.docs.first().map_or(&Value::Null, |(_, v)| v)
    }

    /// Resolves `reference` seen in document `from`: the target's document
    /// and node, `None` when it points nowhere.
    pub(crate) fn resolve<'a>(
        &'a self,
        from: DocId,
        reference: &str,
    ) -> Option<(DocId, &'a Value)> {
        let (file, fragment) = match reference.split_once('#') {
            Some((file, fragment)) => (file, fragment),
            None => (reference, ""),
        };
        let doc = if file.is_empty() {
            from
        } else {
            self.by_name(file)?
        };
        let root = self.root(doc)?;
        let target = if fragment.is_empty() {
            Some(root)
        } else if fragment.starts_with('/') {
            root.pointer(&unescape_uri(fragment))
        } else {
            // A plain-name fragment: an `$anchor` or draft-07 `$id: "#name"`.
            find_anchor(root, fragment)
        }?;
        Some((doc, target))
    }

    /// A referenced document by name: exact, or matching the last path
    /// segment of an absolute or relative URL.
    fn by_name(&self, file: &str) -> Option<DocId> {
        let exact = self.docs.iter().skip(1).position(|(name, _)| name == file);
        if let Some(i) = exact {
            return Some(i + 1);
        }
        self.docs
            .iter()
            .skip(1)
            .position(|(name, _)| {
                let tail = |s: &str| s.rsplit('/').next().unwrap_or(s).to_owned();
                tail(name) == tail(file)
            })
            .map(|i| i + 1)
    }

    /// Checks that every `$ref` in every document resolves.
    pub(crate) fn check_all(&self) -> Result<(), String> {
        for doc in 0..self.docs.len() {
            if let Some(root) = self.root(doc) {
                self.check_refs(doc, root, 0)?;
            }
        }
        Ok(())
    }

    fn check_refs(&self, doc: DocId, value: &Value, depth: usize) -> Result<(), String> {
        if depth > 256 {
            return Err("schema nested too deeply".to_owned());
        }
        match value {
            Value::Object(o) => {
                if let Some(Value::String(r)) = o.get("$ref")
                    && self.resolve(doc, r).is_none()
                {
                    let which = self.docs.get(doc).map_or("", |(n, _)| n.as_str());
                    return Err(if which.is_empty() {
                        format!("$ref {r} cannot be resolved")
                    } else {
                        format!("$ref {r} in reference {which} cannot be resolved")
                    });
                }
                for (key, child) in o {
                    // `enum`, `const`, `default` and `examples` hold data.
                    if !matches!(key.as_str(), "enum" | "const" | "default" | "examples") {
                        self.check_refs(doc, child, depth + 1)?;
                    }
                }
                Ok(())
            }
            Value::Array(items) => {
                for item in items {
                    self.check_refs(doc, item, depth + 1)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// Decodes `%xx` escapes in a URI fragment (JSON pointers in `$ref` are
/// URI-encoded).
fn unescape_uri(fragment: &str) -> String {
    let bytes = fragment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |j: usize| bytes.get(j).and_then(|c| (*c as char).to_digit(16));
        if b == b'%'
            && let (Some(h), Some(l)) = (hex(i + 1), hex(i + 2))
        {
            // Two hex digits make one byte (< 256).
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'%'));
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The subschema whose `$anchor` (or draft-07 `$id: "#name"`) is `name`.
fn find_anchor<'a>(value: &'a Value, name: &str) -> Option<&'a Value> {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(o) => {
                let anchor = o.get("$anchor").and_then(Value::as_str);
                let id = o.get("$id").and_then(Value::as_str);
                if anchor == Some(name) || id.and_then(|i| i.strip_prefix('#')) == Some(name) {
                    return Some(v);
                }
                stack.extend(o.values());
            }
            Value::Array(a) => stack.extend(a),
            _ => {}
        }
    }
    None
}
