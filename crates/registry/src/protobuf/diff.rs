//! Protobuf compatibility: the differences between an *original* and an
//! *update* schema, by Confluent's `protobuf.diff` rules. BACKWARD compares
//! original = existing version, update = new schema; FORWARD the other way
//! round. Most rules are symmetric (they follow the wire format), so the
//! two directions mostly agree.
//!
//! | change (original → update)                                 | difference                          | compatible |
//! |------------------------------------------------------------|-------------------------------------|------------|
//! | `package` changed                                          | `PACKAGE_CHANGED`                   | no |
//! | message added                                              | `MESSAGE_ADDED`                     | yes |
//! | message removed (so: added, seen FORWARD)                  | `MESSAGE_REMOVED`                   | no |
//! | message reordered (index changed)                          | `MESSAGE_MOVED`                     | yes |
//! | enum added / removed                                       | `ENUM_ADDED` / `ENUM_REMOVED`       | yes |
//! | enum value added / removed / renamed                       | `ENUM_CONST_ADDED` / `…_REMOVED` / `…_CHANGED` | yes |
//! | field added / removed (optional, proto3 or repeated)       | `FIELD_ADDED` / `FIELD_REMOVED`     | yes |
//! | proto2 `required` field added / removed                    | `REQUIRED_FIELD_ADDED` / `…_REMOVED`| no |
//! | field renamed (same number)                                | `FIELD_NAME_CHANGED`                | yes |
//! | scalar ↔ message ↔ map                                      | `FIELD_KIND_CHANGED`                | no |
//! | scalar type within one wire group: {int32, int64, uint32, uint64, bool, enums}, {sint32, sint64}, {string, bytes}, {fixed32, sfixed32}, {fixed64, sfixed64} | none | yes |
//! | scalar type across groups (int32 → sint32, int64 → fixed64, float → double, string → int32, …) | `FIELD_SCALAR_KIND_CHANGED` | no |
//! | numeric field singular ↔ repeated (or ↔ required)          | `FIELD_NUMERIC_LABEL_CHANGED`       | no |
//! | string/bytes field singular ↔ repeated                     | `FIELD_STRING_OR_BYTES_LABEL_CHANGED` | yes |
//! | message-typed field: other message name                    | `FIELD_NAMED_TYPE_CHANGED`          | no |
//! | message-typed field: same name, the message compared (also across references); incompatible inside | the inner differences + `FIELD_NAMED_TYPE_CHANGED` | no |
//! | map key / value types                                      | compared as scalar/message types    | |
//! | oneof added / removed                                      | `ONEOF_ADDED` / `ONEOF_REMOVED`     | yes |
//! | field added to a oneof / removed from it                   | `ONEOF_FIELD_ADDED` / `ONEOF_FIELD_REMOVED` | added only |
//! | one existing field moved into a new oneof                  | none                                | yes |
//! | several existing fields moved into one oneof               | `MULTIPLE_FIELDS_MOVED_TO_ONEOF`    | no |
//! | a field moved into a oneof holding earlier oneof fields    | `FIELD_MOVED_TO_EXISTING_ONEOF`     | no |
//!
//! Choices: proto3 `optional` fields (synthetic oneofs) are plain fields;
//! a proto3 field without a label counts as singular, so `int32 a` →
//! `repeated int32 a` is `FIELD_NUMERIC_LABEL_CHANGED` (packed encoding);
//! Confluent versions differ here (older ones skip unlabeled proto3 fields,
//! the newest skip labels altogether). `syntax`, options, services and
//! reserved ranges are not compared.

use std::collections::{BTreeMap, HashSet};

use prost_reflect::{
    Cardinality, EnumDescriptor, FieldDescriptor, FileDescriptor, Kind, MessageDescriptor,
};

