// Writes the fixtures backend/tokenizer's tests compare against: the ids that
// @huggingface/tokenizers (the JavaScript port of HF tokenizers) gives for every
// corpus entry, and its decoding of those ids and of random id sequences.
//
// Usage (after scripts/testdata/tokenizers.sh):
//   NODE_PATH=../../.cache/testdata/tokenizers/oracle/node_modules \
//     node oracle.mjs ../../.cache/testdata/tokenizers ../../backend/tokenizer/testdata
//
// Invalid UTF-8 entries ("b64") are decoded with TextDecoder, which replaces each
// ill-formed sequence with U+FFFD (one per maximal subpart): a JavaScript caller
// cannot pass anything else, and neither can a Python or Rust caller of HF tokenizers.

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const require = createRequire(import.meta.url);
const { Tokenizer } = require('@huggingface/tokenizers');

const [dataDir, outDir] = process.argv.slice(2);
if (!dataDir || !outDir) {
  console.error('usage: node oracle.mjs DATA_DIR OUT_DIR');
  process.exit(2);
}

const MODELS = ['llama3', 'llama3_1', 'qwen3'];
const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

const corpusBytes = readFileSync(join(outDir, 'corpus.json'));
const corpus = JSON.parse(corpusBytes);
const texts = corpus.entries.map((e) =>
  e.text !== undefined ? e.text : new TextDecoder('utf-8').decode(Buffer.from(e.b64, 'base64')),
);

// Seeded PRNG for the random decode cases (mulberry32).
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

for (const name of MODELS) {
  const jsonBytes = readFileSync(join(dataDir, name, 'tokenizer.json'));
  const config = JSON.parse(readFileSync(join(dataDir, name, 'tokenizer_config.json')));
  const tok = new Tokenizer(JSON.parse(jsonBytes), config);
  const decodeOpts = (skip, clean = false) => ({
    skip_special_tokens: skip,
    clean_up_tokenization_spaces: clean,
  });
  // transformers reads clean_up_tokenization_spaces from tokenizer_config.json and
  // defaults to false; @huggingface/tokenizers defaults to true, so it is passed
  // explicitly. The clean-up decodes are written only for models that set it.
  const cleanUp = config.clean_up_tokenization_spaces ?? false;

  // Encode every entry, with special tokens (the BOS of Llama) and without.
  const encode = [];
  const encodePlain = [];
  const decoded = {};
  const decodedClean = {};
  texts.forEach((text, i) => {
    const ids = tok.encode(text, { add_special_tokens: true }).ids;
    const plain = tok.encode(text, { add_special_tokens: false }).ids;
    encode.push(ids);
    encodePlain.push(plain);
    const back = plain.length ? tok.decode(plain, decodeOpts(false)) : "";
    if (back !== text) decoded[i] = back;
    const clean = plain.length && cleanUp ? tok.decode(plain, decodeOpts(false, true)) : back;
    if (clean !== back) decodedClean[i] = clean;
  });

  // Decode random id sequences: byte tokens, any vocabulary entry, special tokens.
  const vocabSize = tok.get_vocab(true).size;
  const special = [...tok.get_added_tokens_decoder().keys()];
  const byteTokens = [...Array(256).keys()].map((b) => {
    const ch = byteChar(b);
    return tok.token_to_id(ch);
  });
  const rand = rng(4);
  const pickId = () => {
    const r = rand();
    if (r < 0.5) return byteTokens[Math.floor(rand() * 256)];
    if (r < 0.85) return Math.floor(rand() * (vocabSize - special.length));
    return special[Math.floor(rand() * special.length)];
  };
  const decodeCases = [[15722], [15722, 103], [103], [103, 15722]];
  for (let i = 0; i < 600; i++) {
    decodeCases.push(Array.from({ length: 1 + Math.floor(rand() * 12) }, pickId));
  }
  // Sequences of the tokens the clean-up is about: spaces, punctuation, pieces of
  // contractions, the bytes of a split character and a special token.
  const cleanPieces = [' ', '  ', '.', ' .', ',', ' ,', '!', ' !', '?', ' ?', "'", " '",
    ' n', "n't", "'t", "'s", ' s', "'m", "'ve", "'re", ' hello', 'a'];
  const cleanTokens = cleanPieces
    .map((p) => tok.token_to_id([...Buffer.from(p)].map(byteChar).join('')))
    .filter((id) => id != null)
    .concat([0xe6, 0xad, 0xaa].map((b) => byteTokens[b]), special[0]);
  const cleanRand = rng(7);
  for (let i = 0; i < 300; i++) {
    decodeCases.push(Array.from({ length: 1 + Math.floor(cleanRand() * 8) },
      () => cleanTokens[Math.floor(cleanRand() * cleanTokens.length)]));
  }
  const decodes = decodeCases.map((ids) => ({
    ids,
    text: tok.decode(ids, decodeOpts(false)),
    skip: tok.decode(ids, decodeOpts(true)),
    ...(cleanUp && {
      clean: tok.decode(ids, decodeOpts(false, true)),
      clean_skip: tok.decode(ids, decodeOpts(true, true)),
    }),
  }));

  const fixture = {
    oracle: '@huggingface/tokenizers@0.2.0',
    model: name,
    tokenizer_sha256: sha256(jsonBytes),
    corpus_sha256: sha256(corpusBytes),
    encode,
    encode_plain: encodePlain,
    decoded,
    // What TextDecoder made of each invalid UTF-8 entry.
    replaced: Object.fromEntries(
      corpus.entries.flatMap((e, i) => (e.b64 !== undefined ? [[i, texts[i]]] : [])),
    ),
    decodes,
    clean_up_tokenization_spaces: cleanUp,
    // decode(encode_plain) with the clean-up, where it differs from the plain decode.
    decoded_clean: decodedClean,
  };
  const out = join(outDir, `${name}.oracle.json.gz`);
  writeFileSync(out, gzipSync(JSON.stringify(fixture)));
  console.error(
    `${out}: ${texts.length} entries, ${Object.keys(decoded).length} decode differences, ` +
      `${Object.keys(decodedClean).length} changed by the clean-up`,
  );
}

// byteChar is GPT-2's byte-to-character map (see backend/tokenizer/bytelevel.go).
function byteChar(b) {
  const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  if (printable) return String.fromCodePoint(b);
  let n = 0;
  for (let c = 0; c < b; c++) {
    const p = (c >= 0x21 && c <= 0x7e) || (c >= 0xa1 && c <= 0xac) || (c >= 0xae && c <= 0xff);
    if (!p) n++;
  }
  return String.fromCodePoint(256 + n);
}
