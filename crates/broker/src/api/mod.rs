//! The Kafka APIs, one file each, and the table that routes requests to them.
//!
//! Each API file exposes `async fn handle(ctx: &RequestContext, req: XRequest)
//! -> XResponse`, building a response that is encodable at `ctx.api_version`.
//! Adding an API is one `mod` line and one line in the `apis!` table below; the
//! table is also what ApiVersions advertises, so the two never disagree.

mod add_offsets_to_txn;
mod add_partitions_to_txn;
mod alter_configs;
mod api_versions;
mod create_partitions;
mod create_topics;
mod delete_groups;
mod delete_records;
mod delete_topics;
mod describe_cluster;
mod describe_configs;
mod describe_groups;
mod end_txn;
mod fetch;
mod find_coordinator;
mod heartbeat;
mod incremental_alter_configs;
mod init_producer_id;
mod join_group;
mod leave_group;
mod list_groups;
mod list_offsets;
mod metadata;
mod offset_commit;
mod offset_delete;
mod offset_fetch;
mod produce;
mod sync_group;
mod txn_offset_commit;

use std::sync::Arc;

use bytes::BytesMut;
use ferry_protocol::RequestFrame;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Encodable, Message, Request};

use crate::state::Broker;

/// What a handler knows about the request it serves.
#[derive(Debug, Clone)]
pub(crate) struct RequestContext {
    /// The broker.
    pub(crate) broker: Arc<Broker>,
    /// The request's API version; the response must be encodable at it.
    pub(crate) api_version: i16,
    /// The client's self-declared id.
    pub(crate) client_id: Option<String>,
    /// The client's address, for group member ids and logs.
    pub(crate) client_host: String,
    /// The authenticated principal (SASL user or API key), if any.
    pub(crate) principal: Option<String>,
    /// The listener the connection arrived on (FindCoordinator and Metadata
    /// answer with that listener's advertised endpoint).
    pub(crate) listener: String,
}

/// What the connection should do after a request.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Send this frame (size prefix included).
    Respond(BytesMut),
    /// Send nothing (Produce with acks=0).
    Silent,
    /// Close the connection, as Kafka does for requests it cannot parse.
    Close(String),
}

/// The version range ferry serves for a request type: what kafka-protocol can
/// decode for the request and encode for its response. (The crate's
/// `ApiKey::valid_versions` is wider for some APIs, e.g. OffsetCommit v10,
/// than the request types it can actually decode.)
fn served<R: Request>() -> (i16, i16) {
    let req = <R as Message>::VERSIONS;
    let resp = <R::Response as Message>::VERSIONS;
    (req.min.max(resp.min), req.max.min(resp.max))
}

macro_rules! apis {
    ($($key:ident => $handler:path, $req:ty;)*) => {
        /// Every API ferry serves, with the version range it advertises.
        fn supported_list() -> Vec<(ApiKey, i16, i16)> {
            let mut v = vec![
                // Produce is advertised from v0 though only v3+ is decodable:
                // librdkafka disables compression when a broker's minimum
                // Produce version is above 2 (librdkafka#4956). Kafka 4 does the
                // same and refuses v0–2 requests.
                (ApiKey::Produce, 0, served::<ProduceRequest>().1),
                // SASL is handled by the connection itself (it changes the
                // connection's state). Handshake v0 (unframed tokens after it)
                // was removed in Kafka 4 and is not served, but librdkafka 2.0
                // refuses a broker whose advertised range lacks v0, so the
                // range starts at 0 as Kafka 4 advertises it.
                (ApiKey::SaslHandshake, 0, 1),
                (ApiKey::SaslAuthenticate, served::<SaslAuthenticateRequest>().0, served::<SaslAuthenticateRequest>().1),
            ];
            $(v.push({ let (min, max) = served::<$req>(); (ApiKey::$key, min, max) });)*
            v
        }

        /// Decodes, handles and encodes one request.
        pub(crate) async fn dispatch(ctx: &RequestContext, frame: &RequestFrame) -> Outcome {
            tracing::trace!(
                api = ?frame.api_key,
                version = ctx.api_version,
                client_id = ctx.client_id.as_deref().unwrap_or(""),
                principal = ctx.principal.as_deref().unwrap_or(""),
                "request"
            );
            match frame.api_key {
                // acks=0 gets no response at all. Produce v0–2 cannot be
                // decoded, so they close the connection.
                ApiKey::Produce => match frame.decode_body() {
                    Ok(req) => match produce::handle(ctx, req).await {
                        Some(resp) => encode(ctx, frame, &resp),
                        None => Outcome::Silent,
                    },
                    Err(e) => Outcome::Close(e.to_string()),
                },
                $(ApiKey::$key => match frame.decode_body::<$req>() {
                    Ok(req) => encode(ctx, frame, &$handler(ctx, req).await),
                    Err(e) => Outcome::Close(e.to_string()),
                },)*
                other => Outcome::Close(format!("{other:?} is not served by ferry")),
            }
        }
    };
}

