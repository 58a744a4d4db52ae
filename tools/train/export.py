"""Exports a training checkpoint in the mlx-community layout and writes the
fixtures Knobs' Go tests compare against.

    /usr/bin/python3 export.py out/ckpt-01000.pt

Writes backend/demomodel/knobs-demo/ (config.json, model.safetensors,
tokenizer.json, tokenizer_config.json, generation_config.json) and
backend/demomodel/testdata/ (logits.json: reference logprobs of the
dequantized model; tokenizer.json: texts and the ids this recipe's
tokenizer gives them), and prints the numbers the model card quotes.
"""

import json
import os
import shutil
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import bpe  # noqa: E402
import mlxquant  # noqa: E402
import train  # noqa: E402
from model import Config, Llama  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
MODEL_DIR = os.path.join(ROOT, "backend", "demomodel", "knobs-demo")
TESTDATA = os.path.join(ROOT, "backend", "demomodel", "testdata")

BITS, GROUP_SIZE = 4, 64
TOP_K = 20  # reference logprobs kept per position

LOGIT_PROMPTS = [
    "In the beginning God created",
    "And the LORD spake unto Moses, saying,",
    "Blessed are the",
    "Psalms 23\nThe LORD is my shepherd;",
]
CHAT_PROMPT = "Who made the heaven and the earth?"

TOKENIZER_CASES = [
    "In the beginning God created the heaven and the earth.",
    "Genesis 1\nIn the beginning\n\nExodus 2\n",
    "I'll say it: don't, WON'T, he's, they're, we've, I'M, you'd.",
    "Numbers 12345 and 3.14159, 1,000,000 and 007!",
    "  leading spaces,   runs of   spaces, trailing   ",
    "tabs\tand\r\nwindows line ends\n\n\n",
    "café naïve façade — “quoted” ‘text’ …",
    "日本語のテキスト and 한국어 and Ελληνικά",
    "emoji 🙂👍🏽 and symbols ©®™ ±×÷",
    "<|begin_of_text|>special<|eot_id|> tokens <|start_header_id|>user<|end_header_id|>",
    "code: x = f(a, b); if (x >= 10) { return -1; } // done",
    "A",
    "",
    "\n",
    " ",
]


def load(path):
    ckpt = torch.load(path)
    cfg = Config(**ckpt["config"])
    model = Llama(cfg)
    model.load_state_dict(ckpt["model"])
    model.eval()
    return ckpt, cfg, model


def quantized_tensors(model):
    """The checkpoint's tensors as MLX stores them, and the float32 values the
    engine will see (dequantized weights, BF16-rounded norms)."""
    tensors, seen = {}, {}
    for name, p in model.state_dict().items():
        p = p.detach().float()
        if name.endswith("norm.weight"):
            tensors[name] = p.to(torch.bfloat16)
            seen[name] = tensors[name].float()
            continue
        packed, scales, biases = mlxquant.quantize(p, BITS, GROUP_SIZE)
        stem = name[: -len(".weight")]
        tensors[name] = packed
        tensors[stem + ".scales"] = scales
        tensors[stem + ".biases"] = biases
        seen[name] = mlxquant.dequantize(packed, scales, biases, BITS, GROUP_SIZE)
    return tensors, seen


def bf16_bits(t):
    return (t.view(torch.int16).to(torch.int64) & 0xFFFF).flatten().tolist()


def quantize_fixture(state):
    """Rows of trained weights with their MLX quantization, for comparison with
    quant.Quantize: weights as float32 values, scales and biases as BF16 bits."""
    out = []
    for name in ("model.layers.0.self_attn.q_proj.weight", "model.layers.0.mlp.down_proj.weight"):
        w = state[name][:4].float()
        packed, scales, biases = mlxquant.quantize(w, BITS, GROUP_SIZE)
        out.append(
            {
                "name": name,
                "rows": w.shape[0],
                "cols": w.shape[1],
                "weights": [float(v) for v in w.flatten().tolist()],
                "packed": packed.flatten().tolist(),
                "scales_bf16": bf16_bits(scales),
                "biases_bf16": bf16_bits(biases),
            }
        )
    return {"bits": BITS, "group_size": GROUP_SIZE, "matrices": out}


def config_json(cfg, tok):
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": cfg.hidden_size,
        "intermediate_size": cfg.intermediate_size,
        "num_hidden_layers": cfg.num_hidden_layers,
        "num_attention_heads": cfg.num_attention_heads,
        "num_key_value_heads": cfg.num_key_value_heads,
        "head_dim": cfg.head_dim,
        "hidden_act": "silu",
        "rms_norm_eps": cfg.rms_norm_eps,
        "rope_theta": cfg.rope_theta,
        "rope_scaling": None,
        "max_position_embeddings": cfg.max_position_embeddings,
        "vocab_size": cfg.vocab_size,
        "tie_word_embeddings": True,
        "attention_bias": False,
        "mlp_bias": False,
        "bos_token_id": tok.token_id(bpe.BOS),
        "eos_token_id": [tok.token_id(bpe.EOS), tok.token_id(bpe.EOT)],
        "torch_dtype": "bfloat16",
        "quantization": {"group_size": GROUP_SIZE, "bits": BITS},
        "quantization_config": {"group_size": GROUP_SIZE, "bits": BITS},
    }


