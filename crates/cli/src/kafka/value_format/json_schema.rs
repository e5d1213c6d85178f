//! JSON Schema values: the payload is the JSON document itself.
//!
//! Producing validates each document minimally before it is sent: `type`
//! (with `integer`), `enum`, `const`, `properties`, `required`,
//! `additionalProperties`, `items` (one schema or a tuple),
//! `minimum`/`maximum`, `minLength`/`maxLength`, `minItems`/`maxItems`,
//! `allOf`/`anyOf`/`oneOf`/`not`, and `$ref` to `#…` pointers or to a
//! referenced schema by its reference name. Not checked: `pattern`,
//! `format`, `patternProperties`, `if`/`then`/`else`, `dependencies`.

use std::collections::HashMap;

use anyhow::anyhow;
use serde_json::Value as Json;

/// Deepest nesting followed (guards the stack and `$ref` cycles).
const MAX_DEPTH: usize = 64;

/// A JSON Schema with its referenced schemas by reference name.
#[derive(Debug)]
pub(crate) struct JsonCodec {
    schema: Json,
    references: HashMap<String, Json>,
}

impl JsonCodec {
    /// Parses `text`; `references` are `(name, text)` pairs.
    pub(crate) fn parse(text: &str, references: &[(String, String)]) -> anyhow::Result<Self> {
        let schema =
            serde_json::from_str(text).map_err(|e| anyhow!("the JSON schema is not JSON: {e}"))?;
        let references = references
            .iter()
            .map(|(name, text)| {
                serde_json::from_str(text)
                    .map(|v| (name.clone(), v))
                    .map_err(|e| anyhow!("referenced JSON schema {name} is not JSON: {e}"))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self { schema, references })
    }

    /// The payload as one line of JSON.
    pub(crate) fn decode(payload: &[u8]) -> anyhow::Result<Json> {
        serde_json::from_slice(payload).map_err(|e| anyhow!("the payload is not JSON: {e}"))
    }

    /// Validates `json` and returns the bytes to send.
    pub(crate) fn encode(&self, json: &Json) -> anyhow::Result<Vec<u8>> {
        self.validate(json, &self.schema, &self.schema, "$", 0)
            .map_err(|e| anyhow!("{e}"))?;
        Ok(serde_json::to_vec(json)?)
    }

    fn validate(
        &self,
        v: &Json,
        schema: &Json,
        root: &Json,
        at: &str,
        depth: usize,
    ) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("{at}: schema nested too deeply"));
        }
        let d = depth + 1;
        let s = match schema {
            Json::Bool(true) => return Ok(()),
            Json::Bool(false) => return Err(format!("{at}: no value is allowed here")),
            Json::Object(s) => s,
            _ => return Ok(()),
        };
        if let Some(Json::String(r)) = s.get("$ref") {
            let (target, target_root) = self.resolve(r, root)?;
            self.validate(v, target, target_root, at, d)?;
        }
        if let Some(t) = s.get("type") {
            let names: Vec<&str> = match t {
                Json::String(n) => vec![n.as_str()],
                Json::Array(ns) => ns.iter().filter_map(Json::as_str).collect(),
                _ => Vec::new(),
            };
            if !names.is_empty() && !names.iter().any(|n| has_type(v, n)) {
                return Err(format!("{at}: expected {}, got {v}", names.join(" or ")));
            }
        }
        if let Some(Json::Array(options)) = s.get("enum")
            && !options.contains(v)
        {
            return Err(format!(
                "{at}: {v} is not one of {}",
                Json::Array(options.clone())
            ));
        }
        if let Some(c) = s.get("const")
            && c != v
        {
            return Err(format!("{at}: expected the constant {c}, got {v}"));
        }
        bounds(v, s, at)?;
        if let Json::Object(o) = v {
            let properties = s.get("properties").and_then(Json::as_object);
            if let Some(Json::Array(required)) = s.get("required") {
                for name in required.iter().filter_map(Json::as_str) {
                    if !o.contains_key(name) {
                        return Err(format!("{at}: missing required property \"{name}\""));
                    }
                }
            }
            for (k, child) in o {
                let child_at = format!("{at}.{k}");
                let child_schema = properties
                    .and_then(|p| p.get(k))
                    .or_else(|| s.get("additionalProperties"));
                if let Some(child_schema) = child_schema {
                    self.validate(child, child_schema, root, &child_at, d)?;
                }
            }
        }
        if let Json::Array(items) = v {
            match s.get("items") {
                Some(Json::Array(tuple)) => {
                    for (i, (item, schema)) in items.iter().zip(tuple).enumerate() {
                        self.validate(item, schema, root, &format!("{at}[{i}]"), d)?;
                    }
                }
                Some(each) => {
                    for (i, item) in items.iter().enumerate() {
                        self.validate(item, each, root, &format!("{at}[{i}]"), d)?;
                    }
                }
                None => {}
            }
        }
        if let Some(Json::Array(all)) = s.get("allOf") {
            for sub in all {
                self.validate(v, sub, root, at, d)?;
            }
        }
        if let Some(Json::Array(any)) = s.get("anyOf")
            && !any
                .iter()
                .any(|sub| self.validate(v, sub, root, at, d).is_ok())
        {
            return Err(format!("{at}: matches none of anyOf"));
        }
        if let Some(Json::Array(one)) = s.get("oneOf") {
            let matching = one
                .iter()
                .filter(|sub| self.validate(v, sub, root, at, d).is_ok())
                .count();
            if matching != 1 {
                return Err(format!(
                    "{at}: matches {matching} of oneOf, expected exactly 1"
                ));
            }
        }
        if let Some(not) = s.get("not")
            && self.validate(v, not, root, at, d).is_ok()
        {
            return Err(format!("{at}: matches the schema under \"not\""));
        }
        Ok(())
    }

    /// The schema `reference` points at, and the document it lives in.
    fn resolve<'a>(
        &'a self,
        reference: &str,
        root: &'a Json,
    ) -> Result<(&'a Json, &'a Json), String> {
        let (doc, pointer) = match reference.split_once('#') {
            Some(("", pointer)) => (root, pointer),
            Some((name, pointer)) => (self.reference(name)?, pointer),
            None => (self.reference(reference)?, ""),
        };
        doc.pointer(pointer)
            .map(|target| (target, doc))
            .ok_or_else(|| format!("$ref \"{reference}\" points at nothing"))
    }

    fn reference(&self, name: &str) -> Result<&Json, String> {
        self.references
            .get(name)
            .ok_or_else(|| format!("$ref \"{name}\" is not a schema reference of this schema"))
    }
}