apis! {
    ApiVersions => api_versions::handle, ApiVersionsRequest;
    Metadata => metadata::handle, MetadataRequest;
    CreateTopics => create_topics::handle, CreateTopicsRequest;
    DeleteTopics => delete_topics::handle, DeleteTopicsRequest;
    CreatePartitions => create_partitions::handle, CreatePartitionsRequest;
    DescribeConfigs => describe_configs::handle, DescribeConfigsRequest;
    AlterConfigs => alter_configs::handle, AlterConfigsRequest;
    IncrementalAlterConfigs => incremental_alter_configs::handle, IncrementalAlterConfigsRequest;
    DescribeCluster => describe_cluster::handle, DescribeClusterRequest;
    Fetch => fetch::handle, FetchRequest;
    ListOffsets => list_offsets::handle, ListOffsetsRequest;
    DeleteRecords => delete_records::handle, DeleteRecordsRequest;
    InitProducerId => init_producer_id::handle, InitProducerIdRequest;
    AddPartitionsToTxn => add_partitions_to_txn::handle, AddPartitionsToTxnRequest;
    AddOffsetsToTxn => add_offsets_to_txn::handle, AddOffsetsToTxnRequest;
    EndTxn => end_txn::handle, EndTxnRequest;
    TxnOffsetCommit => txn_offset_commit::handle, TxnOffsetCommitRequest;
    FindCoordinator => find_coordinator::handle, FindCoordinatorRequest;
    JoinGroup => join_group::handle, JoinGroupRequest;
    SyncGroup => sync_group::handle, SyncGroupRequest;
    Heartbeat => heartbeat::handle, HeartbeatRequest;
    LeaveGroup => leave_group::handle, LeaveGroupRequest;
    OffsetCommit => offset_commit::handle, OffsetCommitRequest;
    OffsetFetch => offset_fetch::handle, OffsetFetchRequest;
    OffsetDelete => offset_delete::handle, OffsetDeleteRequest;
    ListGroups => list_groups::handle, ListGroupsRequest;
    DescribeGroups => describe_groups::handle, DescribeGroupsRequest;
    DeleteGroups => delete_groups::handle, DeleteGroupsRequest;
}

/// Every API ferry serves, with the version range it advertises; computed once.
pub(crate) fn supported() -> &'static [(ApiKey, i16, i16)] {
    static LIST: std::sync::LazyLock<Vec<(ApiKey, i16, i16)>> =
        std::sync::LazyLock::new(supported_list);
    &LIST
}

/// The ApiVersions list (used for the pre-decode UNSUPPORTED_VERSION answer).
pub(crate) fn api_versions_list() -> Vec<kafka_protocol::messages::api_versions_response::ApiVersion>
{
    api_versions::api_list()
}

/// The advertised range of an API, if ferry serves it.
pub(crate) fn version_range(api: ApiKey) -> Option<(i16, i16)> {
    supported()
        .iter()
        .find(|(k, _, _)| *k == api)
        .map(|&(_, min, max)| (min, max))
}

/// Encodes a response at the request's version.
pub(crate) fn encode<T: Encodable>(
    ctx: &RequestContext,
    frame: &RequestFrame,
    body: &T,
) -> Outcome {
    let header_version = frame.api_key.response_header_version(ctx.api_version);
    match ferry_protocol::encode_response(
        frame.correlation_id,
        header_version,
        ctx.api_version,
        body,
    ) {
        Ok(bytes) => Outcome::Respond(bytes),
        Err(e) => {
            // A bug in a handler (a field set that the version lacks), never
            // the client's fault: log loudly and drop the connection rather
            // than send a wrong answer.
            tracing::error!(api = ?frame.api_key, version = ctx.api_version, "cannot encode response: {e}");
            Outcome::Close(format!(
                "internal error encoding {:?} response",
                frame.api_key
            ))
        }
    }
}
