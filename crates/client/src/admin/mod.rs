//! Admin operations: topics, configs, partitions, consumer groups, offsets.
//!
//! Topic admin goes to the controller (any broker forwards it in KRaft
//! clusters), group operations to the group's coordinator, offset listings to
//! each partition's leader.

mod configs;
mod groups;
mod offsets;
mod topics;

pub use configs::{ConfigEntry, ConfigSource};
pub use groups::{GroupDescription, GroupListing, GroupMember, PartitionLag};
pub use offsets::{ListedOffset, OffsetSpec};
pub use topics::NewTopic;
