"""A 3-member confluent-kafka consumer group on ferry: 30,000 records from 6 partitions are each
received exactly once across members and rebalances, offsets are committed, and the group is
visible through AdminClient's list/describe."""

from __future__ import annotations

import collections
import threading
import time

from confluent_kafka import Consumer, ConsumerGroupState, KafkaError, KafkaException, Producer, TopicPartition

import ferry_testlib as ft

PARTITIONS = 6
TOTAL = 30_000
MEMBERS = 3


class Member(threading.Thread):
    """One group member: polls, records (partition, offset) of every record, commits
    synchronously on revocation (so the next owner resumes exactly there) and periodically."""

    def __init__(self, idx: int, bootstrap: str, group: str, topic: str, shared: "Shared"):
        super().__init__(name=f"member-{idx}", daemon=True)
        self.idx = idx
        self.shared = shared
        self.seen: list[tuple[int, int]] = []
        self.assignments: list[list[int]] = []
        self.errors: list[str] = []
        self.benign_commit_failures = 0
        self.client_errors: list[str] = []  # everything error_cb reported, for failure messages
        self.final_commit_done = threading.Event()
        self.may_close = threading.Event()
        self.closed = threading.Event()
        self.consumer = Consumer(
            ft.client_conf(
                bootstrap,
                {
                    "group.id": group,
                    "client.id": f"member-{idx}",
                    "enable.auto.commit": False,
                    "auto.offset.reset": "earliest",
                    "session.timeout.ms": 30000,
                    "heartbeat.interval.ms": 1000,
                    "error_cb": self.on_error,
                    "max.partition.fetch.bytes": 16 * 1024,
                },
            )
        )
        self.topic = topic

    def _commit(self, why: str, tolerate_rebalance: bool = False) -> None:
        """Synchronous commit of what this member has consumed. A periodic commit may race a
        rebalance the broker has started (REBALANCE_IN_PROGRESS / ILLEGAL_GENERATION): that is
        legal, and the commit on revocation covers it. The commits on revocation (the broker
        must accept them while it prepares the rebalance) and the final one must succeed."""
        try:
            self.consumer.commit(asynchronous=False)
        except KafkaException as e:
            code = e.args[0].code()
            if code == KafkaError._NO_OFFSET:
                return
            if tolerate_rebalance and code in (KafkaError.REBALANCE_IN_PROGRESS, KafkaError.ILLEGAL_GENERATION):
                self.benign_commit_failures += 1
                return
            self.errors.append(f"{why} commit: {e}")

    def on_error(self, err: KafkaError) -> None:
        # Transient connection noise is librdkafka's to retry; a fatal error ends the member.
        self.client_errors.append(str(err))
        if err.fatal() or err.code() in (KafkaError._UNSUPPORTED_FEATURE, KafkaError._AUTHENTICATION):
            self.errors.append(f"client error: {err}")

    def on_assign(self, consumer, partitions):
        self.assignments.append(sorted(tp.partition for tp in partitions))

    def on_revoke(self, consumer, partitions):
        self._commit("on-revoke")

    def run(self) -> None:
        try:
            self.consumer.subscribe([self.topic], on_assign=self.on_assign, on_revoke=self.on_revoke)
            since_commit = 0
            while not self.shared.done.is_set():
                msg = self.consumer.poll(0.2)
                if msg is None:
                    continue
                if msg.error() is not None:
                    self.errors.append(f"poll: {msg.error()}")
                    continue
                self.seen.append((msg.partition(), msg.offset()))
                self.shared.record(msg.partition(), msg.offset())
                since_commit += 1
                if since_commit >= 2000:
                    self._commit("periodic", tolerate_rebalance=True)
                    since_commit = 0
            self._commit("final")
            self.final_commit_done.set()
            # Stay a live member until the test has described the group.
            while not self.may_close.wait(0.2):
                self.consumer.poll(0)
        except Exception as e:  # surfaced by the test through self.errors
            self.errors.append(f"thread died: {e!r}")
            self.final_commit_done.set()
        finally:
            try:
                self.consumer.close()
            finally:
                self.closed.set()


class Shared:
    def __init__(self, total: int):
        self.lock = threading.Lock()
        self.counts: collections.Counter[tuple[int, int]] = collections.Counter()
        self.total = total
        self.done = threading.Event()

    def record(self, partition: int, offset: int) -> None:
        with self.lock:
            self.counts[(partition, offset)] += 1
            if len(self.counts) >= self.total:
                self.done.set()

    def distinct(self) -> int:
        with self.lock:
            return len(self.counts)


def _produce(bootstrap: str, topic: str, start: int, count: int) -> None:
    producer = Producer(ft.client_conf(bootstrap, {"linger.ms": 10, "acks": "all"}))
    ft.produce_all(
        producer,
        topic,
        [(None, f"record-{i}".encode()) for i in range(start, start + count)],
        partition_of=lambda i: (start + i) % PARTITIONS,
    )