/// One kind of difference (Confluent's `protobuf.diff.Difference.Type`).
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DifferenceType {
    PackageChanged,
    MessageAdded,
    MessageRemoved,
    MessageMoved,
    EnumAdded,
    EnumRemoved,
    EnumConstAdded,
    EnumConstChanged,
    EnumConstRemoved,
    FieldAdded,
    FieldRemoved,
    FieldNameChanged,
    FieldKindChanged,
    FieldScalarKindChanged,
    FieldNamedTypeChanged,
    FieldNumericLabelChanged,
    FieldStringOrBytesLabelChanged,
    RequiredFieldAdded,
    RequiredFieldRemoved,
    OneofAdded,
    OneofRemoved,
    OneofFieldAdded,
    OneofFieldRemoved,
    MultipleFieldsMovedToOneof,
    FieldMovedToExistingOneof,
}

impl DifferenceType {
    /// Confluent's `COMPATIBLE_CHANGES`.
    pub fn is_compatible(self) -> bool {
        use DifferenceType as D;
        matches!(
            self,
            D::MessageAdded
                | D::MessageMoved
                | D::EnumAdded
                | D::EnumRemoved
                | D::EnumConstAdded
                | D::EnumConstChanged
                | D::EnumConstRemoved
                | D::FieldAdded
                | D::FieldRemoved
                | D::FieldNameChanged
                | D::FieldStringOrBytesLabelChanged
                | D::OneofAdded
                | D::OneofRemoved
                | D::OneofFieldAdded
        )
    }

    /// Confluent's spelling (`FIELD_SCALAR_KIND_CHANGED`, …).
    pub fn as_str(self) -> String {
        let name = format!("{self:?}");
        let mut out = String::with_capacity(name.len() + 8);
        for (i, c) in name.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_uppercase());
        }
        out
    }
}

/// A difference at a path (`#/Order/2`: message `Order`, field number 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// What changed.
    pub kind: DifferenceType,
    /// Where.
    pub path: String,
}

impl std::fmt::Display for Difference {
    /// Confluent's shape: `{errorType:"…", description:"…"}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{{errorType:\"{}\", description:\"The schema at path '{}' is not compatible\"}}",
            self.kind.as_str(),
            self.path
        )
    }
}

/// Every difference from `original` to `update`.
pub fn differences(original: &FileDescriptor, update: &FileDescriptor) -> Vec<Difference> {
    let mut ctx = Ctx::default();
    ctx.path.push("#".to_owned());
    if original.package_name() != update.package_name() {
        ctx.add(DifferenceType::PackageChanged);
    }
    ctx.types(
        &original.messages().collect::<Vec<_>>(),
        &original.enums().collect::<Vec<_>>(),
        &update.messages().collect::<Vec<_>>(),
        &update.enums().collect::<Vec<_>>(),
    );
    ctx.differences
}

/// The incompatible differences from `original` to `update`.
pub(crate) fn incompatibilities(
    original: &super::ProtobufSchema,
    update: &super::ProtobufSchema,
) -> Vec<Difference> {
    let mut found = differences(original.file(), update.file());
    found.retain(|d| !d.kind.is_compatible());
    found
}

#[derive(Debug, Default)]
struct Ctx {
    path: Vec<String>,
    differences: Vec<Difference>,
    /// Message pairs being compared (recursive types stop here).
    visiting: HashSet<(String, String)>,
}

impl Ctx {
    fn add(&mut self, kind: DifferenceType) {
        self.differences.push(Difference {
            kind,
            path: self.path.join("/"),
        });
    }

    fn within(&mut self, segment: &str, f: impl FnOnce(&mut Self)) {
        self.path.push(segment.to_owned());
        f(self);
        self.path.pop();
    }

