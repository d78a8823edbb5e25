"""How cost grows with megapixels (`make bench`): basicswap on 0.3-40 MP targets, small face and large face.

    python -m benchmarks.size_sweep [--sizes 0.3 1 4 12 24 40] [--repeat 3] [--photos ../shared/faces]
                                    [--plot bench-results/size_sweep.png] [--json PATH]

Targets are made here, by code, from one portrait (a shared photo when --photos has one, else a face of
insightface's t1.jpg): "small face" pastes the portrait at a fixed size into a textured, faceless backdrop
of N megapixels; "large face" scales the portrait itself up to N megapixels, so the face fills the frame.
Each case runs in a fresh process (so its peak memory is its own) and reports medians of --repeat runs:
Engine.run(basicswap), the floor under it (decode + encode of the target: what any engine must pay), the
API's face pre-check of the upload (format sniff + face count), and the worker's peak memory above its
idle size, also as a multiple of the decoded frame (width x height x 3 bytes). The plot shows time and
memory against megapixels with the floor beside.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SIZES = (0.3, 1.0, 4.0, 12.0, 24.0, 40.0)
LAYOUTS = ("small", "large")
# px: the small-face case's portrait (about a 1 MP photo, face about 450 px), or 90% of a smaller frame.
SMALL_PORTRAIT_HEIGHT = 1100
GOALS = {"large": 2.5, "small": 1.5}  # seconds for basicswap at 40 MP (issue 15)
PRECHECK_GOAL = 0.5
MEMORY_GOAL = 4.0  # peak worker memory, in decoded frames


@dataclass
class Case:
    layout: str
    megapixels: float
    width: int
    height: int
    basicswap_s: float
    basicswap_cpu_s: float  # this process's CPU time: the work done, steadier than wall time on a busy box
    floor_s: float
    precheck_s: float
    peak_mb: float
    frame_mb: float

    @property
    def peak_frames(self) -> float:
        return self.peak_mb / self.frame_mb


# --- images, made by code ---------------------------------------------------------------------------------


def portraits(photos: Path) -> tuple[Image.Image, Image.Image]:
    """(portrait for the target, portrait for the source): two one-face photos."""
    names = ("obama.jpg", "biden2.jpg")
    if all((photos / name).is_file() for name in names):
        return tuple(Image.open(photos / name).convert("RGB") for name in names)  # type: ignore[return-value]
    import insightface

    t1 = Image.open(Path(insightface.__file__).parent / "data" / "images" / "t1.jpg").convert("RGB")
    # Faces 3 and 0 of t1 (boxes from tests/engine/conftest.py) with shoulders, enlarged to ~0.6 MP.
    target = t1.crop((696, 268, 896, 552)).resize((640, 909), Image.Resampling.BICUBIC)
    source = t1.crop((3, 197, 224, 461)).resize((640, 764), Image.Resampling.BICUBIC)
    return target, source


def target_image(portrait: Image.Image, layout: str, megapixels: float) -> Image.Image:
    if layout == "large":  # the portrait itself, scaled up: the face fills the frame
        scale = (megapixels * 1e6 / (portrait.width * portrait.height)) ** 0.5
        size = (int(portrait.width * scale), int(portrait.height * scale))
        return portrait.resize(size, Image.Resampling.BICUBIC)
    width = int((megapixels * 1e6 * 4 / 3) ** 0.5)
    height = int(megapixels * 1e6 / width)
    scene = Image.fromarray(_backdrop(width, height), "RGB")
    tall = min(SMALL_PORTRAIT_HEIGHT, int(0.9 * height))
    small = portrait.resize((round(portrait.width * tall / portrait.height), tall), Image.Resampling.BICUBIC)
    scene.paste(small, ((width - small.width) // 2, (height - small.height) // 2))
    return scene


def _backdrop(width: int, height: int) -> np.ndarray:
    """Texture at several scales (JPEG-sized like a photo), no faces."""
    rng = np.random.default_rng(0)
    layers = np.zeros((height, width, 3), dtype=np.float32)
    for cell, amplitude in ((400, 50.0), (40, 25.0), (4, 10.0)):
        coarse = rng.normal(0.0, amplitude, (height // cell + 2, width // cell + 2, 3)).astype(np.float32)
        layers += np.asarray(
            Image.fromarray(coarse[..., 0]).resize((width, height), Image.Resampling.BICUBIC)
        )[..., None]
        layers += rng.normal(0.0, amplitude / 8, (1, 1, 3)).astype(np.float32)
    return np.clip(layers + 128.0, 0, 255).astype(np.uint8)


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


# --- one case, in its own process ---------------------------------------------------------------------------


def _memory_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def _reset_peak() -> None:
    """Linux: writing 5 to clear_refs resets VmHWM, so the peak measured is this run's."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def run_case(layout: str, megapixels: float, photos: Path, model_dir: Path, repeat: int) -> Case:
    from engine_layer import manifest
    from engine_layer.decode import decode_image, encode_image
    from engine_layer.engine import Engine
    from engine_layer.operations import Operation
    from functions.api.images import check_faces, check_format

    target_portrait, source_portrait = portraits(photos)
    target = jpeg(target_image(target_portrait, layout, megapixels))
    source = jpeg(source_portrait)
    images = {"srcimage": source, "targetimage": target}
    engine = Engine.load(model_dir, tier="offline", providers=["CPUExecutionProvider"])
    engine.run(Operation.BASICSWAP, {"srcimage": source, "targetimage": source})  # warm-up
    model_path = manifest.SCRFD.path(model_dir)
    check_faces(source, "srcimage", "srcimage", 1, model_path)  # warm-up: the pre-check's session

    idle = _memory_mb("VmRSS")
    _reset_peak()
    times, cpu, floors, prechecks = [], [], [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        engine.run(Operation.BASICSWAP, images)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    peak = _memory_mb("VmHWM") - idle
    for _ in range(repeat):
        start = time.perf_counter()
        decoded = decode_image(target, "targetimage")
        encode_image(decoded, decoded.pixels)
        floors.append(time.perf_counter() - start)
        del decoded
        start = time.perf_counter()
        check_format(target, "targetimage", "targetimage")
        check_faces(target, "targetimage", "targetimage", 1, model_path)
        prechecks.append(time.perf_counter() - start)
    with Image.open(io.BytesIO(target)) as image:
        width, height = image.size
    return Case(
        layout=layout,
        megapixels=width * height / 1e6,
        width=width,
        height=height,
        basicswap_s=statistics.median(times),
        basicswap_cpu_s=statistics.median(cpu),
        floor_s=statistics.median(floors),
        precheck_s=statistics.median(prechecks),
        peak_mb=peak,
        frame_mb=width * height * 3 / 2**20,
    )


# --- the sweep ----------------------------------------------------------------------------------------------


def plot(cases: list[Case], path: Path, note: str, before: list[Case] | None = None) -> None:
    """Time (wall and CPU) and peak memory against megapixels; `before`: an earlier sweep, drawn faint."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (times, memory) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=72)
    for layout, colour in (("large", "tab:red"), ("small", "tab:blue")):
        rows = _rows(cases, layout)
        mp = [c.megapixels for c in rows]
        times.plot(mp, [c.basicswap_s for c in rows], "o-", color=colour, label=f"{layout} face, wall")
        times.plot(mp, [c.basicswap_cpu_s for c in rows], "x:", color=colour, label=f"{layout} face, CPU")
        times.plot(mp, [c.floor_s for c in rows], "--", color=colour, alpha=0.5, label="decode+encode floor")
        memory.plot(mp, [c.peak_mb for c in rows], "o-", color=colour, label=f"{layout} face")
        if before:
            old = _rows(before, layout)
            old_mp = [c.megapixels for c in old]
            style = {"color": colour, "alpha": 0.35, "linewidth": 3}
            times.plot(old_mp, [c.basicswap_cpu_s for c in old], "-", label=f"before, {layout}, CPU", **style)
            memory.plot(old_mp, [c.peak_mb for c in old], "-", label=f"before, {layout} face", **style)
    frames = _rows(cases, "small")
    memory.plot(
        [c.megapixels for c in frames], [4 * c.frame_mb for c in frames], ":", color="grey", label="4x frame"
    )
    times.set(xlabel="target megapixels", ylabel="seconds (median)", title="Engine.run(basicswap)")
    memory.set(xlabel="target megapixels", ylabel="MB above idle", title="worker peak memory")
    for axes in (times, memory):
        axes.grid(alpha=0.3)
        axes.legend(fontsize=7)
    figure.suptitle(note, fontsize=9)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)


def _rows(cases: list[Case], layout: str) -> list[Case]:
    return sorted((c for c in cases if c.layout == layout), key=lambda c: c.megapixels)


def _load(path: Path) -> tuple[str, list[Case]]:
    figures = json.loads(path.read_text())
    return figures["note"], [Case(**case) for case in figures["cases"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=float, nargs="+", default=list(SIZES))
    parser.add_argument("--layouts", nargs="+", default=list(LAYOUTS), choices=LAYOUTS)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--photos", type=Path, default=ROOT.parent / "shared" / "faces")
    parser.add_argument(
        "--model-dir", type=Path, default=Path(os.environ.get("FACESWAP_MODEL_DIR", ROOT / ".models"))
    )
    parser.add_argument("--plot", type=Path, default=ROOT / "bench-results" / "size_sweep.png")
    parser.add_argument("--json", type=Path, default=ROOT / "bench-results" / "size_sweep.json")
    parser.add_argument("--before", type=Path, help="an earlier sweep's JSON, drawn faint for comparison")
    parser.add_argument("--replot", action="store_true", help="only redraw the plot from --json")
    parser.add_argument("--case", nargs=2, metavar=("LAYOUT", "MEGAPIXELS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.case:  # a child process: one case, one JSON line
        case = run_case(args.case[0], float(args.case[1]), args.photos, args.model_dir, args.repeat)
        print(json.dumps(asdict(case)))
        return 0

    before = _load(args.before)[1] if args.before else None
    if args.replot:
        note, cases = _load(args.json)
        plot(cases, args.plot, note, before)
        print(f"plot: {args.plot}")
        return 0
    load = os.getloadavg()
    print(f"size sweep: load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
    print(f"{'layout':<7}{'MP':>6}{'basicswap s':>13}{'cpu s':>7}{'floor s':>9}{'precheck s':>12}", end="")
    print(f"{'peak MB':>9}{'frames':>8}")
    cases = []
    for layout in args.layouts:
        for megapixels in args.sizes:
            command = [sys.executable, "-m", "benchmarks.size_sweep", "--case", layout, str(megapixels)]
            command += ["--repeat", str(args.repeat), "--photos", str(args.photos)]
            command += ["--model-dir", str(args.model_dir)]
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"{layout} {megapixels} MP failed:\n{done.stderr[-2000:]}")
                return 1
            case = Case(**json.loads(done.stdout.strip().splitlines()[-1]))
            cases.append(case)
            print(
                f"{case.layout:<7}{case.megapixels:>6.1f}{case.basicswap_s:>13.2f}"
                f"{case.basicswap_cpu_s:>7.2f}{case.floor_s:>9.2f}"
                f"{case.precheck_s:>12.2f}{case.peak_mb:>9.0f}{case.peak_frames:>8.1f}",
                flush=True,
            )
    _verdicts(cases)
    note = (
        f"{time.strftime('%Y-%m-%d')}, offline tier, {os.cpu_count()} shared CPUs, "
        f"load {load[0]:.1f}; medians of {args.repeat}"
    )
    plot(cases, args.plot, note, before)
    print(f"plot: {args.plot}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"note": note, "cases": [asdict(c) for c in cases]}, indent=2))
    return 0


def _verdicts(cases: list[Case]) -> None:
    largest = max(c.megapixels for c in cases)
    if largest < 39:
        return
    for case in (c for c in cases if c.megapixels > largest - 1):  # both layouts' largest size
        goal = GOALS[case.layout]
        print(
            f"{case.layout} face at {case.megapixels:.0f} MP: basicswap {case.basicswap_s:.2f} s "
            f"(goal <= {goal} s: {'meets' if case.basicswap_s <= goal else 'MISSES'}), "
            f"pre-check {case.precheck_s:.2f} s (goal <= {PRECHECK_GOAL} s: "
            f"{'meets' if case.precheck_s <= PRECHECK_GOAL else 'MISSES'}), peak {case.peak_frames:.1f} "
            f"frames (goal <= {MEMORY_GOAL:.0f}: {'meets' if case.peak_frames <= MEMORY_GOAL else 'MISSES'})"
        )


if __name__ == "__main__":
    sys.exit(main())
