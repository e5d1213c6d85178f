"""`ferry server` as an operator runs it: --config server.properties with --override on top,
a stable cluster id in the data dir, a clean exit on SIGTERM, and data that survives a restart."""

from __future__ import annotations

import re

from confluent_kafka import Producer

import ferry_testlib as ft

# Kafka's cluster id: a UUID in URL-safe base64 without padding, 22 characters.
CLUSTER_ID_RE = re.compile(r"^[A-Za-z0-9_-]{22}$")


def test_config_file_restart_and_sigterm(ferry_server, tmp_path):
    props = tmp_path / "server.properties"
    props.write_text(
        "# a Kafka-style properties file\n"
        "listeners=PLAINTEXT://127.0.0.1:0\n"
        "num.partitions=2\n"
        "auto.create.topics.enable=true\n"
    )
    srv = ferry_server(config_file=props)
    assert srv.cluster_id and CLUSTER_ID_RE.match(srv.cluster_id), f"cluster id {srv.cluster_id!r}"

    topic = ft.unique("lifecycle")
    producer = Producer(ft.client_conf(srv.bootstrap, {"acks": "all"}))
    values = [f"v{i}".encode() for i in range(100)]
    ft.produce_all(producer, topic, [(None, v) for v in values])
    md = producer.list_topics(topic=topic, timeout=10).topics[topic]
    assert len(md.partitions) == 2, f"num.partitions=2 from --config: topic has {len(md.partitions)}"
    del producer

    code = srv.stop(timeout=30)
    assert code == 0, f"ferry server exited with {code} on SIGTERM (None: had to be killed)"

    # Same data dir: same cluster id, the records are still there; --override beats --config.
    srv2 = ferry_server({"num.partitions": "3"}, data_dir=srv.data_dir, config_file=props)
    assert srv2.cluster_id == srv.cluster_id, (
        f"cluster id changed across restart: {srv.cluster_id} -> {srv2.cluster_id}"
    )
    got = ft.read_partitions(srv2.bootstrap, topic, 2, timeout=60, expect_at_least=len(values))
    assert sorted(r.value for r in got) == sorted(values), f"after restart read {len(got)} of {len(values)} records"

    topic3 = ft.unique("lifecycle-override")
    p3 = Producer(ft.client_conf(srv2.bootstrap, {"acks": "all"}))
    ft.produce_all(p3, topic3, [(None, b"x")])
    md = p3.list_topics(topic=topic3, timeout=10).topics[topic3]
    assert len(md.partitions) == 3, f"--override num.partitions=3 over --config's 2: got {len(md.partitions)}"
