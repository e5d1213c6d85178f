"""Schema linking between two `ferry server` processes, as in the seed: Avro records produced
at the source with confluent-kafka's AvroSerializer, an exporter created with
`--subjects ":*:"` and a config like the seed's config.txt (destination URL, USER_INFO basic
auth with a destination API key), then those same record bytes decoded at the destination by
an AvroDeserializer pointed at the destination registry with default settings: the
destination's unqualified /schemas/ids/{id} finds the schema exported into the AUTO context.
"""

from __future__ import annotations

import struct
import time

import httpx
import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

import ferry_testlib as ft
from test_schema_registry import REGISTRY, USER_V1, USER_V2, registry_url

ORDER = """{"type":"record","name":"Order","namespace":"shop","fields":[
  {"name":"id","type":"long"},{"name":"item","type":"string"}]}"""


def config_txt(url: str, key: str, secret: str) -> dict[str, str]:
    """What the seed's config.txt holds, as the exporter API takes it."""
    text = f"""schema.registry.url={url}
basic.auth.credentials.source=USER_INFO
basic.auth.user.info={key}:{secret}
"""
    return dict(line.split("=", 1) for line in text.splitlines() if line)


def consume(bootstrap: str, topic: str, count: int) -> list[bytes]:
    consumer = Consumer(
        ft.client_conf(bootstrap, {"group.id": ft.unique("g"), "auto.offset.reset": "earliest"})
    )
    consumer.subscribe([topic])
    got: list[bytes] = []
    try:
        polls = 120
        while len(got) < count and polls > 0:
            polls -= 1
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            got.append(msg.value())
    finally:
        consumer.close()
    assert len(got) == count, f"consumed {len(got)} of {count} records from {topic}"
    return got


# The deserializer asks for `/schemas/ids/{id}?subject=<topic>-value`. As Confluent's registry,
# ferry's looks for the id in the default context and then in each context in sorted order
# (`.lsrc-…`), so the destination needs no special configuration.
def test_exported_schemas_decode_mirrored_bytes_at_the_destination(ferry_server, tmp_path):
    src = ferry_server(REGISTRY)
    src_url = registry_url(src)
    # The destination requires authentication: its registry takes the broker's API keys.
    dst_dir = tmp_path / "dst-data"
    dst_dir.mkdir()
    key, secret = ft.api_key_create(dst_dir)
    dst = ferry_server(
        {
            **REGISTRY,
            "listeners": "SASL_PLAINTEXT://127.0.0.1:0",
            "sasl.enabled.mechanisms": "PLAIN",
            "listener.name.sasl_plaintext.plain.sasl.jaas.config": ft.JAAS,
        },
        data_dir=dst_dir,
    )
    dst_url = registry_url(dst)
    assert httpx.get(f"{dst_url}/subjects").status_code == 401

    # Records at the source, in Confluent's wire format.
    topic = ft.unique("orders")
    ft.create_topic(ft.admin(src.bootstrap), topic, 1)
    source_client = SchemaRegistryClient({"url": src_url})
    ctx = SerializationContext(topic, MessageField.VALUE)
    records = [{"name": f"user-{i}", "favorite_number": i} for i in range(3)]
    later = [{"name": "late", "favorite_number": 99, "color": "red"}]
    producer = Producer(ft.client_conf(src.bootstrap))
    serializer = AvroSerializer(source_client, USER_V1)
    for r in records:
        producer.produce(topic, value=serializer(r, ctx))
    assert producer.flush(30) == 0
    # A schema in a named context, exported too (into the AUTO context's sub-context).
    shop_id = source_client.register_schema(":.shop:orders-value", Schema(ORDER, "AVRO"))

    exporter = {
        "name": "cross-cloud-exporter",
        "subjects": [":*:"],
        "config": config_txt(dst_url, key, secret),
    }
    r = httpx.post(f"{src_url}/exporters", json=exporter)
    assert r.status_code == 200, r.text
    assert r.json() == {"name": "cross-cloud-exporter"}
    described = httpx.get(f"{src_url}/exporters/cross-cloud-exporter").json()
    assert described["config"]["basic.auth.user.info"] == "[hidden]"
    assert described["contextType"] == "AUTO"

    # A schema registered after the exporter exists reaches the destination as well.
    v2 = AvroSerializer(
        SchemaRegistryClient({"url": src_url}), USER_V2, conf={"auto.register.schemas": True}
    )
    for r in later:
        producer.produce(topic, value=v2(r, ctx))
    assert producer.flush(30) == 0
    registered_at = time.monotonic()

    dest_client = SchemaRegistryClient({"url": dst_url, "basic.auth.user.info": f"{key}:{secret}"})
    auto = ft.wait_until(
        lambda: next(
            (s.split(":")[1] for s in dest_client.get_subjects() if s.endswith(f":{topic}-value")),
            None,
        ),
        30,
        "the exported subject at the destination",
    )
    assert auto.startswith(".lsrc-"), auto
    dest_subject = f":{auto}:{topic}-value"
    ft.wait_until(
        lambda: dest_client.get_versions(dest_subject) == [1, 2],
        30,
        lambda: f"versions 1, 2 of {dest_subject} (status {httpx.get(f'{src_url}/exporters/cross-cloud-exporter/status').text})",
    )
    print(f"the late schema reached the destination {time.monotonic() - registered_at:.3f}s after its record")

    # Same ids and versions on both sides.
    source_subject = f"{topic}-value"
    for version in (1, 2):
        s = source_client.get_version(source_subject, version)
        d = dest_client.get_version(dest_subject, version)
        assert (d.schema_id, d.version) == (s.schema_id, s.version)
        assert d.schema.schema_str == s.schema.schema_str
    shop = dest_client.get_version(f":{auto}.shop:orders-value", 1)
    assert shop.schema_id == shop_id
    mode = httpx.get(f"{dst_url}/mode/:{auto}:", auth=(key, secret)).json()
    assert mode == {"mode": "IMPORT"}

    status = httpx.get(f"{src_url}/exporters/cross-cloud-exporter/status").json()
    assert status["state"] == "RUNNING", status
    assert status["trace"] == ""

    # The record bytes, decoded at the destination through its own registry, defaults only.
    raw = consume(src.bootstrap, topic, len(records) + len(later))
    deserializer = AvroDeserializer(
        SchemaRegistryClient({"url": dst_url, "basic.auth.user.info": f"{key}:{secret}"})
    )
    decoded = []
    for value in raw:
        magic, schema_id = struct.unpack(">bI", value[:5])
        assert magic == 0
        decoded.append(deserializer(value, ctx))
    assert decoded == records + later

