"""Studio speed: one infill of 16 bars × 1 track with the main job's model at 32 steps, over HTTP, in < 2 s.

    python benchmarks/studio_infill.py                      # trains a main-job-shaped model for a few steps
    python benchmarks/studio_infill.py --load_dir runs/main_job

The model is the main job's (``examples/demo.toml``: ``schmu_conv``, ``small``
preset, ``melody``, 64-bar windows); its speed does not depend on how long it
trained, so without ``--load_dir`` it is trained for ``--train_steps`` steps.
A real ``smdiff studio`` server is started, a POP909 song uploaded, and
``POST /api/infill`` (bars 17–32 of the melody, confidence sampler, 32 steps)
timed for 1 and 2 variants, interleaved, ``--repeats`` times each. Side by
side, in the same run: the same infill with ``smdiff sample --task infill``
(the command line a user had before: loads the model every time). While an
infill runs, ``GET /api/info`` is timed from another thread: the page stays
responsive. Prints median and min–max; the target is the 1-variant median < 2 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

from smdiff.testing import StudioServer, pop909_or_bundled

ROOT = Path(__file__).resolve().parents[1]


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as answer:
        return json.loads(answer.read())


def upload(url: str, path: Path) -> dict:
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n\r\n').encode()
    body += path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(url, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        return json.loads(answer.read())


def smdiff(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "smdiff.cli", "--quiet", *args], check=True, capture_output=True, cwd=ROOT)


def train_main_job_model(folder: Path, steps: int) -> Path:
    config = ["--config", str(ROOT / "examples" / "demo.toml"), "--set", f"data.cache_path={folder / 'cache.npy'}"]
    smdiff("prepare", *config)
    run = folder / "run"
    smdiff("train", *config, "--log_dir", str(run), "--steps", str(steps), "--set", "train.warmup_steps=1",
           "--set", "train.validate_every=1000", "--set", f"train.checkpoint_every={steps}")  # fmt: skip
    return run


def probe_latency(url: str, done: threading.Event, latencies: list[float]) -> None:
    """Time ``GET /api/info`` every 50 ms until ``done``: does the server answer while the model works?"""
    while not done.is_set():
        began = time.perf_counter()
        urllib.request.urlopen(f"{url}/api/info", timeout=30).read()
        latencies.append(time.perf_counter() - began)
        time.sleep(0.05)


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f}, n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load_dir", type=Path, default=None)
    parser.add_argument("--train_steps", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--song", type=Path, default=pop909_or_bundled(ROOT) / "001" / "001.mid")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run = args.load_dir or train_main_job_model(Path(folder), args.train_steps)
        server = StudioServer(run)
        try:
            piece = upload(f"{server.url}/api/upload", args.song)
            request = {
                "piece": piece["id"],
                "bars": [17, 32],
                "tracks": ["melody"],
                "steps": 32,
                "sampler": "confidence",
            }
            post(f"{server.url}/api/infill", {**request, "n": 1})  # warm-up: first-call costs
            times: dict[str, list[float]] = {
                "studio, 1 variant": [],
                "studio, 2 variants": [],
                "smdiff sample (CLI)": [],
            }
            info_latency: list[float] = []
            for _ in range(args.repeats):
                for n in (1, 2):
                    done = threading.Event()
                    watcher = threading.Thread(target=probe_latency, args=(server.url, done, info_latency))
                    began = time.perf_counter()
                    watcher.start()
                    post(f"{server.url}/api/infill", {**request, "n": n})
                    times[f"studio, {n} variant{'s' if n > 1 else ''}"].append(time.perf_counter() - began)
                    done.set()
                    watcher.join()
                began = time.perf_counter()
                smdiff("sample", "--load_dir", str(run), "--task", "infill", "--input_midi", str(args.song),
                       "--mask_start_bar", "16", "--mask_end_bar", "32", "--n_samples", "1", "--sample_steps", "32",
                       "--out_dir", str(Path(folder) / f"cli-{uuid.uuid4().hex[:6]}"))  # fmt: skip
                times["smdiff sample (CLI)"].append(time.perf_counter() - began)
        finally:
            server.stop()
    print(f"model: {run}; song {args.song.name}; bars 17-32 of the melody; confidence sampler, 32 steps")
    for name, values in times.items():
        print(f"  {name:22s} {summary(values)}")
    ratio = statistics.median(times["smdiff sample (CLI)"]) / statistics.median(times["studio, 1 variant"])
    print(f"  studio vs CLI (1 infill): {ratio:.1f}x faster (the server keeps the model loaded)")
    print(f"  GET /api/info during infills: median {1000 * statistics.median(info_latency):.0f} ms, "
          f"max {1000 * max(info_latency):.0f} ms over {len(info_latency)} requests")  # fmt: skip
    median = statistics.median(times["studio, 1 variant"])
    print(f"  target < 2 s for 1 variant: {'met' if median < 2 else 'MISSED'} ({median:.2f} s)")


if __name__ == "__main__":
    main()
