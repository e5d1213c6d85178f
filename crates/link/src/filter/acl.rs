//! `acl.filters`: which source ACLs a link would copy (reference §2.3).
//!
//! ```json
//! {"aclFilters":[{"resourceFilter":{"resourceType":"any","name":"foo","patternType":"any"},
//!                 "accessFilter":{"principal":"User:Alice","host":"*","operation":"any","permissionType":"any"}}]}
//! ```
//! - `aclFilters` is a non-empty array; each entry has both `resourceFilter`
//!   and `accessFilter`.
//! - `resourceType`, `patternType`, `operation` and `permissionType` are
//!   required, non-empty, and case-insensitive; `_` is optional, so Kafka's
//!   `DESCRIBE_CONFIGS` and the camel `describeConfigs` both parse.
//!   `UNKNOWN` is refused everywhere.
//! - `name`, `principal` and `host` are optional (absent or null: any);
//!   when given they are non-empty, and `principal` is `Type:name`.
//! - Unknown properties are refused at every level.
//!
//! ferry parses and checks these filters so a link config written for
//! Confluent is judged the same way, but does not sync ACLs yet (see
//! `acl.sync.enable` in [`crate::config`]).

use serde_json::{Map, Value};

use super::{FilterError, object, required_string};

/// A Kafka resource type (`resourceType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclResourceType {
    /// Any resource type.
    Any,
    /// Topics.
    Topic,
    /// Consumer groups.
    Group,
    /// The cluster.
    Cluster,
    /// Transactional ids.
    TransactionalId,
    /// Delegation tokens.
    DelegationToken,
    /// Users (quotas and SCRAM credentials).
    User,
}

/// A resource pattern type (`resourceFilter.patternType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclPatternType {
    /// Any pattern type.
    Any,
    /// Every binding that would apply to the named resource.
    Match,
    /// Exact name (or `*`).
    Literal,
    /// Name prefix.
    Prefixed,
}

/// A Kafka ACL operation (`accessFilter.operation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclOperation {
    /// Any operation (filters only).
    Any,
    /// All operations.
    All,
    /// Read.
    Read,
    /// Write.
    Write,
    /// Create.
    Create,
    /// Delete.
    Delete,
    /// Alter.
    Alter,
    /// Describe.
    Describe,
    /// Inter-broker cluster actions.
    ClusterAction,
    /// DescribeConfigs.
    DescribeConfigs,
    /// AlterConfigs.
    AlterConfigs,
    /// Idempotent produce.
    IdempotentWrite,
    /// Create delegation tokens.
    CreateTokens,
    /// Describe delegation tokens.
    DescribeTokens,
}

/// Allow or deny (`accessFilter.permissionType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclPermissionType {
    /// Either.
    Any,
    /// Allow bindings.
    Allow,
    /// Deny bindings.
    Deny,
}

/// One entry of `aclFilters`: a resource filter and an access filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclBindingFilter {
    /// `resourceFilter.resourceType`.
    pub resource_type: AclResourceType,
    /// `resourceFilter.name`; None matches any name.
    pub resource_name: Option<String>,
    /// `resourceFilter.patternType`.
    pub pattern_type: AclPatternType,
    /// `accessFilter.principal` (`Type:name`); None matches any principal.
    pub principal: Option<String>,
    /// `accessFilter.host`; None matches any host.
    pub host: Option<String>,
    /// `accessFilter.operation`.
    pub operation: AclOperation,
    /// `accessFilter.permissionType`.
    pub permission_type: AclPermissionType,
}

/// The parsed `acl.filters`; empty when the config is empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AclFilters {
    /// The filters, in order.
    pub filters: Vec<AclBindingFilter>,
}

impl AclFilters {
    /// No filters (the config is unset).
    pub fn is_empty(&self) -> bool {
        self.filters.is_empty()
    }
}

/// Parses `acl.filters`. An empty or blank string is "not set" (no filters).
///
/// # Errors
/// Invalid JSON or grammar; the message names the field, e.g.
/// `aclFilters[0].accessFilter.operation`.
pub fn parse_acl_filters(json: &str) -> Result<AclFilters, FilterError> {
    if json.trim().is_empty() {
        return Ok(AclFilters::default());
    }
    let doc: Value =
        serde_json::from_str(json).map_err(|e| FilterError(format!("invalid JSON: {e}")))?;
    let top = object(&doc, "the ACL filter document", &["aclFilters"])?;
    let list = match top.get("aclFilters") {
        None => return Err(FilterError("\"aclFilters\" is missing".into())),
        Some(Value::Null) => return Err(FilterError("\"aclFilters\" must not be null".into())),
        Some(Value::Array(list)) if list.is_empty() => {
            return Err(FilterError("\"aclFilters\" must not be empty".into()));
        }
        Some(Value::Array(list)) => list,
        Some(_) => return Err(FilterError("\"aclFilters\" must be an array".into())),
    };
    let filters = list
        .iter()
        .enumerate()
        .map(|(i, item)| parse_binding_filter(item, &format!("aclFilters[{i}]")))
        .collect::<Result<_, _>>()?;
    Ok(AclFilters { filters })
}

