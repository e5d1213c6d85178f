//! The generator's view of an Avro schema: a tree (an arena, so recursive
//! named types work) whose nodes keep their `arg.properties` object.
//!
//! Why not `apache_avro::Schema`: it drops unknown attributes of primitive
//! types, and `arg.properties` lives exactly there (`{"type":"long",
//! "arg.properties":{...}}`). The schema is still parsed by apache-avro too,
//! which is the judge of validity and is used for encoding.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::error::DatagenError;
use crate::schema_text::{ARG_PROPERTIES, is_primitive};

/// Index of a node in [`SchemaTree::nodes`].
pub(crate) type NodeId = usize;

/// How deep named-type references may nest while generating, so a recursive
/// schema ends in an error instead of a stack overflow.
pub(crate) const MAX_DEPTH: usize = 64;

/// Largest `fixed` size accepted: each record holds one such value per use.
const MAX_FIXED_SIZE: usize = 1 << 20;

/// The `decimal` logical type's parameters.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DecimalType {
    pub precision: u32,
}

/// One field of a record.
#[derive(Debug)]
pub(crate) struct Field {
    pub name: String,
    pub node: NodeId,
    pub default: Option<Value>,
}

/// The type of a node.
#[derive(Debug)]
pub(crate) enum Kind {
    Null,
    Boolean,
    Int,
    Long,
    Float,
    Double,
    Bytes {
        decimal: Option<DecimalType>,
    },
    String {
        uuid: bool,
    },
    Record {
        name: String,
        fields: Vec<Field>,
    },
    Enum {
        symbols: Vec<String>,
    },
    Fixed {
        size: usize,
        decimal: Option<DecimalType>,
    },
    Array(NodeId),
    Map(NodeId),
    Union(Vec<NodeId>),
    /// A use of a named type defined elsewhere (possibly an enclosing one).
    Ref(NodeId),
}

/// One type in the schema, with its annotations.
#[derive(Debug)]
pub(crate) struct Node {
    pub kind: Kind,
    /// The raw `arg.properties` object; empty when absent.
    pub props: Map<String, Value>,
    /// Dotted path for error messages, e.g. `orders.address.city`.
    pub path: String,
}

/// The parsed schema.
#[derive(Debug)]
pub(crate) struct SchemaTree {
    pub nodes: Vec<Node>,
    pub root: NodeId,
}

impl SchemaTree {
    /// Builds the tree of `schema`; names are resolved as Avro resolves them.
    pub(crate) fn parse(schema: &Value) -> Result<Self, DatagenError> {
        let mut parser = Parser {
            nodes: Vec::new(),
            names: HashMap::new(),
        };
        let root = parser.parse(schema, "", "")?;
        let root_path = match &parser.nodes[root].kind {
            Kind::Record { name, .. } => name.rsplit('.').next().unwrap_or(name).to_owned(),
            _ => String::new(),
        };
        // Paths were built while parsing; prefix-free paths read better.
        if !root_path.is_empty() {
            for node in &mut parser.nodes {
                if node.path.is_empty() {
                    node.path.clone_from(&root_path);
                }
            }
        }
        Ok(SchemaTree {
            nodes: parser.nodes,
            root,
        })
    }

    /// The node behind `id`, following references to named types.
    pub(crate) fn resolve(&self, mut id: NodeId) -> &Node {
        // A reference always points at a definition, never at another reference.
        for _ in 0..2 {
            match self.nodes.get(id).map(|n| &n.kind) {
                Some(Kind::Ref(target)) => id = *target,
                _ => break,
            }
        }
        &self.nodes[id]
    }

    /// The definition id behind `id`.
    pub(crate) fn resolve_id(&self, id: NodeId) -> NodeId {
        match self.nodes.get(id).map(|n| &n.kind) {
            Some(Kind::Ref(target)) => *target,
            _ => id,
        }
    }
}

struct Parser {
    nodes: Vec<Node>,
    names: HashMap<String, NodeId>,
}

