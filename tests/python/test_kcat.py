"""kcat (Debian's 1.7.x, librdkafka 2.0.2) against ferry: -L metadata, -P with lz4, -C back,
and -L over a SASL_SSL listener."""

from __future__ import annotations

import collections
import re
import shutil
import subprocess

import ferry_testlib as ft
from ferry_testlib import STATIC_SECRET, STATIC_USER, make_tls_material, sasl_overrides

KCAT = shutil.which("kcat")


def kcat(args: list[str], stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    assert KCAT is not None, "kcat is not installed (scripts/setup installs it)"
    cmd = [KCAT, *args]
    try:
        proc = subprocess.run(
            cmd,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"`{' '.join(cmd)}` did not finish within {timeout}s; stderr: {e.stderr!r}") from None
    assert proc.returncode == 0, (
        f"`{' '.join(cmd)}` exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    )
    return proc


def test_kcat_metadata_produce_lz4_consume(ferry_server):
    srv = ferry_server({"num.partitions": "3", "auto.create.topics.enable": "true"})
    b = srv.bootstrap
    topic = ft.unique("kcat")
    lines = [f"line {i} {'lz4' * (i % 13)}" for i in range(500)]

    # -P with lz4: the topic is auto-created with num.partitions=3.
    kcat(["-P", "-b", b, "-t", topic, "-z", "lz4", "-X", "broker.address.family=v4"], stdin="\n".join(lines) + "\n")

    # -L lists the broker (at the advertised listener) and the topic with its 3 partitions.
    meta = kcat(["-L", "-b", b]).stdout
    host, port = b.rsplit(":", 1)
    assert re.search(rf"broker \d+ at {re.escape(host)}:{port}\b", meta), f"broker not listed:\n{meta}"
    assert f'topic "{topic}" with 3 partitions' in meta, f"topic not listed with 3 partitions:\n{meta}"
    for p in range(3):
        assert re.search(rf"partition {p}, leader \d+", meta), f"partition {p} not listed:\n{meta}"

    # -C -o beginning -e returns exactly the lines (as a multiset: partitions interleave).
    out = kcat(["-C", "-b", b, "-t", topic, "-o", "beginning", "-e"]).stdout
    got = out.splitlines()
    assert collections.Counter(got) == collections.Counter(lines), (
        f"kcat -C returned {len(got)} lines, produced {len(lines)}; "
        f"missing {sorted(set(lines) - set(got))[:5]}, unexpected {sorted(set(got) - set(lines))[:5]}"
    )

    # With partition and offset: each partition holds its lines in production order at
    # offsets 0..n-1.
    out = kcat(["-C", "-b", b, "-t", topic, "-o", "beginning", "-e", "-f", "%p\t%o\t%s\n"]).stdout
    per_part: dict[int, list[tuple[int, str]]] = collections.defaultdict(list)
    for row in out.splitlines():
        p, o, s = row.split("\t", 2)
        per_part[int(p)].append((int(o), s))
    index = {line: i for i, line in enumerate(lines)}
    for p, rows in per_part.items():
        assert [o for o, _ in rows] == list(range(len(rows))), f"partition {p} offsets {[o for o, _ in rows][:20]}"
        order = [index[s] for _, s in rows]
        assert order == sorted(order), f"partition {p} lines out of production order"
    assert sum(len(r) for r in per_part.values()) == len(lines)


def test_kcat_metadata_over_sasl_ssl(ferry_server, tmp_path):
    ca, keystore = make_tls_material(tmp_path / "tls")
    srv = ferry_server({**sasl_overrides(keystore), "auto.create.topics.enable": "false"})
    topic = ft.unique("kcat-sasl")
    good = {
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanisms": "PLAIN",
        "sasl.username": STATIC_USER,
        "sasl.password": STATIC_SECRET,
    }
    ft.create_topic(ft.AdminClient(ft.client_conf(srv.listener("SASL_PLAINTEXT"), good)), topic, 2)

    b = srv.listener("SASL_SSL")
    meta = kcat(
        [
            "-L",
            "-b",
            b,
            "-X",
            "security.protocol=SASL_SSL",
            "-X",
            "sasl.mechanisms=PLAIN",
            "-X",
            f"sasl.username={STATIC_USER}",
            "-X",
            f"sasl.password={STATIC_SECRET}",
            "-X",
            f"ssl.ca.location={ca}",
        ]
    ).stdout
    assert f'topic "{topic}" with 2 partitions' in meta, f"kcat -L over SASL_SSL:\n{meta}"
    assert re.search(r"broker \d+ at ", meta), meta
