//! Imports every Confluent registry knows without a reference: Confluent's
//! own `confluent/meta.proto` and `confluent/type/decimal.proto`, and the
//! common `google/type/*` files. confluent-kafka's serializers never
//! register these as references (they treat `confluent/`, `google/type/`
//! and `google/protobuf/` as built in), so a schema importing them must
//! compile without one. `google/protobuf/*` comes from `protox`.

use protox::file::{File, FileResolver};

/// `(file name, source)` of each built-in file.
const FILES: &[(&str, &str)] = &[
    (
        "confluent/meta.proto",
        r#"syntax = "proto3";
package confluent;
import "google/protobuf/descriptor.proto";
option go_package = "../confluent";
message Meta {
  string doc = 1;
  map<string, string> params = 2;
  repeated string tags = 3;
}
extend google.protobuf.FileOptions { Meta file_meta = 1088; }
extend google.protobuf.MessageOptions { Meta message_meta = 1088; }
extend google.protobuf.FieldOptions { Meta field_meta = 1088; }
extend google.protobuf.EnumOptions { Meta enum_meta = 1088; }
extend google.protobuf.EnumValueOptions { Meta enum_value_meta = 1088; }
"#,
    ),
    (
        "confluent/type/decimal.proto",
        r#"syntax = "proto3";
package confluent.type;
message Decimal {
  bytes value = 1;
  uint32 precision = 2;
  int32 scale = 3;
}
"#,
    ),
    (
        "google/type/date.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage Date { int32 year = 1; int32 month = 2; int32 day = 3; }\n",
    ),
    (
        "google/type/timeofday.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage TimeOfDay { int32 hours = 1; int32 minutes = 2; int32 seconds = 3; int32 nanos = 4; }\n",
    ),
    (
        "google/type/money.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage Money { string currency_code = 1; int64 units = 2; int32 nanos = 3; }\n",
    ),
    (
        "google/type/latlng.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage LatLng { double latitude = 1; double longitude = 2; }\n",
    ),
    (
        "google/type/decimal.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage Decimal { string value = 1; }\n",
    ),
    (
        "google/type/fraction.proto",
        "syntax = \"proto3\";\npackage google.type;\nmessage Fraction { int64 numerator = 1; int64 denominator = 2; }\n",
    ),
    (
        "google/type/interval.proto",
        "syntax = \"proto3\";\npackage google.type;\nimport \"google/protobuf/timestamp.proto\";\nmessage Interval { google.protobuf.Timestamp start_time = 1; google.protobuf.Timestamp end_time = 2; }\n",
    ),
    (
        "google/type/dayofweek.proto",
        "syntax = \"proto3\";\npackage google.type;\nenum DayOfWeek { DAY_OF_WEEK_UNSPECIFIED = 0; MONDAY = 1; TUESDAY = 2; WEDNESDAY = 3; THURSDAY = 4; FRIDAY = 5; SATURDAY = 6; SUNDAY = 7; }\n",
    ),
    (
        "google/type/month.proto",
        "syntax = \"proto3\";\npackage google.type;\nenum Month { MONTH_UNSPECIFIED = 0; JANUARY = 1; FEBRUARY = 2; MARCH = 3; APRIL = 4; MAY = 5; JUNE = 6; JULY = 7; AUGUST = 8; SEPTEMBER = 9; OCTOBER = 10; NOVEMBER = 11; DECEMBER = 12; }\n",
    ),
];

/// Serves [`FILES`] to `protox`.
#[derive(Debug, Default)]
pub(crate) struct Builtins;

impl FileResolver for Builtins {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match FILES.iter().find(|(n, _)| *n == name) {
            Some((name, source)) => File::from_source(name, source),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}
