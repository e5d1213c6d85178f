//! The kinds of difference between two JSON Schemas, named as Confluent's
//! `json.diff.Difference.Type`, and which of them are compatible (Confluent's
//! `SchemaDiff.COMPATIBLE_CHANGES`).
//!
//! The diff compares an *original* schema with an *update*: a difference is
//! compatible when every document the original accepts is still accepted
//! by the update (so BACKWARD compares original = the registered version,
//! update = the new schema; FORWARD the other way round).

/// One kind of difference.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DifferenceType {
    SchemaAdded,
    SchemaRemoved,
    TypeExtended,
    TypeNarrowed,
    TypeChanged,
    MaxLengthAdded,
    MaxLengthRemoved,
    MaxLengthIncreased,
    MaxLengthDecreased,
    MinLengthAdded,
    MinLengthRemoved,
    MinLengthIncreased,
    MinLengthDecreased,
    PatternAdded,
    PatternRemoved,
    PatternChanged,
    MaximumAdded,
    MaximumRemoved,
    MaximumIncreased,
    MaximumDecreased,
    MinimumAdded,
    MinimumRemoved,
    MinimumIncreased,
    MinimumDecreased,
    ExclusiveMaximumAdded,
    ExclusiveMaximumRemoved,
    ExclusiveMaximumIncreased,
    ExclusiveMaximumDecreased,
    ExclusiveMinimumAdded,
    ExclusiveMinimumRemoved,
    ExclusiveMinimumIncreased,
    ExclusiveMinimumDecreased,
    MultipleOfAdded,
    MultipleOfRemoved,
    MultipleOfExpanded,
    MultipleOfReduced,
    MultipleOfChanged,
    RequiredAttributeAdded,
    RequiredAttributeWithDefaultAdded,
    RequiredAttributeRemoved,
    MaxPropertiesAdded,
    MaxPropertiesRemoved,
    MaxPropertiesIncreased,
    MaxPropertiesDecreased,
    MinPropertiesAdded,
    MinPropertiesRemoved,
    MinPropertiesIncreased,
    MinPropertiesDecreased,
    AdditionalPropertiesAdded,
    AdditionalPropertiesRemoved,
    AdditionalPropertiesExtended,
    AdditionalPropertiesNarrowed,
    DependencyArrayAdded,
    DependencyArrayRemoved,
    DependencyArrayExtended,
    DependencyArrayNarrowed,
    DependencyArrayChanged,
    DependencySchemaAdded,
    DependencySchemaRemoved,
    PropertyAddedToOpenContentModel,
    PropertyWithEmptySchemaAddedToOpenContentModel,
    RequiredPropertyAddedToUnopenContentModel,
    RequiredPropertyWithDefaultAddedToUnopenContentModel,
    OptionalPropertyAddedToUnopenContentModel,
    PropertyRemovedFromOpenContentModel,
    PropertyWithFalseRemovedFromClosedContentModel,
    PropertyRemovedFromClosedContentModel,
    PropertyRemovedIsCoveredByPartiallyOpenContentModel,
    PropertyRemovedNotCoveredByPartiallyOpenContentModel,
    PropertyAddedIsCoveredByPartiallyOpenContentModel,
    PropertyAddedNotCoveredByPartiallyOpenContentModel,
    MaxItemsAdded,
    MaxItemsRemoved,
    MaxItemsIncreased,
    MaxItemsDecreased,
    MinItemsAdded,
    MinItemsRemoved,
    MinItemsIncreased,
    MinItemsDecreased,
    UniqueItemsAdded,
    UniqueItemsRemoved,
    AdditionalItemsAdded,
    AdditionalItemsRemoved,
    AdditionalItemsExtended,
    AdditionalItemsNarrowed,
    ItemAddedToOpenContentModel,
    ItemWithEmptySchemaAddedToOpenContentModel,
    ItemAddedToClosedContentModel,
    ItemRemovedFromOpenContentModel,
    ItemWithFalseRemovedFromClosedContentModel,
    ItemRemovedFromClosedContentModel,
    ItemRemovedIsCoveredByPartiallyOpenContentModel,
    ItemRemovedNotCoveredByPartiallyOpenContentModel,
    ItemAddedIsCoveredByPartiallyOpenContentModel,
    ItemAddedNotCoveredByPartiallyOpenContentModel,
    EnumArrayExtended,
    EnumArrayNarrowed,
    EnumArrayChanged,
    CombinedTypeExtended,
    CombinedTypeChanged,
    ProductTypeExtended,
    ProductTypeNarrowed,
    SumTypeExtended,
    SumTypeNarrowed,
    CombinedTypeSubschemasChanged,
    NotTypeExtended,
    NotTypeNarrowed,
}