fn has_type(v: &Json, name: &str) -> bool {
    match name {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        _ => true,
    }
}

fn bounds(v: &Json, s: &serde_json::Map<String, Json>, at: &str) -> Result<(), String> {
    let limit = |k: &str| s.get(k).and_then(Json::as_f64);
    if let Some(n) = v.as_f64() {
        if let Some(min) = limit("minimum")
            && n < min
        {
            return Err(format!("{at}: {v} is below the minimum {min}"));
        }
        if let Some(max) = limit("maximum")
            && n > max
        {
            return Err(format!("{at}: {v} is above the maximum {max}"));
        }
    }
    let size = match v {
        Json::String(t) => Some((t.chars().count(), "Length")),
        Json::Array(a) => Some((a.len(), "Items")),
        _ => None,
    };
    if let Some((len, what)) = size {
        let len = len as f64;
        if let Some(min) = limit(&format!("min{what}"))
            && len < min
        {
            return Err(format!("{at}: shorter than min{what} {min}"));
        }
        if let Some(max) = limit(&format!("max{what}"))
            && len > max
        {
            return Err(format!("{at}: longer than max{what} {max}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: &str = r##"{"type":"object","properties":{
        "name":{"type":"string","minLength":1},
        "age":{"type":"integer","minimum":0},
        "tags":{"type":"array","items":{"type":"string"}},
        "home":{"$ref":"#/definitions/address"}},
      "required":["name"],"additionalProperties":false,
      "definitions":{"address":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}"##;

    #[test]
    fn valid_documents_pass_and_invalid_ones_say_where() {
        let codec = JsonCodec::parse(USER, &[]).unwrap();
        let ok: Json =
            serde_json::from_str(r#"{"name":"a","age":3,"tags":["x"],"home":{"city":"Oslo"}}"#)
                .unwrap();
        assert_eq!(codec.encode(&ok).unwrap(), serde_json::to_vec(&ok).unwrap());
        for (bad, needle) in [
            (r#"{"age":3}"#, "missing required property \"name\""),
            (r#"{"name":"a","age":1.5}"#, "$.age: expected integer"),
            (r#"{"name":"a","age":-1}"#, "below the minimum"),
            (r#"{"name":""}"#, "minLength"),
            (r#"{"name":"a","tags":[1]}"#, "$.tags[0]: expected string"),
            (
                r#"{"name":"a","home":{}}"#,
                "$.home: missing required property \"city\"",
            ),
            (r#"{"name":"a","x":1}"#, "$.x: no value is allowed"),
        ] {
            let e = codec
                .encode(&serde_json::from_str(bad).unwrap())
                .unwrap_err()
                .to_string();
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }

    #[test]
    fn references_by_name_resolve() {
        let codec = JsonCodec::parse(
            r#"{"type":"object","properties":{"a":{"$ref":"addr.json"}}}"#,
            &[("addr.json".into(), r#"{"type":"string"}"#.into())],
        )
        .unwrap();
        assert!(codec.encode(&serde_json::json!({"a":"x"})).is_ok());
        assert!(codec.encode(&serde_json::json!({"a":1})).is_err());
    }
}
