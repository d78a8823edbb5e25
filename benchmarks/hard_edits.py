"""The hard set's photo edits and measures: pure numpy/OpenCV on BGR uint8 images and face geometry.

Edits take a face's box and SCRFD keypoints (and dlib's 68 landmarks where a place on the face is
needed) and return a new image; nothing here swaps or judges. Measures compare a result with its clean
twin or its scene inside regions built from the target's landmarks.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from engine_layer.datatypes import Face

SHADOW_FACTOR = 0.45  # the hard shadow: x0.45 past the nose line
SHADOW_EDGE = 0.08  # its soft edge, in face widths
GRADIENT_LOW = 0.5  # the side gradient runs from x1.0 to x0.5 across the face
CASTS = {"warm": (0.85, 1.0, 1.15), "cool": (1.15, 1.0, 0.85)}  # B, G, R gains
OCCLUDER_GREY = 128
OCCLUDER_RIM = 225
TIGHT_SIDE = 112
SMALL_FACE_WIDTH = 64
UNCHANGED_LEVELS = 2
SEAM_BAND_PX = 2  # an occluder pixel within this many grey levels of the input counts as unchanged


@dataclass(frozen=True)
class Geometry:
    """Where a face is: its box, keypoints and 68 landmarks, in one image's pixels."""

    face: Face
    landmarks: np.ndarray  # (68, 2)

    @property
    def width(self) -> float:
        return float(self.face.bbox[2] - self.face.bbox[0])

    def eye_axis(self) -> np.ndarray:
        axis = (self.face.kps[1] - self.face.kps[0]).astype(np.float64)
        norm = float(np.linalg.norm(axis))
        return axis / norm if norm > 1e-6 else np.array([1.0, 0.0])


def _along_eyes_from_nose(shape: tuple[int, ...], geometry: Geometry) -> np.ndarray:
    """Signed distance of every pixel from the nose line (through the nose tip, across the eye line),
    along the eye axis, in face widths: > 0 on the face's image-right side."""
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    axis = geometry.eye_axis()
    nose = geometry.face.kps[2].astype(np.float64)
    return ((cols - nose[0]) * axis[0] + (rows - nose[1]) * axis[1]) / max(geometry.width, 1.0)


def _face_region(shape: tuple[int, ...], geometry: Geometry) -> np.ndarray:
    """A soft ellipse over the head (face box grown), 0..1 float32."""
    x1, y1, x2, y2 = (float(v) for v in geometry.face.bbox)
    region = np.zeros(shape[:2], np.float32)
    centre = (round((x1 + x2) / 2), round((y1 + y2) / 2 - 0.05 * (y2 - y1)))
    axes = (round(0.75 * (x2 - x1)), round(0.8 * (y2 - y1)))
    cv2.ellipse(region, centre, axes, 0, 0, 360, 1.0, -1)
    sigma = max(1.0, 0.06 * geometry.width)
    return cv2.GaussianBlur(region, (0, 0), sigma)


def _scaled(image: np.ndarray, gain: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(image.astype(np.float32) * gain), 0, 255).astype(np.uint8)


def hard_shadow(image: np.ndarray, geometry: Geometry) -> np.ndarray:
    """Half the face (past the nose line, soft edge) at x0.45, as under a hard side light."""
    side = np.clip(_along_eyes_from_nose(image.shape, geometry) / SHADOW_EDGE + 0.5, 0.0, 1.0)
    gain = 1.0 - (1.0 - SHADOW_FACTOR) * side * _face_region(image.shape, geometry)
    return _scaled(image, gain[..., None])


def side_gradient(image: np.ndarray, geometry: Geometry) -> np.ndarray:
    """Light falling off smoothly across the face, x1.0 on one side to x0.5 on the other."""
    across = np.clip(_along_eyes_from_nose(image.shape, geometry) + 0.5, 0.0, 1.0)
    gain = 1.0 - (1.0 - GRADIENT_LOW) * across
    return _scaled(image, gain[..., None])


def colour_cast(image: np.ndarray, cast: str) -> np.ndarray:
    return _scaled(image, np.asarray(CASTS[cast], np.float32))


def _occluder_mask(
    shape: tuple[int, ...], centre: np.ndarray, geometry: Geometry
) -> tuple[np.ndarray, np.ndarray]:
    """(flat grey ellipse, light rim around it) as boolean masks; the ellipse follows the eye line."""
    width = geometry.width
    axes = (max(2, round(0.22 * width)), max(2, round(0.12 * width)))
    angle = float(np.degrees(np.arctan2(*geometry.eye_axis()[::-1])))
    rim = max(2, round(0.03 * width))
    outer = np.zeros(shape[:2], np.uint8)
    inner = np.zeros(shape[:2], np.uint8)
    point = (round(float(centre[0])), round(float(centre[1])))
    cv2.ellipse(outer, point, (axes[0] + rim, axes[1] + rim), angle, 0, 360, 1, -1)
    cv2.ellipse(inner, point, axes, angle, 0, 360, 1, -1)
    return inner > 0, (outer > 0) & (inner == 0)


def occluded(image: np.ndarray, centre: np.ndarray, geometry: Geometry) -> tuple[np.ndarray, np.ndarray]:
    """(image with a flat grey ellipse with a light rim at `centre`, mask of the pixels it covers)."""
    body, rim = _occluder_mask(image.shape, centre, geometry)
    out = image.copy()
    out[body] = OCCLUDER_GREY
    out[rim] = OCCLUDER_RIM
    return out, body | rim


