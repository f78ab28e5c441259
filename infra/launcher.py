"""`make run`: every process of the Procfile under supervisor, kept up as Kubernetes would.

A process that dies is started again, and supervisor says so in the log (`exited: customers.1
(terminated by SIGKILL; not expected)`, then `spawned: 'customers.1' with pid ...`). One that
dies within `START_SECONDS` of starting failed to start: it is tried again after 1, 2, 3, ...
seconds, and after `START_RETRIES` tries supervisor gives up on it (`gave up: ... FATAL`).
Ctrl-C stops every process (SIGTERM, then SIGKILL after `STOP_SECONDS`).

`SCALE=customers=2,sales=3` runs several instances of a process; they share its RPC queue.
Instance i of the Procfile's n-th process gets `PORT` = PORT_BASE + 100 n + i - 1, its
metrics port (`infra.preflight.metrics_ports` prints the first of each).
"""

import os
import pwd
import shlex
import sys
from pathlib import Path

from infra import config

PROCFILE = config.ROOT / "Procfile"
START_SECONDS = 10  # a nameko service takes up to several seconds to start on 2 busy cores
START_RETRIES = 30
STOP_SECONDS = 15


class LaunchError(Exception):
    pass


def procfile(path: Path = PROCFILE) -> dict[str, str]:
    """Each process's name and its shell command, in the Procfile's order."""
    processes = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            processes[name.strip()] = command.strip()
    return processes


def instance_counts(scale: str, names) -> dict[str, int]:
    """`customers=2,sales=3`: that many instances of each, one of every other process."""
    counts = dict.fromkeys(names, 1)
    for item in filter(None, (part.strip() for part in scale.split(","))):
        name, _, count = item.partition("=")
        if name not in counts or not count.isdigit():
            raise LaunchError(
                f"SCALE={scale!r}: each item is <process>=<count>, a process of the "
                f"Procfile ({', '.join(counts)})"
            )
        counts[name] = int(count)
    return counts


def instances(processes: dict[str, str], counts: dict[str, int], port_base: int):
    """`(instance name, command, port)` of every process to run."""
    for index, (name, command) in enumerate(processes.items()):
        for number in range(1, counts[name] + 1):
            yield f"{name}.{number}", command, port_base + 100 * index + number - 1


def literal(text) -> str:
    """A value as supervisor reads it: `%(...)s` are its own expansions, so % is doubled."""
    return str(text).replace("%", "%%")


def supervisord_conf(to_run, directory: Path) -> str:
    """supervisord's configuration: in the foreground, its own log and every process's output
    on its standard output."""
    user = pwd.getpwuid(os.getuid()).pw_name  # naming the user running it quiets a warning
    sections = [
        "[supervisord]",
        "nodaemon=true",
        f"user={literal(user)}",
        "logfile=/dev/null",  # in the foreground it logs to its standard output as well
        "logfile_maxbytes=0",
        f"pidfile={literal(directory / 'supervisord.pid')}",
        f"childlogdir={literal(directory)}",
    ]
    for name, command, port in to_run:
        sections += [
            "",
            f"[program:{name}]",
            "command=" + literal(shlex.join(["/bin/sh", "-c", command])),
            f"directory={literal(config.ROOT)}",
            f'environment=PORT="{port}"',
            "autorestart=true",
            f"startsecs={START_SECONDS}",
            f"startretries={START_RETRIES}",
            f"stopwaitsecs={STOP_SECONDS}",
            "stopasgroup=true",
            "killasgroup=true",
            "redirect_stderr=true",
            "stdout_logfile=/dev/stdout",
            "stdout_logfile_maxbytes=0",
        ]
    return "\n".join(sections) + "\n"


def main() -> int:
    processes = procfile()
    try:
        counts = instance_counts(config.env("SCALE", ""), processes)
    except LaunchError as error:
        print(error, file=sys.stderr)
        return 2
    port_base = int(config.env("PORT_BASE", "9100"))
    directory = config.var_dir()
    directory.mkdir(parents=True, exist_ok=True)
    conf = directory / "supervisord.conf"
    conf.write_text(supervisord_conf(instances(processes, counts, port_base), directory))
    # supervisord takes this process's place: Ctrl-C reaches it, and it stops the others.
    python = sys.executable
    os.execv(python, [python, "-m", "supervisor.supervisord", "-c", str(conf)])  # noqa: S606


if __name__ == "__main__":
    sys.exit(main())
