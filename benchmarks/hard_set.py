"""`make eval`'s hard set: each shared source photo, edited the way real photos go wrong, swapped onto the
same target as its clean twin, and measured against that twin (benchmarks.hard_edits says how).

Source edits (goal: the result moves at most 3 mean Lab from the clean swap inside the target's inner
face): a hard shadow over half the face, a smooth side gradient, a warm and a cool colour cast, a grey
occluder with a light rim over the chin. Target edits: the same occluder over the target's cheek (goal:
at least 95% of its pixels unchanged), a grey scene (goal: the swapped face stays grey, chroma <= 3),
the photo turned +-30 degrees, the face shrunk under 80 px, and a 112 px monochrome tight crop (as
target and, on the source side, as source): goal for these, the result is nearer the source's identity
than the target's (dlib's descriptor). Every result also gets a seam score (hard_edits.seam_score).
A case whose edited photo has no detectable face, or that the swapper refuses, is reported, not raised.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import cv2
import numpy as np

from benchmarks import hard_edits as edits
from benchmarks.eval_common import TILE, Judge, PhotoFace, brow_and_jaw, caption, crop
from engine_layer.datatypes import Face
from engine_layer.offline.geometry import face_size

LAB_GOAL = 3.0
OCCLUDER_GOAL = 0.95
CHROMA_GOAL = 3.0
SEAM_GOAL = 0.5
TILT_DEGREES = 30.0


class Detector(Protocol):
    def detect(self, image: np.ndarray) -> list[Face]: ...


class Landmarker(Protocol):
    def landmarks(self, image: np.ndarray, face: Face) -> np.ndarray: ...


class Swapper(Protocol):
    def source_identity(self, image: np.ndarray, face: Face) -> object: ...

    def swap(self, scene: np.ndarray, target: Face, source: object) -> np.ndarray: ...


@dataclass
class HardFigure:
    case: str
    source: str
    target: str
    measure: str  # what `value` is
    value: float | None  # None: the case could not be run (note says why)
    goal: str
    ok: bool
    seam: float | None = None
    note: str = ""
    cell: np.ndarray | None = field(default=None, repr=False)

    @property
    def seam_ok(self) -> bool:
        return self.seam is None or self.seam <= SEAM_GOAL


@dataclass
class _Run:
    """One swap made for a case: the scene it was made in, the face it landed on, the result."""

    scene: np.ndarray
    face: Face
    result: np.ndarray


@dataclass(frozen=True)
class _Goal:
    measure: str
    text: str
    passes: Callable[[float], bool]


DLAB = _Goal("dLab to clean", f"<= {LAB_GOAL:g}", lambda v: v <= LAB_GOAL)
OCCLUDER = _Goal("occluder unchanged", f">= {OCCLUDER_GOAL:.0%}", lambda v: v >= OCCLUDER_GOAL)
CHROMA = _Goal("face chroma", f"<= {CHROMA_GOAL:g}", lambda v: v <= CHROMA_GOAL)


@dataclass(frozen=True)
class _Pair:
    """A source and target with their clean swap: every case of the pair is compared with it."""

    source: PhotoFace
    target: PhotoFace
    clean: np.ndarray
    inner: np.ndarray  # the target's inner face (hard_edits.inner_face)


class HardSet:
    def __init__(self, detector: Detector, landmarker: Landmarker, swapper: Swapper, judge: Judge) -> None:
        self.detector = detector
        self.landmarker = landmarker
        self.swapper = swapper
        self.judge = judge

    def geometry(self, image: np.ndarray, face: Face) -> edits.Geometry:
        return edits.Geometry(face, self.landmarker.landmarks(image, face))

    def run(self, pairs: Sequence[tuple[PhotoFace, PhotoFace]]) -> list[HardFigure]:
        figures: list[HardFigure] = []
        for source, target in pairs:
            print(f"  hard set: {source.label} -> {target.label}", flush=True)
            figures += self.run_pair(source, target)
        return figures

    def run_pair(self, source: PhotoFace, target: PhotoFace) -> list[HardFigure]:
        clean = self._swap(target.image, target.face, source.image, source.face)
        if isinstance(clean, str):
            return [HardFigure("clean", source.label, target.label, "-", None, "-", False, note=clean)]
        src_geo = self.geometry(source.image, source.face)
        tgt_geo = self.geometry(target.image, target.face)
        pair = _Pair(source, target, clean, edits.inner_face(target.image.shape, tgt_geo.landmarks))
        return self._source_cases(pair, src_geo) + self._target_cases(pair, tgt_geo)

    def _source_cases(self, pair: _Pair, geometry: edits.Geometry) -> list[HardFigure]:
        image = pair.source.image
        chin = edits.chin_point(geometry)
        edited_sources: list[tuple[str, Callable[[], np.ndarray]]] = [
            ("shadow", lambda: edits.hard_shadow(image, geometry)),
            ("gradient", lambda: edits.side_gradient(image, geometry)),
            ("warm cast", lambda: edits.colour_cast(image, "warm")),
            ("cool cast", lambda: edits.colour_cast(image, "cool")),
            ("source occluder", lambda: edits.occluded(image, chin, geometry)[0]),
        ]
        figures = []
        for case, make in edited_sources:
            edited = make()
            face = self._same_face(edited, pair.source.face)
            run = self._run_source(edited, face, pair.target)
            value = lambda run: edits.mean_lab_distance(run.result, pair.clean, pair.inner)  # noqa: E731
            figures.append(self._figure(pair, case, run, DLAB, value, edited, face))
        tight = edits.tight_crop(image, geometry)
        face = self._largest_face(tight)
        figures.append(
            self._identity(pair, "tight source", self._run_source(tight, face, pair.target), tight, face)
        )
        return figures

    def _target_cases(self, pair: _Pair, geometry: edits.Geometry) -> list[HardFigure]:
        image = pair.target.image
        occluded, covered = edits.occluded(image, edits.cheek_point(geometry), geometry)
        run = self._run_target(occluded, self._same_face(occluded, pair.target.face), pair.source)
        kept = lambda run: edits.unchanged_share(run.result, occluded, covered)  # noqa: E731
        figures = [self._figure(pair, "target occluder", run, OCCLUDER, kept, occluded, pair.target.face)]
        grey = edits.grey(image)
        run = self._run_target(grey, self._same_face(grey, pair.target.face), pair.source)
        chroma = lambda run: edits.mean_chroma(run.result, pair.inner)  # noqa: E731
        figures.append(self._figure(pair, "grey scene", run, CHROMA, chroma, grey, pair.target.face))
        edited_scenes = [
            (f"tilted +{TILT_DEGREES:g}", edits.rotated(image, TILT_DEGREES)),
            (f"tilted -{TILT_DEGREES:g}", edits.rotated(image, -TILT_DEGREES)),
            ("small face", edits.shrunk(image, geometry)),
            ("tight target", edits.tight_crop(image, geometry)),
        ]
        for case, scene in edited_scenes:
            face = self._largest_face(scene)
            figures.append(
                self._identity(pair, case, self._run_target(scene, face, pair.source), scene, face)
            )
        return figures

    # --- swaps ------------------------------------------------------------------------------------

    def _swap(self, scene: np.ndarray, face: Face, source: np.ndarray, source_face: Face) -> np.ndarray | str:
        try:
            return self.swapper.swap(scene, face, self.swapper.source_identity(source, source_face))
        except Exception as error:  # an engine refusal is a finding, not a crash
            return f"swap failed: {type(error).__name__}: {error}"[:120]

    def _run_source(self, edited: np.ndarray, face: Face | None, target: PhotoFace) -> _Run | str:
        if face is None:
            return "no face detected in the edited source"
        result = self._swap(target.image, target.face, edited, face)
        return result if isinstance(result, str) else _Run(target.image, target.face, result)

    def _run_target(self, scene: np.ndarray, face: Face | None, source: PhotoFace) -> _Run | str:
        if face is None:
            return "no face detected in the edited target"
        result = self._swap(scene, face, source.image, source.face)
        return result if isinstance(result, str) else _Run(scene, face, result)

    def _same_face(self, image: np.ndarray, original: Face) -> Face | None:
        """The detected face that overlaps the original's box most (edits that keep geometry)."""
        faces = self.detector.detect(image)
        best = max(faces, key=lambda f: _overlap(f.bbox, original.bbox), default=None)
        return best if best is not None and _overlap(best.bbox, original.bbox) > 0.3 else None

    def _largest_face(self, image: np.ndarray) -> Face | None:
        return max(self.detector.detect(image), key=lambda f: f.area, default=None)

    # --- figures ----------------------------------------------------------------------------------

    def _figure(
        self,
        pair: _Pair,
        case: str,
        run: _Run | str,
        goal: _Goal,
        value_of: Callable[[_Run], float],
        shown: np.ndarray,
        shown_face: Face | None,
    ) -> HardFigure:
        names = (pair.source.label, pair.target.label)
        if isinstance(run, str):
            figure = HardFigure(case, *names, goal.measure, None, goal.text, False, note=run)
        else:
            value = value_of(run)
            figure = HardFigure(
                case, *names, goal.measure, value, goal.text, bool(goal.passes(value)), seam=self._seam(run)
            )
        figure.cell = self._cell(pair, figure, shown, shown_face, run)
        return figure

    def _identity(
        self, pair: _Pair, case: str, run: _Run | str, shown: np.ndarray, shown_face: Face | None
    ) -> HardFigure:
        """Whose face the result shows, by dlib's descriptor: goal, nearer the source than the target."""
        names = (pair.source.label, pair.target.label)
        if isinstance(run, str):
            figure = HardFigure(case, *names, "d(src)", None, "< d(tgt)", False, note=run)
        else:
            descriptor = self.judge.descriptor(run.result, run.face)
            to_source = float(np.linalg.norm(descriptor - pair.source.descriptor))
            to_target = float(np.linalg.norm(descriptor - pair.target.descriptor))
            figure = HardFigure(
                case, *names, "d(src)", to_source, "< d(tgt)", to_source < to_target,
                seam=self._seam(run), note=f"d(tgt) {to_target:.3f}",
            )  # fmt: skip
        figure.cell = self._cell(pair, figure, shown, shown_face, run)
        return figure

    def _seam(self, run: _Run) -> float:
        landmarks = self.landmarker.landmarks(run.scene, run.face)
        return edits.seam_score(run.result, run.scene, face_size(landmarks))

    def _cell(
        self, pair: _Pair, figure: HardFigure, shown: np.ndarray, shown_face: Face | None, run: _Run | str
    ) -> np.ndarray:
        """The case's input | its clean twin | the hard result | brow line and jaw of the hard result."""
        blank = np.full((TILE, TILE, 3), 200, np.uint8)
        first = crop(shown, shown_face) if shown_face is not None else _scaled_tile(shown)
        tiles = [first, crop(pair.clean, pair.target.face)]
        if isinstance(run, str):
            tiles += [blank, blank]
        else:
            landmarks = self.landmarker.landmarks(run.scene, run.face)
            tiles += [crop(run.result, run.face), brow_and_jaw(run.result, landmarks)]
        if figure.value is None:
            value = "no result"
        else:
            value = f"{figure.measure} {figure.value:.3g} (goal {figure.goal})"
        seam = "" if figure.seam is None else f" seam {figure.seam:.2f}"
        lines = [f"{figure.case}: {figure.source} -> {figure.target}", value + seam]
        if figure.note:
            lines.append(figure.note)
        body = np.hstack(tiles)
        return np.vstack([body, caption(lines, body.shape[1], figure.ok and figure.seam_ok)])


def _scaled_tile(image: np.ndarray) -> np.ndarray:
    return cv2.resize(image, (TILE, TILE), interpolation=cv2.INTER_AREA)


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two boxes."""
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, float(x2 - x1)) * max(0.0, float(y2 - y1))
    union = float((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])) - inter
    return inter / union if union > 0 else 0.0
