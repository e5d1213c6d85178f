//! Reads the subscribed topics out of consumer-protocol member metadata.
//!
//! For protocol type `consumer`, a member's JoinGroup metadata is Kafka's
//! `ConsumerProtocolSubscription`: `version: int16`, `topics: [string]`, then
//! fields ferry does not need. OffsetDelete must refuse to delete offsets of
//! topics the group still subscribes to. The bytes come from clients, so every
//! length is checked; malformed metadata yields the topics read so far.

/// The topics in a `ConsumerProtocolSubscription` (any version; the topics
/// array is non-flexible in every version clients send today).
pub(super) fn subscribed_topics(metadata: &[u8]) -> Vec<String> {
    let mut reader = Reader(metadata);
    let mut topics = Vec::new();
    let Some(_version) = reader.i16() else {
        return topics;
    };
    let Some(count) = reader.i32() else {
        return topics;
    };
    for _ in 0..count.max(0) {
        let Some(length) = reader.i16() else {
            break;
        };
        let Some(bytes) = usize::try_from(length).ok().and_then(|n| reader.take(n)) else {
            break;
        };
        match std::str::from_utf8(bytes) {
            Ok(topic) => topics.push(topic.to_owned()),
            Err(_) => break,
        }
    }
    topics
}

/// A bounds-checked big-endian cursor.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }

    fn i16(&mut self) -> Option<i16> {
        let bytes = self.take(2)?;
        Some(i16::from_be_bytes([*bytes.first()?, *bytes.get(1)?]))
    }

    fn i32(&mut self) -> Option<i32> {
        let bytes: [u8; 4] = self.take(4)?.try_into().ok()?;
        Some(i32::from_be_bytes(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscription(topics: &[&str]) -> Vec<u8> {
        let mut out = vec![0, 1];
        out.extend_from_slice(&(topics.len() as i32).to_be_bytes());
        for topic in topics {
            out.extend_from_slice(&(topic.len() as i16).to_be_bytes());
            out.extend_from_slice(topic.as_bytes());
        }
        out.extend_from_slice(&(-1i32).to_be_bytes()); // null user data
        out
    }

    #[test]
    fn reads_topics() {
        assert_eq!(
            subscribed_topics(&subscription(&["orders", "payments"])),
            vec!["orders".to_owned(), "payments".to_owned()]
        );
    }

    #[test]
    fn tolerates_garbage() {
        assert!(subscribed_topics(&[]).is_empty());
        assert!(subscribed_topics(&[0, 1, 0x7f, 0xff, 0xff, 0xff]).is_empty());
        let mut truncated = subscription(&["orders"]);
        truncated.truncate(9);
        assert!(subscribed_topics(&truncated).is_empty());
        assert!(subscribed_topics(&[0, 0, 0, 0, 0, 1, 0xff, 0xff]).is_empty());
    }
}
