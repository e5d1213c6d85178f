//! Kafka's ConsumerProtocol: the bytes inside JoinGroup metadata and SyncGroup
//! assignments for groups of protocol type "consumer".
//!
//! Each is a big-endian `i16` version followed by the
//! `ConsumerProtocolSubscription` / `ConsumerProtocolAssignment` struct at that
//! version. Writing it in this exact format is what lets Kafka's own tools
//! (`kafka-consumer-groups --describe`) show ferry's members and assignments.
//! Readers decode newer versions with the highest version they know, as the
//! format only ever appends fields.

use std::collections::BTreeMap;

use bytes::{Buf, Bytes, BytesMut};
use kafka_protocol::messages::consumer_protocol_assignment::TopicPartition as AssignedTopic;
use kafka_protocol::messages::{ConsumerProtocolAssignment, ConsumerProtocolSubscription};
use kafka_protocol::protocol::{Decodable, Encodable, Message, StrBytes};

use crate::client::topic_name;
use crate::error::{Error, Result};

/// The version ferry writes. v0 is understood by every Kafka version.
const WRITE_VERSION: i16 = 0;

/// Encodes a member's subscription.
///
/// # Errors
/// [`Error::Protocol`] if encoding fails.
pub fn encode_subscription(topics: &[String]) -> Result<Bytes> {
    let s = ConsumerProtocolSubscription::default().with_topics(
        topics
            .iter()
            .map(|t| StrBytes::from_string(t.clone()))
            .collect(),
    );
    encode(&s)
}

/// Decodes a member's subscribed topics.
///
/// # Errors
/// [`Error::Protocol`] for bytes that are not a ConsumerProtocol subscription.
pub fn decode_subscription(bytes: &[u8]) -> Result<Vec<String>> {
    let s: ConsumerProtocolSubscription = decode(bytes, "subscription")?;
    Ok(s.topics.iter().map(|t| t.as_str().to_owned()).collect())
}

/// Encodes an assignment: topic → partitions.
///
/// # Errors
/// [`Error::Protocol`] if encoding fails.
pub fn encode_assignment(assignment: &BTreeMap<String, Vec<i32>>) -> Result<Bytes> {
    let a = ConsumerProtocolAssignment::default().with_assigned_partitions(
        assignment
            .iter()
            .map(|(t, ps)| {
                AssignedTopic::default()
                    .with_topic(topic_name(t))
                    .with_partitions(ps.clone())
            })
            .collect(),
    );
    encode(&a)
}

/// Decodes an assignment. Empty bytes (a member given nothing, as brokers send
/// during some rebalances) decode to an empty assignment.
///
/// # Errors
/// [`Error::Protocol`] for bytes that are not a ConsumerProtocol assignment.
pub fn decode_assignment(bytes: &[u8]) -> Result<BTreeMap<String, Vec<i32>>> {
    if bytes.is_empty() {
        return Ok(BTreeMap::new());
    }
    let a: ConsumerProtocolAssignment = decode(bytes, "assignment")?;
    let mut out: BTreeMap<String, Vec<i32>> = BTreeMap::new();
    for t in a.assigned_partitions {
        out.entry(t.topic.0.as_str().to_owned())
            .or_default()
            .extend(t.partitions);
    }
    Ok(out)
}

fn encode<T: Encodable>(value: &T) -> Result<Bytes> {
    let mut buf = BytesMut::new();
    buf.extend_from_slice(&WRITE_VERSION.to_be_bytes());
    value
        .encode(&mut buf, WRITE_VERSION)
        .map_err(|e| Error::Protocol(format!("encode consumer protocol: {e}")))?;
    Ok(buf.freeze())
}

fn decode<T: Decodable + Message>(bytes: &[u8], what: &str) -> Result<T> {
    if bytes.len() < 2 {
        return Err(Error::Protocol(format!(
            "consumer protocol {what} too short"
        )));
    }
    let mut buf = Bytes::copy_from_slice(bytes);
    let version = buf.get_i16();
    if version < 0 {
        return Err(Error::Protocol(format!(
            "consumer protocol {what} has negative version {version}"
        )));
    }
    let at = version.min(T::VERSIONS.max);
    T::decode(&mut buf, at)
        .map_err(|e| Error::Protocol(format!("decode consumer protocol {what} v{version}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscription_round_trip_and_wire_format() {
        let bytes = encode_subscription(&["orders".into(), "t2".into()]).unwrap();
        // version 0, array of 2, "orders" (len 6), "t2", null user data.
        let mut expected = vec![0, 0, 0, 0, 0, 2, 0, 6];
        expected.extend_from_slice(b"orders");
        expected.extend_from_slice(&[0, 2]);
        expected.extend_from_slice(b"t2");
        expected.extend_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        assert_eq!(&bytes[..], &expected[..]);
        assert_eq!(decode_subscription(&bytes).unwrap(), vec!["orders", "t2"]);
    }

    #[test]
    fn java_v1_subscription_decodes() {
        // v1 as the Java client writes it: topics, user data, owned partitions.
        let mut b = vec![0, 1, 0, 0, 0, 1, 0, 1, b'a', 0xff, 0xff, 0xff, 0xff];
        b.extend_from_slice(&[0, 0, 0, 1, 0, 1, b'a', 0, 0, 0, 1, 0, 0, 0, 3]);
        assert_eq!(decode_subscription(&b).unwrap(), vec!["a"]);
        // A future version with extra trailing fields still yields the topics.
        let mut future = b.clone();
        future[1] = 9;
        future.extend_from_slice(&[0, 0, 0, 7, 0xff, 0xff]);
        assert_eq!(decode_subscription(&future).unwrap(), vec!["a"]);
    }

    #[test]
    fn assignment_round_trip_and_garbage() {
        let mut a = BTreeMap::new();
        a.insert("t".to_owned(), vec![0, 2]);
        a.insert("u".to_owned(), vec![1]);
        let bytes = encode_assignment(&a).unwrap();
        assert_eq!(decode_assignment(&bytes).unwrap(), a);
        assert!(decode_assignment(&[]).unwrap().is_empty());
        assert!(decode_assignment(&[0]).is_err());
        assert!(decode_assignment(&[0, 0, 0x7f, 0xff, 0xff, 0xff]).is_err());
        assert!(decode_subscription(&[0xff, 0xff, 0, 0]).is_err());
    }
}
