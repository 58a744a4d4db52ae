"""A byte-level BPE tokenizer trained from scratch, saved as Llama 3 saves its own.

The pieces follow Hugging Face `tokenizers` as configured in Llama 3's
tokenizer.json, so the same file drives Knobs' Go tokenizer:

  - pre-tokenization splits text with Llama 3's regex (each match is a chunk,
    "Isolated"), then maps every byte of a chunk to a printable character
    (GPT-2's byte-to-unicode table, "ByteLevel" without its own regex);
  - the model is BPE with `ignore_merges`: a chunk that is itself in the vocab
    becomes that one token; otherwise the merges are applied, lowest rank first;
  - special tokens are matched in the raw text before anything else;
  - the post-processor puts <|begin_of_text|> in front when asked to.

Training is the classic algorithm: count chunks, repeatedly merge the most
frequent adjacent pair (ties broken by the pair's text so runs are
reproducible), updating pair counts incrementally.
"""

import collections
import heapq
import json

import regex

# Llama 3's pre-tokenizer pattern, verbatim from its tokenizer.json.
PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_SPLIT = regex.compile(PATTERN)

BOS = "<|begin_of_text|>"
EOS = "<|end_of_text|>"
START_HEADER = "<|start_header_id|>"
END_HEADER = "<|end_header_id|>"
EOT = "<|eot_id|>"
SPECIALS = [BOS, EOS, START_HEADER, END_HEADER, EOT]

# Llama 3's chat layout, reduced to what this model was trained on: turns
# framed by header tokens and closed by <|eot_id|>.
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' }}"
    "{{ message['content'] | trim }}{{ '<|eot_id|>' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}"
    "{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
    "{% endif %}"
)


def bytes_to_unicode():
    """GPT-2's table from each byte to a printable character.

    Printable Latin-1 bytes map to themselves; the others (controls, space,
    0x7f-0xa0, 0xad) map in order to U+0100 and up, so that space is 'Ġ' and
    newline is 'Ċ'.
    """
    keep = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTE_CHARS = bytes_to_unicode()


def chunks(text):
    """Splits text as the pre-tokenizer does and maps each chunk's bytes."""
    return [
        "".join(BYTE_CHARS[b] for b in m.encode("utf-8")) for m in _SPLIT.findall(text)
    ]


def train(texts, vocab_size):
    """Learns merges from texts until the vocab (bytes plus merged tokens, no
    special tokens) holds vocab_size tokens; returns them as (left, right)."""
    # Distinct chunks with their counts; each is a list of symbols.
    counts = collections.Counter()
    for text in texts:
        counts.update(chunks(text))
    words = [list(w) for w in counts]
    freqs = [counts[w] for w in counts]

    # Pair counts, the words each pair occurs in, and a max-heap of pairs
    # (entries go stale when a count changes and are skipped when popped).
    pairs = collections.Counter()
    where = collections.defaultdict(set)
    for i, w in enumerate(words):
        for a, b in zip(w, w[1:]):
            pairs[a, b] += freqs[i]
            where[a, b].add(i)
    heap = [(-n, p) for p, n in pairs.items()]
    heapq.heapify(heap)

    merges, tokens = [], set(BYTE_CHARS.values())
    while len(tokens) < vocab_size and heap:
        # Most frequent pair; ties go to the pair that sorts first.
        n, best = heapq.heappop(heap)
        if pairs.get(best, 0) != -n:
            continue
        merges.append(best)
        merged = best[0] + best[1]
        tokens.add(merged)

        touched = set()
        for i in where.pop(best, ()):
            w, f = words[i], freqs[i]
            if not _contains(w, best):
                continue
            # Take the word's old pairs out, merge, put the new pairs in.
            for a, b in zip(w, w[1:]):
                pairs[a, b] -= f
                touched.add((a, b))
            out, j = [], 0
            while j < len(w):
                if j + 1 < len(w) and (w[j], w[j + 1]) == best:
                    out.append(merged)
                    j += 2
                else:
                    out.append(w[j])
                    j += 1
            words[i] = out
            for a, b in zip(out, out[1:]):
                pairs[a, b] += f
                where[a, b].add(i)
                touched.add((a, b))
        pairs.pop(best, None)
        for p in touched:
            if pairs.get(p, 0) > 0:
                heapq.heappush(heap, (-pairs[p], p))
            else:
                pairs.pop(p, None)
    return merges


def _contains(w, pair):
    return any((a, b) == pair for a, b in zip(w, w[1:]))


