//! Consumer groups: the member side of Kafka's classic group protocol.

pub mod assignor;
pub mod protocol;
