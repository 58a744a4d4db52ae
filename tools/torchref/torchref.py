#!/usr/bin/python3
"""Independent float64 reference for the Knobs engine.

Reads an mlx-community style checkpoint (config.json + model.safetensors, affine
quantized or BF16/F16/F32) with its own safetensors parser and dequantizer, runs the
llama / qwen2 / qwen3 forward pass in float64 with torch, and prints JSON: the greedy
continuation of a prompt and, for every step, the top-k log-softmax values.

It shares no code with backend/model: it follows the HF transformers modeling files
(LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM) directly.

    /usr/bin/python3 tools/torchref/torchref.py --model DIR --prompt-ids 1,2,3 \
        --steps 8 --top 16
"""

import argparse
import json
import math
import struct
import sys

import numpy as np
import torch

DTYPES = {
    "F32": np.float32,
    "F16": np.float16,
    "BF16": np.uint16,
    "U32": np.uint32,
    "I32": np.int32,
}


def read_safetensors(path):
    """Returns {name: float64 or uint32 ndarray} for every tensor in the file."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        raw = np.frombuffer(data[base + start : base + end], dtype=DTYPES[info["dtype"]])
        raw = raw.reshape(info["shape"])
        if info["dtype"] == "BF16":
            raw = (raw.astype(np.uint32) << 16).view(np.float32)
        if info["dtype"] in ("F32", "F16", "BF16"):
            raw = raw.astype(np.float64)
        out[name] = raw
    return out


def dequantize(packed, scales, biases, bits, group_size):
    """MLX affine dequantization: element j of each uint32 sits at bit offset bits*j,
    lowest first; w = scale * q + bias per group of group_size columns."""
    per_word = 32 // bits
    mask = (1 << bits) - 1
    rows = packed.shape[0]
    shifts = np.arange(per_word, dtype=np.uint32) * bits
    q = (packed[:, :, None] >> shifts[None, None, :]) & mask
    q = q.reshape(rows, -1).astype(np.float64)
    cols = q.shape[1]
    q = q.reshape(rows, cols // group_size, group_size)
    w = q * scales[:, :, None] + biases[:, :, None]
    return w.reshape(rows, cols)


class Weights:
    def __init__(self, model_dir, cfg):
        self.t = read_safetensors(model_dir + "/model.safetensors")
        self.q = cfg.get("quantization") or {}

    def has(self, name):
        return name in self.t

    def linear(self, module):
        """Dequantized [out, in] weight of a module path such as model.layers.0.mlp.up_proj."""
        w = self.t[module + ".weight"]
        if module + ".scales" not in self.t:
            return torch.from_numpy(np.asarray(w, dtype=np.float64))
        params = self.q.get(module, None)
        if not isinstance(params, dict):
            params = self.q
        return torch.from_numpy(
            dequantize(w, self.t[module + ".scales"], self.t[module + ".biases"],
                       params["bits"], params["group_size"]))

    def vector(self, name):
        return torch.from_numpy(np.asarray(self.t[name], dtype=np.float64))


def rope_inv_freq(cfg, head_dim):
    """HF _compute_default_rope_parameters / _compute_llama3_parameters, in float64."""
    theta = cfg.get("rope_theta", 10000.0)
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))
    rs = cfg.get("rope_scaling")
    if rs and (rs.get("rope_type") or rs.get("type")) == "llama3":
        factor = rs["factor"]
        low, high = rs["low_freq_factor"], rs["high_freq_factor"]
        old = rs["original_max_position_embeddings"]
        low_wl, high_wl = old / low, old / high
        wl = 2 * math.pi / inv
        scaled = torch.where(wl > low_wl, inv / factor, inv)
        smooth = (old / wl - low) / (high - low)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = (wl >= high_wl) & (wl <= low_wl)
        inv = torch.where(medium, smoothed, scaled)
    return inv


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def rms_norm(x, w, eps):
    return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * w


def forward(cfg, W, ids):
    """Log-softmax of the logits at every position of ids, [T, vocab]."""
    arch = cfg["model_type"]
    hidden = cfg["hidden_size"]
    n_heads = cfg["num_attention_heads"]
    n_kv = cfg.get("num_key_value_heads", n_heads)
    head_dim = cfg.get("head_dim") or hidden // n_heads
    eps = cfg.get("rms_norm_eps", 1e-6)
    T = len(ids)

    embed = W.linear("model.embed_tokens")
    x = embed[torch.tensor(ids)]

    inv = rope_inv_freq(cfg, head_dim)
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]
    ang = torch.cat((ang, ang), dim=-1)
    cos, sin = torch.cos(ang)[:, None, :], torch.sin(ang)[:, None, :]
    mask = torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)

    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, W.vector(p + "input_layernorm.weight"), eps)
        proj = {}
        for name in ("q_proj", "k_proj", "v_proj"):
            y = h @ W.linear(p + "self_attn." + name).T
            if W.has(p + "self_attn." + name + ".bias"):
                y = y + W.vector(p + "self_attn." + name + ".bias")
            proj[name] = y
        q = proj["q_proj"].view(T, n_heads, head_dim)
        k = proj["k_proj"].view(T, n_kv, head_dim)
        v = proj["v_proj"].view(T, n_kv, head_dim)
        if arch == "qwen3":
            q = rms_norm(q, W.vector(p + "self_attn.q_norm.weight"), eps)
            k = rms_norm(k, W.vector(p + "self_attn.k_norm.weight"), eps)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = n_heads // n_kv
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        scores = torch.einsum("thd,shd->hts", q, k) / math.sqrt(head_dim) + mask
        probs = torch.softmax(scores, dim=-1)
        att = torch.einsum("hts,shd->thd", probs, v).reshape(T, n_heads * head_dim)
        x = x + att @ W.linear(p + "self_attn.o_proj").T

        h = rms_norm(x, W.vector(p + "post_attention_layernorm.weight"), eps)
        gate = h @ W.linear(p + "mlp.gate_proj").T
        up = h @ W.linear(p + "mlp.up_proj").T
        x = x + (torch.nn.functional.silu(gate) * up) @ W.linear(p + "mlp.down_proj").T

    x = rms_norm(x, W.vector("model.norm.weight"), eps)
    tied = cfg.get("tie_word_embeddings")
    if tied is None:
        tied = not W.has("lm_head.weight")
    head = embed if tied else W.linear("lm_head")
    return torch.log_softmax(x @ head.T, dim=-1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--prompt-ids", required=True)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--top", type=int, default=16)
    args = ap.parse_args()

    with open(args.model + "/config.json") as f:
        cfg = json.load(f)
    W = Weights(args.model, cfg)
    prompt = [int(s) for s in args.prompt_ids.split(",")]

    ids = list(prompt)
    steps = []
    for _ in range(args.steps):
        lp = forward(cfg, W, ids)[-1]
        top = torch.topk(lp, args.top)
        steps.append({
            "top_ids": [int(i) for i in top.indices],
            "top_logprobs": [float(v) for v in top.values],
        })
        ids.append(int(top.indices[0]))
    json.dump({
        "reference": "torch float64 " + torch.__version__,
        "prompt_ids": prompt,
        "tokens": ids[len(prompt):],
        "steps": steps,
    }, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
