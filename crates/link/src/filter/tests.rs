//! Table-driven tests of the filter grammars and the matching rule.

use super::*;

fn filter(name: &str, pattern_type: PatternType, filter_type: FilterType) -> Filter {
    Filter {
        name: name.into(),
        pattern_type,
        filter_type,
    }
}

use FilterType::{Exclude, Include};
use PatternType::{Literal, Prefixed};

#[test]
fn reference_examples_parse() {
    let topics = parse_topic_filters(
        r#"{"topicFilters":[{"name":"orders","patternType":"PREFIXED","filterType":"INCLUDE"},
                 {"name":"orders.internal","patternType":"LITERAL","filterType":"EXCLUDE"}]}"#,
    )
    .unwrap();
    assert_eq!(
        topics.filters,
        vec![
            filter("orders", Prefixed, Include),
            filter("orders.internal", Literal, Exclude)
        ]
    );
    let groups = parse_group_filters(
        r#"{"groupFilters":[{"name":"*","patternType":"LITERAL","filterType":"INCLUDE"}]}"#,
    )
    .unwrap();
    assert_eq!(groups, Filters::all());
}

#[test]
fn valid_documents_table() {
    let cases: Vec<(&str, &str, Vec<Filter>)> = vec![
        ("empty string", "", vec![]),
        ("blank string", "  \n\t ", vec![]),
        ("empty list", r#"{"topicFilters":[]}"#, vec![]),
        (
            "filterType defaults to INCLUDE",
            r#"{"topicFilters":[{"name":"a","patternType":"LITERAL"}]}"#,
            vec![filter("a", Literal, Include)],
        ),
        (
            "filterType null is INCLUDE",
            r#"{"topicFilters":[{"name":"a","patternType":"LITERAL","filterType":null}]}"#,
            vec![filter("a", Literal, Include)],
        ),
        (
            "lower-case types",
            r#"{"topicFilters":[{"name":"a","patternType":"prefixed","filterType":"exclude"}]}"#,
            vec![filter("a", Prefixed, Exclude)],
        ),
        (
            "mixed-case types",
            r#"{"topicFilters":[{"name":"a","patternType":"Literal","filterType":"Include"}]}"#,
            vec![filter("a", Literal, Include)],
        ),
        (
            "order kept, blanks in names kept",
            r#"{"topicFilters":[{"name":" b","patternType":"LITERAL"},{"name":"a","patternType":"PREFIXED"}]}"#,
            vec![
                filter(" b", Literal, Include),
                filter("a", Prefixed, Include),
            ],
        ),
    ];
    for (what, json, want) in cases {
        let got = parse_topic_filters(json).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(got.filters, want, "{what}");
    }
}

#[test]
fn invalid_documents_table() {
    // (what, topic-filter JSON, text the message must contain)
    let cases: &[(&str, &str, &str)] = &[
        ("not JSON", "{", "invalid JSON"),
        ("not an object", "[]", "must be a JSON object"),
        ("list missing", "{}", "\"topicFilters\" is missing"),
        (
            "list null",
            r#"{"topicFilters":null}"#,
            "\"topicFilters\" must not be null",
        ),
        (
            "list not array",
            r#"{"topicFilters":{}}"#,
            "\"topicFilters\" must be an array",
        ),
        (
            "unknown top-level property",
            r#"{"topicFilters":[],"extra":1}"#,
            "unknown property \"extra\"",
        ),
        (
            "group key in a topic filter",
            r#"{"groupFilters":[]}"#,
            "unknown property \"groupFilters\"",
        ),
        (
            "unknown filter property",
            r#"{"topicFilters":[{"name":"a","patternType":"LITERAL","nmae":"b"}]}"#,
            "topicFilters[0]: unknown property \"nmae\"",
        ),
        (
            "filter not object",
            r#"{"topicFilters":["a"]}"#,
            "topicFilters[0] must be a JSON object",
        ),
        (
            "name missing",
            r#"{"topicFilters":[{"patternType":"LITERAL"}]}"#,
            "topicFilters[0].name is required",
        ),
        (
            "name null",
            r#"{"topicFilters":[{"name":null,"patternType":"LITERAL"}]}"#,
            "topicFilters[0].name is required",
        ),
        (
            "name empty",
            r#"{"topicFilters":[{"name":"","patternType":"LITERAL"}]}"#,
            "topicFilters[0].name must not be empty",
        ),
        (
            "name not string",
            r#"{"topicFilters":[{"name":7,"patternType":"LITERAL"}]}"#,
            "topicFilters[0].name must be a string",
        ),
        (
            "patternType missing",
            r#"{"topicFilters":[{"name":"a"}]}"#,
            "topicFilters[0].patternType is required",
        ),
        (
            "patternType null",
            r#"{"topicFilters":[{"name":"a","patternType":null}]}"#,
            "topicFilters[0].patternType is required",
        ),
        (
            "patternType empty",
            r#"{"topicFilters":[{"name":"a","patternType":""}]}"#,
            "topicFilters[0].patternType must not be empty",
        ),
        (
            "patternType UNKNOWN",
            r#"{"topicFilters":[{"name":"a","patternType":"UNKNOWN"}]}"#,
            "topicFilters[0].patternType: 'UNKNOWN' is not allowed",
        ),
        (
            "patternType ANY",
            r#"{"topicFilters":[{"name":"a","patternType":"ANY"}]}"#,
            "patternType: 'ANY' is not allowed",
        ),
        (
            "patternType MATCH",
            r#"{"topicFilters":[{"name":"a","patternType":"match"}]}"#,
            "patternType: 'match' is not allowed",
        ),
        (
            "patternType not string",
            r#"{"topicFilters":[{"name":"a","patternType":1}]}"#,
            "patternType must be a string",
        ),
        (
            "filterType unknown",
            r#"{"topicFilters":[{"name":"a","patternType":"LITERAL","filterType":"DENY"}]}"#,
            "topicFilters[0].filterType: 'DENY' is not allowed",
        ),
        (
            "second filter named in the error",
            r#"{"topicFilters":[{"name":"a","patternType":"LITERAL"},{"name":"b","patternType":"REGEX"}]}"#,
            "topicFilters[1].patternType",
        ),
    ];
    for (what, json, want) in cases {
        let err = parse_topic_filters(json).unwrap_err();
        assert!(err.0.contains(want), "{what}: got '{err}', want '{want}'");
    }
    let err = parse_group_filters(r#"{"groupFilters": null}"#).unwrap_err();
    assert!(err.0.contains("\"groupFilters\" must not be null"), "{err}");
    let err = parse_group_filters(r#"{"topicFilters":[]}"#).unwrap_err();
    assert!(err.0.contains("unknown property \"topicFilters\""), "{err}");
}

#[test]
fn matching_table() {
    let reference = vec![
        filter("orders", Prefixed, Include),
        filter("orders.internal", Literal, Exclude),
    ];
    let cases: Vec<(&str, Vec<Filter>, &str, bool)> = vec![
        ("prefix includes", reference.clone(), "orders", true),
        (
            "prefix includes longer",
            reference.clone(),
            "orders.eu",
            true,
        ),
        (
            "literal exclude wins",
            reference.clone(),
            "orders.internal",
            false,
        ),
        (
            "exclude is exact, not prefix",
            reference.clone(),
            "orders.internal2",
            true,
        ),
        (
            "unmatched is excluded",
            reference.clone(),
            "payments",
            false,
        ),
        ("no filters select nothing", vec![], "orders", false),
        (
            "* LITERAL matches all",
            vec![filter("*", Literal, Include)],
            "anything",
            true,
        ),
        (
            "* LITERAL matches empty",
            vec![filter("*", Literal, Include)],
            "",
            true,
        ),
        (
            "* PREFIXED is not a wildcard",
            vec![filter("*", Prefixed, Include)],
            "a",
            false,
        ),
        (
            "* PREFIXED matches a star name",
            vec![filter("*", Prefixed, Include)],
            "*x",
            true,
        ),
        (
            "exclude before include still wins",
            vec![
                filter("a", Prefixed, Exclude),
                filter("*", Literal, Include),
            ],
            "ab",
            false,
        ),
        (
            "include all but a prefix",
            vec![
                filter("*", Literal, Include),
                filter("_", Prefixed, Exclude),
            ],
            "_confluent",
            false,
        ),
        (
            "include all but a prefix (other name)",
            vec![
                filter("*", Literal, Include),
                filter("_", Prefixed, Exclude),
            ],
            "orders",
            true,
        ),
        (
            "literal is case-sensitive",
            vec![filter("Orders", Literal, Include)],
            "orders",
            false,
        ),
        (
            "only excludes select nothing",
            vec![filter("x", Literal, Exclude)],
            "y",
            false,
        ),
    ];
    for (what, filters, name, want) in cases {
        assert_eq!(Filters { filters }.matches(name), want, "{what}");
    }
}

#[test]
fn unmatched_filters_are_reported() {
    let filters = parse_topic_filters(
        r#"{"topicFilters":[{"name":"orders","patternType":"PREFIXED"},{"name":"ordres","patternType":"LITERAL"},{"name":"x","patternType":"LITERAL","filterType":"EXCLUDE"}]}"#,
    )
    .unwrap();
    let unmatched = filters.unmatched_filters(["orders.eu", "payments"]);
    let names: Vec<&str> = unmatched.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, vec!["ordres", "x"]);
    assert!(Filters::all().unmatched_filters(["a"]).is_empty());
}

#[test]
fn to_json_round_trips() {
    let filters = Filters {
        filters: vec![
            filter("a,b", Prefixed, Exclude),
            filter("*", Literal, Include),
        ],
    };
    let json = filters.to_json("groupFilters");
    assert_eq!(
        json,
        r#"{"groupFilters":[{"filterType":"EXCLUDE","name":"a,b","patternType":"PREFIXED"},{"filterType":"INCLUDE","name":"*","patternType":"LITERAL"}]}"#
    );
    assert_eq!(parse_group_filters(&json).unwrap(), filters);
}

const SYNC_ALL: &str = r#"{"aclFilters":[{"resourceFilter":{"resourceType":"any","patternType":"any"},"accessFilter":{"operation":"any","permissionType":"any"}}]}"#;

#[test]
fn acl_reference_examples_parse() {
    let one = parse_acl_filters(
        r#"{"aclFilters":[{"resourceFilter":{"resourceType":"any","name":"foo","patternType":"any"},
                "accessFilter":{"principal":"User:Alice","host":"*","operation":"any","permissionType":"any"}}]}"#,
    )
    .unwrap();
    assert_eq!(
        one.filters,
        vec![AclBindingFilter {
            resource_type: AclResourceType::Any,
            resource_name: Some("foo".into()),
            pattern_type: AclPatternType::Any,
            principal: Some("User:Alice".into()),
            host: Some("*".into()),
            operation: AclOperation::Any,
            permission_type: AclPermissionType::Any,
        }]
    );
    let all = parse_acl_filters(SYNC_ALL).unwrap();
    assert_eq!(all.filters.len(), 1);
    assert_eq!(all.filters[0].resource_name, None);
    assert_eq!(all.filters[0].principal, None);
    assert_eq!(all.filters[0].host, None);
    assert!(parse_acl_filters("").unwrap().is_empty());
    assert!(parse_acl_filters("  ").unwrap().is_empty());
}