    fn types(
        &mut self,
        original_messages: &[MessageDescriptor],
        original_enums: &[EnumDescriptor],
        update_messages: &[MessageDescriptor],
        update_enums: &[EnumDescriptor],
    ) {
        let index = |ms: &[MessageDescriptor]| -> BTreeMap<String, (usize, MessageDescriptor)> {
            ms.iter()
                .filter(|m| !m.is_map_entry())
                .enumerate()
                .map(|(i, m)| (m.name().to_owned(), (i, m.clone())))
                .collect()
        };
        let (om, um) = (index(original_messages), index(update_messages));
        let names: Vec<String> = om
            .keys()
            .chain(um.keys())
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        for name in names {
            self.within(&name, |ctx| match (om.get(&name), um.get(&name)) {
                (Some(_), None) => ctx.add(DifferenceType::MessageRemoved),
                (None, Some(_)) => ctx.add(DifferenceType::MessageAdded),
                (Some((oi, o)), Some((ui, u))) => {
                    ctx.message(o, u);
                    if oi != ui {
                        ctx.add(DifferenceType::MessageMoved);
                    }
                }
                (None, None) => {}
            });
        }
        let by_name = |es: &[EnumDescriptor]| -> BTreeMap<String, EnumDescriptor> {
            es.iter()
                .map(|e| (e.name().to_owned(), e.clone()))
                .collect()
        };
        let (oe, ue) = (by_name(original_enums), by_name(update_enums));
        let names: Vec<String> = oe
            .keys()
            .chain(ue.keys())
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        for name in names {
            self.within(&name, |ctx| match (oe.get(&name), ue.get(&name)) {
                (Some(_), None) => ctx.add(DifferenceType::EnumRemoved),
                (None, Some(_)) => ctx.add(DifferenceType::EnumAdded),
                (Some(o), Some(u)) => ctx.enumeration(o, u),
                (None, None) => {}
            });
        }
    }

    fn enumeration(&mut self, o: &EnumDescriptor, u: &EnumDescriptor) {
        let values = |e: &EnumDescriptor| -> BTreeMap<i32, String> {
            e.values()
                .map(|v| (v.number(), v.name().to_owned()))
                .collect()
        };
        let (ov, uv) = (values(o), values(u));
        let numbers: std::collections::BTreeSet<i32> =
            ov.keys().chain(uv.keys()).copied().collect();
        for n in numbers {
            self.within(&n.to_string(), |ctx| match (ov.get(&n), uv.get(&n)) {
                (Some(_), None) => ctx.add(DifferenceType::EnumConstRemoved),
                (None, Some(_)) => ctx.add(DifferenceType::EnumConstAdded),
                (Some(a), Some(b)) if a != b => ctx.add(DifferenceType::EnumConstChanged),
                _ => {}
            });
        }
    }

    fn message(&mut self, o: &MessageDescriptor, u: &MessageDescriptor) {
        let key = (o.full_name().to_owned(), u.full_name().to_owned());
        if self.visiting.insert(key.clone()) {
            self.fields(o, u);
            self.visiting.remove(&key);
        }
        self.types(
            &o.child_messages().collect::<Vec<_>>(),
            &o.child_enums().collect::<Vec<_>>(),
            &u.child_messages().collect::<Vec<_>>(),
            &u.child_enums().collect::<Vec<_>>(),
        );
    }

