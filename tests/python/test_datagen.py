"""Managed datagen (`connector.class=DatagenSource`, quickstart ORDERS, AVRO) inside `ferry server`,
created with `ferry connect cluster create --config-file`, read back with confluent-kafka-python:
every record decodes with AvroDeserializer through ferry's registry, and over 1200 records every
field follows the ORDERS quickstart's `arg.properties` (ranges, regexes, iteration), keys are the
order ids, and the wire format carries the registered id.

The second test is the walkthrough's data path: orders generated at the source, mirrored by a
cluster link and their schema exported with `:*:`, decode at the destination with an
AvroDeserializer pointed at the destination's own registry with default settings.
"""

from __future__ import annotations

import json
import re
import struct

import httpx
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

import ferry_testlib as ft

REST_RE = re.compile(r"^ferry server: rest listener on (\S+)\s*$")
REGISTRY_RE = re.compile(r"^ferry server: schema registry listener on (\S+):(\d+)\s*$")
RECORDS = 1200
PARTITIONS = 3

ITEM_RE = re.compile(r"^Item_[1-9][0-9]{0,2}$")
CITY_RE = re.compile(r"^City_[1-9]{0,2}$")
STATE_RE = re.compile(r"^State_[1-9]{0,2}$")


def printed(srv: ft.FerryServer, pattern: re.Pattern, what: str) -> str:
    for line in srv.stdout_lines:
        m = pattern.match(line)
        if m:
            return "http://" + ":".join(m.groups())
    raise AssertionError(f"ferry server printed no {what} line: {srv.stdout_lines}")


def test_orders_follow_the_quickstart(ferry_server, tmp_path):
    srv = ferry_server(
        {
            "rest.listeners": "http://127.0.0.1:0",
            "schema.registry.listeners": "http://127.0.0.1:0",
            "num.partitions": str(PARTITIONS),
        }
    )
    rest = printed(srv, REST_RE, "rest listener")
    registry = printed(srv, REGISTRY_RE, "schema registry listener")
    topic = ft.unique("sample_order_data")
    config = tmp_path / "datagen.json"
    config.write_text(
        json.dumps(
            {
                "name": "datagen-orders",
                "connector.class": "DatagenSource",
                "kafka.topic": topic,
                "quickstart": "ORDERS",
                "output.data.format": "AVRO",
                "max.interval": "1",
                "iterations": str(RECORDS),
                "tasks.max": "1",
                "kafka.auth.mode": "KAFKA_API_KEY",
                "kafka.api.key": "ignored",
                "kafka.api.secret": "ignored",
            }
        )
    )
    out = ft.run_ferry(["connect", "cluster", "create", "--config-file", str(config), "--url", f"{rest}/kafka"])
    assert 'Created connector "datagen-orders"' in out.stdout

    def done():
        status = httpx.get(f"{rest}/connectors/datagen-orders/status", timeout=10).json()
        task = status["tasks"][0]
        return status if task["state"] == "FAILED" else None

    status = ft.wait_until(done, 120, f"{RECORDS} records (the task stops at the iterations limit)")
    assert status["connector"]["state"] == "RUNNING"
    assert f"generated the configured {RECORDS} number of messages" in status["tasks"][0]["trace"]

    sr = SchemaRegistryClient({"url": registry})
    latest = sr.get_latest_version(f"{topic}-value")
    assert latest.schema.schema_type == "AVRO"
    registered = json.loads(latest.schema.schema_str)
    assert registered["name"] == "orders" and registered["namespace"] == "ksql"
    assert "arg.properties" not in latest.schema.schema_str

    records = ft.read_partitions(srv.bootstrap, topic, PARTITIONS, expect_at_least=RECORDS)
    assert len(records) == RECORDS
    check_orders(records, AvroDeserializer(sr), topic, latest.schema_id)

    ft.run_ferry(["connect", "cluster", "delete", "datagen-orders", "--url", f"{rest}/kafka", "--force"])
    assert httpx.get(f"{rest}/connectors", timeout=10).json() == []


