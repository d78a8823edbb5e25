"""Production tier: insightface inswapper_128 + buffalo_l ArcFace, GFPGAN v1.4 (ONNX), on onnxruntime."""

from engine_layer.production.gfpgan import GfpganRestorer
from engine_layer.production.inswapper import ArcfaceIdentity, InswapperSwapper

__all__ = ["ArcfaceIdentity", "GfpganRestorer", "InswapperSwapper"]
