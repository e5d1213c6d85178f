"""Shared helpers for ferry's Python interop tests: running `ferry server`, and small,
bounded client operations built on confluent-kafka (librdkafka).

Every wait here has a deadline; on expiry it raises AssertionError saying what it waited for
and what it saw, so a failing test explains itself (the conftest adds the server's stderr).
"""

from __future__ import annotations

import collections
import ctypes
import json
import os
import queue
import re
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, NewTopic

REPO_ROOT = Path(__file__).resolve().parents[2]

LISTENER_RE = re.compile(r"^ferry server: listener (\S+) on (\S+):(\d+)\s*$")
READY_RE = re.compile(r"^ferry server: ready \(cluster id ([^)]+)\)\s*$")

# Servers started by this process and not yet stopped; the conftest reports their stderr when
# a test fails and kills them at exit.
LIVE_SERVERS: list["FerryServer"] = []


def ferry_bin() -> str:
    """The `ferry` binary under test: $FERRY_BIN, else the workspace's debug build."""
    path = os.environ.get("FERRY_BIN") or str(REPO_ROOT / "target" / "debug" / "ferry")
    if not os.path.isabs(path):
        path = str((REPO_ROOT / path).resolve())
    if not os.access(path, os.X_OK):
        raise AssertionError(
            f"ferry binary not found or not executable at {path}; build it (cargo build -p ferry) or set FERRY_BIN"
        )
    return path


def unique(prefix: str) -> str:
    """A topic/group/transactional id unique to one test run."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _die_with_parent() -> None:
    """preexec_fn: the server gets SIGKILL if the test process dies (e.g. a hard timeout), so
    no test ever leaves a broker behind."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


def run_ferry(args: list[str], timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess:
    """Run a `ferry` CLI command (not the server) with a deadline."""
    cmd = [ferry_bin(), *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"`{' '.join(cmd)}` did not finish within {timeout}s; stderr: {e.stderr!r}") from None
    if check and proc.returncode != 0:
        raise AssertionError(
            f"`{' '.join(cmd)}` exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
    return proc


@dataclass
class FerryServer:
    """One running `ferry server` process started by a test."""

    data_dir: Path
    args: list[str]
    proc: subprocess.Popen
    stderr_path: Path
    listeners: dict[str, str] = field(default_factory=dict)
    cluster_id: str | None = None
    stdout_lines: list[str] = field(default_factory=list)

    @property
    def bootstrap(self) -> str:
        """host:port of the first PLAINTEXT listener (else the first listener)."""
        for name, addr in self.listeners.items():
            if name.upper() == "PLAINTEXT":
                return addr
        return next(iter(self.listeners.values()))

    def listener(self, name: str) -> str:
        for n, addr in self.listeners.items():
            if n.upper() == name.upper():
                return addr
        raise AssertionError(f"server has no listener {name}; it printed {self.listeners}")

    def stderr_tail(self, lines: int = 60) -> str:
        try:
            text = self.stderr_path.read_text(errors="replace")
        except OSError as e:
            return f"<cannot read {self.stderr_path}: {e}>"
        return "\n".join(text.splitlines()[-lines:])

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM and wait; SIGKILL if it does not exit in time. Returns the exit code of a
        clean stop, or None if it had to be killed."""
        clean: int | None = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                clean = self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        else:
            clean = self.proc.returncode
        if self in LIVE_SERVERS:
            LIVE_SERVERS.remove(self)
        return clean

    def kill(self) -> None:
        """SIGKILL (a crash), then reap."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        if self in LIVE_SERVERS:
            LIVE_SERVERS.remove(self)


def start_server(
    data_dir: Path,
    overrides: dict[str, str] | None = None,
    config_file: Path | None = None,
    ready_timeout: float = 60,
) -> FerryServer:
    """Start `ferry server` on loopback ports chosen by the OS and wait for its ready line.

    Defaults (each replaceable through `overrides`): one PLAINTEXT listener on 127.0.0.1:0 and
    group.initial.rebalance.delay.ms=0 so group tests need not wait Kafka's 3 s, and no
    schema registry (`schema.registry.listeners` empty).
    """
    settings = {
        "listeners": "PLAINTEXT://127.0.0.1:0",
        "group.initial.rebalance.delay.ms": "0",
        # No schema registry unless a test asks: its default port 8081 would collide.
        "schema.registry.listeners": "",
    }
    settings.update(overrides or {})
    data_dir.mkdir(parents=True, exist_ok=True)
    args = [ferry_bin(), "server", "--data-dir", str(data_dir)]
    if config_file is not None:
        args += ["--config", str(config_file)]
    for k, v in settings.items():
        args += ["--override", f"{k}={v}"]

    stderr_path = data_dir.parent / f"{data_dir.name}.stderr.log"
    stderr_file = open(stderr_path, "ab")
    env = dict(os.environ)
    env.setdefault("RUST_BACKTRACE", "1")
    proc = subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr_file,
        env=env,
        preexec_fn=_die_with_parent,
    )
    stderr_file.close()
    server = FerryServer(data_dir=data_dir, args=args, proc=proc, stderr_path=stderr_path)
    LIVE_SERVERS.append(server)

    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        # Keep draining stdout for the server's whole life so it never blocks on a full pipe.
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            server.stdout_lines.append(line)
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, name=f"ferry-stdout-{proc.pid}", daemon=True).start()

    deadline = time.monotonic() + ready_timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            server.stop(timeout=5)
            raise AssertionError(
                f"ferry server did not print its ready line within {ready_timeout}s\n"
                f"command: {' '.join(args)}\nstdout so far: {server.stdout_lines}\n"
                f"stderr tail:\n{server.stderr_tail()}"
            )
        try:
            line = lines.get(timeout=min(remaining, 1.0))
        except queue.Empty:
            continue
        if line is None:
            code = proc.wait(timeout=10)
            if server in LIVE_SERVERS:
                LIVE_SERVERS.remove(server)
            raise AssertionError(
                f"ferry server exited with code {code} before it was ready\n"
                f"command: {' '.join(args)}\nstdout: {server.stdout_lines}\n"
                f"stderr tail:\n{server.stderr_tail()}"
            )
        m = LISTENER_RE.match(line)
        if m:
            server.listeners[m.group(1)] = f"{m.group(2)}:{m.group(3)}"
            continue
        m = READY_RE.match(line)
        if m:
            server.cluster_id = m.group(1)
            break
    if not server.listeners:
        server.stop(timeout=5)
        raise AssertionError(f"ferry server said ready but printed no listener line: {server.stdout_lines}")
    return server


