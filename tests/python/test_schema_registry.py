"""confluent-kafka-python's SchemaRegistryClient, Avro, JSON Schema and Protobuf serializers/deserializers against
ferry's schema registry, unchanged: register, re-register (same id), evolve (compatible accepted,
incompatible 409), malformed 422/42201, fetch by id, latest version, soft delete, and Avro records
produced and consumed through a ferry broker in Confluent's wire format (magic 0, 4-byte id).

The registry listens on `schema.registry.listeners`; `ferry server` prints
`ferry server: schema registry listener on HOST:PORT` for each bound address.
"""

from __future__ import annotations

import re
import struct

import httpx
import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

import ferry_testlib as ft

REGISTRY_RE = re.compile(r"^ferry server: schema registry listener on (\S+):(\d+)\s*$")
REGISTRY = {"schema.registry.listeners": "http://127.0.0.1:0"}

USER_V1 = """{"type":"record","name":"User","namespace":"ferry.test","fields":[
  {"name":"name","type":"string"},{"name":"favorite_number","type":"int"}]}"""
# Adds a field with a default: BACKWARD compatible.
USER_V2 = """{"type":"record","name":"User","namespace":"ferry.test","fields":[
  {"name":"name","type":"string"},{"name":"favorite_number","type":"int"},
  {"name":"color","type":"string","default":"blue"}]}"""
# Adds a field without a default: not BACKWARD compatible.
USER_BAD = """{"type":"record","name":"User","namespace":"ferry.test","fields":[
  {"name":"name","type":"string"},{"name":"favorite_number","type":"int"},
  {"name":"email","type":"string"}]}"""


def registry_url(srv: ft.FerryServer) -> str:
    for line in srv.stdout_lines:
        m = REGISTRY_RE.match(line)
        if m:
            return f"http://{m.group(1)}:{m.group(2)}"
    raise AssertionError(
        "ferry server printed no 'ferry server: schema registry listener on HOST:PORT' line: "
        f"{srv.stdout_lines}"
    )


def test_register_evolve_and_errors(ferry_server):
    srv = ferry_server(REGISTRY)
    client = SchemaRegistryClient({"url": registry_url(srv)})
    subject = ft.unique("users") + "-value"

    schema_id = client.register_schema(subject, Schema(USER_V1, "AVRO"))
    assert schema_id >= 1
    # Re-registering the same schema (other whitespace) returns the same id.
    assert client.register_schema(subject, Schema(USER_V1.replace("\n", " "), "AVRO")) == schema_id
    # A fresh client (no cache) agrees.
    fresh = SchemaRegistryClient({"url": registry_url(srv)})
    assert fresh.register_schema(subject, Schema(USER_V1, "AVRO")) == schema_id
    assert fresh.get_schema(schema_id).schema_str.startswith('{"type":"record"')

    v2_id = fresh.register_schema(subject, Schema(USER_V2, "AVRO"))
    assert v2_id != schema_id
    latest = fresh.get_latest_version(subject)
    assert (latest.schema_id, latest.version, latest.subject) == (v2_id, 2, subject)
    assert fresh.get_versions(subject) == [1, 2]
    assert fresh.lookup_schema(subject, Schema(USER_V1, "AVRO")).version == 1

    with pytest.raises(SchemaRegistryError) as incompatible:
        fresh.register_schema(subject, Schema(USER_BAD, "AVRO"))
    assert incompatible.value.http_status_code == 409
    assert not fresh.test_compatibility(subject, Schema(USER_BAD, "AVRO"))
    assert fresh.test_compatibility(subject, Schema(USER_V2, "AVRO"))

    with pytest.raises(SchemaRegistryError) as malformed:
        fresh.register_schema(subject, Schema('{"type":"record","name":"Broken"}', "AVRO"))
    assert malformed.value.http_status_code == 422
    assert malformed.value.error_code == 42201

    with pytest.raises(SchemaRegistryError) as missing:
        fresh.get_schema(999_999)
    assert (missing.value.http_status_code, missing.value.error_code) == (404, 40403)

    assert fresh.set_compatibility(subject, "NONE")["compatibility"] == "NONE"
    assert fresh.get_compatibility(subject) == "NONE"
    assert fresh.register_schema(subject, Schema(USER_BAD, "AVRO")) not in (schema_id, v2_id)

    # Soft delete: the subject disappears from the list, its ids still resolve.
    assert fresh.delete_subject(subject) == [1, 2, 3]
    assert subject not in fresh.get_subjects()
    assert fresh.get_schema(schema_id).schema_str
    with pytest.raises(SchemaRegistryError) as gone:
        # A new client: the old one caches the latest version.
        SchemaRegistryClient({"url": registry_url(srv)}).get_latest_version(subject)
    assert gone.value.error_code == 40401
    assert fresh.delete_subject(subject, permanent=True) == [1, 2, 3]

    # Content type and error body on the wire.
    r = httpx.get(f"{registry_url(srv)}/subjects/{subject}/versions")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/vnd.schemaregistry.v1+json"
    assert r.json()["error_code"] == 40401


