"""How long `smdiff` takes to answer before it does any work, beside a bare Python start.

    python benchmarks/cli_startup.py [--repeat 5]

Runs each command --repeat times, interleaved (python -c pass, then every smdiff
command, then again), and reports the median and the spread in seconds.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "smdiff --version": [sys.executable, "-m", "smdiff.cli", "--version"],
    "smdiff --help": [sys.executable, "-m", "smdiff.cli", "--help"],
    "smdiff plugins": [sys.executable, "-m", "smdiff.cli", "plugins"],
    "smdiff list tokenizers": [sys.executable, "-m", "smdiff.cli", "list", "tokenizers"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.repeat):
        for name, command in COMMANDS.items():
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            times[name].append(time.perf_counter() - started)
    print("| command | median (s) | min–max (s) | × python -c pass |\n|---|---|---|---|")
    bare = statistics.median(times["python -c pass"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| `{name}` | {median:.3f} | {min(values):.3f}–{max(values):.3f} | {median / bare:.1f} |")


if __name__ == "__main__":
    main()