class Tokenizer:
    """Encodes text exactly as HF `tokenizers` would with the saved file."""

    def __init__(self, merges):
        self.merges = [tuple(m) for m in merges]
        self.vocab = {BYTE_CHARS[b]: b for b in range(256)}
        for a, b in self.merges:
            self.vocab.setdefault(a + b, len(self.vocab))
        for s in SPECIALS:
            self.vocab[s] = len(self.vocab)
        self.ranks = {m: r for r, m in enumerate(self.merges)}
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        self.special_re = regex.compile("|".join(regex.escape(s) for s in SPECIALS))
        self._cache = {}

    def token_id(self, token):
        return self.vocab[token]

    def encode(self, text, add_bos=True):
        ids = [self.vocab[BOS]] if add_bos else []
        pos = 0
        for m in self.special_re.finditer(text):
            ids += self._encode_ordinary(text[pos : m.start()])
            ids.append(self.vocab[m.group()])
            pos = m.end()
        ids += self._encode_ordinary(text[pos:])
        return ids

    def _encode_ordinary(self, text):
        ids = []
        for c in chunks(text):
            if c not in self._cache:
                self._cache[c] = self._bpe(c)
            ids += self._cache[c]
        return ids

    def _bpe(self, chunk):
        # ignore_merges: a chunk already in the vocab is one token.
        if chunk in self.vocab:
            return [self.vocab[chunk]]
        syms = list(chunk)
        while len(syms) > 1:
            ranked = [
                (self.ranks.get((a, b), 1 << 30), j)
                for j, (a, b) in enumerate(zip(syms, syms[1:]))
            ]
            rank, j = min(ranked)
            if rank == 1 << 30:
                break
            syms[j : j + 2] = [syms[j] + syms[j + 1]]
        return [self.vocab[s] for s in syms]

    def decode(self, ids):
        inverse = {c: b for b, c in BYTE_CHARS.items()}
        out, buf = [], bytearray()
        for i in ids:
            tok = self.id_to_token[i]
            if tok in SPECIALS:
                out.append(buf.decode("utf-8", "replace") + tok)
                buf = bytearray()
            else:
                buf += bytes(inverse[c] for c in tok)
        out.append(buf.decode("utf-8", "replace"))
        return "".join(out)

    def save(self, directory):
        """Writes tokenizer.json and tokenizer_config.json into directory."""
        n = len(self.vocab) - len(SPECIALS)
        added = [
            {
                "id": self.vocab[s],
                "content": s,
                "single_word": False,
                "lstrip": False,
                "rstrip": False,
                "normalized": False,
                "special": True,
            }
            for s in SPECIALS
        ]
        bos_id = self.vocab[BOS]
        doc = {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": {
                "type": "Sequence",
                "pretokenizers": [
                    {
                        "type": "Split",
                        "pattern": {"Regex": PATTERN},
                        "behavior": "Isolated",
                        "invert": False,
                    },
                    {
                        "type": "ByteLevel",
                        "add_prefix_space": False,
                        "trim_offsets": True,
                        "use_regex": False,
                    },
                ],
            },
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [
                    {"SpecialToken": {"id": BOS, "type_id": 0}},
                    {"Sequence": {"id": "A", "type_id": 0}},
                ],
                "pair": [
                    {"SpecialToken": {"id": BOS, "type_id": 0}},
                    {"Sequence": {"id": "A", "type_id": 0}},
                    {"SpecialToken": {"id": BOS, "type_id": 1}},
                    {"Sequence": {"id": "B", "type_id": 1}},
                ],
                "special_tokens": {BOS: {"id": BOS, "ids": [bos_id], "tokens": [BOS]}},
            },
            "decoder": {
                "type": "ByteLevel",
                "add_prefix_space": True,
                "trim_offsets": True,
                "use_regex": True,
            },
            "model": {
                "type": "BPE",
                "dropout": None,
                "unk_token": None,
                "continuing_subword_prefix": None,
                "end_of_word_suffix": None,
                "fuse_unk": False,
                "byte_fallback": False,
                "ignore_merges": True,
                "vocab": {t: i for t, i in self.vocab.items() if i < n},
                "merges": [f"{a} {b}" for a, b in self.merges],
            },
        }
        with open(f"{directory}/tokenizer.json", "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, indent=2)
            f.write("\n")

        config = {
            "added_tokens_decoder": {
                str(a["id"]): {k: v for k, v in a.items() if k != "id"} for a in added
            },
            "bos_token": BOS,
            "chat_template": CHAT_TEMPLATE,
            "clean_up_tokenization_spaces": True,
            "eos_token": EOT,
            "model_input_names": ["input_ids", "attention_mask"],
            "model_max_length": 256,
            "tokenizer_class": "PreTrainedTokenizerFast",
        }
        with open(f"{directory}/tokenizer_config.json", "w", encoding="utf-8") as f:
            json.dump(config, f, ensure_ascii=False, indent=2)
            f.write("\n")

    @classmethod
    def load(cls, directory):
        with open(f"{directory}/tokenizer.json", encoding="utf-8") as f:
            doc = json.load(f)
        return cls([tuple(m.split(" ")) for m in doc["model"]["merges"]])