#[test]
fn acl_enum_spellings_table() {
    let cases: &[(&str, &str, AclResourceType, AclOperation)] = &[
        (
            "camel operation",
            "topic",
            AclResourceType::Topic,
            AclOperation::DescribeConfigs,
        ),
        (
            "upper snake",
            "TRANSACTIONAL_ID",
            AclResourceType::TransactionalId,
            AclOperation::DescribeConfigs,
        ),
        (
            "camel resource",
            "delegationToken",
            AclResourceType::DelegationToken,
            AclOperation::DescribeConfigs,
        ),
    ];
    let operations = ["describeConfigs", "DESCRIBE_CONFIGS", "describe_configs"];
    for ((what, resource, want_resource, want_op), op) in cases.iter().zip(operations) {
        let json = format!(
            r#"{{"aclFilters":[{{"resourceFilter":{{"resourceType":"{resource}","patternType":"LITERAL","name":"t"}},"accessFilter":{{"operation":"{op}","permissionType":"ALLOW"}}}}]}}"#
        );
        let got = parse_acl_filters(&json).unwrap_or_else(|e| panic!("{what}: {e}"));
        let f = &got.filters[0];
        assert_eq!(f.resource_type, *want_resource, "{what}");
        assert_eq!(f.operation, *want_op, "{what}");
        assert_eq!(f.pattern_type, AclPatternType::Literal, "{what}");
        assert_eq!(f.permission_type, AclPermissionType::Allow, "{what}");
    }
}