def chin_point(geometry: Geometry) -> np.ndarray:
    """On the chin, a little above its lowest point (landmark 8), toward the lower lip (57)."""
    return 0.65 * geometry.landmarks[8] + 0.35 * geometry.landmarks[57]


def cheek_point(geometry: Geometry) -> np.ndarray:
    """On the face's image-left cheek: between the jaw (landmark 2) and the nose's side (31)."""
    return 0.5 * geometry.landmarks[2] + 0.5 * geometry.landmarks[31]


def grey(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)


def tight_crop(image: np.ndarray, geometry: Geometry) -> np.ndarray:
    """A monochrome 112 px headshot the face fills (its box, squared), grey where it leaves the photo."""
    x1, y1, x2, y2 = (float(v) for v in geometry.face.bbox)
    side = max(x2 - x1, y2 - y1)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    scale = TIGHT_SIDE / side
    matrix = np.array([[scale, 0, TIGHT_SIDE / 2 - cx * scale], [0, scale, TIGHT_SIDE / 2 - cy * scale]])
    crop = cv2.warpAffine(
        image, matrix, (TIGHT_SIDE, TIGHT_SIDE), flags=cv2.INTER_AREA, borderValue=(128, 128, 128)
    )
    return grey(crop)


def rotated(image: np.ndarray, degrees: float) -> np.ndarray:
    """The whole photo turned by `degrees` (positive: counter-clockwise), canvas grown, grey corners."""
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(height * sin + width * cos), int(height * cos + width * sin)
    matrix[0, 2] += new_w / 2 - width / 2
    matrix[1, 2] += new_h / 2 - height / 2
    return cv2.warpAffine(image, matrix, (new_w, new_h), flags=cv2.INTER_CUBIC, borderValue=(128, 128, 128))


def shrunk(image: np.ndarray, geometry: Geometry, face_width: int = SMALL_FACE_WIDTH) -> np.ndarray:
    scale = face_width / max(geometry.width, 1.0)
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


# ----------------------------------------------------------------------------------------------- measures


def lab(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image.astype(np.float32) / 255.0, cv2.COLOR_BGR2Lab)


def inner_face(shape: tuple[int, ...], landmarks: np.ndarray) -> np.ndarray:
    """The target's inner face: the hull of jaw points 2-14 and the brows, shrunk 15% toward the nose
    tip, so every pixel is one the swap writes in full (no feather, no hair)."""
    points = np.vstack([landmarks[2:15], landmarks[17:27]]).astype(np.float64)
    nose = landmarks[30].astype(np.float64)
    points = nose + 0.85 * (points - nose)
    mask = np.zeros(shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(np.round(points).astype(np.int32)), 1)
    return mask > 0


def mean_lab_distance(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
    """Mean CIE76 distance between two images over `where` (pixel by pixel, not of the means)."""
    if not where.any():
        return float("nan")
    return float(np.linalg.norm(lab(a)[where] - lab(b)[where], axis=1).mean())


def mean_chroma(image: np.ndarray, where: np.ndarray) -> float:
    if not where.any():
        return float("nan")
    ab = lab(image)[where][:, 1:]
    return float(np.linalg.norm(ab, axis=1).mean())


def unchanged_share(result: np.ndarray, before: np.ndarray, where: np.ndarray) -> float:
    if not where.any():
        return float("nan")
    difference = np.abs(result.astype(np.int16) - before.astype(np.int16)).max(axis=2)
    return float((difference[where] <= UNCHANGED_LEVELS).mean())


def seam_score(result: np.ndarray, scene: np.ndarray, face_size: float) -> float:
    """How much the swap's edge adds to the picture: mean gradient magnitude of (result - scene) (Lab L,
    smoothed at 1 px) over a band across the boundary of the changed region, divided by the scene's own
    mean gradient there. 0: no trace of an edge; 1: the seam is as strong as the photo's own edges there."""
    light_result = lab(result)[..., 0]
    light_scene = lab(scene)[..., 0]
    changed = (np.abs(light_result - light_scene) > 0.5).astype(np.uint8)
    if not changed.any():
        return 0.0
    _, labels, stats, _ = cv2.connectedComponentsWithStats(changed, connectivity=8)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    region = (labels == largest).astype(np.uint8)
    close = max(3, round(face_size * 0.05)) | 1
    region = cv2.morphologyEx(
        region, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (close, close))
    )
    # A thin band (2 px each side): a step in the seam is 1-2 px wide and a wider band dilutes it; on a
    # real swap a pasted +25 grey-level step scores 0.89 here against 0.15 for the swap as blended.
    radius = SEAM_BAND_PX
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    band = (cv2.dilate(region, kernel) > 0) & (cv2.erode(region, kernel) == 0)
    difference = cv2.GaussianBlur(light_result - light_scene, (0, 0), 1.0)
    smooth_scene = cv2.GaussianBlur(light_scene, (0, 0), 1.0)
    seam = _gradient(difference)[band].mean()
    own = _gradient(smooth_scene)[band].mean()
    return float(seam / max(own, 1e-3))


def _gradient(values: np.ndarray) -> np.ndarray:
    return np.hypot(
        cv2.Sobel(values, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(values, cv2.CV_32F, 0, 1, ksize=3)
    )