fn parse_binding_filter(item: &Value, at: &str) -> Result<AclBindingFilter, FilterError> {
    let fields = object(item, at, &["resourceFilter", "accessFilter"])?;
    let resource_at = format!("{at}.resourceFilter");
    let resource = object(
        sub_object(fields, at, "resourceFilter")?,
        &resource_at,
        &["resourceType", "name", "patternType"],
    )?;
    let access_at = format!("{at}.accessFilter");
    let access = object(
        sub_object(fields, at, "accessFilter")?,
        &access_at,
        &["principal", "host", "operation", "permissionType"],
    )?;
    let principal = optional_string(access, &access_at, "principal")?;
    if let Some(p) = &principal
        && !p
            .split_once(':')
            .is_some_and(|(kind, name)| !kind.is_empty() && !name.is_empty())
    {
        return Err(FilterError(format!(
            "{access_at}.principal: '{p}' is not of the form Type:name (e.g. User:alice)"
        )));
    }
    Ok(AclBindingFilter {
        resource_type: one_of(resource, &resource_at, "resourceType", RESOURCE_TYPES)?,
        resource_name: optional_string(resource, &resource_at, "name")?,
        pattern_type: one_of(resource, &resource_at, "patternType", PATTERN_TYPES)?,
        principal,
        host: optional_string(access, &access_at, "host")?,
        operation: one_of(access, &access_at, "operation", OPERATIONS)?,
        permission_type: one_of(access, &access_at, "permissionType", PERMISSION_TYPES)?,
    })
}

const RESOURCE_TYPES: &[(&str, AclResourceType)] = &[
    ("any", AclResourceType::Any),
    ("topic", AclResourceType::Topic),
    ("group", AclResourceType::Group),
    ("cluster", AclResourceType::Cluster),
    ("transactional_id", AclResourceType::TransactionalId),
    ("delegation_token", AclResourceType::DelegationToken),
    ("user", AclResourceType::User),
];

const PATTERN_TYPES: &[(&str, AclPatternType)] = &[
    ("any", AclPatternType::Any),
    ("match", AclPatternType::Match),
    ("literal", AclPatternType::Literal),
    ("prefixed", AclPatternType::Prefixed),
];

const OPERATIONS: &[(&str, AclOperation)] = &[
    ("any", AclOperation::Any),
    ("all", AclOperation::All),
    ("read", AclOperation::Read),
    ("write", AclOperation::Write),
    ("create", AclOperation::Create),
    ("delete", AclOperation::Delete),
    ("alter", AclOperation::Alter),
    ("describe", AclOperation::Describe),
    ("cluster_action", AclOperation::ClusterAction),
    ("describe_configs", AclOperation::DescribeConfigs),
    ("alter_configs", AclOperation::AlterConfigs),
    ("idempotent_write", AclOperation::IdempotentWrite),
    ("create_tokens", AclOperation::CreateTokens),
    ("describe_tokens", AclOperation::DescribeTokens),
];

const PERMISSION_TYPES: &[(&str, AclPermissionType)] = &[
    ("any", AclPermissionType::Any),
    ("allow", AclPermissionType::Allow),
    ("deny", AclPermissionType::Deny),
];

/// Lower case without `_`, so `DESCRIBE_CONFIGS` and `describeConfigs` meet.
fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '_')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn one_of<T: Copy>(
    fields: &Map<String, Value>,
    at: &str,
    key: &str,
    names: &[(&str, T)],
) -> Result<T, FilterError> {
    let given = required_string(fields, at, key)?;
    let folded = fold(given);
    names
        .iter()
        .find(|(name, _)| fold(name) == folded)
        .map(|(_, value)| *value)
        .ok_or_else(|| {
            let expected: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
            FilterError(format!(
                "{at}.{key}: '{given}' is not allowed (expected one of {})",
                expected.join(", ")
            ))
        })
}

fn sub_object<'a>(
    fields: &'a Map<String, Value>,
    at: &str,
    key: &str,
) -> Result<&'a Value, FilterError> {
    match fields.get(key) {
        None | Some(Value::Null) => Err(FilterError(format!("{at}.{key} is required"))),
        Some(v) => Ok(v),
    }
}

fn optional_string(
    fields: &Map<String, Value>,
    at: &str,
    key: &str,
) -> Result<Option<String>, FilterError> {
    match fields.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Err(FilterError(format!(
            "{at}.{key} must not be empty (leave it out or null to match any)"
        ))),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(FilterError(format!("{at}.{key} must be a string"))),
    }
}
