"""SASL on ferry through confluent-kafka: PLAIN (static JAAS user and API key) and
SCRAM-SHA-256/512 (API key) on SASL_PLAINTEXT and SASL_SSL listeners; wrong secrets and unknown
users get an authentication error, and nothing they send is written."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from confluent_kafka import KafkaError, Producer

import ferry_testlib as ft
from ferry_testlib import STATIC_SECRET, STATIC_USER, make_tls_material, sasl_overrides

LISTENERS = ("SASL_PLAINTEXT", "SASL_SSL")


class SaslCluster:
    def __init__(self, server: ft.FerryServer, ca: Path, api_key: tuple[str, str]):
        self.server = server
        self.ca = ca
        self.api_key = api_key

    def conf(self, listener: str, mechanism: str, user: str, secret: str, extra: dict | None = None) -> dict:
        conf = {
            "security.protocol": listener,
            "sasl.mechanisms": mechanism,
            "sasl.username": user,
            "sasl.password": secret,
        }
        if listener == "SASL_SSL":
            conf["ssl.ca.location"] = str(self.ca)
        conf.update(extra or {})
        return ft.client_conf(self.server.listener(listener), conf)

    def good(self, listener: str = "SASL_PLAINTEXT", extra: dict | None = None) -> dict:
        return self.conf(listener, "PLAIN", STATIC_USER, STATIC_SECRET, extra)

    def credentials(self, who: str) -> tuple[str, str]:
        return (STATIC_USER, STATIC_SECRET) if who == "static" else self.api_key


@pytest.fixture(scope="module")
def sasl_cluster(tmp_path_factory) -> SaslCluster:
    tls_dir = tmp_path_factory.mktemp("tls")
    ca, keystore = make_tls_material(tls_dir)
    # The API key is created in the data dir before the server starts with it.
    data_dir = tmp_path_factory.mktemp("sasl-data") / "data"
    data_dir.mkdir()
    key = ft.api_key_create(data_dir)
    srv = ft.start_server(data_dir, sasl_overrides(keystore))
    try:
        yield SaslCluster(srv, ca, key)
    finally:
        srv.stop()


def round_trip(cluster: SaslCluster, conf: dict, topic: str) -> None:
    """Produce one record with `conf` and read it back with the same credentials."""
    a = ft.AdminClient(conf)
    ft.create_topic(a, topic, 1)
    value = f"hello-{topic}".encode()
    ft.produce_all(Producer({**conf, "message.timeout.ms": 30000}), topic, [(b"k", value)])
    got = ft.read_partitions(conf["bootstrap.servers"], topic, 1, timeout=60, expect_at_least=1, conf=_auth_only(conf))
    assert [r.value for r in got] == [value], f"read back {got}"


def _auth_only(conf: dict) -> dict:
    return {k: v for k, v in conf.items() if k.startswith(("security.", "sasl.", "ssl."))}


GOOD_CASES = [
    (listener, mechanism, who)
    for listener in LISTENERS
    for mechanism, who in (
        ("PLAIN", "static"),
        ("PLAIN", "api-key"),
        ("SCRAM-SHA-256", "api-key"),
        ("SCRAM-SHA-512", "api-key"),
    )
]


@pytest.mark.parametrize("listener,mechanism,who", GOOD_CASES, ids=["-".join(c) for c in GOOD_CASES])
def test_right_secret_produces_and_consumes(sasl_cluster, listener, mechanism, who):
    user, secret = sasl_cluster.credentials(who)
    conf = sasl_cluster.conf(listener, mechanism, user, secret)
    round_trip(sasl_cluster, conf, ft.unique(f"sasl-ok-{mechanism.lower()}"))


BAD_CASES = [
    # (listener, mechanism, which credentials are wrong)
    ("SASL_SSL", "PLAIN", "wrong-secret"),
    ("SASL_PLAINTEXT", "PLAIN", "unknown-user"),
    ("SASL_PLAINTEXT", "SCRAM-SHA-256", "wrong-secret"),
    ("SASL_SSL", "SCRAM-SHA-512", "unknown-user"),
    ("SASL_PLAINTEXT", "PLAIN", "wrong-static-secret"),
]


@pytest.mark.parametrize("listener,mechanism,case", BAD_CASES, ids=["-".join(c) for c in BAD_CASES])
def test_bad_credentials_get_authentication_error_and_write_nothing(sasl_cluster, listener, mechanism, case):
    key, secret = sasl_cluster.api_key
    user, password = {
        "wrong-secret": (key, secret + "x"),
        "unknown-user": ("no-such-user-" + ft.unique("u"), secret),
        "wrong-static-secret": (STATIC_USER, "not-" + STATIC_SECRET),
    }[case]

    # The target topic exists (created by a good client) so "nothing written" is observable.
    topic = ft.unique(f"sasl-bad-{case}")
    ft.create_topic(ft.AdminClient(sasl_cluster.good()), topic, 1)

    errors: list[KafkaError] = []
    got_error = threading.Event()

    def on_error(err: KafkaError) -> None:
        errors.append(err)
        if _is_auth_error(err):
            got_error.set()

    deliveries: list[str] = []
    bad = Producer(
        sasl_cluster.conf(
            listener,
            mechanism,
            user,
            password,
            {"error_cb": on_error, "message.timeout.ms": 10000, "reconnect.backoff.ms": 500},
        )
    )
    bad.produce(topic, value=b"must-not-be-written", on_delivery=lambda err, msg: deliveries.append(str(err)))
    deadline = time.monotonic() + 30
    while not got_error.is_set() and time.monotonic() < deadline:
        bad.poll(0.2)
    assert got_error.is_set(), (
        f"no authentication error within 30s for {case} over {listener}/{mechanism}; "
        f"errors seen: {[str(e) for e in errors]}"
    )
    bad.purge()
    bad.flush(5)
    assert not [d for d in deliveries if d == "None"], "a record from a client that failed authentication was acked"

    # A good client sees an empty partition.
    good = sasl_cluster.good()
    c = ft.Consumer({**good, "group.id": ft.unique("check")})
    try:
        low, high = c.get_watermark_offsets(ft.TopicPartition(topic, 0), timeout=10)
    finally:
        c.close()
    assert high == 0, f"{topic} has {high - low} records after a failed authentication"


def _is_auth_error(err: KafkaError) -> bool:
    # Only librdkafka's SASL authentication failure counts: a dropped connection is reported as
    # _TRANSPORT (its text even mentions SASL), which is exactly what the broker must not do.
    return err.code() == KafkaError._AUTHENTICATION


def test_api_key_created_while_server_runs(ferry_server, tmp_path):
    """An API key created by `ferry api-key create` against the data dir of a running server
    works without a restart."""
    ca, keystore = make_tls_material(tmp_path / "tls")
    srv = ferry_server(sasl_overrides(keystore))
    key, secret = ft.api_key_create(srv.data_dir)
    cluster = SaslCluster(srv, ca, (key, secret))
    round_trip(cluster, cluster.conf("SASL_SSL", "PLAIN", key, secret), ft.unique("sasl-live-key"))
