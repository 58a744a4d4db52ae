"""Trains the Knobs demo model on the prepared KJV corpus.

    /usr/bin/python3 train.py --steps 1500

Every run with the same arguments, data and torch build gives the same
weights: one seed drives initialisation and batch sampling. The learning rate
depends only on the step (warmup, then inverse-square-root decay) until the
last --cooldown steps, where it falls linearly to 0. So a run may stop at any
saved checkpoint and go on with --resume: the result is the same as an
uninterrupted run with the final arguments, as long as the resumed checkpoint
comes before the cooldown.
"""

import argparse
import math
import os
import random
import time

# On a shared machine, OpenMP threads that spin while waiting for each other
# burn most of the CPU time they get: measured 7.8 s per step spinning, 1.9 s
# passive. OpenBLAS keeps to one thread so it does not compete with OpenMP.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402 (after the thread settings, which it reads at import)
import torch.nn.functional as F

import bpe  # noqa: E402
import corpus  # noqa: E402
from model import Config, Llama  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

CONFIG = Config(
    vocab_size=2048,
    hidden_size=128,
    intermediate_size=384,
    num_hidden_layers=4,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=128,
)

CHAT_SHARE = 8  # one training window in 8 is a chat conversation


class Batches:
    """Draws training windows of CONFIG.max_position_embeddings+1 tokens.

    A plain window is <|begin_of_text|> followed by the text from the start
    of a random verse (or chapter heading) on. A chat window is a
    conversation in the chat template whose user and assistant turns are
    consecutive verses, so that chat mode answers in kind.
    """

    def __init__(self, split, rng, tok):
        self.rng, self.tok = rng, tok
        self.bos = tok.token_id(bpe.BOS)
        self.stream = [i for c in split for i in c["ids"]]
        self.starts, base = [], 0
        for c in split:
            self.starts += [base + s for s in c["starts"]]
            base += len(c["ids"])
        self.verses = [v for _, vs in corpus.read_chapters() for v in vs]

    def window(self):
        n = CONFIG.max_position_embeddings + 1
        if self.rng.randrange(CHAT_SHARE) == 0:
            return self.chat(n)
        s = self.starts[self.rng.randrange(len(self.starts))]
        w = [self.bos] + self.stream[s : s + n - 1]
        if len(w) < n:
            w += self.stream[: n - len(w)]
        return w

    def chat(self, n):
        i = self.rng.randrange(len(self.verses))
        text, role = bpe.BOS, "user"
        while True:
            text += f"{bpe.START_HEADER}{role}{bpe.END_HEADER}\n\n"
            text += self.verses[i % len(self.verses)] + bpe.EOT
            role = "assistant" if role == "user" else "user"
            i += 1
            ids = self.tok.encode(text, add_bos=False)
            if len(ids) >= n:
                return ids[:n]

    def batch(self, size):
        return torch.tensor([self.window() for _ in range(size)])


def val_windows(split, tok):
    """Fixed validation windows: each held-out chapter from its heading on."""
    n = CONFIG.max_position_embeddings + 1
    bos = tok.token_id(bpe.BOS)
    return torch.tensor([[bos] + c["ids"][: n - 1] for c in split if len(c["ids"]) >= n - 1])


def loss_of(model, w):
    logits = model(w[:, :-1])
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), w[:, 1:].reshape(-1))


def lr_at(step, args):
    n = step + 1
    lr = args.lr * min(1, n / args.warmup) * math.sqrt(args.warmup / max(n, args.warmup))
    cooldown_start = args.steps - args.cooldown
    if step >= cooldown_start:
        lr *= (args.steps - step) / (args.cooldown + 1)
    return lr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--cooldown", type=int, default=0, help="final steps of linear decay")
    ap.add_argument("--resume", help="checkpoint to continue from")
    ap.add_argument("--seed", type=int, default=1611)
    ap.add_argument("--save-every", type=int, default=100)
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    args = ap.parse_args()

    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    tok = bpe.Tokenizer.load(args.out)
    data = torch.load(os.path.join(args.out, "data.pt"))
    batches = Batches(data["train"], rng, tok)
    val = val_windows(data["val"], tok)

    model = Llama(CONFIG)
    params = sum(p.numel() for p in model.parameters())
    print(f"params {params}, val windows {len(val)}", flush=True)
    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr,
        betas=(0.9, 0.95),
    )

    first, t0, smooth = 0, time.time(), None
    if args.resume:
        ckpt = torch.load(args.resume)
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["opt"])
        rng.setstate(ckpt["rng"])
        first, smooth = ckpt["step"], ckpt["train_loss"]
        t0 -= ckpt["seconds"]
        print(f"resumed at step {first}", flush=True)

    for step in range(first, args.steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args)
        loss = loss_of(model, batches.batch(args.batch))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

        smooth = loss.item() if smooth is None else 0.95 * smooth + 0.05 * loss.item()
        done = step + 1
        if done % 10 == 0:
            print(f"step {done} loss {smooth:.3f} {time.time() - t0:.0f}s", flush=True)
        if done % args.save_every == 0 or done == args.steps:
            with torch.no_grad():
                model.eval()
                vl = loss_of(model, val).item()
                model.train()
            print(f"step {done} train {smooth:.3f} val {vl:.3f}", flush=True)
            torch.save(
                {
                    "step": done,
                    "args": vars(args),
                    "config": CONFIG.to_dict(),
                    "model": model.state_dict(),
                    "opt": opt.state_dict(),
                    "rng": rng.getstate(),
                    "train_loss": smooth,
                    "val_loss": vl,
                    "seconds": time.time() - t0,
                },
                os.path.join(args.out, f"ckpt-{done:05d}.pt"),
            )


if __name__ == "__main__":
    main()
