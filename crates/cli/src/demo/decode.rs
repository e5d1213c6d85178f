//! Reading mirrored orders at the destination with the destination's own
//! registry: records in the Confluent wire format (magic 0, schema id,
//! Avro body), the id looked up at azure's registry, the body decoded with
//! that schema into JSON.

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::Context as _;
use ferry_client::records::decode_records;
use ferry_client::{Client, IsolationLevel};
use ferry_registry::client::RegistryClient;

use super::compare::{POLL, end_offsets};
use super::state::Side;
use super::steps::TOPIC;

/// Fields every ORDERS quickstart record has.
pub(crate) const ORDER_FIELDS: [&str; 5] =
    ["ordertime", "orderid", "itemid", "orderunits", "address"];

/// Checks one decoded order has the quickstart's fields.
pub(crate) fn check_order(order: &serde_json::Value) -> anyhow::Result<()> {
    for field in ORDER_FIELDS {
        anyhow::ensure!(
            order.get(field).is_some(),
            "decoded record has no {field}: {order}"
        );
    }
    Ok(())
}

/// The first `n` records of the mirror (partition by partition), raw.
async fn first_values(client: &Client, n: usize) -> anyhow::Result<Vec<bytes::Bytes>> {
    let ends = end_offsets(client, TOPIC).await?;
    let mut out = Vec::new();
    for (p, &end) in ends.iter().enumerate() {
        if end <= 0 {
            continue;
        }
        let p = i32::try_from(p)?;
        let fetched = client
            .fetch_raw(TOPIC, p, 0, 256 * 1024, IsolationLevel::ReadUncommitted)
            .await?;
        for r in decode_records(TOPIC, p, &fetched, 0, IsolationLevel::ReadUncommitted)? {
            if let Some(v) = r.value {
                out.push(v);
            }
            if out.len() >= n {
                return Ok(out);
            }
        }
    }
    Ok(out)
}

/// Decodes one wire-format value with `registry`, caching schemas by id.
async fn decode_one(
    registry: &RegistryClient,
    cache: &mut BTreeMap<i32, apache_avro::Schema>,
    value: &[u8],
) -> anyhow::Result<(i32, serde_json::Value)> {
    let (Some(&0), Some(id), Some(body)) = (value.first(), value.get(1..5), value.get(5..)) else {
        anyhow::bail!("a record is not in the Confluent wire format (magic byte 0, schema id)");
    };
    let id = i32::from_be_bytes(id.try_into()?);
    let schema = match cache.entry(id) {
        std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
        std::collections::btree_map::Entry::Vacant(slot) => {
            let fetched = registry
                .schema_by_id(id, None)
                .await
                .with_context(|| format!("schema id {id} at azure's registry"))?;
            anyhow::ensure!(
                fetched.schema_type.eq_ignore_ascii_case("AVRO"),
                "schema id {id} is {}, not AVRO",
                fetched.schema_type
            );
            let schema = apache_avro::Schema::parse_str(&fetched.schema)
                .with_context(|| format!("parsing schema id {id}"))?;
            slot.insert(schema)
        }
    };
    let mut reader = body;
    let datum = apache_avro::reader::datum::GenericDatumReader::builder(schema)
        .build()
        .and_then(|r| r.read_value(&mut reader))
        .with_context(|| format!("decoding a record with schema id {id}"))?;
    let json = serde_json::Value::try_from(datum).context("Avro value to JSON")?;
    Ok((id, json))
}

/// Decodes `n` mirrored orders at azure with azure's registry, retrying
/// until the exporter has brought the schema over or `deadline` passes.
/// Returns the schema id and the orders.
pub(crate) async fn decode_orders(
    client: &Client,
    side: &Side,
    n: usize,
    deadline: Instant,
) -> anyhow::Result<(i32, Vec<serde_json::Value>)> {
    let registry = RegistryClient::new(&side.registry_url(), Some(&side.user_info()), None)?;
    loop {
        let attempt = async {
            let values = first_values(client, n).await?;
            anyhow::ensure!(values.len() >= n, "only {} records on azure", values.len());
            let mut cache = BTreeMap::new();
            let mut orders = Vec::new();
            let mut id = 0;
            for v in &values {
                let (i, order) = decode_one(&registry, &mut cache, v).await?;
                check_order(&order)?;
                id = i;
                orders.push(order);
            }
            Ok((id, orders))
        }
        .await;
        match attempt {
            Ok(done) => return Ok(done),
            Err(e) if super::past(deadline) => return Err(e),
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}
