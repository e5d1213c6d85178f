//! The states of a classic consumer group, as Kafka's group coordinator names them.
//!
//! The names are part of the protocol: DescribeGroups and ListGroups (v4+) send them
//! as strings, and ListGroups' `states_filter` matches against them.

use std::fmt;

/// Where a classic group is in its rebalance cycle.
///
/// ```text
/// Empty ──join──▶ PreparingRebalance ──all joined / timeout──▶ CompletingRebalance
///   ▲                 ▲      │                                    │ leader's SyncGroup
///   │                 │      └──no members left──▶ Empty           ▼
///   └──last member────┴──────── join / leave / expiry ◀──────── Stable
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupState {
    /// No members. The group may still hold committed offsets.
    Empty,
    /// A rebalance started: members must (re)send JoinGroup, whose responses are
    /// held until everyone known has rejoined or the rebalance timeout passes.
    PreparingRebalance,
    /// Join responses went out; the group waits for the leader's SyncGroup with
    /// the assignment.
    CompletingRebalance,
    /// The leader's assignment was distributed; members heartbeat.
    Stable,
    /// The group is being removed. ferry removes deleted groups at once, so this
    /// state is only reported for groups that do not exist (as Kafka does).
    Dead,
}

impl GroupState {
    /// Kafka's name for the state, as sent in DescribeGroups and ListGroups.
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
        }
    }

    /// Parses a state name case-insensitively, as Kafka does for ListGroups'
    /// `states_filter`. Unknown names give `None`.
    pub fn parse(name: &str) -> Option<GroupState> {
        [
            GroupState::Empty,
            GroupState::PreparingRebalance,
            GroupState::CompletingRebalance,
            GroupState::Stable,
            GroupState::Dead,
        ]
        .into_iter()
        .find(|state| state.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for GroupState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_case_insensitively() {
        for state in [
            GroupState::Empty,
            GroupState::PreparingRebalance,
            GroupState::CompletingRebalance,
            GroupState::Stable,
            GroupState::Dead,
        ] {
            assert_eq!(GroupState::parse(state.name()), Some(state));
            assert_eq!(GroupState::parse(&state.name().to_lowercase()), Some(state));
        }
        assert_eq!(GroupState::parse("Rebalancing"), None);
    }
}