def test_avro_serde_through_ferry(ferry_server):
    srv = ferry_server(REGISTRY)
    client = SchemaRegistryClient({"url": registry_url(srv)})
    topic = ft.unique("avro")
    ft.create_topic(ft.admin(srv.bootstrap), topic, 1)

    serializer = AvroSerializer(client, USER_V1)
    records = [{"name": f"user-{i}", "favorite_number": i} for i in range(5)]
    producer = Producer(ft.client_conf(srv.bootstrap))
    ctx = SerializationContext(topic, MessageField.VALUE)
    for r in records:
        producer.produce(topic, value=serializer(r, ctx))
    assert producer.flush(30) == 0

    registered = client.get_latest_version(f"{topic}-value")
    consumer = Consumer(
        ft.client_conf(
            srv.bootstrap,
            {"group.id": ft.unique("g"), "auto.offset.reset": "earliest", "enable.auto.commit": False},
        )
    )
    consumer.subscribe([topic])
    # A deserializer with its own client: it fetches the writer schema by id from the registry.
    deserializer = AvroDeserializer(SchemaRegistryClient({"url": registry_url(srv)}))
    got = []
    try:
        deadline_polls = 120
        while len(got) < len(records) and deadline_polls > 0:
            deadline_polls -= 1
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            raw = msg.value()
            magic, schema_id = struct.unpack(">bI", raw[:5])
            assert (magic, schema_id) == (0, registered.schema_id)
            got.append(deserializer(raw, SerializationContext(topic, MessageField.VALUE)))
    finally:
        consumer.close()
    assert got == records


def test_schemas_survive_a_restart(ferry_server, tmp_path):
    data_dir = tmp_path / "sr-restart"
    srv = ferry_server(REGISTRY, data_dir=data_dir)
    client = SchemaRegistryClient({"url": registry_url(srv)})
    subject = ft.unique("keep") + "-value"
    first = client.register_schema(subject, Schema(USER_V1, "AVRO"))
    second = client.register_schema(subject, Schema(USER_V2, "AVRO"))
    assert srv.stop() == 0

    srv = ferry_server(REGISTRY, data_dir=data_dir)
    client = SchemaRegistryClient({"url": registry_url(srv)})
    assert client.get_versions(subject) == [1, 2]
    assert client.get_latest_version(subject).schema_id == second
    assert client.register_schema(subject, Schema(USER_V1, "AVRO")) == first
    other = client.register_schema(ft.unique("next") + "-value", Schema('"string"', "AVRO"))
    assert other > second


def test_basic_auth_when_the_broker_authenticates(ferry_server):
    srv = ferry_server(
        {
            **REGISTRY,
            "listeners": "SASL_PLAINTEXT://127.0.0.1:0",
            "sasl.enabled.mechanisms": "PLAIN",
            "listener.name.sasl_plaintext.plain.sasl.jaas.config": ft.JAAS,
        }
    )
    url = registry_url(srv)
    r = httpx.get(f"{url}/subjects")
    assert r.status_code == 401
    with pytest.raises(SchemaRegistryError) as denied:
        SchemaRegistryClient({"url": url}).get_subjects()
    assert denied.value.http_status_code == 401
    client = SchemaRegistryClient(
        {"url": url, "basic.auth.user.info": f"{ft.STATIC_USER}:{ft.STATIC_SECRET}"}
    )
    assert client.register_schema(ft.unique("auth") + "-value", Schema(USER_V1, "AVRO")) >= 1


ORDER_JSON = """{"$schema":"http://json-schema.org/draft-07/schema#","title":"Order","type":"object",
  "properties":{"id":{"type":"integer"},"item":{"type":"string"}},"required":["id","item"]}"""