impl Parser {
    fn push(&mut self, kind: Kind, props: Map<String, Value>, path: &str) -> NodeId {
        self.nodes.push(Node {
            kind,
            props,
            path: path.to_owned(),
        });
        self.nodes.len() - 1
    }

    fn parse(
        &mut self,
        schema: &Value,
        namespace: &str,
        path: &str,
    ) -> Result<NodeId, DatagenError> {
        match schema {
            Value::String(name) => self.parse_name(name, namespace, Map::new(), path),
            Value::Array(branches) => {
                let mut ids = Vec::with_capacity(branches.len());
                for branch in branches {
                    ids.push(self.parse(branch, namespace, path)?);
                }
                if ids.is_empty() {
                    return Err(DatagenError::Schema(format!("empty union at {path}")));
                }
                Ok(self.push(Kind::Union(ids), Map::new(), path))
            }
            Value::Object(object) => self.parse_object(object, namespace, path),
            other => Err(DatagenError::Schema(format!(
                "expected a type at {path}, found {other}"
            ))),
        }
    }

    fn parse_name(
        &mut self,
        name: &str,
        namespace: &str,
        props: Map<String, Value>,
        path: &str,
    ) -> Result<NodeId, DatagenError> {
        let kind = match name {
            "null" => Kind::Null,
            "boolean" => Kind::Boolean,
            "int" => Kind::Int,
            "long" => Kind::Long,
            "float" => Kind::Float,
            "double" => Kind::Double,
            "bytes" => Kind::Bytes { decimal: None },
            "string" => Kind::String { uuid: false },
            _ => {
                let full = full_name(name, namespace);
                let target = self
                    .names
                    .get(&full)
                    .or_else(|| self.names.get(name))
                    .copied()
                    .ok_or_else(|| {
                        DatagenError::Schema(format!("unknown type {name:?} at {path}"))
                    })?;
                Kind::Ref(target)
            }
        };
        Ok(self.push(kind, props, path))
    }

