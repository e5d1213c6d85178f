//! The range assignor (Kafka's `RangeAssignor`, protocol name "range").
//!
//! For each topic, the subscribed members sorted by member id get consecutive
//! ranges of partitions; the first `partitions % members` members get one
//! extra. It is what Kafka's consumers default to first, so a ferry consumer can
//! share a group with them.

use std::collections::BTreeMap;

/// The protocol name members advertise in JoinGroup.
pub const RANGE: &str = "range";

/// Assigns partitions.
///
/// `subscriptions` maps member id → subscribed topics; `partition_counts`
/// maps topic → partition count (topics missing from it are skipped). Returns
/// member id → (topic → partitions); every member appears, possibly empty.
pub fn assign_range(
    subscriptions: &BTreeMap<String, Vec<String>>,
    partition_counts: &BTreeMap<String, i32>,
) -> BTreeMap<String, BTreeMap<String, Vec<i32>>> {
    let mut out: BTreeMap<String, BTreeMap<String, Vec<i32>>> = subscriptions
        .keys()
        .map(|m| (m.clone(), BTreeMap::new()))
        .collect();
    let mut members_by_topic: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (member, topics) in subscriptions {
        for t in topics {
            let members = members_by_topic.entry(t.as_str()).or_default();
            if !members.contains(&member.as_str()) {
                members.push(member.as_str());
            }
        }
    }
    for (topic, mut members) in members_by_topic {
        let Some(&count) = partition_counts.get(topic) else {
            continue;
        };
        if count <= 0 || members.is_empty() {
            continue;
        }
        members.sort_unstable();
        let n = members.len() as i32;
        let per = count / n;
        let extra = count % n;
        for (i, member) in members.into_iter().enumerate() {
            let i = i as i32;
            let start = per * i + i.min(extra);
            let len = per + i32::from(i < extra);
            if len == 0 {
                continue;
            }
            if let Some(a) = out.get_mut(member) {
                a.insert(topic.to_owned(), (start..start + len).collect());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subs(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(m, ts)| {
                (
                    (*m).to_owned(),
                    ts.iter().map(|t| (*t).to_owned()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn uneven_split_gives_extras_to_first_members() {
        let counts = BTreeMap::from([("t".to_owned(), 7)]);
        let a = assign_range(
            &subs(&[("c", &["t"]), ("a", &["t"]), ("b", &["t"])]),
            &counts,
        );
        assert_eq!(a["a"]["t"], vec![0, 1, 2]);
        assert_eq!(a["b"]["t"], vec![3, 4]);
        assert_eq!(a["c"]["t"], vec![5, 6]);
    }

    #[test]
    fn more_members_than_partitions_and_mixed_subscriptions() {
        let counts = BTreeMap::from([("t".to_owned(), 2), ("u".to_owned(), 3)]);
        let a = assign_range(
            &subs(&[
                ("m1", &["t", "u"]),
                ("m2", &["t"]),
                ("m3", &["t", "missing"]),
            ]),
            &counts,
        );
        assert_eq!(a["m1"]["t"], vec![0]);
        assert_eq!(a["m2"]["t"], vec![1]);
        assert!(!a["m3"].contains_key("t"));
        assert_eq!(a["m1"]["u"], vec![0, 1, 2]);
        assert!(a["m3"].is_empty());
        // Every partition is assigned exactly once.
        let mut all: Vec<(String, i32)> = a
            .values()
            .flat_map(|m| {
                m.iter()
                    .flat_map(|(t, ps)| ps.iter().map(|p| (t.clone(), *p)))
            })
            .collect();
        all.sort();
        assert_eq!(all.len(), 5);
        all.dedup();
        assert_eq!(all.len(), 5);
    }
}