def test_json_schema_serde_through_ferry(ferry_server):
    from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer

    srv = ferry_server(REGISTRY)
    url = registry_url(srv)
    topic = ft.unique("json")
    ft.create_topic(ft.admin(srv.bootstrap), topic, 1)
    ctx = SerializationContext(topic, MessageField.VALUE)
    serializer = JSONSerializer(ORDER_JSON, SchemaRegistryClient({"url": url}))
    orders = [{"id": i, "item": f"item-{i}"} for i in range(3)]
    payloads = [serializer(o, ctx) for o in orders]
    registered = SchemaRegistryClient({"url": url}).get_latest_version(f"{topic}-value")
    assert registered.schema.schema_type == "JSON"
    # Same schema again: same id.
    assert (
        SchemaRegistryClient({"url": url}).register_schema(f"{topic}-value", Schema(ORDER_JSON, "JSON"))
        == registered.schema_id
    )
    with pytest.raises(SchemaRegistryError) as malformed:
        SchemaRegistryClient({"url": url}).register_schema(f"{topic}-value", Schema("{not json", "JSON"))
    assert (malformed.value.http_status_code, malformed.value.error_code) == (422, 42201)

    producer = Producer(ft.client_conf(srv.bootstrap))
    for p in payloads:
        producer.produce(topic, value=p)
    assert producer.flush(30) == 0
    consumer = Consumer(
        ft.client_conf(
            srv.bootstrap,
            {"group.id": ft.unique("g"), "auto.offset.reset": "earliest", "enable.auto.commit": False},
        )
    )
    consumer.subscribe([topic])
    deserializer = JSONDeserializer(None, schema_registry_client=SchemaRegistryClient({"url": url}))
    got = []
    try:
        polls = 120
        while len(got) < len(orders) and polls > 0:
            polls -= 1
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            assert struct.unpack(">bI", msg.value()[:5]) == (0, registered.schema_id)
            got.append(deserializer(msg.value(), ctx))
    finally:
        consumer.close()
    assert got == orders


def _order_message_class():
    """A protobuf message class built at run time (no protoc): ferrytest.Order {id, item}."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    fdp = descriptor_pb2.FileDescriptorProto(name="ferry_test_order.proto", package="ferrytest", syntax="proto3")
    msg = fdp.message_type.add(name="Order")
    F = descriptor_pb2.FieldDescriptorProto
    msg.field.add(name="id", number=1, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
    msg.field.add(name="item", number=2, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(fdp.SerializeToString())
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("ferrytest.Order"))


def test_protobuf_serde_through_ferry(ferry_server):
    from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer

    Order = _order_message_class()
    srv = ferry_server(REGISTRY)
    url = registry_url(srv)
    topic = ft.unique("proto")
    ft.create_topic(ft.admin(srv.bootstrap), topic, 1)
    ctx = SerializationContext(topic, MessageField.VALUE)
    serializer = ProtobufSerializer(Order, SchemaRegistryClient({"url": url}), {"use.deprecated.format": False})
    orders = [Order(id=i, item=f"item-{i}") for i in range(3)]
    payloads = [serializer(o, ctx) for o in orders]
    registered = SchemaRegistryClient({"url": url}).get_latest_version(f"{topic}-value")
    assert registered.schema.schema_type == "PROTOBUF"
    # The same descriptor again: the same id.
    again = ProtobufSerializer(Order, SchemaRegistryClient({"url": url}), {"use.deprecated.format": False})
    assert again(orders[0], ctx)[:5] == payloads[0][:5]

    producer = Producer(ft.client_conf(srv.bootstrap))
    for p in payloads:
        producer.produce(topic, value=p)
    assert producer.flush(30) == 0
    consumer = Consumer(
        ft.client_conf(
            srv.bootstrap,
            {"group.id": ft.unique("g"), "auto.offset.reset": "earliest", "enable.auto.commit": False},
        )
    )
    consumer.subscribe([topic])
    deserializer = ProtobufDeserializer(
        Order, {"use.deprecated.format": False}, schema_registry_client=SchemaRegistryClient({"url": url})
    )
    got = []
    try:
        polls = 120
        while len(got) < len(orders) and polls > 0:
            polls -= 1
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            # Magic byte, schema id, then the message-index array ([0] → one 0x00 byte).
            assert struct.unpack(">bI", msg.value()[:5]) == (0, registered.schema_id)
            assert msg.value()[5] == 0
            got.append(deserializer(msg.value(), ctx))
    finally:
        consumer.close()
    assert got == orders


# Widens id from integer to number: BACKWARD compatible (Confluent's TYPE_EXTENDED).
ORDER_JSON_V2 = """{"$schema":"http://json-schema.org/draft-07/schema#","title":"Order","type":"object",
  "properties":{"id":{"type":"number"},"item":{"type":"string"}},"required":["id","item"]}"""
# Changes item from string to integer: incompatible (TYPE_CHANGED).
ORDER_JSON_BAD = """{"$schema":"http://json-schema.org/draft-07/schema#","title":"Order","type":"object",
  "properties":{"id":{"type":"number"},"item":{"type":"integer"}},"required":["id","item"]}"""
# Adds a typed property to an open content model: incompatible under BACKWARD in Confluent's rules
# (old data may hold anything under that name), compatible under FORWARD.
ORDER_JSON_ADDED = """{"$schema":"http://json-schema.org/draft-07/schema#","title":"Order","type":"object",
  "properties":{"id":{"type":"number"},"item":{"type":"string"},"note":{"type":"string"}},"required":["id","item"]}"""


def test_json_schema_evolution(ferry_server):
    srv = ferry_server(REGISTRY)
    client = SchemaRegistryClient({"url": registry_url(srv)})
    subject = ft.unique("json-evolve") + "-value"
    v1 = client.register_schema(subject, Schema(ORDER_JSON, "JSON"))
    assert client.test_compatibility(subject, Schema(ORDER_JSON_V2, "JSON"))
    v2 = client.register_schema(subject, Schema(ORDER_JSON_V2, "JSON"))
    assert v2 != v1
    assert client.get_latest_version(subject).version == 2
    for bad in (ORDER_JSON_BAD, ORDER_JSON_ADDED):
        assert not client.test_compatibility(subject, Schema(bad, "JSON"))
        with pytest.raises(SchemaRegistryError) as incompatible:
            client.register_schema(subject, Schema(bad, "JSON"))
        assert incompatible.value.http_status_code == 409
    client.set_compatibility(subject, "FORWARD")
    assert client.register_schema(subject, Schema(ORDER_JSON_ADDED, "JSON")) not in (v1, v2)


ORDER_PROTO = """syntax = "proto3";
package ferrytest;