impl DifferenceType {
    /// Whether the change keeps every document the original accepts valid
    /// (Confluent's `COMPATIBLE_CHANGES`).
    pub fn is_compatible(self) -> bool {
        use DifferenceType as D;
        matches!(
            self,
            D::SchemaRemoved
                | D::TypeExtended
                | D::MaxLengthIncreased
                | D::MaxLengthRemoved
                | D::MinLengthDecreased
                | D::MinLengthRemoved
                | D::PatternRemoved
                | D::MaximumIncreased
                | D::MaximumRemoved
                | D::MinimumDecreased
                | D::MinimumRemoved
                | D::ExclusiveMaximumIncreased
                | D::ExclusiveMaximumRemoved
                | D::ExclusiveMinimumDecreased
                | D::ExclusiveMinimumRemoved
                | D::MultipleOfReduced
                | D::MultipleOfRemoved
                | D::RequiredAttributeWithDefaultAdded
                | D::RequiredAttributeRemoved
                | D::DependencyArrayNarrowed
                | D::DependencyArrayRemoved
                | D::DependencySchemaRemoved
                | D::MaxPropertiesIncreased
                | D::MaxPropertiesRemoved
                | D::MinPropertiesDecreased
                | D::MinPropertiesRemoved
                | D::AdditionalPropertiesAdded
                | D::AdditionalPropertiesExtended
                | D::PropertyWithEmptySchemaAddedToOpenContentModel
                | D::RequiredPropertyWithDefaultAddedToUnopenContentModel
                | D::OptionalPropertyAddedToUnopenContentModel
                | D::PropertyWithFalseRemovedFromClosedContentModel
                | D::PropertyRemovedFromOpenContentModel
                | D::PropertyAddedIsCoveredByPartiallyOpenContentModel
                | D::PropertyRemovedIsCoveredByPartiallyOpenContentModel
                | D::MaxItemsIncreased
                | D::MaxItemsRemoved
                | D::MinItemsDecreased
                | D::MinItemsRemoved
                | D::UniqueItemsRemoved
                | D::AdditionalItemsAdded
                | D::AdditionalItemsExtended
                | D::ItemWithEmptySchemaAddedToOpenContentModel
                | D::ItemAddedToClosedContentModel
                | D::ItemWithFalseRemovedFromClosedContentModel
                | D::ItemRemovedFromOpenContentModel
                | D::ItemAddedIsCoveredByPartiallyOpenContentModel
                | D::ItemRemovedIsCoveredByPartiallyOpenContentModel
                | D::EnumArrayExtended
                | D::CombinedTypeExtended
                | D::ProductTypeNarrowed
                | D::SumTypeExtended
                | D::NotTypeNarrowed
        )
    }

    /// Confluent's spelling (`PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL`, …),
    /// derived from the variant name.
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

/// A difference found at a JSON path (`#/properties/a/type`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// What changed.
    pub kind: DifferenceType,
    /// Where, as a JSON pointer into the schemas (`#` is the root).
    pub path: String,
}

impl std::fmt::Display for Difference {
    /// Confluent's shape: `{errorType:"…", description:"…"}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{{errorType:\"{}\", description:\"{}\"}}",
            self.kind.as_str(),
            describe(self.kind, &self.path)
        )
    }
}

/// A human description in Confluent's wording (update = new, original =
/// old for BACKWARD; swapped for FORWARD, so the words are neutral).
fn describe(kind: DifferenceType, path: &str) -> String {
    use DifferenceType as D;
    match kind {
        D::PropertyAddedToOpenContentModel | D::ItemAddedToOpenContentModel => format!(
            "The reader schema has a property or item at path '{path}' which is missing in the writer schema, whose open content model allows anything there"
        ),
        D::RequiredPropertyAddedToUnopenContentModel => format!(
            "The reader schema has a required property at path '{path}' which is missing in the writer schema"
        ),
        D::PropertyRemovedFromClosedContentModel | D::ItemRemovedFromClosedContentModel => {
            format!(
                "The reader schema has a closed content model and is missing a property or item present at path '{path}' in the writer schema"
            )
        }
        D::RequiredAttributeAdded => {
            format!("The property at path '{path}' is required in the reader schema only")
        }
        D::TypeChanged
        | D::TypeNarrowed
        | D::CombinedTypeChanged
        | D::CombinedTypeSubschemasChanged
        | D::EnumArrayChanged => format!(
            "A type at path '{path}' is different between the reader schema and the writer schema"
        ),
        D::EnumArrayNarrowed
        | D::SumTypeNarrowed
        | D::AdditionalPropertiesNarrowed
        | D::AdditionalItemsNarrowed => format!(
            "An array or combined type at path '{path}' has fewer elements in the reader schema than the writer schema"
        ),
        _ => format!("The reader schema at path '{path}' accepts less than the writer schema"),
    }
}