    fn parse_object(
        &mut self,
        object: &Map<String, Value>,
        namespace: &str,
        path: &str,
    ) -> Result<NodeId, DatagenError> {
        let props = match object.get(ARG_PROPERTIES) {
            None => Map::new(),
            Some(Value::Object(props)) => props.clone(),
            Some(other) => {
                return Err(DatagenError::annotation(
                    path,
                    format!("{ARG_PROPERTIES} must be an object, was {other}"),
                ));
            }
        };
        let type_name = match object.get("type") {
            Some(Value::String(name)) => name.as_str(),
            // `{"type": {...}}` or `{"type": [...]}`: the annotations of the
            // outer object are Avro-ignored; use the inner type.
            Some(inner @ (Value::Object(_) | Value::Array(_))) => {
                return self.parse(inner, namespace, path);
            }
            _ => {
                return Err(DatagenError::Schema(format!("missing \"type\" at {path}")));
            }
        };
        let logical = object.get("logicalType").and_then(Value::as_str);
        let decimal = match logical {
            Some("decimal") => Some(DecimalType {
                precision: object
                    .get("precision")
                    .and_then(Value::as_u64)
                    .and_then(|p| u32::try_from(p).ok())
                    .ok_or_else(|| {
                        DatagenError::Schema(format!("decimal at {path} needs a precision"))
                    })?,
            }),
            _ => None,
        };
        match type_name {
            "record" | "error" => self.parse_record(object, namespace, props, path),
            "enum" => {
                let symbols = object
                    .get("symbols")
                    .and_then(Value::as_array)
                    .map(|s| {
                        s.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .ok_or_else(|| DatagenError::Schema(format!("enum at {path} needs symbols")))?;
                let (full, _) = named(object, namespace, path)?;
                let id = self.push(Kind::Enum { symbols }, props, path);
                self.names.insert(full, id);
                Ok(id)
            }
            "fixed" => {
                let size = object
                    .get("size")
                    .and_then(Value::as_u64)
                    .and_then(|s| usize::try_from(s).ok())
                    .filter(|s| *s <= MAX_FIXED_SIZE)
                    .ok_or_else(|| {
                        DatagenError::Schema(format!(
                            "fixed at {path} needs a size of at most {MAX_FIXED_SIZE} bytes"
                        ))
                    })?;
                let (full, _) = named(object, namespace, path)?;
                let id = self.push(Kind::Fixed { size, decimal }, props, path);
                self.names.insert(full, id);
                Ok(id)
            }
            "array" => {
                let items = object
                    .get("items")
                    .ok_or_else(|| DatagenError::Schema(format!("array at {path} needs items")))?;
                let item = self.parse(items, namespace, path)?;
                Ok(self.push(Kind::Array(item), props, path))
            }
            "map" => {
                let values = object
                    .get("values")
                    .ok_or_else(|| DatagenError::Schema(format!("map at {path} needs values")))?;
                let value = self.parse(values, namespace, path)?;
                Ok(self.push(Kind::Map(value), props, path))
            }
            "bytes" => Ok(self.push(Kind::Bytes { decimal }, props, path)),
            "string" => Ok(self.push(
                Kind::String {
                    uuid: logical == Some("uuid"),
                },
                props,
                path,
            )),
            name if is_primitive(name) => self.parse_name(name, namespace, props, path),
            // A named type used as `{"type": "ksql.address"}`.
            name => self.parse_name(name, namespace, props, path),
        }
    }

    fn parse_record(
        &mut self,
        object: &Map<String, Value>,
        namespace: &str,
        props: Map<String, Value>,
        path: &str,
    ) -> Result<NodeId, DatagenError> {
        let (full, record_namespace) = named(object, namespace, path)?;
        let simple = full.rsplit('.').next().unwrap_or(&full).to_owned();
        let record_path = if path.is_empty() {
            simple
        } else {
            path.to_owned()
        };
        // Register before the fields so the record may refer to itself.
        let id = self.push(
            Kind::Record {
                name: full.clone(),
                fields: Vec::new(),
            },
            props,
            &record_path,
        );
        self.names.insert(full, id);
        let Some(fields_json) = object.get("fields").and_then(Value::as_array) else {
            return Err(DatagenError::Schema(format!(
                "record at {record_path} needs fields"
            )));
        };
        let mut fields = Vec::with_capacity(fields_json.len());
        for field in fields_json {
            let name = field.get("name").and_then(Value::as_str).ok_or_else(|| {
                DatagenError::Schema(format!("a field of {record_path} has no name"))
            })?;
            let field_path = format!("{record_path}.{name}");
            let schema = field
                .get("type")
                .ok_or_else(|| DatagenError::Schema(format!("field {field_path} has no type")))?;
            let node = self.parse(schema, &record_namespace, &field_path)?;
            fields.push(Field {
                name: name.to_owned(),
                node,
                default: field.get("default").cloned(),
            });
        }
        if let Some(Kind::Record { fields: slot, .. }) = self.nodes.get_mut(id).map(|n| &mut n.kind)
        {
            *slot = fields;
        }
        Ok(id)
    }
}

/// The full name and the namespace for children of a named type.
fn named(
    object: &Map<String, Value>,
    namespace: &str,
    path: &str,
) -> Result<(String, String), DatagenError> {
    let name = object
        .get("name")
        .and_then(Value::as_str)
        .ok_or_else(|| DatagenError::Schema(format!("named type at {path} has no name")))?;
    let namespace = object
        .get("namespace")
        .and_then(Value::as_str)
        .unwrap_or(namespace);
    let full = full_name(name, namespace);
    let child_namespace = match full.rfind('.') {
        Some(dot) => full[..dot].to_owned(),
        None => String::new(),
    };
    Ok((full, child_namespace))
}

fn full_name(name: &str, namespace: &str) -> String {
    if name.contains('.') || namespace.is_empty() {
        name.to_owned()
    } else {
        format!("{namespace}.{name}")
    }
}
