"""`ferry kafka topic consume|produce` with schema formats, against confluent-kafka-python's
serializers: records written by AvroSerializer / JSONSerializer print as the JSON that went in,
and records written by `ferry kafka topic produce --value-format avro` decode with
AvroDeserializer.
"""

from __future__ import annotations

import json
import re
import subprocess

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

import ferry_testlib as ft

REGISTRY_RE = re.compile(r"^ferry server: schema registry listener on (\S+):(\d+)\s*$")
REGISTRY = {"schema.registry.listeners": "http://127.0.0.1:0"}

ORDER = """{"type":"record","name":"Order","namespace":"ferry.test","fields":[
  {"name":"ordertime","type":"long"},
  {"name":"orderid","type":"int"},
  {"name":"itemid","type":"string"},
  {"name":"orderunits","type":"double"},
  {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","SHIPPED"]}},
  {"name":"note","type":["null","string"],"default":null},
  {"name":"address","type":{"type":"record","name":"Address","fields":[
    {"name":"city","type":"string"},{"name":"state","type":"string"},{"name":"zipcode","type":"long"}]}}]}"""


def registry_url(srv: ft.FerryServer) -> str:
    for line in srv.stdout_lines:
        m = REGISTRY_RE.match(line)
        if m:
            return f"http://{m.group(1)}:{m.group(2)}"
    raise AssertionError(f"no schema registry listener line: {srv.stdout_lines}")


def orders(n: int) -> list[dict]:
    return [
        {
            "ordertime": 1500000000000 + i,
            "orderid": i,
            "itemid": f"Item_{i}",
            "orderunits": i + 0.5,
            "status": "SHIPPED" if i % 2 else "NEW",
            "note": None if i % 3 else f"note {i}",
            "address": {"city": f"City_{i}", "state": f"State_{i}", "zipcode": 10000 + i},
        }
        for i in range(n)
    ]


def consume_json(srv: ft.FerryServer, topic: str, count: int, fmt: str) -> list[dict]:
    proc = ft.run_ferry(
        [
            "kafka", "topic", "consume", topic, "--from-beginning",
            "--bootstrap", srv.bootstrap,
            "--value-format", fmt,
            "--schema-registry-endpoint", registry_url(srv),
            "--max-messages", str(count), "--timeout-ms", "10000",
        ],
        timeout=120,
    )
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_avro_serializer_records_print_as_their_json(ferry_server):
    srv = ferry_server(REGISTRY)
    topic = ft.unique("py-avro")
    ft.create_topic(ft.admin(srv.bootstrap), topic, 1)
    serializer = AvroSerializer(SchemaRegistryClient({"url": registry_url(srv)}), ORDER)
    ctx = SerializationContext(topic, MessageField.VALUE)
    records = orders(20)
    ft.produce_all(
        Producer(ft.client_conf(srv.bootstrap)),
        topic,
        [(None, serializer(r, ctx)) for r in records],
    )
    assert consume_json(srv, topic, len(records), "avro") == records


def test_json_serializer_records_print_as_their_json(ferry_server):
    from confluent_kafka.schema_registry.json_schema import JSONSerializer

    srv = ferry_server(REGISTRY)
    topic = ft.unique("py-json")
    ft.create_topic(ft.admin(srv.bootstrap), topic, 1)
    schema = json.dumps(
        {
            "type": "object",
            "properties": {"id": {"type": "integer"}, "item": {"type": "string"}},
            "required": ["id", "item"],
        }
    )
    serializer = JSONSerializer(schema, SchemaRegistryClient({"url": registry_url(srv)}))
    ctx = SerializationContext(topic, MessageField.VALUE)
    records = [{"id": i, "item": f"thing {i}"} for i in range(5)]
    ft.produce_all(
        Producer(ft.client_conf(srv.bootstrap)),
        topic,
        [(None, serializer(r, ctx)) for r in records],
    )
    assert consume_json(srv, topic, len(records), "jsonschema") == records


def test_ferry_produced_avro_decodes_with_avro_deserializer(ferry_server, tmp_path):
    srv = ferry_server(REGISTRY)
    topic = ft.unique("cli-avro")
    ft.create_topic(ft.admin(srv.bootstrap), topic, 1)
    schema_file = tmp_path / "order.avsc"
    schema_file.write_text(ORDER)
    records = orders(10)
    proc = subprocess.run(
        [
            ft.ferry_bin(), "kafka", "topic", "produce", topic,
            "--bootstrap", srv.bootstrap,
            "--value-format", "avro", "--schema", str(schema_file),
            "--schema-registry-endpoint", registry_url(srv),
        ],
        input="".join(json.dumps(r) + "\n" for r in records),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr

    deserializer = AvroDeserializer(SchemaRegistryClient({"url": registry_url(srv)}))
    consumer = Consumer(
        ft.client_conf(
            srv.bootstrap,
            {"group.id": ft.unique("g"), "auto.offset.reset": "earliest", "enable.auto.commit": False},
        )
    )
    consumer.subscribe([topic])
    got = []
    try:
        for _ in range(240):
            if len(got) == len(records):
                break
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            got.append(deserializer(msg.value(), SerializationContext(topic, MessageField.VALUE)))
    finally:
        consumer.close()
    assert got == records


def _trade_message_class():
    """A protobuf message class built at run time (no protoc): ferrytest.Trade {symbol, quantity, id}."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    fdp = descriptor_pb2.FileDescriptorProto(name="ferry_cli_trade.proto", package="ferrytest", syntax="proto3")
    msg = fdp.message_type.add(name="Trade")
    F = descriptor_pb2.FieldDescriptorProto
    msg.field.add(name="symbol", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    msg.field.add(name="quantity", number=2, type=F.TYPE_INT32, label=F.LABEL_OPTIONAL)
    msg.field.add(name="trade_id", number=3, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL, json_name="tradeId")
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(fdp.SerializeToString())
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("ferrytest.Trade"))


def test_protobuf_serializer_records_print_as_canonical_json(ferry_server):
    from confluent_kafka.schema_registry.protobuf import ProtobufSerializer

    Trade = _trade_message_class()
    srv = ferry_server(REGISTRY)
    topic = ft.unique("py-proto")
    ft.create_topic(ft.admin(srv.bootstrap), topic, 1)
    serializer = ProtobufSerializer(
        Trade, SchemaRegistryClient({"url": registry_url(srv)}), {"use.deprecated.format": False}
    )
    ctx = SerializationContext(topic, MessageField.VALUE)
    trades = [Trade(symbol=f"S{i}", quantity=i + 1, trade_id=1000 + i) for i in range(4)]
    ft.produce_all(
        Producer(ft.client_conf(srv.bootstrap)),
        topic,
        [(None, serializer(t, ctx)) for t in trades],
    )
    # Protobuf's canonical JSON: lowerCamelCase names, 64-bit integers as strings.
    expected = [{"symbol": f"S{i}", "quantity": i + 1, "tradeId": str(1000 + i)} for i in range(4)]
    assert consume_json(srv, topic, len(trades), "protobuf") == expected
