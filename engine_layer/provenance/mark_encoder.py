"""Writing the invisible watermark (worker only: it needs OpenCV and onnx; reading lives in watermark.py).

RivaGAN's encoder as shipped (the wheel's `rivagan_encoder.onnx`) costs about 0.2 s of two CPU cores on
a 256 px working copy, four times the whole labelling budget. Its cost is almost all four 11x11
convolutions (a 3-D convolution over a one-frame video, which onnxruntime runs slower than the same 2-D
one) and a softmax over the channel axis. So at first use the same network is rebuilt, from the wheel's
own weights, as a 2-D graph in which:
- each 11x11 convolution is its best rank-R separable approximation (SVD of the kernel laid out as
  (in x rows) x (out x columns)): an 11x1 convolution into R channels, then a 1x11 one out of them. The
  kernels are near separable (the ranks below keep 89-95% of each one's energy), and the decoder reads
  the marks written this way as well as the full network's (benchmarks/provenance_bench.py, README);
- the softmax-weighted sum of the payload bits is sum(bit * e^a) / sum(e^a): the attention logits are
  a batch-norm of a tanh, bounded, so no maximum needs subtracting.
Nothing is downloaded or stored: the graph is derived from the installed wheel in memory.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import cv2
import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from engine_layer.provenance.watermark import (
    STRENGTH,
    as_frame,
    model_dir,
    payload_bits,
    working_copy,
)

# Separable rank per convolution of RivaGAN's encoder (name in the wheel's graph -> rank): the lowest
# tried whose marks read back as often as the full network's after JPEG q75, a 50% resize and a 10% crop
# (40 marks on real results: 100% as written, after q75 and the resize, 92.5% after the crop against
# the full network's 95%; with rank 16 for the 32->32 attention kernel the crop fell to 85%). They keep
# 89-95% of each kernel's energy and cut the encoder's multiply-adds per pixel from 163k to 26k.
RANKS = {"_attention.0": 6, "_attention.3": 24, "_conv.0": 12, "_conv.3": 6}
_KERNEL = 11
_PAD = _KERNEL // 2
_OPSET = 15


def embed_mark(pixels: np.ndarray, mark_id: int) -> np.ndarray:
    """A copy of BGR uint8 `pixels` carrying the 20-bit `mark_id` (PSNR about 39 dB)."""
    return default_encoder().embed(pixels, mark_id)


class MarkEncoder:
    """Writes marks with one encoder graph (the separable rebuild in production; the bench also runs the
    full network this way, to compare)."""

    def __init__(self, model: onnx.ModelProto) -> None:
        available = ort.get_available_providers()
        providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]
        self.session = ort.InferenceSession(model.SerializeToString(), providers=providers)

    def embed(self, pixels: np.ndarray, mark_id: int) -> np.ndarray:
        """The network runs on the working copy; the difference it makes, scaled by STRENGTH and resized
        to the full frame, is added with rounding and saturation in one pass."""
        frame = as_frame(working_copy(pixels))[:, :, 0]  # the 2-D graph takes (1, 3, H, W)
        marked = self.session.run(None, {"frame": frame, "data": payload_bits(mark_id)[None]})[0]
        residual = (np.clip(marked, -1.0, 1.0) - frame)[0].transpose(1, 2, 0) * np.float32(127.5 * STRENGTH)
        height, width = pixels.shape[:2]
        if residual.shape[:2] != (height, width):
            residual = cv2.resize(residual, (width, height), interpolation=cv2.INTER_LINEAR)
        marked_pixels: np.ndarray = cv2.add(pixels, residual, dtype=cv2.CV_8U)
        return marked_pixels


@lru_cache(maxsize=1)
def default_encoder() -> MarkEncoder:
    return MarkEncoder(separable_encoder(RANKS))


def separable_encoder(ranks: dict[str, int]) -> onnx.ModelProto:
    """RivaGAN's encoder as a 2-D graph, each convolution named in `ranks` made rank-R separable.

    Inputs: `frame` (1, 3, H, W) in -1..1 and `data` (1, 32) bits; output `output`, the marked frame.
    A convolution left out of `ranks` (or with a rank of its full size) is kept exact."""
    weights = {
        tensor.name: numpy_helper.to_array(tensor)
        for tensor in onnx.load(str(model_dir() / "rivagan_encoder.onnx")).graph.initializer
    }
    graph = _GraphBuilder(weights, ranks)
    return graph.model()


class _GraphBuilder:
    """RivaGAN's AttentiveEncoder (DAI-Lab/RivaGAN), layer for layer, in 2-D ONNX nodes."""

    def __init__(self, weights: dict[str, np.ndarray], ranks: dict[str, int]) -> None:
        self._weights, self._ranks = weights, ranks
        self._nodes: list[onnx.NodeProto] = []
        self._initializers: list[onnx.TensorProto] = []

    def model(self) -> onnx.ModelProto:
        node = self._node
        node("Mul", ["data", self._constant("two", 2.0)], "scaled")
        node("Sub", ["scaled", self._constant("one", 1.0)], "signs")  # bits 0/1 -> -1/+1
        # Attention: per pixel, a softmax over 32 channels weighs the 32 payload signs.
        self._conv_tanh_norm("frame", "_attention.0", "_attention.2", "attention_1")
        self._conv_tanh_norm("attention_1", "_attention.3", "_attention.5", "logits")
        node("Exp", ["logits"], "weights")
        # Both channel sums as one 1x1 convolution whose two filters are the signs and ones (a GEMM; a
        # ReduceSum over channels costs ten times as much on onnxruntime's CPU provider).
        node("Concat", ["signs", self._constant("ones", np.ones((1, 32)))], "sum_filters_2d", axis=0)
        node(
            "Reshape",
            ["sum_filters_2d", self._constant("filter_shape", [2, 32, 1, 1], np.int64)],
            "sum_filters",
        )
        node("Conv", ["weights", "sum_filters"], "sums", kernel_shape=[1, 1])
        node(
            "Split",
            ["sums", self._constant("halves", [1, 1], np.int64)],
            ["signs_total", "weights_total"],
            axis=1,
        )
        node("Div", ["signs_total", "weights_total"], "message")
        # The residual: from the frame and the message map, bounded by tanh and L-inf 0.016.
        node("Concat", ["frame", "message"], "frame_and_message", axis=1)
        self._conv_tanh_norm("frame_and_message", "_conv.0", "_conv.2", "residual_1")
        self._conv("residual_1", "_conv.3", "residual_2")
        node("Tanh", ["residual_2"], "residual_3")
        node("Mul", ["residual_3", self._constant("linf", 0.016)], "residual")
        node("Add", ["frame", "residual"], "output")

        height_width: list[str | int] = [1, 3, "height", "width"]
        graph = helper.make_graph(
            self._nodes,
            "rivagan_encoder_separable",
            [
                helper.make_tensor_value_info("frame", TensorProto.FLOAT, height_width),
                helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 32]),
            ],
            [helper.make_tensor_value_info("output", TensorProto.FLOAT, height_width)],
            self._initializers,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", _OPSET)])
        model.ir_version = 8  # onnxruntime >= 1.14 reads it
        onnx.checker.check_model(model)
        return model

    def _node(self, op: str, inputs: list[str], output: str | list[str], **attributes: Any) -> None:
        outputs = [output] if isinstance(output, str) else output
        self._nodes.append(helper.make_node(op, inputs, outputs, name=outputs[0], **attributes))

    def _constant(self, name: str, value: object, dtype: type = np.float32) -> str:
        self._initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def _conv_tanh_norm(self, source: str, conv: str, norm: str, output: str) -> None:
        self._conv(source, conv, f"{output}_conv")
        self._node("Tanh", [f"{output}_conv"], f"{output}_tanh")
        parameters = [
            self._constant(f"{norm}.{part}", self._weights[f"{norm}.{part}"])
            for part in ("weight", "bias", "running_mean", "running_var")
        ]
        self._node("BatchNormalization", [f"{output}_tanh", *parameters], output, epsilon=1e-5)

    def _conv(self, source: str, name: str, output: str) -> None:
        kernel = self._weights[f"{name}.weight"][:, :, 0]  # (out, in, 1, 11, 11): one frame deep
        bias = self._constant(f"{name}.bias", self._weights[f"{name}.bias"])
        outputs, inputs = kernel.shape[:2]
        rank = self._ranks.get(name, _KERNEL * min(inputs, outputs))
        if rank >= _KERNEL * min(inputs, outputs):
            full = self._constant(f"{name}.weight", kernel)
            self._node("Conv", [source, full, bias], output, pads=[_PAD] * 4, kernel_shape=[_KERNEL] * 2)
            return
        columns, rows = _separable_factors(kernel, rank)
        self._node(
            "Conv",
            [source, self._constant(f"{name}.columns", columns)],
            f"{output}_columns",
            pads=[_PAD, 0, _PAD, 0],
            kernel_shape=[_KERNEL, 1],
        )
        self._node(
            "Conv",
            [f"{output}_columns", self._constant(f"{name}.rows", rows), bias],
            output,
            pads=[0, _PAD, 0, _PAD],
            kernel_shape=[1, _KERNEL],
        )


def _separable_factors(kernel: np.ndarray, rank: int) -> tuple[np.ndarray, np.ndarray]:
    """(rank, in, k, 1) and (out, rank, 1, k) kernels whose composition is the best rank-`rank`
    approximation of `kernel` (out, in, k, k): SVD of it as an (in*k rows) x (out*k columns) matrix."""
    outputs, inputs, size, _ = kernel.shape
    matrix = kernel.transpose(1, 2, 0, 3).reshape(inputs * size, outputs * size).astype(np.float64)
    left, singular, right = np.linalg.svd(matrix, full_matrices=False)
    root = np.sqrt(singular[:rank])
    columns = (left[:, :rank] * root).T.reshape(rank, inputs, size, 1)
    rows = (right[:rank].T * root).reshape(outputs, size, rank).transpose(0, 2, 1)[:, :, None, :]
    return columns.astype(np.float32), rows.astype(np.float32)
