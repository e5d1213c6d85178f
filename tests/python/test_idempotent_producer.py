"""confluent-kafka's idempotent, zstd-compressed, acks=all producer against ferry, read back
by a consumer: every record is acknowledged, stored once, and read back in order."""

from __future__ import annotations

from confluent_kafka import Producer

import ferry_testlib as ft

RECORDS = 10_000
PARTITIONS = 4


def test_idempotent_zstd_producer_round_trip(ferry_server):
    # The topic is auto-created by the producer's metadata request, with the broker's
    # num.partitions: this test needs only Metadata, InitProducerId, Produce and Fetch.
    srv = ferry_server({"num.partitions": str(PARTITIONS), "auto.create.topics.enable": "true"})
    topic = ft.unique("idem-zstd")

    producer = Producer(
        ft.client_conf(
            srv.bootstrap,
            {
                "enable.idempotence": True,
                "acks": "all",
                "compression.type": "zstd",
                "linger.ms": 20,
                "batch.num.messages": 1000,
                "message.timeout.ms": 60000,
            },
        )
    )
    # Keys spread the records over all partitions; values are compressible but distinct.
    records = [(f"key-{i % 37}".encode(), f"value-{i:06d}-{'x' * (i % 50)}".encode()) for i in range(RECORDS)]
    reports = ft.produce_all(producer, topic, records)

    md = producer.list_topics(topic=topic, timeout=10).topics[topic]
    assert md.error is None, md.error
    assert len(md.partitions) == PARTITIONS, f"auto-created topic has {len(md.partitions)} partitions"

    # Delivery reports: offsets per partition are 0..n-1 in production order (no gaps, no
    # duplicates), and every partition got records.
    sent = ft.by_partition(reports)
    assert sorted(sent) == list(range(PARTITIONS)), f"records landed only on partitions {sorted(sent)}"
    for p, reps in sent.items():
        offsets = [r.offset for r in reps]
        assert offsets == list(range(len(reps))), (
            f"partition {p}: delivery offsets not 0..{len(reps) - 1} in production order; "
            f"first mismatch at index {next(i for i, o in enumerate(offsets) if o != i)}"
        )

    consumed = ft.read_partitions(srv.bootstrap, topic, PARTITIONS, timeout=120, expect_at_least=RECORDS)
    assert len(consumed) == RECORDS, f"consumed {len(consumed)} records, produced {RECORDS}"
    got = ft.by_partition(consumed)
    for p in range(PARTITIONS):
        want = [(r.offset, r.key, r.value) for r in sent[p]]
        have = [(c.offset, c.key, c.value) for c in got.get(p, [])]
        assert have == want, (
            f"partition {p}: consumed {len(have)} records differ from the {len(want)} produced; "
            f"first difference at index {_first_diff(have, want)}"
        )


def _first_diff(a: list, b: list) -> str:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"{i}: consumed {x!r}, produced {y!r}"
    return f"{min(len(a), len(b))} (length {len(a)} vs {len(b)})"
