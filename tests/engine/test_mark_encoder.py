"""The watermark's encoder rebuild (engine_layer/provenance/mark_encoder.py): at full rank it is RivaGAN's
own encoder, layer for layer; at the production ranks each convolution is the best separable
approximation of the wheel's kernel, and the marks it writes read back with the wheel's decoder."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper
from scipy.signal import correlate2d

from engine_layer.provenance.mark_encoder import (
    RANKS,
    MarkEncoder,
    _separable_factors,
    embed_mark,
    separable_encoder,
)
from engine_layer.provenance.watermark import model_dir, payload_bits, read_mark


def _wheel_kernels() -> dict[str, np.ndarray]:
    graph = onnx.load(str(model_dir() / "rivagan_encoder.onnx")).graph
    arrays = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    # The convolutions' (out, in, 1, 11, 11) kernels, by layer name as RANKS names them.
    return {name.removesuffix(".weight"): a[:, :, 0] for name, a in arrays.items() if a.ndim == 5}


def test_at_full_rank_the_rebuild_is_the_wheels_encoder() -> None:
    """Same output as the wheel's 3-D graph on a random frame and payload: a softmax over the wrong axis,
    a kernel transposed or a layer out of order moves the output by up to 2 x 0.016."""
    rng = np.random.default_rng(7)
    frame = rng.uniform(-1.0, 1.0, (1, 3, 1, 48, 64)).astype(np.float32)
    bits = rng.integers(0, 2, (1, 32)).astype(np.float32)
    cpu = ["CPUExecutionProvider"]
    wheel = ort.InferenceSession(str(model_dir() / "rivagan_encoder.onnx"), providers=cpu)
    expected = wheel.run(None, {"frame": frame, "data": bits})[0][:, :, 0]
    rebuilt = ort.InferenceSession(separable_encoder({}).SerializeToString(), providers=cpu)
    actual = rebuilt.run(None, {"frame": frame[:, :, 0], "data": bits})[0]
    assert np.abs(actual - expected).max() < 1e-5


@pytest.mark.parametrize("name", sorted(RANKS))
def test_separable_factors_are_the_best_approximation_of_each_kernel(name: str) -> None:
    """Composing the 11x1 and 1x11 kernels gives back the 11x11 one: exactly at full rank, and at the
    production rank within the energy of the dropped singular values (Eckart-Young)."""
    kernel = _wheel_kernels()[name].astype(np.float64)
    outputs, inputs, size, _ = kernel.shape
    for rank in (min(inputs, outputs) * size, RANKS[name]):
        columns, rows = _separable_factors(kernel, rank)
        composed = np.einsum("rik,orl->oikl", columns[..., 0], rows[:, :, 0])
        matrix = kernel.transpose(1, 2, 0, 3).reshape(inputs * size, outputs * size)
        singular = np.linalg.svd(matrix, compute_uv=False)
        dropped = np.sqrt(np.sum(singular[rank:] ** 2))
        assert np.linalg.norm(composed - kernel) <= dropped + 1e-4 * np.linalg.norm(kernel)
        # And the graph's two convolutions compose that way: one channel pair through both passes.
        image = np.random.default_rng(1).normal(size=(20, 20))
        two_pass = sum(
            correlate2d(correlate2d(image, columns[r, 0], mode="same"), rows[0, r], mode="same")
            for r in range(rank)
        )
        one_pass = correlate2d(image, composed[0, 0], mode="same")
        assert np.allclose(two_pass, one_pass, atol=1e-4)


def test_production_ranks_keep_most_of_each_kernel() -> None:
    """A rank too low for a kernel shows here before it shows as lost marks (rank 16 for the 32->32
    attention kernel keeps 85% and lost 15% of marks after a 10% crop; the production ranks keep 89-95%)."""
    kernels = _wheel_kernels()
    assert sorted(kernels) == sorted(RANKS)
    for name, kernel in kernels.items():
        outputs, inputs, size, _ = kernel.shape
        matrix = kernel.transpose(1, 2, 0, 3).reshape(inputs * size, outputs * size)
        energy = np.linalg.svd(matrix, compute_uv=False) ** 2
        kept = energy[: RANKS[name]].sum() / energy.sum()
        assert kept >= 0.88, f"{name}: rank {RANKS[name]} keeps {kept:.1%}"


def test_separable_and_full_encoders_write_marks_the_decoder_reads_alike(t1_bytes: bytes) -> None:
    """On a real photo, both encoders' marks read back, and the separable one moves pixels no more."""
    from engine_layer.decode import decode_image

    pixels = decode_image(t1_bytes, "scene").pixels
    full = MarkEncoder(separable_encoder({})).embed(pixels, 0x3C3C3)
    ours = embed_mark(pixels, 0x3C3C3)
    for marked in (full, ours):
        assert read_mark(marked).mark_id == 0x3C3C3
    step = np.abs(ours.astype(np.int16) - pixels).max()
    assert step <= np.abs(full.astype(np.int16) - pixels).max() + 1
    assert payload_bits(0x3C3C3).shape == (32,)
