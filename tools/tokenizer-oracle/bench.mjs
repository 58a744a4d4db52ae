// Encode throughput of @huggingface/tokenizers on the benchmark corpus that
// backend/tokenizer's TestEncodeThroughputReport writes (chunks separated by
// "\n\x1e\n"), single-threaded, two passes. Prints one line per pass.
// Usage: NODE_PATH=.../oracle/node_modules node bench.mjs MODEL_DIR CORPUS_FILE

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { Tokenizer } = require('@huggingface/tokenizers');

const [modelDir, corpusFile] = process.argv.slice(2);
const tok = new Tokenizer(
  JSON.parse(readFileSync(join(modelDir, 'tokenizer.json'))),
  JSON.parse(readFileSync(join(modelDir, 'tokenizer_config.json'))),
);
const chunks = readFileSync(corpusFile, 'utf8').split('\n\x1e\n');
const mb = Buffer.byteLength(chunks.join('')) / (1 << 20);

for (let pass = 1; pass <= 2; pass++) {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (const c of chunks) tok.encode(c, { add_special_tokens: false });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpuUsed = process.cpuUsage(cpu0);
  const cpu = (cpuUsed.user + cpuUsed.system) / 1e6;
  console.log(
    `pass ${pass}: ${(mb / wall).toFixed(2)} MB/s wall  ${(mb / cpu).toFixed(2)} MB/s cpu  ` +
      `(${mb.toFixed(2)} MB in ${wall.toFixed(2)} s wall, ${cpu.toFixed(2)} s cpu)`,
  );
}
