"""MLX's affine quantization and its safetensors layout, in torch.

mx.quantize (mode "affine") splits each row into groups of group_size
consecutive inputs and stores w ~ scale * q + bias with q in [0, 2^bits-1].
Its rule pins the group's edge of larger magnitude to an exact code: the
scale (max-min)/(2^bits-1) is signed so that edge/scale >= 0, q0 is that
ratio rounded, and if q0 != 0 the scale becomes edge/q0 and the bias the
edge (else the bias is 0). Codes are round((w-bias)/scale) clipped, with
halves rounded away from zero as Metal's round() does, all in float32; the
scale and bias are then stored in the weights' dtype (here BF16).

MLX packs a row's codes into uint32 words, 32/bits codes per word, code j of
a word at bit offset bits*j (the first code in the lowest bits).

backend/demomodel's tests check this port against Knobs' quant.Quantize on
rows of the trained weights (testdata/quantize.json).
"""

import json
import struct

import torch

EPS = 1e-7  # floor on the scale, so a constant group does not divide by 0


def round_half_away(x):
    return torch.sign(x) * torch.floor(x.abs() + 0.5)


def quantize(w, bits=4, group_size=64):
    """w [rows, cols] float32 -> (packed uint32-as-int64 [rows, cols*bits/32],
    scales bf16 [rows, cols/group], biases bf16 [rows, cols/group])."""
    rows, cols = w.shape
    assert cols % group_size == 0, (cols, group_size)
    n_bins = float(2**bits - 1)
    g = w.float().reshape(rows, cols // group_size, group_size)

    # Scale and bias per group, anchored on the edge of larger magnitude. The
    # maximum starts at 0, as in MLX's Metal kernel (which made the
    # mlx-community checkpoints) and Knobs' quant.Quantize.
    w_min, w_max = g.min(-1).values, g.max(-1).values.clamp(min=0)
    low_edge = w_min.abs() > w_max.abs()
    scale = ((w_max - w_min) / n_bins).clamp(min=EPS)
    scale = torch.where(low_edge, scale, -scale)
    edge = torch.where(low_edge, w_min, w_max)
    q0 = round_half_away(edge / scale)
    at_zero = q0 == 0
    scale = torch.where(at_zero, scale, edge / torch.where(at_zero, 1.0, q0))
    bias = torch.where(at_zero, torch.zeros_like(edge), edge)

    # Codes, from the float32 scale and bias.
    q = round_half_away((g - bias[..., None]) / scale[..., None]).clamp(0, n_bins)
    q = q.to(torch.int64).reshape(rows, cols)

    # Pack: per word, code j at bit offset bits*j.
    per_word = 32 // bits
    q = q.reshape(rows, cols // per_word, per_word)
    shifts = torch.arange(per_word, dtype=torch.int64) * bits
    packed = (q << shifts).sum(-1)
    return packed, scale.to(torch.bfloat16), bias.to(torch.bfloat16)


def dequantize(packed, scales, biases, bits=4, group_size=64):
    """The inverse: float32 [rows, cols] = scale * q + bias, with the stored
    (BF16) scale and bias widened to float32."""
    rows = packed.shape[0]
    per_word = 32 // bits
    shifts = torch.arange(per_word, dtype=torch.int64) * bits
    q = (packed[..., None] >> shifts) & (2**bits - 1)
    q = q.reshape(rows, -1, group_size).float()
    w = q * scales.float()[..., None] + biases.float()[..., None]
    return w.reshape(rows, -1)


_DTYPES = {torch.float32: "F32", torch.bfloat16: "BF16", torch.int64: "U32"}


def _raw(t):
    """Little-endian bytes of t in its safetensors dtype."""
    if t.dtype == torch.int64:  # packed words: stored as uint32
        assert int(t.min()) >= 0 and int(t.max()) < 2**32
        return t.numpy().astype("<u4").tobytes()
    if t.dtype == torch.bfloat16:
        return t.contiguous().view(torch.int16).numpy().astype("<i2").tobytes()
    return t.contiguous().numpy().astype("<f4").tobytes()


def save_safetensors(path, tensors, metadata):
    """Writes tensors (name -> torch tensor) as safetensors: an 8-byte
    little-endian header length, the JSON header (padded with spaces to a
    multiple of 8) and the tensors' bytes in name order."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        t = tensors[name]
        raw = _raw(t)
        header[name] = {
            "dtype": _DTYPES[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(raw)],
        }
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)