def test_three_member_group_reads_30k_exactly_once(ferry_server):
    srv = ferry_server()
    topic = ft.unique("group-30k")
    group = ft.unique("group")
    a = ft.admin(srv.bootstrap)
    ft.create_topic(a, topic, PARTITIONS)

    # Half the records exist before anyone joins (the first member may take all partitions and
    # must hand over at its committed offsets); the rest arrive once all three own partitions.
    _produce(srv.bootstrap, topic, 0, TOTAL // 2)

    shared = Shared(TOTAL)
    members = [Member(i, srv.bootstrap, group, topic, shared) for i in range(MEMBERS)]
    try:
        for m in members:
            m.start()

        def all_assigned():
            errs = [e for m in members for e in m.errors]
            assert not errs, f"member errors while joining: {errs[:10]}"
            return all(m.assignments and m.assignments[-1] for m in members)

        ft.wait_until(
            all_assigned,
            90,
            lambda: (
                f"all three members to hold partitions at once; assignments so far "
                f"{ {m.name: m.assignments for m in members} }"
            ),
        )
        _produce(srv.bootstrap, topic, TOTAL // 2, TOTAL - TOTAL // 2)

        deadline = time.monotonic() + 180
        while not shared.done.wait(0.5):
            errs = [e for m in members for e in m.errors]
            assert not errs, f"member errors: {errs[:10]}"
            assert time.monotonic() < deadline, (
                f"only {shared.distinct()} of {TOTAL} distinct records received in 180s; "
                f"assignments: {[m.assignments for m in members]}"
            )
        for m in members:
            assert m.final_commit_done.wait(60), f"{m.name} did not finish its final commit"
        errs = [e for m in members for e in m.errors]
        assert not errs, f"member errors: {errs[:10]}"

        # Exactly once: no (partition, offset) twice, and the union is every record.
        dupes = [k for k, n in shared.counts.items() if n > 1]
        assert not dupes, f"{len(dupes)} records received more than once, e.g. {sorted(dupes)[:10]}"
        c = ft_consumer(srv.bootstrap, group)
        try:
            ends = {}
            for p in range(PARTITIONS):
                low, high = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                ends[p] = high
            assert sum(ends.values()) == TOTAL, f"end offsets {ends} do not add up to {TOTAL}"
            expected = {(p, o) for p, high in ends.items() for o in range(high)}
            got = set(shared.counts)
            assert got == expected, (
                f"received set differs: missing {sorted(expected - got)[:10]}, extra {sorted(got - expected)[:10]}"
            )
            for m in members:
                assert any(m.assignments), f"{m.name} never got partitions: {m.assignments}"
                assert m.seen, f"{m.name} received no records"

            # Committed offsets, read by a fresh consumer of the same group, are the end offsets.
            committed = c.committed([TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=15)
            got_committed = {tp.partition: tp.offset for tp in committed}
            errs = [(tp.partition, tp.error) for tp in committed if tp.error is not None]
            assert not errs, f"committed() errors: {errs}"
            assert got_committed == ends, f"committed offsets {got_committed} != end offsets {ends}"

            # The group, while its members are live.
            admin = ft.admin(srv.bootstrap)
            listed = admin.list_consumer_groups(request_timeout=15).result(timeout=30)
            assert not listed.errors, f"list_consumer_groups errors: {listed.errors}"
            ids = {g.group_id for g in listed.valid}
            assert group in ids, f"group {group} not in list_consumer_groups: {sorted(ids)}"

            desc = admin.describe_consumer_groups([group], request_timeout=15)[group].result(timeout=30)
            assert desc.group_id == group
            assert desc.state == ConsumerGroupState.STABLE, f"group state {desc.state}"
            assert len(desc.members) == MEMBERS, f"described members: {desc.members}"
            client_ids = sorted(mem.client_id for mem in desc.members)
            assert client_ids == [f"member-{i}" for i in range(MEMBERS)], client_ids
            described_parts = sorted(
                tp.partition
                for mem in desc.members
                for tp in (mem.assignment.topic_partitions if mem.assignment else [])
            )
            assert described_parts == list(range(PARTITIONS)), (
                f"described assignments cover {described_parts}, want all {PARTITIONS} partitions"
            )
        finally:
            c.close()
    finally:
        shared.done.set()
        for m in members:
            m.may_close.set()
        for m in members:
            m.closed.wait(60)


def ft_consumer(bootstrap: str, group: str) -> Consumer:
    """A consumer in `group` that never subscribes: it only reads committed offsets and
    watermarks, so it does not disturb the live members."""
    return Consumer(ft.client_conf(bootstrap, {"group.id": group, "enable.auto.commit": False}))