    fn fields(&mut self, o: &MessageDescriptor, u: &MessageDescriptor) {
        /// The real (not synthetic) oneof a field belongs to.
        fn oneof_of(f: &FieldDescriptor) -> Option<String> {
            f.containing_oneof()
                .filter(|o| !o.is_synthetic())
                .map(|o| o.name().to_owned())
        }
        let all = |m: &MessageDescriptor| -> BTreeMap<u32, (FieldDescriptor, Option<String>)> {
            m.fields()
                .map(|f| (f.number(), (f.clone(), oneof_of(&f))))
                .collect()
        };
        let (o_all, u_all) = (all(o), all(u));
        let mut o_top: BTreeMap<u32, FieldDescriptor> = o_all
            .iter()
            .filter(|(_, (_, oneof))| oneof.is_none())
            .map(|(n, (f, _))| (*n, f.clone()))
            .collect();
        let u_top: BTreeMap<u32, FieldDescriptor> = u_all
            .iter()
            .filter(|(_, (_, oneof))| oneof.is_none())
            .map(|(n, (f, _))| (*n, f.clone()))
            .collect();
        let oneofs = |all: &BTreeMap<u32, (FieldDescriptor, Option<String>)>| -> BTreeMap<String, BTreeMap<u32, FieldDescriptor>> {
            let mut map: BTreeMap<String, BTreeMap<u32, FieldDescriptor>> = BTreeMap::new();
            for (n, (f, oneof)) in all {
                if let Some(name) = oneof {
                    map.entry(name.clone()).or_default().insert(*n, f.clone());
                }
            }
            map
        };
        let (o_oneofs, u_oneofs) = (oneofs(&o_all), oneofs(&u_all));
        // Fields moved into oneofs of the update.
        for (name, fields) in &u_oneofs {
            let mut moved = 0;
            let mut existing = 0;
            for n in fields.keys() {
                if o_top.remove(n).is_some() {
                    moved += 1;
                } else if o_all.get(n).is_some_and(|(_, oneof)| oneof.is_some()) {
                    existing += 1;
                }
            }
            self.within(name, |ctx| {
                if moved > 1 {
                    ctx.add(DifferenceType::MultipleFieldsMovedToOneof);
                } else if moved == 1 && existing > 0 {
                    ctx.add(DifferenceType::FieldMovedToExistingOneof);
                }
            });
        }
        let names: std::collections::BTreeSet<&String> =
            o_oneofs.keys().chain(u_oneofs.keys()).collect();
        for name in names {
            self.within(name, |ctx| match (o_oneofs.get(name), u_oneofs.get(name)) {
                (Some(_), None) => ctx.add(DifferenceType::OneofRemoved),
                (None, Some(_)) => ctx.add(DifferenceType::OneofAdded),
                (Some(of), Some(uf)) => {
                    let numbers: std::collections::BTreeSet<u32> =
                        of.keys().chain(uf.keys()).copied().collect();
                    for n in numbers {
                        ctx.within(&n.to_string(), |ctx| match (of.get(&n), uf.get(&n)) {
                            (Some(_), None) if !u_all.contains_key(&n) => {
                                ctx.add(DifferenceType::OneofFieldRemoved);
                            }
                            (None, Some(_)) => ctx.add(DifferenceType::OneofFieldAdded),
                            (Some(a), Some(b)) => ctx.field(a, b),
                            _ => {}
                        });
                    }
                }
                (None, None) => {}
            });
        }
        let numbers: std::collections::BTreeSet<u32> =
            o_top.keys().chain(u_top.keys()).copied().collect();
        for n in numbers {
            self.within(&n.to_string(), |ctx| match (o_top.get(&n), u_top.get(&n)) {
                (Some(f), None) => ctx.add(if f.cardinality() == Cardinality::Required {
                    DifferenceType::RequiredFieldRemoved
                } else {
                    DifferenceType::FieldRemoved
                }),
                (None, Some(f)) => ctx.add(if f.cardinality() == Cardinality::Required {
                    DifferenceType::RequiredFieldAdded
                } else {
                    DifferenceType::FieldAdded
                }),
                (Some(a), Some(b)) => ctx.field(a, b),
                (None, None) => {}
            });
        }
        // Fields whose oneof membership changed, compared by number.
        for (n, (of, oo)) in &o_all {
            if let Some((uf, uo)) = u_all.get(n)
                && oo != uo
            {
                self.within(&n.to_string(), |ctx| ctx.field(of, uf));
            }
        }
    }

    fn field(&mut self, o: &FieldDescriptor, u: &FieldDescriptor) {
        if o.name() != u.name() {
            self.add(DifferenceType::FieldNameChanged);
        }
        self.types_of(&shape(o), &shape(u));
    }

