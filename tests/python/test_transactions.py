"""Kafka transactions through confluent-kafka against ferry: commit/abort/commit seen correctly
by read_committed and read_uncommitted consumers, and a consume-transform-produce loop whose
group offsets are committed inside the transaction (send_offsets_to_transaction)."""

from __future__ import annotations

import collections
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

import ferry_testlib as ft

PARTITIONS = 3


def _txn_producer(bootstrap: str) -> Producer:
    p = Producer(
        ft.client_conf(
            bootstrap,
            {
                "transactional.id": ft.unique("txn"),
                "transaction.timeout.ms": 60000,
                "message.timeout.ms": 60000,
                "linger.ms": 5,
            },
        )
    )
    p.init_transactions(30)
    return p


def _produce_in_txn(p: Producer, topic: str, values: list[bytes]) -> None:
    errors: list[str] = []

    def cb(err, msg):
        if err is not None:
            errors.append(str(err))

    for i, v in enumerate(values):
        p.produce(topic, value=v, partition=i % PARTITIONS, on_delivery=cb)
        p.poll(0)
    assert p.flush(30) == 0, "records still queued 30s after flush"
    assert not errors, f"delivery errors inside the transaction: {errors[:5]}"


def _values_by_partition(records) -> dict[int, list[bytes]]:
    d: dict[int, list[bytes]] = collections.defaultdict(list)
    for r in records:
        d[r.partition].append(r.value)
    return dict(d)


def test_commit_abort_commit_isolation_levels(ferry_server):
    srv = ferry_server()
    topic = ft.unique("txn-cac")
    ft.create_topic(srv.bootstrap, topic, PARTITIONS)

    committed1 = [f"commit1-{i}".encode() for i in range(300)]
    aborted = [f"aborted-{i}".encode() for i in range(300)]
    committed2 = [f"commit2-{i}".encode() for i in range(300)]

    p = _txn_producer(srv.bootstrap)
    p.begin_transaction()
    _produce_in_txn(p, topic, committed1)
    p.commit_transaction(30)

    p.begin_transaction()
    _produce_in_txn(p, topic, aborted)
    p.abort_transaction(30)

    p.begin_transaction()
    _produce_in_txn(p, topic, committed2)
    p.commit_transaction(30)

    want_committed = _values_by_partition(
        ft.Consumed(i % PARTITIONS, -1, None, v) for i, v in list(enumerate(committed1)) + list(enumerate(committed2))
    )
    want_all = _values_by_partition(
        ft.Consumed(i % PARTITIONS, -1, None, v)
        for i, v in list(enumerate(committed1)) + list(enumerate(aborted)) + list(enumerate(committed2))
    )

    rc = ft.read_partitions(
        srv.bootstrap, topic, PARTITIONS, timeout=60, expect_at_least=600, conf={"isolation.level": "read_committed"}
    )
    got_rc = _values_by_partition(rc)
    leaked = [r.value for r in rc if r.value.startswith(b"aborted-")]
    assert not leaked, f"read_committed consumer saw {len(leaked)} aborted records, e.g. {leaked[:5]}"
    assert got_rc == want_committed, (
        f"read_committed: {len(rc)} records; per-partition counts "
        f"{ {k: len(v) for k, v in got_rc.items()} } want { {k: len(v) for k, v in want_committed.items()} }"
    )

    ru = ft.read_partitions(
        srv.bootstrap, topic, PARTITIONS, timeout=60, expect_at_least=900, conf={"isolation.level": "read_uncommitted"}
    )
    got_ru = _values_by_partition(ru)
    assert got_ru == want_all, (
        f"read_uncommitted: {len(ru)} records; per-partition counts "
        f"{ {k: len(v) for k, v in got_ru.items()} } want { {k: len(v) for k, v in want_all.items()} }"
    )

    # Control markers occupy offsets: 3 transactions => 3 markers per partition, so the end
    # offset of each partition is its 300 data records + 3.
    c = Consumer(ft.client_conf(srv.bootstrap, {"group.id": ft.unique("wm")}))
    try:
        for part in range(PARTITIONS):
            _, high = c.get_watermark_offsets(TopicPartition(topic, part), timeout=10)
            assert high == 300 + 3, f"partition {part} end offset {high}, want 300 data records + 3 markers"
    finally:
        c.close()


def test_consume_transform_produce_commits_group_offsets(ferry_server):
    srv = ferry_server()
    src = ft.unique("ctp-in")
    dst = ft.unique("ctp-out")
    group = ft.unique("ctp-group")
    a = ft.admin(srv.bootstrap)
    ft.create_topic(a, src, PARTITIONS)
    ft.create_topic(a, dst, PARTITIONS)

    n = 600
    plain = Producer(ft.client_conf(srv.bootstrap, {"linger.ms": 5}))
    ft.produce_all(plain, src, [(None, f"in-{i}".encode()) for i in range(n)], partition_of=lambda i: i % PARTITIONS)

    consumer = Consumer(
        ft.client_conf(
            srv.bootstrap,
            {
                "group.id": group,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "isolation.level": "read_committed",
            },
        )
    )
    producer = _txn_producer(srv.bootstrap)
    processed = 0
    try:
        consumer.subscribe([src])
        deadline = time.monotonic() + 120
        while processed < n:
            assert time.monotonic() < deadline, f"transformed only {processed} of {n} records in 120s"
            msgs = consumer.consume(num_messages=100, timeout=1.0)
            msgs = [m for m in msgs if m.error() is None or m.error().code() != KafkaError._PARTITION_EOF]
            if not msgs:
                continue
            errs = [m.error() for m in msgs if m.error() is not None]
            assert not errs, f"consumer errors: {errs}"
            producer.begin_transaction()
            for m in msgs:
                producer.produce(dst, value=b"out-" + m.value()[3:], partition=m.partition())
            producer.send_offsets_to_transaction(
                consumer.position(consumer.assignment()), consumer.consumer_group_metadata(), 30
            )
            producer.commit_transaction(30)
            processed += len(msgs)
    finally:
        consumer.close()

    assert processed == n, f"processed {processed} records, input has {n}"

    out = ft.read_partitions(
        srv.bootstrap, dst, PARTITIONS, timeout=60, expect_at_least=n, conf={"isolation.level": "read_committed"}
    )
    assert sorted(r.value for r in out) == sorted(f"out-{i}".encode() for i in range(n)), (
        f"output topic has {len(out)} records, not exactly the {n} transformed ones"
    )

    # The group's offsets were committed by the transactions: a fresh member of the group sees
    # the input's end offsets.
    checker = Consumer(ft.client_conf(srv.bootstrap, {"group.id": group, "enable.auto.commit": False}))
    try:
        committed = checker.committed([TopicPartition(src, p) for p in range(PARTITIONS)], timeout=15)
        got = {tp.partition: tp.offset for tp in committed}
        ends = {p: checker.get_watermark_offsets(TopicPartition(src, p), timeout=10)[1] for p in range(PARTITIONS)}
        assert got == ends, f"committed offsets {got} != input end offsets {ends}"
    finally:
        checker.close()