def generation_config(tok):
    return {
        "bos_token_id": tok.token_id(bpe.BOS),
        "eos_token_id": [tok.token_id(bpe.EOS), tok.token_id(bpe.EOT)],
        "do_sample": True,
        "temperature": 0.7,
        "top_p": 0.95,
    }


def write_json(path, doc):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=2)
        f.write("\n")


def chat_text(question):
    return (
        f"{bpe.BOS}{bpe.START_HEADER}user{bpe.END_HEADER}\n\n{question}{bpe.EOT}"
        f"{bpe.START_HEADER}assistant{bpe.END_HEADER}\n\n"
    )


@torch.no_grad()
def reference_logits(model, tok):
    """Per prompt: its ids and, at every position, the TOP_K largest logprobs."""
    out = []
    prompts = [(p, True) for p in LOGIT_PROMPTS] + [(chat_text(CHAT_PROMPT), False)]
    for text, add_bos in prompts:
        ids = tok.encode(text, add_bos=add_bos)
        logprobs = F.log_softmax(model(torch.tensor([ids]))[0].double(), dim=-1)
        top = logprobs.topk(TOP_K, dim=-1)
        out.append(
            {
                "text": text,
                "add_special_tokens": add_bos,
                "ids": ids,
                "top_ids": top.indices.tolist(),
                "top_logprobs": [[round(v, 6) for v in row] for row in top.values.tolist()],
            }
        )
    return out


@torch.no_grad()
def generate(model, tok, prompt, n, temperature, seed, add_bos=True):
    ids = tok.encode(prompt, add_bos=add_bos)
    gen = torch.Generator().manual_seed(seed)
    ctx = model.cfg.max_position_embeddings
    stops = {tok.token_id(bpe.EOS), tok.token_id(bpe.EOT)}
    out = []
    for _ in range(n):
        logits = model(torch.tensor([(ids + out)[-ctx:]]))[0, -1]
        if temperature == 0:
            nxt = int(logits.argmax())
        else:
            probs = F.softmax(logits / temperature, dim=-1)
            nxt = int(torch.multinomial(probs, 1, generator=gen))
        if nxt in stops:
            break
        out.append(nxt)
    return tok.decode(out)


@torch.no_grad()
def val_loss(model, tok):
    data = torch.load(os.path.join(HERE, "out", "data.pt"))
    return train.loss_of(model, train.val_windows(data["val"], tok)).item()


def main():
    ckpt, cfg, model = load(sys.argv[1])
    tok_dir = os.path.dirname(os.path.abspath(sys.argv[1]))
    tok = bpe.Tokenizer.load(tok_dir)
    os.makedirs(MODEL_DIR, exist_ok=True)
    os.makedirs(TESTDATA, exist_ok=True)

    # Model files.
    tensors, seen = quantized_tensors(model)
    path = os.path.join(MODEL_DIR, "model.safetensors")
    mlxquant.save_safetensors(path, tensors, {"format": "mlx"})
    write_json(os.path.join(MODEL_DIR, "config.json"), config_json(cfg, tok))
    write_json(os.path.join(MODEL_DIR, "generation_config.json"), generation_config(tok))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(tok_dir, name), os.path.join(MODEL_DIR, name))

    # The model as the engine sees it.
    model_float = {k: v.clone() for k, v in model.state_dict().items()}
    float_val = val_loss(model, tok)
    model.load_state_dict(seen)
    quant_val = val_loss(model, tok)

    write_json(
        os.path.join(TESTDATA, "logits.json"),
        {"checkpoint_step": ckpt["step"], "top_k": TOP_K, "prompts": reference_logits(model, tok)},
    )
    write_json(os.path.join(TESTDATA, "quantize.json"), quantize_fixture(model_float))
    cases = [
        {"text": t, "ids": tok.encode(t, add_bos=False), "ids_with_bos": tok.encode(t)}
        for t in TOKENIZER_CASES
    ]
    write_json(os.path.join(TESTDATA, "tokenizer.json"), cases)

    params = sum(p.numel() for p in model.parameters())
    print(f"step {ckpt['step']}, params {params}, {ckpt['seconds']:.0f}s of training")
    print(f"train loss {ckpt['train_loss']:.3f} (smoothed), val loss {float_val:.3f} float32,")
    print(f"val loss {quant_val:.3f} after 4-bit quantization")
    print(f"model.safetensors {os.path.getsize(path)} bytes")
    prompt = "And the LORD said unto Moses,"
    for temperature in (0, 0.7, 1.5, 2.5):
        text = generate(model, tok, prompt, 60, temperature, seed=1)
        print(f"--- temperature {temperature}: {prompt}{text!r}")
    print(f"--- chat: {CHAT_PROMPT!r} -> " + repr(
        generate(model, tok, chat_text(CHAT_PROMPT), 60, 0.7, seed=1, add_bos=False)
    ))


if __name__ == "__main__":
    main()