message Order {
  int64 id = 1;
  string item = 2;
}
"""
# Adds a field and widens nothing incompatibly: compatible at every level.
ORDER_PROTO_V2 = """syntax = "proto3";
package ferrytest;

message Order {
  int64 id = 1;
  string item = 2;
  int32 quantity = 3;
}
"""
# Field 2 from string to int32: FIELD_SCALAR_KIND_CHANGED, incompatible.
ORDER_PROTO_BAD = """syntax = "proto3";
package ferrytest;

message Order {
  int64 id = 1;
  int32 item = 2;
  int32 quantity = 3;
}
"""


def test_protobuf_evolution(ferry_server):
    from confluent_kafka.schema_registry.protobuf import ProtobufSerializer

    srv = ferry_server(REGISTRY)
    url = registry_url(srv)
    client = SchemaRegistryClient({"url": url})
    topic = ft.unique("proto-evolve")
    subject = f"{topic}-value"
    v1 = client.register_schema(subject, Schema(ORDER_PROTO, "PROTOBUF"))
    # The serializer registers the same schema as a base64 FileDescriptorProto: the same schema, the same id.
    Order = _order_message_class()
    serializer = ProtobufSerializer(Order, SchemaRegistryClient({"url": url}), {"use.deprecated.format": False})
    payload = serializer(Order(id=1, item="x"), SerializationContext(topic, MessageField.VALUE))
    assert struct.unpack(">bI", payload[:5]) == (0, v1)
    assert client.get_latest_version(subject).version == 1

    client.set_compatibility(subject, "FULL_TRANSITIVE")
    assert client.test_compatibility(subject, Schema(ORDER_PROTO_V2, "PROTOBUF"))
    v2 = client.register_schema(subject, Schema(ORDER_PROTO_V2, "PROTOBUF"))
    assert v2 != v1
    assert not client.test_compatibility(subject, Schema(ORDER_PROTO_BAD, "PROTOBUF"))
    with pytest.raises(SchemaRegistryError) as incompatible:
        client.register_schema(subject, Schema(ORDER_PROTO_BAD, "PROTOBUF"))
    assert incompatible.value.http_status_code == 409
    with pytest.raises(SchemaRegistryError) as malformed:
        client.register_schema(subject, Schema("syntax = \"proto3\"; message M { Nope a = 1; }", "PROTOBUF"))
    assert (malformed.value.http_status_code, malformed.value.error_code) == (422, 42201)
