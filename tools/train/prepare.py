"""Trains the tokenizer and encodes the corpus.

Writes into OUT (default tools/train/out): tokenizer.json,
tokenizer_config.json and data.pt with the encoded splits.
"""

import os
import sys
import time

import torch

import bpe
import corpus

VOCAB_SIZE = 2048  # with the special tokens
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "out")


def encode_split(tok, chapters):
    """Encodes each chapter, followed by the blank line that separates it from
    the next, in one piece; returns [{"ids": [...], "starts": [...]}] where
    starts are the offsets at which the heading and each verse begin."""
    out = []
    for text in chapters:
        ids = tok.encode(text + "\n", add_bos=False)
        # Every line ends in "\n", which the pre-tokenizer always splits off
        # on its own, so per-line encodings give the line offsets.
        starts, pos = [], 0
        for line in text.rstrip("\n").split("\n"):
            starts.append(pos)
            pos += len(tok.encode(line + "\n", add_bos=False))
        assert ids[: starts[-1]] == [
            i for line in text.split("\n")[:-2] for i in tok.encode(line + "\n", False)
        ]
        out.append({"ids": ids, "starts": starts})
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    train, val = corpus.splits()

    t0 = time.time()
    merges = bpe.train(train, VOCAB_SIZE - len(bpe.SPECIALS))
    tok = bpe.Tokenizer(merges)
    assert len(tok.vocab) == VOCAB_SIZE, len(tok.vocab)
    tok.save(OUT)
    print(f"tokenizer: {len(merges)} merges in {time.time() - t0:.0f}s", flush=True)

    data = {"train": encode_split(tok, train), "val": encode_split(tok, val)}
    for name, chapters in data.items():
        n = sum(len(c["ids"]) for c in chapters)
        chars = sum(map(len, train if name == "train" else val))
        print(f"{name}: {n} tokens, {chars / n:.2f} chars/token")
    torch.save(data, os.path.join(OUT, "data.pt"))


if __name__ == "__main__":
    main()
