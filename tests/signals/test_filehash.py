from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from raqib.config import Settings
from raqib.content.kinds import Content, ContentKind
from raqib.signals.base import Signal
from raqib.signals.md5 import Md5SignalType
from raqib.signals.sha256 import Sha256SignalType


def test_digests_equal_hashlib(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"neutral sample bytes " * 100_000)
    content = Content.file(path, ContentKind.FILE)
    md5 = Md5SignalType().hash(content, Settings())
    sha = Sha256SignalType().hash(content, Settings())
    assert isinstance(md5, Signal) and isinstance(sha, Signal)
    assert md5.value == hashlib.md5(path.read_bytes()).hexdigest()
    assert sha.value == hashlib.sha256(path.read_bytes()).hexdigest()


def test_aliases_read_threatexchange_names(registry) -> None:  # type: ignore[no-untyped-def]
    assert registry.parse("video_md5 " + "A" * 32).signal_type == "md5"
    assert registry.parse("video_sha256 " + "b" * 64).signal_type == "sha256"


def test_a_2_gb_file_hashes_in_constant_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    with path.open("wb") as handle:  # sparse: costs no disk
        handle.truncate(2 * 1024**3)
    script = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "from raqib.signals.filehash import file_digests\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "d = file_digests(Path(sys.argv[1]), ('md5',))\n"
        "print(d['md5'], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[0] == "a981130cf2b7e09f4686dc273cf7187e"  # md5 of 2 GiB of zero bytes
    assert int(out[1]) < 50_000  # KiB of peak growth: far below the file's 2 GiB


def test_precomputed_digests_are_used_and_the_pipeline_gives_both(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"neutral sample bytes")
    given = Content(ContentKind.FILE, path, digests=(("md5", "0" * 32),))
    outcome = Md5SignalType().hash(given, Settings())
    assert isinstance(outcome, Signal) and outcome.value == "0" * 32
    from raqib.pipeline import hash_file

    hashed = hash_file(path, Settings())
    by_type = {s.signal_type: s.value for s in hashed.signals}
    assert by_type == {
        "md5": hashlib.md5(path.read_bytes()).hexdigest(),
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }
