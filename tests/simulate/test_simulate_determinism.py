"""Same scenario, seed and options: the same bytes, including the committed sample."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from analyzer.simulate import simulate
from tests.conftest import REPO

SAMPLE = REPO / "sample_logs" / "dynamodb-2025-10-20"


def digests(root: Path, skip: tuple[str, ...] = ("README.md",)) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in skip
    }


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    opts = {"stall": True, "skew": True, "malformed": True, "silent": True, "gzip": True}
    a = simulate("random", tmp_path / "a", seed=11, **opts)
    b = simulate("random", tmp_path / "b", seed=11, **opts)
    c = simulate("random", tmp_path / "c", seed=12, **opts)
    assert digests(a.out) == digests(b.out)
    assert sorted(digests(a.out)) == a.files
    assert any(f.endswith(".gz") for f in a.files)
    assert digests(a.out) != digests(c.out)


def test_rerun_into_same_directory_replaces_its_own_files_only(tmp_path: Path) -> None:
    out = tmp_path / "case"
    simulate("random", out, seed=3, gzip=True)
    (out / "README.md").write_text("kept\n")
    second = simulate("random", out, seed=3, gzip=False)
    assert (out / "README.md").read_text() == "kept\n"
    assert not list(out.rglob("*.gz"))  # the earlier run's .gz files are gone
    assert sorted(digests(out)) == second.files


def test_gzip_members_carry_no_time_and_no_name(tmp_path: Path) -> None:
    res = simulate("random", tmp_path, seed=5, gzip=True)
    for rel in (f for f in res.files if f.endswith(".gz")):
        head = (tmp_path / rel).read_bytes()[:10]
        assert head[:2] == b"\x1f\x8b"
        assert head[3] & 0x08 == 0, "FNAME flag set"
        assert head[4:8] == b"\0\0\0\0", "mtime not zero"
        gzip.decompress((tmp_path / rel).read_bytes())


@pytest.mark.skipif(not SAMPLE.is_dir(), reason="sample_logs not generated")
def test_sample_is_regenerated_byte_for_byte(tmp_path: Path) -> None:
    """The documented command: analyzer simulate dynamodb-2025-10-20 --seed 20251020."""
    res = simulate("dynamodb-2025-10-20", tmp_path, seed=20251020)
    assert digests(tmp_path) == digests(SAMPLE)
    assert (SAMPLE / "README.md").is_file()
    assert sorted(digests(SAMPLE)) == res.files