# --- client helpers -------------------------------------------------------------------------


def client_conf(bootstrap: str, extra: dict | None = None) -> dict:
    """Base librdkafka config for loopback tests, plus `extra` (librdkafka property names)."""
    conf = {
        "bootstrap.servers": bootstrap,
        "socket.timeout.ms": 10000,
        "broker.address.family": "v4",
    }
    conf.update(extra or {})
    return conf


def admin(bootstrap: str, extra: dict | None = None) -> AdminClient:
    return AdminClient(client_conf(bootstrap, extra))


def create_topic(
    bootstrap_or_admin: str | AdminClient,
    name: str,
    partitions: int,
    config: dict[str, str] | None = None,
    timeout: float = 30,
) -> None:
    """CreateTopics through AdminClient and wait until metadata shows every partition."""
    a = admin(bootstrap_or_admin) if isinstance(bootstrap_or_admin, str) else bootstrap_or_admin
    futs = a.create_topics(
        [NewTopic(name, num_partitions=partitions, replication_factor=1, config=config or {})],
        request_timeout=timeout,
    )
    futs[name].result(timeout=timeout)
    wait_for_topic(a, name, partitions, timeout)


def wait_for_topic(a: AdminClient, name: str, partitions: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        md = a.list_topics(topic=name, timeout=10)
        t = md.topics.get(name)
        if t is not None and t.error is None and len(t.partitions) == partitions:
            return
        seen = None if t is None else (t.error, sorted(t.partitions))
        time.sleep(0.2)
    raise AssertionError(f"topic {name} did not show {partitions} partitions within {timeout}s (last: {seen})")


@dataclass
class Delivered:
    partition: int
    offset: int
    key: bytes | None
    value: bytes


def produce_all(
    producer: Producer,
    topic: str,
    records: list[tuple[bytes | None, bytes]],
    partition_of=None,
    timeout: float = 120,
) -> list[Delivered]:
    """Produce records, wait for every delivery report and fail on any error.

    Returns the delivery reports in production order.
    """
    reports: list[Delivered | None] = [None] * len(records)
    errors: list[str] = []

    def make_cb(i: int):
        def cb(err, msg):
            if err is not None:
                errors.append(f"record {i}: {err}")
            else:
                reports[i] = Delivered(msg.partition(), msg.offset(), msg.key(), msg.value())

        return cb

    for i, (key, value) in enumerate(records):
        kwargs = {}
        if partition_of is not None:
            kwargs["partition"] = partition_of(i)
        while True:
            try:
                producer.produce(topic, value=value, key=key, on_delivery=make_cb(i), **kwargs)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    remaining = producer.flush(timeout)
    assert remaining == 0, f"{remaining} records still undelivered after {timeout}s; errors: {errors[:10]}"
    assert not errors, f"{len(errors)} delivery errors, first: {errors[:10]}"
    missing = [i for i, r in enumerate(reports) if r is None]
    assert not missing, f"no delivery report for {len(missing)} records (first {missing[:10]})"
    return reports  # type: ignore[return-value]


@dataclass
class Consumed:
    partition: int
    offset: int
    key: bytes | None
    value: bytes


def read_partitions(
    bootstrap: str,
    topic: str,
    partitions: int,
    timeout: float = 60,
    expect_at_least: int = 0,
    conf: dict | None = None,
) -> list[Consumed]:
    """Read every partition of `topic` from the beginning to its current end (partition EOF on
    all of them), with a manual assignment (no group). Returns records in consumption order.
    """
    c = Consumer(
        client_conf(
            bootstrap,
            {
                "group.id": unique("reader"),
                "enable.auto.commit": False,
                "enable.partition.eof": True,
                "auto.offset.reset": "earliest",
                **(conf or {}),
            },
        )
    )
    out: list[Consumed] = []
    try:
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        at_eof: set[int] = set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(at_eof) == partitions and len(out) >= expect_at_least:
                return out
            msg = c.poll(0.5)
            if msg is None:
                continue
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    at_eof.add(msg.partition())
                    continue
                raise AssertionError(f"consumer error reading {topic}: {err}")
            at_eof.discard(msg.partition())
            out.append(Consumed(msg.partition(), msg.offset(), msg.key(), msg.value()))
        raise AssertionError(
            f"reading {topic}: not at end of all {partitions} partitions within {timeout}s "
            f"(EOF on {sorted(at_eof)}, {len(out)} records, expected at least {expect_at_least})"
        )
    finally:
        c.close()


def by_partition(items) -> dict[int, list]:
    d: dict[int, list] = collections.defaultdict(list)
    for it in items:
        d[it.partition].append(it)
    return d


def wait_until(pred, timeout: float, what, interval: float = 0.2):
    """Poll `pred` until it returns a truthy value; fail naming `what` (a string, or a callable
    giving one at failure time) after `timeout`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    desc = what() if callable(what) else what
    raise AssertionError(f"timed out after {timeout}s waiting for {desc} (last: {last!r})")


def api_key_create(data_dir: Path) -> tuple[str, str]:
    """`ferry api-key create --data-dir D -o json` → (key, secret)."""
    proc = run_ferry(["api-key", "create", "--data-dir", str(data_dir), "-o", "json"])
    try:
        doc = json.loads(proc.stdout)
        return doc["api_key"], doc["api_secret"]
    except (ValueError, KeyError) as e:
        raise AssertionError(f"unexpected `ferry api-key create -o json` output ({e}): {proc.stdout!r}") from None


# --- SASL/TLS set-up shared by the SASL and kcat tests ---------------------------------------

STATIC_USER, STATIC_SECRET = "alice", "alice-secret"
JAAS = f'org.apache.kafka.common.security.plain.PlainLoginModule required user_{STATIC_USER}="{STATIC_SECRET}";'


def make_tls_material(directory: Path) -> tuple[Path, Path]:
    """`ferry tls create-certs`, then one PEM keystore holding the chain and the key."""
    directory.mkdir(parents=True, exist_ok=True)
    run_ferry(["tls", "create-certs", "--dir", str(directory), "--hostname", "localhost", "--hostname", "127.0.0.1"])
    for name in ("ca.pem", "server.pem", "server-key.pem"):
        assert (directory / name).is_file(), f"ferry tls create-certs did not write {name}"
    keystore = directory / "keystore.pem"
    keystore.write_bytes((directory / "server.pem").read_bytes() + (directory / "server-key.pem").read_bytes())
    return directory / "ca.pem", keystore


def sasl_overrides(keystore: Path) -> dict[str, str]:
    return {
        "listeners": "SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0",
        "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": JAAS,
        "listener.name.sasl_ssl.plain.sasl.jaas.config": JAAS,
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": str(keystore),
        "auto.create.topics.enable": "false",
        "num.partitions": "1",
    }


__all__ = [
    "KafkaError",
    "KafkaException",
    "LIVE_SERVERS",
    "FerryServer",
    "start_server",
    "run_ferry",
    "unique",
    "client_conf",
    "admin",
    "create_topic",
    "wait_for_topic",
    "produce_all",
    "read_partitions",
    "by_partition",
    "wait_until",
    "api_key_create",
    "STATIC_USER",
    "STATIC_SECRET",
    "make_tls_material",
    "sasl_overrides",
]
