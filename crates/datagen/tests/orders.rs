//! The ORDERS quickstart over 1000 records: every field follows the
//! quickstart's ranges, regexes and iteration; values survive an Avro round
//! trip through the registered schema; a seed makes the stream repeatable.

use apache_avro::types::Value as Avro;
use ferry_datagen::{Generator, OutputFormat, Quickstart, Record, ValueEncoder};
use regex::Regex;

const RECORDS: usize = 1000;
const SEED: i64 = 20240607;

fn orders(seed: i64) -> Vec<Record> {
    let mut generator = Generator::new(Quickstart::Orders.schema(), Some(seed))
        .unwrap()
        .with_key_field(Quickstart::Orders.key_field())
        .unwrap();
    (0..RECORDS)
        .map(|_| generator.next_record().unwrap())
        .collect()
}

fn fields(value: &Avro) -> Vec<(&str, &Avro)> {
    match value {
        Avro::Record(fields) => fields.iter().map(|(n, v)| (n.as_str(), v)).collect(),
        other => panic!("not a record: {other:?}"),
    }
}

#[test]
fn every_field_follows_the_quickstart() {
    let item = Regex::new("^Item_[1-9][0-9]{0,2}$").unwrap();
    let city = Regex::new("^City_[1-9]{0,2}$").unwrap();
    let state = Regex::new("^State_[1-9]{0,2}$").unwrap();
    let mut items = std::collections::HashSet::new();
    let mut zipcodes = std::collections::HashSet::new();
    for (i, record) in orders(SEED).iter().enumerate() {
        assert_eq!(record.iteration, i as u64);
        let fields = fields(&record.value);
        let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            ["ordertime", "orderid", "itemid", "orderunits", "address"]
        );
        let [
            (_, ordertime),
            (_, orderid),
            (_, itemid),
            (_, orderunits),
            (_, address),
        ] = fields[..]
        else {
            unreachable!()
        };
        let Avro::Long(ordertime) = ordertime else {
            panic!("ordertime {ordertime:?}")
        };
        assert!(
            (1487715775521..1519273364600).contains(ordertime),
            "ordertime {ordertime}"
        );
        // iteration {"start": 0}: 0, 1, 2, ... and the key is its text.
        assert_eq!(orderid, &Avro::Int(i as i32));
        assert_eq!(record.key.as_deref(), Some(i.to_string().as_str()));
        let Avro::String(itemid) = itemid else {
            panic!("itemid {itemid:?}")
        };
        assert!(item.is_match(itemid), "itemid {itemid}");
        items.insert(itemid.clone());
        let Avro::Double(units) = orderunits else {
            panic!("orderunits {orderunits:?}")
        };
        assert!((0.1..10.0).contains(units), "orderunits {units}");
        let address = self::fields(address);
        let [
            (_, Avro::String(c)),
            (_, Avro::String(s)),
            (_, Avro::Long(zip)),
        ] = address[..]
        else {
            panic!("address {address:?}")
        };
        assert_eq!(
            address.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            ["city", "state", "zipcode"]
        );
        assert!(city.is_match(c), "city {c}");
        assert!(state.is_match(s), "state {s}");
        assert!((10000..99999).contains(zip), "zipcode {zip}");
        zipcodes.insert(*zip);
    }
    // Random, not constant: many distinct items and zip codes.
    assert!(items.len() > 300, "only {} distinct itemids", items.len());
    assert!(
        zipcodes.len() > 900,
        "only {} distinct zipcodes",
        zipcodes.len()
    );
}

#[test]
fn avro_round_trip_through_the_registered_schema() {
    let mut generator = Generator::new(Quickstart::Orders.schema(), Some(SEED)).unwrap();
    let encoder = ValueEncoder::new(OutputFormat::Avro, &generator).unwrap();
    let registered = encoder.schema_text().unwrap();
    assert!(!registered.contains("arg.properties"));
    let reader_schema = apache_avro::Schema::parse_str(registered).unwrap();
    let apache_avro::Schema::Record(record_schema) = &reader_schema else {
        panic!("not a record: {reader_schema:?}")
    };
    assert_eq!(record_schema.name.fullname(None), "ksql.orders");
    for _ in 0..RECORDS {
        let record = generator.next_record().unwrap();
        let bytes = encoder.encode(&record.value, 0x0000_0102).unwrap();
        assert_eq!(&bytes[..5], &[0, 0, 0, 1, 2], "magic byte and schema id");
        let decoded = apache_avro::reader::datum::GenericDatumReader::builder(&reader_schema)
            .build()
            .unwrap()
            .read_value(&mut &bytes[5..])
            .unwrap();
        assert_eq!(decoded, record.value);
    }
}

#[test]
fn a_seed_makes_the_stream_repeatable() {
    let first = orders(SEED);
    assert_eq!(first, orders(SEED));
    let other = orders(SEED + 1);
    assert_ne!(first, other);
    // Same iteration, different random fields.
    assert_eq!(fields(&first[5].value)[1], fields(&other[5].value)[1]);
}