#[test]
fn acl_invalid_documents_table() {
    let entry = |resource: &str, access: &str| {
        format!(r#"{{"aclFilters":[{{"resourceFilter":{resource},"accessFilter":{access}}}]}}"#)
    };
    let good_resource = r#"{"resourceType":"any","patternType":"any"}"#;
    let good_access = r#"{"operation":"any","permissionType":"any"}"#;
    let cases: Vec<(&str, String, &str)> = vec![
        ("not JSON", "nope".into(), "invalid JSON"),
        ("list missing", "{}".into(), "\"aclFilters\" is missing"),
        (
            "list null",
            r#"{"aclFilters":null}"#.into(),
            "must not be null",
        ),
        (
            "list empty",
            r#"{"aclFilters":[]}"#.into(),
            "\"aclFilters\" must not be empty",
        ),
        (
            "unknown top",
            r#"{"aclFilters":[],"x":1}"#.into(),
            "unknown property \"x\"",
        ),
        (
            "resourceFilter missing",
            format!(r#"{{"aclFilters":[{{"accessFilter":{good_access}}}]}}"#),
            "aclFilters[0].resourceFilter is required",
        ),
        (
            "accessFilter missing",
            format!(r#"{{"aclFilters":[{{"resourceFilter":{good_resource}}}]}}"#),
            "aclFilters[0].accessFilter is required",
        ),
        (
            "unknown entry property",
            format!(
                r#"{{"aclFilters":[{{"resourceFilter":{good_resource},"accessFilter":{good_access},"z":1}}]}}"#
            ),
            "aclFilters[0]: unknown property \"z\"",
        ),
        (
            "unknown resource property",
            entry(
                r#"{"resourceType":"any","patternType":"any","nme":"a"}"#,
                good_access,
            ),
            "aclFilters[0].resourceFilter: unknown property \"nme\"",
        ),
        (
            "resourceType missing",
            entry(r#"{"patternType":"any"}"#, good_access),
            "aclFilters[0].resourceFilter.resourceType is required",
        ),
        (
            "resourceType empty",
            entry(r#"{"resourceType":"","patternType":"any"}"#, good_access),
            "resourceFilter.resourceType must not be empty",
        ),
        (
            "resourceType unknown",
            entry(
                r#"{"resourceType":"UNKNOWN","patternType":"any"}"#,
                good_access,
            ),
            "resourceFilter.resourceType: 'UNKNOWN' is not allowed",
        ),
        (
            "patternType unknown",
            entry(
                r#"{"resourceType":"topic","patternType":"regex"}"#,
                good_access,
            ),
            "resourceFilter.patternType: 'regex' is not allowed",
        ),
        (
            "name empty",
            entry(
                r#"{"resourceType":"topic","patternType":"literal","name":""}"#,
                good_access,
            ),
            "resourceFilter.name must not be empty",
        ),
        (
            "operation missing",
            entry(good_resource, r#"{"permissionType":"any"}"#),
            "accessFilter.operation is required",
        ),
        (
            "operation unknown",
            entry(
                good_resource,
                r#"{"operation":"fly","permissionType":"any"}"#,
            ),
            "accessFilter.operation: 'fly' is not allowed",
        ),
        (
            "permissionType unknown",
            entry(
                good_resource,
                r#"{"operation":"read","permissionType":"maybe"}"#,
            ),
            "accessFilter.permissionType: 'maybe' is not allowed",
        ),
        (
            "principal without type",
            entry(
                good_resource,
                r#"{"principal":"alice","operation":"read","permissionType":"allow"}"#,
            ),
            "accessFilter.principal: 'alice' is not of the form Type:name",
        ),
        (
            "principal empty name",
            entry(
                good_resource,
                r#"{"principal":"User:","operation":"read","permissionType":"allow"}"#,
            ),
            "accessFilter.principal",
        ),
        (
            "host not string",
            entry(
                good_resource,
                r#"{"host":1,"operation":"read","permissionType":"allow"}"#,
            ),
            "accessFilter.host must be a string",
        ),
        (
            "unknown access property",
            entry(
                good_resource,
                r#"{"operation":"read","permissionType":"allow","user":"x"}"#,
            ),
            "accessFilter: unknown property \"user\"",
        ),
    ];
    for (what, json, want) in cases {
        let err = parse_acl_filters(&json).unwrap_err();
        assert!(err.0.contains(want), "{what}: got '{err}', want '{want}'");
    }
}
