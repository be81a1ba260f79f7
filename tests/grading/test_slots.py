"""Sandbox slots are exclusive across processes: two grading processes on one machine (two
`dlcourse grade` runs, Dask workers, parallel test workers) never run student code under the same
slot uid and cgroup at the same time.

The test's processes share a lock folder of their own: the machine-wide one is also used by whatever
else grades while the test runs (other test workers), which would take and free slots under it."""

import subprocess
import sys

from dlcourse.grading import sandbox

HOLDER = """
import sys
from pathlib import Path
from dlcourse.grading import sandbox
sandbox.SLOT_LOCKS = Path(sys.argv[1])
with sandbox.Slots(2).acquire() as a, sandbox.Slots(1).acquire() as b:
    print(a, b, flush=True)
    sys.stdin.read()          # hold both slots until the parent closes our stdin
"""


def test_a_slot_held_by_another_process_is_never_handed_out(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "SLOT_LOCKS", tmp_path / "locks")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path / "locks")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        held = {int(x) for x in holder.stdout.readline().split()}
        assert len(held) == 2, held
        pool = sandbox.Slots(3)
        with pool.acquire() as s1, pool.acquire() as s2, pool.acquire() as s3:
            mine = {s1, s2, s3}
            assert len(mine) == 3 and not mine & held, (mine, held)
    finally:
        holder.stdin.close()
        assert holder.wait(timeout=30) == 0
    with sandbox.Slots(1).acquire() as again:          # released when the holder ended
        assert again == min(held | mine)
