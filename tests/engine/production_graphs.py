"""Small ONNX graphs with the production models' real signatures, so the production tier's own code
(alignment, normalisation, emap projection, paste-back) runs in CI without the real weights.

Each graph computes something simple and known, so a test can predict its output exactly:
- inswapper_128: `target` 1x3x128x128 RGB in [0, 1] and `source` 1x512 (the projected, re-normalised
  latent) -> `output` = (1 - mix) * target + mix * colour, where colour = sigmoid(gain * source @ P) is a
  flat RGB colour chosen by the source identity. The 512x512 emap is the graph's LAST initializer,
  where insightface's INSwapper reads it; the graph itself never uses it (as in the real file).
- ArcFace w600k_r50: `input.1` 1x3x112x112 -> 1x512 = (8x8 average-pooled image) @ W.
- GFPGAN 1.4: `input` 1x3x512x512 -> `output` 1x3x512x512: identity, or "red only" (R kept, G = B = -1).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from insightface.model_zoo import get_model
from onnx import TensorProto, helper, numpy_helper

from engine_layer.datatypes import Face

OPSET = 17
IR_VERSION = 8  # read by every onnxruntime this project allows


@dataclass(frozen=True)
class InswapperGraph:
    path: Path
    emap: np.ndarray  # (512, 512)
    projection: np.ndarray  # (512, 3): latent -> RGB logits
    gain: float
    mix: float

    def colour_rgb(self, latent: np.ndarray) -> np.ndarray:
        """The flat colour (RGB in [0, 1]) the graph paints for a projected latent."""
        logits = self.gain * (latent.reshape(1, 512) @ self.projection)
        return (1.0 / (1.0 + np.exp(-logits))).reshape(3)


@dataclass(frozen=True)
class ArcfaceGraph:
    path: Path
    weights: np.ndarray  # (192, 512)

    def embedding(self, aligned_rgb_normalised: np.ndarray) -> np.ndarray:
        """What the graph returns for a 3x112x112 RGB input already scaled to [-1, 1]."""
        pooled = aligned_rgb_normalised.reshape(3, 8, 14, 8, 14).mean(axis=(2, 4))
        return pooled.reshape(1, 192) @ self.weights


def _save(graph: onnx.GraphProto, path: Path) -> Path:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def _const(name: str, value: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(value), name=name)


def build_inswapper(path: Path, *, seed: int = 7, gain: float = 3.0, mix: float = 0.5) -> InswapperGraph:
    rng = np.random.default_rng(seed)
    projection = rng.standard_normal((512, 3)).astype(np.float32)
    emap = (rng.standard_normal((512, 512)) / np.sqrt(512)).astype(np.float32)
    nodes = [
        helper.make_node("MatMul", ["source", "projection"], ["logits"], name="colour_logits"),
        helper.make_node("Mul", ["logits", "gain"], ["scaled"], name="colour_gain"),
        helper.make_node("Sigmoid", ["scaled"], ["colour"], name="colour_squash"),
        helper.make_node("Reshape", ["colour", "colour_shape"], ["colour_plane"], name="colour_plane"),
        helper.make_node("Mul", ["target", "keep"], ["kept"], name="keep_target"),
        helper.make_node("Mul", ["colour_plane", "mix"], ["painted"], name="paint_colour"),
        helper.make_node("Add", ["kept", "painted"], ["output"], name="blend"),
    ]
    initializers = [
        _const("projection", projection),
        _const("gain", np.array(gain, dtype=np.float32)),
        _const("colour_shape", np.array([1, 3, 1, 1], dtype=np.int64)),
        _const("keep", np.array(1.0 - mix, dtype=np.float32)),
        _const("mix", np.array(mix, dtype=np.float32)),
        _const("emap", emap),  # last, as in inswapper_128.onnx
    ]
    graph = helper.make_graph(
        nodes,
        "inswapper_128_stand_in",
        [
            helper.make_tensor_value_info("target", TensorProto.FLOAT, [1, 3, 128, 128]),
            helper.make_tensor_value_info("source", TensorProto.FLOAT, [1, 512]),
        ],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, 128, 128])],
        initializer=initializers,
    )
    return InswapperGraph(_save(graph, path), emap, projection, gain, mix)


def build_arcface(path: Path, *, seed: int = 11, scale: float = 1.0) -> ArcfaceGraph:
    """`scale=0` gives a graph whose embedding is all zeros (an identity-less source)."""
    rng = np.random.default_rng(seed)
    weights = (rng.standard_normal((192, 512)) * scale).astype(np.float32)
    # Node names must not start with Sub/Mul: insightface would take that for an mxnet export with
    # normalisation built in. w600k_r50 is a PyTorch export normalised outside, by (x - 127.5) / 127.5.
    nodes = [
        helper.make_node(
            "AveragePool", ["input.1"], ["pooled"], kernel_shape=[14, 14], strides=[14, 14], name="pool"
        ),
        helper.make_node("Reshape", ["pooled", "flat_shape"], ["flat"], name="flatten"),
        helper.make_node("MatMul", ["flat", "weights"], ["683"], name="embed"),
    ]
    graph = helper.make_graph(
        nodes,
        "w600k_r50_stand_in",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, 112, 112])],
        [helper.make_tensor_value_info("683", TensorProto.FLOAT, [1, 512])],
        initializer=[_const("flat_shape", np.array([1, 192], dtype=np.int64)), _const("weights", weights)],
    )
    return ArcfaceGraph(_save(graph, path), weights)


def _gfpgan(path: Path, nodes: list[onnx.NodeProto], initializers: list[onnx.TensorProto], size: int) -> Path:
    graph = helper.make_graph(
        nodes,
        "gfpgan_1_4_stand_in",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, size, size])],
        initializer=initializers,
    )
    return _save(graph, path)


def build_gfpgan_identity(path: Path, *, size: int = 512) -> Path:
    return _gfpgan(path, [helper.make_node("Identity", ["input"], ["output"], name="restore")], [], size)


def build_gfpgan_red_only(path: Path) -> Path:
    """Keeps channel 0 (red, if the caller fed RGB) and sets the others to -1 (black after denormalising)."""
    keep = np.array([1.0, 0.0, 0.0], dtype=np.float32).reshape(1, 3, 1, 1)
    floor = np.array([0.0, -1.0, -1.0], dtype=np.float32).reshape(1, 3, 1, 1)
    nodes = [
        helper.make_node("Mul", ["input", "keep"], ["kept"], name="keep_red"),
        helper.make_node("Add", ["kept", "floor"], ["output"], name="floor_others"),
    ]
    return _gfpgan(path, nodes, [_const("keep", keep), _const("floor", floor)], 512)


def scrfd_faces(model_path: Path, scene: np.ndarray) -> list[Face]:
    """A scene's faces, left to right, straight from insightface's SCRFD (independent of our detector)."""
    detector = get_model(str(model_path), providers=["CPUExecutionProvider"])
    detector.prepare(ctx_id=-1, input_size=(640, 640))
    boxes, kpss = detector.detect(scene, input_size=(640, 640))
    found = [
        Face(bbox=box[:4].astype(np.float32), score=float(box[4]), kps=kps.astype(np.float32))
        for box, kps in zip(boxes, kpss, strict=True)
    ]
    return sorted(found, key=lambda face: face.centre[0])