def check_orders(records, deserialize, topic: str, schema_id: int) -> None:
    """Every record is an ORDERS quickstart record in the wire format with `schema_id`, its fields
    within the quickstart's hints, the ids 0..n-1 each once, keys the order ids."""
    ctx = SerializationContext(topic, MessageField.VALUE)
    order_ids = []
    items, cities, times = set(), set(), set()
    for r in records:
        magic, wire_id = struct.unpack(">bI", r.value[:5])
        assert (magic, wire_id) == (0, schema_id)
        order = deserialize(r.value, ctx)
        assert set(order) == {"ordertime", "orderid", "itemid", "orderunits", "address"}
        assert r.key == str(order["orderid"]).encode(), "key is the order id as text"
        assert 1487715775521 <= order["ordertime"] < 1519273364600, order
        assert ITEM_RE.match(order["itemid"]), order
        assert 0.1 <= order["orderunits"] < 10.0, order
        address = order["address"]
        assert CITY_RE.match(address["city"]), order
        assert STATE_RE.match(address["state"]), order
        assert 10000 <= address["zipcode"] < 99999, order
        order_ids.append(order["orderid"])
        items.add(order["itemid"])
        cities.add(address["city"])
        times.add(order["ordertime"])
    # iteration {"start": 0}: 0, 1, 2, ... each once.
    assert sorted(order_ids) == list(range(len(records)))
    # Within each partition, order ids increase (records were appended in order).
    for part in ft.by_partition(records).values():
        ids = [int(r.key) for r in part]
        assert ids == sorted(ids)
    # Random fields are random, not constant.
    assert len(items) > 100 and len(cities) > 20 and len(times) > len(records) // 2


def datagen_config(path, topic: str, records: int) -> None:
    path.write_text(
        json.dumps(
            {
                "name": "datagen-orders",
                "connector.class": "DatagenSource",
                "kafka.topic": topic,
                "quickstart": "ORDERS",
                "output.data.format": "AVRO",
                "max.interval": "1",
                "iterations": str(records),
                "tasks.max": "1",
            }
        )
    )


def test_orders_decode_at_the_destination_through_link_and_exporter(ferry_server, tmp_path):
    listeners = {
        "rest.listeners": "http://127.0.0.1:0",
        "schema.registry.listeners": "http://127.0.0.1:0",
        "num.partitions": str(PARTITIONS),
    }
    src = ferry_server(listeners)
    dst = ferry_server(listeners)
    src_rest, dst_rest = printed(src, REST_RE, "rest listener"), printed(dst, REST_RE, "rest listener")
    src_registry = printed(src, REGISTRY_RE, "schema registry listener")
    dst_registry = printed(dst, REGISTRY_RE, "schema registry listener")
    topic = "sample_order_data"

    # The seed's order of steps: data, link (auto-create, offset sync, filter `*`), exporter `:*:`.
    config = tmp_path / "datagen.json"
    datagen_config(config, topic, RECORDS)
    ft.run_ferry(["connect", "cluster", "create", "--config-file", str(config), "--url", f"{src_rest}/kafka"])
    link_config = tmp_path / "link-config.properties"
    link_config.write_text(
        "auto.create.mirror.topics.enable=true\n"
        "consumer.offset.sync.enable=true\n"
        'auto.create.mirror.topics.filters={"topicFilters": [{"name": "*", "patternType": "LITERAL", "filterType": "INCLUDE"}]}\n'
    )
    ft.run_ferry(
        [
            "kafka", "link", "create", "cross-cloud-link",
            "--source-bootstrap-server", src.bootstrap,
            "--config", str(link_config),
            "--url", f"{dst_rest}/kafka",
        ]
    )
    config_txt = tmp_path / "config.txt"
    config_txt.write_text(f"schema.registry.url={dst_registry}\n")
    ft.run_ferry(
        [
            "schema-registry", "exporter", "create", "cross-cloud-exporter",
            "--subjects", ":*:",
            "--config", str(config_txt),
            "--schema-registry-endpoint", src_registry,
        ]
    )

    source_id = SchemaRegistryClient({"url": src_registry}).get_latest_version(f"{topic}-value").schema_id
    records = ft.read_partitions(dst.bootstrap, topic, PARTITIONS, timeout=120, expect_at_least=RECORDS)
    assert len(records) == RECORDS
    dst_subjects = lambda: httpx.get(f"{dst_registry}/subjects", timeout=10).json()  # noqa: E731
    ft.wait_until(
        lambda: any(s.endswith(f":{topic}-value") for s in dst_subjects()),
        30,
        lambda: f"the exporter to bring {topic}-value to the destination (it has {dst_subjects()})",
    )
    # Default settings: the destination finds the id in the exporter's context by itself.
    check_orders(records, AvroDeserializer(SchemaRegistryClient({"url": dst_registry})), topic, source_id)
