//! Consumer groups: the member side of Kafka's classic group protocol.

pub mod assignor;
mod consumer;
pub mod protocol;

pub use consumer::{GroupConsumer, GroupConsumerConfig, OffsetReset, PolledRecord};
