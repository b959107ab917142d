"""Links, FIFOs, sockets and unreadable entries: loaded once or listed as skipped, with why.

The tests run as root in CI, where permissions do not stop reads: an unreadable file or
directory is simulated by making the open or the listing fail as the kernel would.
"""

from __future__ import annotations

import errno
import json
import os
import socket
from pathlib import Path

import pytest

from tests.conftest import ingest

ENACTOR = (
    "ts=2025-10-20T06:47:{s:02d}.000Z level=info host=dns-enactor-use1-az1 "
    "event=apply_start generation={g}\n"
)


def enactor_lines(n: int) -> str:
    return "".join(ENACTOR.format(s=i % 60, g=118000 + i) for i in range(n))


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    d = tmp_path / "logs"
    (d / "enactor").mkdir(parents=True)
    (d / "enactor" / "e.log").write_text(enactor_lines(5))
    return d


def rows(case) -> int:
    return case.sql("SELECT count(*) AS n FROM enactor_events")["n"][0]


def test_a_link_to_a_file_in_the_tree_loads_it_once(logs):
    (logs / "current.log").symlink_to(logs / "enactor" / "e.log")
    (logs / "hard.log").hardlink_to(logs / "enactor" / "e.log")
    case, res = ingest(logs)
    assert rows(case) == 5
    assert res["enactor/e.log"].loaded == 5
    assert res["current.log"].status == "skipped"
    assert "enactor/e.log" in res["current.log"].message
    assert res["hard.log"].status == "skipped" and "same file" in res["hard.log"].message
    # the inventory lists them too
    assert set(case.files()["file"]) == {"enactor/e.log", "current.log", "hard.log"}


def test_a_link_out_of_the_tree_is_never_followed(logs, tmp_path):
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$secret-hash:19000:0:99999:7:::\n" + enactor_lines(2))
    (logs / "shadow.log").symlink_to(secret)
    outside_dir = tmp_path / "other"
    outside_dir.mkdir()
    (outside_dir / "x.log").write_text(enactor_lines(3))
    (logs / "linked-dir").symlink_to(outside_dir)
    case, res = ingest(logs)
    assert rows(case) == 5
    for name in ("shadow.log", "linked-dir"):
        assert res[name].status == "skipped"
        assert "outside the evidence directory" in res[name].message
    dump = json.dumps(case.sql("SELECT * FROM quarantine").rows()) + str(case.files().rows())
    assert "secret-hash" not in dump


def test_a_directory_whose_only_entry_is_a_linked_directory_says_so(tmp_path):
    elsewhere = tmp_path / "real"
    elsewhere.mkdir()
    (elsewhere / "e.log").write_text(enactor_lines(2))
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "enactor").symlink_to(elsewhere)
    _, res = ingest(logs)
    assert list(res) == ["enactor"]
    assert res["enactor"].status == "skipped"


def test_loops_dangling_links_fifos_and_sockets_are_listed(logs):
    (logs / "loop").symlink_to(logs / "loop")
    (logs / "gone.log").symlink_to(logs / "nowhere.log")
    (logs / "up").symlink_to(logs)  # a directory link back into the tree
    os.mkfifo(logs / "pipe")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(logs / "sock"))
    try:
        case, res = ingest(logs)  # a FIFO must not block the ingest
    finally:
        sock.close()
    assert rows(case) == 5
    reasons = {name: res[name].message for name in ("loop", "gone.log", "up", "pipe", "sock")}
    assert all(res[n].status == "skipped" for n in reasons)
    assert "loop" in reasons["loop"]
    assert "dangling" in reasons["gone.log"]
    assert "inside the tree" in reasons["up"]
    assert "FIFO" in reasons["pipe"]
    assert "socket" in reasons["sock"]


def test_an_unreadable_file_is_recorded(logs, monkeypatch):
    (logs / "locked.log").write_text(enactor_lines(2))
    real_open = os.open

    def deny(path, flags, *args, **kwargs):
        if str(path).endswith("locked.log"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    case, res = ingest(logs)
    assert res["locked.log"].status == "skipped"
    assert "cannot read" in res["locked.log"].message
    files = case.files()
    assert files.filter(files["file"] == "locked.log")["status"][0] == "skipped"
    assert rows(case) == 5


def test_an_unreadable_directory_is_recorded(logs, monkeypatch):
    (logs / "private").mkdir()
    (logs / "private" / "p.log").write_text(enactor_lines(2))
    real_scandir = os.scandir

    def deny(path="."):
        if str(path).endswith("private"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", deny)
    _, res = ingest(logs)
    assert res["private/"].status == "skipped"
    assert "cannot read directory" in res["private/"].message
    assert res["enactor/e.log"].loaded == 5


def test_a_file_swapped_for_a_link_after_the_walk_is_not_read(logs, tmp_path, monkeypatch):
    """The read itself refuses links: what was checked is what is read."""
    from analyzer.ingest import pipeline

    secret = tmp_path / "secret.log"
    secret.write_text(enactor_lines(3).replace("dns-enactor", "secret-host"))
    target = logs / "enactor" / "e.log"
    real_walk = pipeline.walk

    def walk_then_swap(root):
        entries = list(real_walk(root))  # (path, problem) pairs
        target.unlink()
        target.symlink_to(secret)
        yield from entries

    monkeypatch.setattr(pipeline, "walk", walk_then_swap)
    case, res = ingest(logs)
    assert res["enactor/e.log"].status == "skipped"
    assert case.sql("SELECT count(*) AS n FROM enactor_events")["n"][0] == 0