    fn types_of(&mut self, o: &Shape, u: &Shape) {
        match (o, u) {
            (Shape::Scalar(ok, ol), Shape::Scalar(uk, ul)) => {
                if ok != uk {
                    self.add(DifferenceType::FieldScalarKindChanged);
                } else if let (Some(ol), Some(ul)) = (ol, ul)
                    && ol != ul
                {
                    self.add(if *ok == ScalarKind::StringOrBytes {
                        DifferenceType::FieldStringOrBytesLabelChanged
                    } else {
                        DifferenceType::FieldNumericLabelChanged
                    });
                }
            }
            (Shape::Message(om), Shape::Message(um)) => {
                let local = |m: &MessageDescriptor| {
                    let package = m.package_name();
                    m.full_name()
                        .strip_prefix(package)
                        .and_then(|rest| rest.strip_prefix('.'))
                        .unwrap_or(m.full_name())
                        .to_owned()
                };
                if local(om) != local(um) {
                    self.add(DifferenceType::FieldNamedTypeChanged);
                    return;
                }
                let key = (om.full_name().to_owned(), um.full_name().to_owned());
                if self.visiting.contains(&key) {
                    return;
                }
                let mut sub = Ctx {
                    path: vec!["#".to_owned(), local(om)],
                    differences: Vec::new(),
                    visiting: self.visiting.clone(),
                };
                sub.visiting.insert(key);
                sub.fields(om, um);
                let compatible = sub.differences.iter().all(|d| d.kind.is_compatible());
                self.differences.extend(sub.differences);
                if !compatible {
                    self.add(DifferenceType::FieldNamedTypeChanged);
                }
            }
            (Shape::Map(ok, ov), Shape::Map(uk, uv)) => {
                self.types_of(ok, uk);
                self.types_of(ov, uv);
            }
            _ => self.add(DifferenceType::FieldKindChanged),
        }
    }
}

/// The wire groups of scalar types (values of one group read each other).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScalarKind {
    GeneralNumber,
    SignedNumber,
    StringOrBytes,
    Fixed32,
    Fixed64,
    Float,
    Double,
}

/// Whether a field holds one value or many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    Singular,
    Required,
    Repeated,
}

/// A field's type as the rules see it.
#[derive(Debug, Clone)]
enum Shape {
    /// A scalar or enum, with its label (none inside map entries).
    Scalar(ScalarKind, Option<Label>),
    Message(MessageDescriptor),
    Map(Box<Shape>, Box<Shape>),
}

fn shape(f: &FieldDescriptor) -> Shape {
    shape_with(f, true)
}

fn shape_with(f: &FieldDescriptor, with_label: bool) -> Shape {
    let label = with_label.then(|| match f.cardinality() {
        Cardinality::Optional => Label::Singular,
        Cardinality::Required => Label::Required,
        Cardinality::Repeated => Label::Repeated,
    });
    match f.kind() {
        Kind::Message(m) if m.is_map_entry() => match (m.get_field(1), m.get_field(2)) {
            (Some(k), Some(v)) => Shape::Map(
                Box::new(shape_with(&k, false)),
                Box::new(shape_with(&v, false)),
            ),
            _ => Shape::Message(m),
        },
        Kind::Message(m) => Shape::Message(m),
        kind => {
            let group = match kind {
                Kind::Int32
                | Kind::Int64
                | Kind::Uint32
                | Kind::Uint64
                | Kind::Bool
                | Kind::Enum(_) => ScalarKind::GeneralNumber,
                Kind::Sint32 | Kind::Sint64 => ScalarKind::SignedNumber,
                Kind::String | Kind::Bytes => ScalarKind::StringOrBytes,
                Kind::Fixed32 | Kind::Sfixed32 => ScalarKind::Fixed32,
                Kind::Fixed64 | Kind::Sfixed64 => ScalarKind::Fixed64,
                Kind::Float => ScalarKind::Float,
                Kind::Double | Kind::Message(_) => ScalarKind::Double,
            };
            Shape::Scalar(group, label)
        }
    }
}
