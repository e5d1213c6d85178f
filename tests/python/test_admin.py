"""confluent-kafka's AdminClient against ferry: create topics with config overrides, describe
every effective config (defaults included, with their sources), describe the broker, delete."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import ConfigResource, ConfigSource, NewTopic, ResourceType

import ferry_testlib as ft

# Topic configs every Kafka broker reports for a topic (DescribeConfigs returns all of them,
# not only overrides).
CORE_TOPIC_CONFIGS = {
    "cleanup.policy",
    "compression.type",
    "retention.ms",
    "retention.bytes",
    "segment.bytes",
    "max.message.bytes",
    "message.timestamp.type",
    "min.insync.replicas",
}


def _source(entry) -> ConfigSource:
    """ConfigEntry.source as the enum (the C layer hands over the raw int)."""
    return entry.source if isinstance(entry.source, ConfigSource) else ConfigSource(entry.source)


def _describe(a, resource: ConfigResource) -> dict:
    futs = a.describe_configs([resource], request_timeout=15)
    return futs[resource].result(timeout=30)


def test_create_describe_configs_delete_topic(ferry_server):
    srv = ferry_server({"num.partitions": "5"})
    a = ft.admin(srv.bootstrap)
    topic = ft.unique("admin")

    ft.create_topic(a, topic, 3, config={"retention.ms": "123456789", "max.message.bytes": "2000000"})
    md = a.list_topics(timeout=10)
    assert topic in md.topics, f"{topic} missing from list_topics: {sorted(md.topics)}"
    assert sorted(md.topics[topic].partitions) == [0, 1, 2]

    configs = _describe(a, ConfigResource(ResourceType.TOPIC, topic))
    missing = CORE_TOPIC_CONFIGS - set(configs)
    assert not missing, f"describe_configs(topic) lacks {sorted(missing)}; got {sorted(configs)}"

    cleanup = configs["cleanup.policy"]
    assert cleanup.value == "delete", cleanup
    assert cleanup.is_default, f"cleanup.policy should be a default: {cleanup}"
    assert _source(cleanup) == ConfigSource.DEFAULT_CONFIG, f"cleanup.policy: {_source(cleanup)}, want DEFAULT_CONFIG"

    for name, value in (("retention.ms", "123456789"), ("max.message.bytes", "2000000")):
        entry = configs[name]
        assert entry.value == value, f"{name}: {entry}"
        assert not entry.is_default, f"{name} override reported as default: {entry}"
        assert _source(entry) == ConfigSource.DYNAMIC_TOPIC_CONFIG, (
            f"{name} source {_source(entry)}, want DYNAMIC_TOPIC_CONFIG"
        )

    # The broker resource: its id comes from metadata; num.partitions was set by --override.
    brokers = md.brokers
    assert len(brokers) == 1, f"metadata brokers: {brokers}"
    broker_id = next(iter(brokers))
    bconfigs = _describe(a, ConfigResource(ResourceType.BROKER, str(broker_id)))
    for name in ("num.partitions", "auto.create.topics.enable", "log.retention.ms", "message.max.bytes"):
        assert name in bconfigs, f"describe_configs(broker {broker_id}) lacks {name}; got {sorted(bconfigs)}"
    np = bconfigs["num.partitions"]
    assert np.value == "5", f"num.partitions: {np}"
    assert _source(np) == ConfigSource.STATIC_BROKER_CONFIG, (
        f"num.partitions source {_source(np)}, want STATIC_BROKER_CONFIG"
    )

    # Creating it again fails with TOPIC_ALREADY_EXISTS.
    futs = a.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)], request_timeout=15)
    with pytest.raises(KafkaException) as exc:
        futs[topic].result(timeout=30)
    assert exc.value.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS, exc.value

    # Delete: it disappears from metadata.
    a.delete_topics([topic], request_timeout=15)[topic].result(timeout=30)
    ft.wait_until(
        lambda: topic not in a.list_topics(timeout=10).topics,
        30,
        f"{topic} to disappear from list_topics after delete_topics",
    )
