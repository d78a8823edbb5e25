"""The detection settings every face-finding path shares (API pre-check and worker). Plain numbers."""

from __future__ import annotations

# SCRFD settings: insightface's defaults for the model family (score >= 0.5, NMS IoU 0.4).
DETECTION_THRESHOLD = 0.5
NMS_THRESHOLD = 0.4
# The detector sees the image scaled to fit this square (SCRFD's fixed 640x640 input).
DETECTOR_INPUT_SIZE = 640
# Passes over one image: the photo fitted to the whole input, then (only when that finds nobody) fitted
# to half of it, because SCRFD misses a face that fills its whole input (a tight crop, a close selfie).
DETECTION_FITS: tuple[int, ...] = (DETECTOR_INPUT_SIZE, DETECTOR_INPUT_SIZE // 2)
# Detection reads a copy reduced to about twice the detector's input: letterbox then still averages
# several pixels into each of the detector's, so small faces look as they do on the full photo.
PREVIEW_SIDE = 2 * DETECTOR_INPUT_SIZE
# Contract: a face whose box is under 1/16 of the largest face's box (same image) is background.
BACKGROUND_AREA_RATIO = 1.0 / 16.0
# Faces larger than this (detector box side, px) are swapped and restored on a crop shrunk to it
# (face_crop): past it more pixels add cost, not detail. inswapper sees a 128 px aligned crop and GFPGAN
# a 512 px one (a box of about 280 px); the classic swap carries the source face's own detail, and source
# photos' faces are rarely above 700 px. A 768 px box is about a 1400 px aligned face. The worker's
# FACESWAP_FACE_RESOLUTION overrides it.
DEFAULT_FACE_RESOLUTION = 768
