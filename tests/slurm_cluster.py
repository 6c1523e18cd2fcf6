"""A throw-away single-node SLURM cluster on localhost, from Debian's packages.

``with SlurmCluster() as cluster:`` writes a slurm.conf for one node named after this
machine (its real CPU layout and memory, as ``slurmd -C`` reports them), a munge key, and
starts munged, slurmctld and slurmd in a temporary folder on free ports, so that it neither
needs nor touches /etc/slurm, /etc/munge or a cluster already running here. ``cluster.env``
is the environment the SLURM clients (and the Snakemake SLURM executor) need. On exit every
job is cancelled, the three daemons are stopped and the folder removed.

No cgroups (containers often lack them), no accounting database (no slurmdbd): the
completed jobs are written to a plain text file (``jobcomp/filetxt``), which is what the
tests read to prove that jobs really ran through SLURM.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

DAEMONS = ("munged", "slurmctld", "slurmd")
CLIENTS = ("sinfo", "squeue", "sbatch", "srun", "scancel", "scontrol")
PREFIX = "shortfactory-slurm-"
START_TIMEOUT_S = 60.0


class ClusterUnavailable(RuntimeError):
    """The cluster cannot run here (missing packages, not root, a daemon that won't start)."""


def find_binary(name: str) -> str | None:
    """A SLURM/munge program: daemons live in /usr/sbin, often outside a user's PATH."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/bin")


def why_unavailable() -> str | None:
    """One line saying why the cluster cannot start here, or None when it can try."""
    missing = [name for name in (*DAEMONS, *CLIENTS) if find_binary(name) is None]
    if missing:
        return f"SLURM/munge not installed (missing {', '.join(missing)})"
    if os.geteuid() != 0:
        return "starting slurmd/slurmctld/munged needs root"
    return None


def node_facts(slurmd: str) -> dict[str, str]:
    """This machine as SLURM sees it (``slurmd -C``): NodeName, CPUs, sockets, RealMemory.

    Using slurmd's own report keeps the node valid: a node configured with more memory or
    CPUs than slurmd finds is drained and never runs a job.
    """
    proc = subprocess.run([slurmd, "-C"], capture_output=True, text=True, timeout=30)
    first = proc.stdout.splitlines()[0] if proc.stdout.strip() else ""
    facts = dict(item.split("=", 1) for item in first.split() if "=" in item)
    if proc.returncode != 0 or "NodeName" not in facts or "RealMemory" not in facts:
        raise ClusterUnavailable(f"slurmd -C gave no node description: {proc.stderr.strip()}")
    # slurmd -C names the node after the short host name, as `hostname -s` does.
    facts["NodeName"] = socket.gethostname().split(".")[0] or facts["NodeName"]
    return facts


def free_port() -> int:
    """A TCP port nobody listens on now: never 6817/6818, which a real cluster may hold."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def slurm_conf(base: Path, node: dict[str, str], ctld_port: int, slurmd_port: int) -> str:
    """slurm.conf for one node on 127.0.0.1 with every path inside ``base``."""
    name = node["NodeName"]
    layout = " ".join(f"{key}={node[key]}" for key in (
        "CPUs", "Boards", "SocketsPerBoard", "CoresPerSocket", "ThreadsPerCore", "RealMemory")
        if key in node)
    return "\n".join([
        "# Written by tests/slurm_cluster.py: a throw-away single-node cluster.",
        "ClusterName=shortfactory",
        f"SlurmctldHost={name}(127.0.0.1)",
        f"SlurmctldPort={ctld_port}",
        f"SlurmdPort={slurmd_port}",
        "SlurmUser=root",
        "SlurmdUser=root",
        "AuthType=auth/munge",
        "CredType=cred/munge",
        # Our own munged, not the system one at /run/munge.
        f"AuthInfo=socket={base / 'munge' / 'munge.socket'}",
        f"StateSaveLocation={base / 'state'}",
        f"SlurmdSpoolDir={base / 'spool'}",
        f"SlurmctldPidFile={base / 'run' / 'slurmctld.pid'}",
        f"SlurmdPidFile={base / 'run' / 'slurmd.pid'}",
        f"SlurmctldLogFile={base / 'log' / 'slurmctld.log'}",
        f"SlurmdLogFile={base / 'log' / 'slurmd.log'}",
        # No cgroups (containers may lack them) and no accounting database.
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "JobAcctGatherType=jobacct_gather/none",
        "AccountingStorageType=accounting_storage/none",
        # Every finished job as one line: the proof that the workflow ran through SLURM.
        "JobCompType=jobcomp/filetxt",
        f"JobCompLoc={base / 'log' / 'jobcomp.txt'}",
        "MpiDefault=none",
        # Start jobs the moment they fit (backfill waits for its 30 s cycle).
        "SchedulerType=sched/builtin",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_Core_Memory",
        "ReturnToService=2",
        # The executor reads job states with squeue (no sacct without accounting); it needs
        # finished jobs to stay visible for at least 3 status-check intervals.
        "MinJobAge=300",
        "SlurmdTimeout=60",
        f"NodeName={name} NodeAddr=127.0.0.1 {layout} State=UNKNOWN",
        f"PartitionName=main Nodes={name} Default=YES MaxTime=INFINITE State=UP",
        "",
    ])


CGROUP_CONF = """\
# Written by tests/slurm_cluster.py: nothing is constrained (TaskPlugin=task/none).
CgroupAutomount=no
ConstrainCores=no
ConstrainRAMSpace=no
ConstrainDevices=no
"""


def _is_ours(pid: int, base: Path) -> bool:
    """Whether ``pid`` is still one of the daemons started for ``base`` (not a reused pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return str(base) in cmdline


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reap_leftovers(tmp: Path) -> list[str]:
    """Stop the daemons of clusters whose owning process died, and remove their folders.

    A crashed or killed test run leaves its daemons running; they are found through the
    ``owner.json`` each cluster writes, and killed only by pid, only when the owner is gone
    and the pid still runs from that cluster's folder. Returns what was cleaned, for logs.
    """
    cleaned = []
    for base in sorted(tmp.glob(f"{PREFIX}*")):
        try:
            owner = json.loads((base / "owner.json").read_text())
        except (OSError, ValueError):
            owner = {}
        if owner.get("owner_pid") and _alive(int(owner["owner_pid"])):
            continue  # another run is using it right now
        for pid in owner.get("daemons", {}).values():
            if _is_ours(int(pid), base):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)
        shutil.rmtree(base, ignore_errors=True)
        cleaned.append(str(base))
    return cleaned


@dataclass(slots=True)
class SlurmCluster:
    """A single-node SLURM on localhost for the length of a ``with`` block."""

    start_timeout_s: float = START_TIMEOUT_S
    base: Path = field(init=False)
    node: dict[str, str] = field(init=False, default_factory=dict)
    env: dict[str, str] = field(init=False, default_factory=dict)
    _procs: dict[str, subprocess.Popen[bytes]] = field(init=False, default_factory=dict)

    @property
    def node_name(self) -> str:
        return self.node["NodeName"]

    @property
    def cpus(self) -> int:
        return int(self.node["CPUs"])

    @property
    def memory_mb(self) -> int:
        return int(self.node["RealMemory"])

    @property
    def jobcomp(self) -> Path:
        """The finished-jobs log: one ``JobId=... JobState=... Tres=...`` line per job."""
        return self.base / "log" / "jobcomp.txt"

    def __enter__(self) -> SlurmCluster:
        reason = why_unavailable()
        if reason:
            raise ClusterUnavailable(reason)
        tmp = Path(tempfile.gettempdir())
        reap_leftovers(tmp)
        self.base = Path(tempfile.mkdtemp(prefix=PREFIX, dir=tmp))
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _start(self) -> None:
        # munged and slurmd refuse sockets and keys in folders others can write to.
        self.base.chmod(0o755)
        for sub in ("etc", "bin", "munge", "state", "spool", "run", "log"):
            (self.base / sub).mkdir(mode=0o755)
        (self.base / "munge" / "key").mkdir(mode=0o700)
        key = self.base / "munge" / "key" / "munge.key"
        key.write_bytes(secrets.token_bytes(1024))
        key.chmod(0o400)
        self._write_owner()

        self.node = node_facts(find_binary("slurmd") or "slurmd")
        conf = self.base / "etc" / "slurm.conf"
        conf.write_text(slurm_conf(self.base, self.node, free_port(), free_port()))
        (self.base / "etc" / "cgroup.conf").write_text(CGROUP_CONF)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "SBATCH_",
                                                                             "SRUN_"))}
        self.env["SLURM_CONF"] = str(conf)
        self.env["PATH"] = f"{self._client_wrappers(conf)}{os.pathsep}{self.env.get('PATH', '')}"

        munge_dir = self.base / "munge"
        self._spawn("munged", [
            "--foreground", "--force", f"--key-file={key}",
            f"--socket={munge_dir / 'munge.socket'}", f"--pid-file={munge_dir / 'munged.pid'}",
            f"--log-file={munge_dir / 'munged.log'}", f"--seed-file={munge_dir / 'munged.seed'}",
        ])
        self._wait(lambda: (munge_dir / "munge.socket").exists(), "munged socket")
        # -i: ignore any state files (ours are fresh); -D: stay in the foreground, so that
        # we own the process and stop it by its pid.
        self._spawn("slurmctld", ["-D", "-i", "-f", str(conf)])
        self._wait(lambda: self._client("sinfo", "-h").returncode == 0, "slurmctld")
        self._spawn("slurmd", ["-D", "-f", str(conf), "-N", self.node_name])
        self._wait(self._node_idle, f"node {self.node_name} idle")

    def _client_wrappers(self, conf: Path) -> Path:
        """A bin/ of client commands that always read this cluster's slurm.conf.

        The SLURM executor's job step (snakemake-executor-plugin-slurm-jobstep 0.6)
        removes every SLURM_* variable, SLURM_CONF included, before its inner ``srun``;
        a real cluster's clients read /etc/slurm/slurm.conf, ours must be told the path.
        """
        bin_dir = self.base / "bin"
        for name in CLIENTS:
            wrapper = bin_dir / name
            wrapper.write_text(f'#!/bin/sh\nSLURM_CONF="{conf}" exec "{find_binary(name)}" "$@"\n')
            wrapper.chmod(0o755)
        return bin_dir

    def _write_owner(self) -> None:
        """Who owns this cluster and its daemons' pids, for ``reap_leftovers``."""
        owner = {"owner_pid": os.getpid(),
                 "daemons": {name: proc.pid for name, proc in self._procs.items()}}
        (self.base / "owner.json").write_text(json.dumps(owner))

    def _spawn(self, name: str, args: list[str]) -> None:
        out = (self.base / "log" / f"{name}.out").open("wb")
        self._procs[name] = subprocess.Popen(
            [find_binary(name) or name, *args], stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=self.env, start_new_session=True)
        out.close()
        self._write_owner()

    def _client(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([find_binary(args[0]) or args[0], *args[1:]], capture_output=True,
                              text=True, env=self.env, timeout=30)

    def _node_idle(self) -> bool:
        proc = self._client("sinfo", "-h", "-N", "-n", self.node_name, "-o", "%T")
        return proc.returncode == 0 and proc.stdout.strip() == "idle"

    def _wait(self, ready: Callable[[], bool], what: str) -> None:
        """Poll ``ready()`` until true; a daemon that exits or a timeout says which and why."""
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            for name, proc in self._procs.items():
                if proc.poll() is not None:
                    raise ClusterUnavailable(f"{name} exited ({proc.returncode}): "
                                             f"{self._last_line(name)}")
            if ready():
                return
            time.sleep(0.3)
        raise ClusterUnavailable(f"timed out after {self.start_timeout_s:.0f} s waiting for "
                                 f"{what}: {self._last_line('slurmd')}")

    def _last_line(self, name: str) -> str:
        """The last error-looking line a daemon wrote, to name the cause in one line."""
        logs = [self.base / "log" / f"{name}.out", self.base / "log" / f"{name}.log"]
        lines = [ln for log in logs if log.exists()
                 for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
        errors = [ln for ln in lines if "error" in ln.lower() and "pmix" not in ln.lower()]
        return (errors or lines or ["(no output)"])[-1].strip()

    def jobs_done(self) -> list[dict[str, str]]:
        """The finished jobs, one dict per jobcomp line (JobId, Name, JobState, Tres, ...)."""
        if not self.jobcomp.exists():
            return []
        return [dict(item.split("=", 1) for item in line.split() if "=" in item)
                for line in self.jobcomp.read_text().splitlines() if line.strip()]

    def stop(self) -> None:
        """Cancel every job, stop the daemons (slurmd first, munged last), remove the folder."""
        if self._procs.get("slurmctld") and self._procs["slurmctld"].poll() is None:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                jobs = self._client("squeue", "-h", "-o", "%i").stdout.split()
                if jobs:
                    self._client("scancel", *jobs)
        for name in reversed(DAEMONS):
            proc = self._procs.get(name)
            if proc is None or proc.poll() is not None:
                continue
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
        self._procs.clear()
        if getattr(self, "base", None) is not None:
            shutil.rmtree(self.base, ignore_errors=True)
