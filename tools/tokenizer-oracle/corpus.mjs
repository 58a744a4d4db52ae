// Generates the tokenizer test corpus: a few thousand varied strings, the same on
// every run (seeded). Prints JSON to stdout:
//
//   {"seed": N, "entries": [{"text": "..."} | {"b64": "..."}]}
//
// "b64" entries are byte strings that are not valid UTF-8 (JSON cannot carry them).
// Usage: node corpus.mjs > ../../backend/tokenizer/testdata/corpus.json

const SEED = 20260301;

// mulberry32: a small deterministic PRNG, so the corpus never changes by accident.
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
const rand = rng(SEED);
const int = (n) => Math.floor(rand() * n);
const pick = (xs) => xs[int(xs.length)];
const range = (lo, hi) => lo + int(hi - lo + 1);
const cp = (lo, hi) => String.fromCodePoint(range(lo, hi));
const repeat = (n, f) => Array.from({ length: n }, (_, i) => f(i)).join('');

const entries = [];
const add = (text) => entries.push({ text });
const addBytes = (bytes) => entries.push({ b64: Buffer.from(bytes).toString('base64') });

// --- Fixed cases, including the known traps. ---
[
  'x**2  # comment',
  'x**2  #comment\n',
  'Hello world',
  ' Hello world',
  'Hello  world',
  'Hello   world   ',
  '',
  ' ',
  '  ',
  '\n',
  '\n\n\n',
  '\r\n',
  ' \n \n ',
  '\t\tindent',
  '歪',
  '歪歪歪 歪',
  '안녕하세요',
  '안녕하세요, 세계! 오늘 날씨가 좋네요.',
  'Knobs는 샘플링 설정이 무엇을 하는지 보여 줍니다.',
  "I'm here, you're there, they've gone, we'll see, he'd know, it's fine, don't.",
  "I'M HERE, YOU'RE THERE, THEY'VE GONE, WE'LL SEE, HE'D KNOW, IT'S FINE, DON'T.",
  "i'M hErE, yOu'Re, ThEy'Ve, We'Ll, hE'd, iT's, dOn'T",
  "'s 't 're 've 'm 'll 'd 'S 'T 'RE 'VE 'M 'LL 'D",
  "'sam 'tim 'rex 'vex 'mad 'llama 'dog",
  '<|begin_of_text|>Hello<|eot_id|>',
  'Say <|eot_id|> in prose, and <|end_of_text|> too.',
  '<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>',
  '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n',
  '<think>\nreasoning\n</think>\n\nanswer',
  'Partial <|eot_id and <|im_end| and <|begin_of_text>',
  '<|reserved_special_token_5|> <|reserved_special_token_250|>',
  '<|endoftext|><|endoftext|>',
  '<tool_call>{"name": "f"}</tool_call>',
  'ﬁ ﬂ ﬃ Å Å é é ñ ñ', // precomposed vs decomposed, ligatures
  'e\u0301 a\u0308 o\u0302\u0323 \u1100\u1161\u11a8', // combining marks, conjoining jamo
  '\u00a0nbsp\u00a0\u00a0x \u3000ideographic\u3000space \u2009thin\u200bzw',
  'nel\u0085nel \ufeffbom\ufeff',
  'x\u000bvt\u000cff\u001cfs',
  '👩‍👩‍👧‍👦 👍🏽 👋🏿 🧑🏻‍💻 🏳️‍🌈 🇰🇷🇯🇵 1️⃣ ❤️‍🔥',
  '🙂🙂🙂🙂🙂',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛 𐍈',
].forEach(add);

// --- Word lists per script. ---
const korean = ['안녕하세요', '감사합니다', '사랑', '하늘', '바다', '컴퓨터', '인공지능', '모델', '온도', '확률',
  '토큰', '샘플링', '생성', '문장', '한국어', '서울', '부산', '학교', '선생님', '학생', '읽다', '쓰다', '먹었습니다',
  '갔어요', '좋아요', '괜찮아', '뭐해?', '그래서', '하지만', '왜냐하면', '빨리', '천천히', '귤', '똠얌꿍', '뷁'];
const japanese = ['こんにちは', 'ありがとう', '東京', '日本語', 'カタカナ', 'ひらがな', '漢字', '機械学習',
  'トークン', '温度', 'サンプリング', '私は', '学生です', 'ラーメン', '食べました', '。', '、', 'ｶﾀｶﾅ', 'ー'];
const chinese = ['你好', '世界', '中文', '模型', '温度', '采样', '概率', '语言', '北京', '上海', '学习', '人工智能',
  '我们', '他们', '的', '了', '是', '不', '，', '。', '！', '？', '歪', '饕餮', '龘'];
const arabic = ['مرحبا', 'بالعالم', 'اللغة', 'العربية', 'نموذج', 'درجة', 'الحرارة', 'شكرا', 'كتاب', 'مُحَمَّد',
  'السَّلَامُ', 'عَلَيْكُمْ', '٣٤٥', '١٢', '؟', '،'];
const others = ['Привет', 'мир', 'Γειά', 'σου', 'κόσμε', 'नमस्ते', 'दुनिया', 'สวัสดี', 'ชาวโลก', 'שלום', 'עולם',
  'Ärger', 'Straße', 'façade', 'naïve', 'crème', 'brûlée', 'İstanbul', 'ǅemal', 'ᎣᏏᏲ', 'ሰላም'];
const english = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'lazy', 'dog', 'temperature', 'sampling',
  'probability', 'token', 'model', 'Knobs', 'LLaMA', 'Qwen', 'HTTP', 'JSON', 'camelCase', 'snake_case',
  'kebab-case', 'e.g.', 'i.e.', 'U.S.A.', 'O\'Brien', "rock'n'roll", 'well-known', 'self-attention'];
const punct = ['.', ',', '!', '?', ';', ':', '...', '—', '–', '-', '(', ')', '[', ']', '{', '}', '"', "'", '`',
  '«', '»', '“', '”', '‘', '’', '/', '\\', '|', '@', '#', '$', '%', '^', '&', '*', '~', '<', '>', '=', '+', '_'];
const emoji = ['😀', '😂', '🥲', '👍', '👍🏻', '👍🏼', '👍🏽', '👍🏾', '👍🏿', '👨‍👩‍👧', '👩‍💻', '🧑🏽‍🚀',
  '🏳️‍⚧️', '❤️', '✨', '🔥', '🇺🇸', '🇰🇷', '#️⃣', '🫠', '🐈‍⬛', '👁️‍🗨️', '🤷🏻‍♀️', '💁🏾‍♂️'];
const spaces = [' ', '  ', '   ', '\t', '\t\t', '\n', '\n\n', '\r\n', ' \n', '\n ', ' \t ', '\u00a0', '\u3000',
  '    ', '\n\n\n\n', ' \r\n\r\n ', '\t\n'];

const sentence = (words, sep, n) => repeat(n, (i) => (i ? sep() : '') + pick(words));
const number = (digits) => repeat(digits, (i) => String(i === 0 && digits > 1 ? range(1, 9) : int(10)));

// --- Generated families (counts chosen to total well over 2,000). ---
for (let i = 0; i < 220; i++) add(sentence(korean, () => pick([' ', ' ', ', ', '. ', '\n', '']), range(1, 14)));
for (let i = 0; i < 120; i++) add(repeat(range(1, 40), () => cp(0xac00, 0xd7a3))); // random Hangul syllables
for (let i = 0; i < 120; i++) add(sentence(japanese, () => pick(['', '', ' ', '、']), range(1, 14)));
for (let i = 0; i < 120; i++) add(sentence(chinese, () => pick(['', '', ' ']), range(1, 20)));
for (let i = 0; i < 60; i++) add(repeat(range(1, 30), () => cp(0x4e00, 0x9fa5)));
for (let i = 0; i < 100; i++) add(sentence(arabic, () => pick([' ', ' ', '، ']), range(1, 12)));
for (let i = 0; i < 100; i++) add(sentence(others, () => pick([' ', ', ', '. ']), range(1, 10)));
for (let i = 0; i < 150; i++) add(sentence(emoji.concat(english, korean), () => pick(['', ' ', ' ', '\n']), range(1, 10)));

// English prose with punctuation, contractions in every case, spaces and numbers.
const contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"];
const anyCase = (s) => [...s].map((c) => (rand() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join('');
for (let i = 0; i < 250; i++) {
  add(repeat(range(1, 16), () => {
    const r = rand();
    if (r < 0.45) return pick([' ', ' ', ' ', '']) + pick(english);
    if (r < 0.6) return pick(['it', 'he', 'they', 'you', 'I', 'we', 'do', 'ca', '']) + anyCase(pick(contractions));
    if (r < 0.75) return pick(punct);
    if (r < 0.85) return pick(spaces);
    return pick([' ', '']) + number(range(1, 12));
  }));
}

// Numbers of every length, with separators and in words.
for (let d = 1; d <= 60; d++) {
  add(number(d));
  add(' ' + number(d));
  add('x' + number(d) + 'y');
}
for (let i = 0; i < 120; i++) {
  add(repeat(range(1, 6), () => pick(['', ' ', '-', '+', '$', '€']) + pick([
    number(range(1, 9)), number(range(1, 3)) + '.' + number(range(1, 6)),
    number(range(1, 3)) + ',' + number(3) + ',' + number(3), '0x' + int(1 << 30).toString(16),
    number(range(1, 4)) + 'e-' + number(2), '٣٤٥', '１２３', '½', 'Ⅻ', '²³',
  ]) + pick([' ', '', '%', ' km', 'th', '.'])));
}

// Runs of spaces, tabs and newlines around words.
for (let i = 0; i < 200; i++) {
  add(repeat(range(1, 8), () => pick(spaces) + pick(['', 'a', 'word', '한글', '1', '#', '.', 'x'])) + pick(['', ...spaces]));
}

// Code.
const code = [
  'def f(x):\n    return x**2  # square\n',
  'for (let i = 0; i < n; i++) {\n\tsum += a[i];\n}\n',
  'func main() {\n\tfmt.Println("hi")\n}\n',
  '{"ids": [1, 2, 3], "tokens": ["a", "b"]}',
  'SELECT * FROM runs WHERE seed = 42 AND top_p <= 0.9;',
  '#include <stdio.h>\nint main(void) { printf("%d\\n", 1+1); }',
  'if x != None and y >= 3:\n        pass\n\n\n',
  '<div class="knob">{{ value | round(2) }}</div>',
  '$ go test ./... -run TestX -count=1\n',
  'const re = /\\s+(?!\\S)/gu;',
  'a=b+c*d/e-f%g;x<<=2;y>>=3;z&&=w||v',
  '    \n\t    \n  x = [i for i in range(10)]\n',
  'fn add(a: i32, b: i32) -> i32 { a + b }',
  '// TODO(#4): fix\n/* block */',
  'print(f"{name!r:>10}")',
];
for (let i = 0; i < 150; i++) add(repeat(range(1, 4), () => pick(code)).replace(/ {4}/g, pick(['    ', '\t', '  '])));

// Special-token text inside prose.
const specials = ['<|begin_of_text|>', '<|end_of_text|>', '<|eot_id|>', '<|start_header_id|>',
  '<|end_header_id|>', '<|im_start|>', '<|im_end|>', '<|endoftext|>', '<think>', '</think>',
  '<|eom_id|>', '<|python_tag|>', '<|finetune_right_pad_id|>', '<|reserved_special_token_0|>',
  '<|eot_id', 'eot_id|>', '<|', '|>', '<tool_call>', '<|fim_prefix|>'];
for (let i = 0; i < 150; i++) {
  add(repeat(range(1, 8), () => (rand() < 0.4 ? pick(specials) : pick([' ', '', '\n']) + pick(english.concat(korean)))));
}

// Very long words and runs (the quadratic and heap BPE paths, the number limits).
for (let i = 0; i < 40; i++) {
  const n = pick([50, 127, 128, 129, 300, 1000, 3000]);
  add(pick([
    () => repeat(n, () => pick(['a', 'b', 'c', 'd', 'e'])),
    () => 'a'.repeat(n),
    () => repeat(n, () => pick(english)),
    () => repeat(n, () => cp(0xac00, 0xd7a3)),
    () => number(n),
    () => repeat(n, () => pick(punct)),
    () => ' '.repeat(n) + 'x',
    () => '\n'.repeat(n),
    () => repeat(n, () => pick(emoji)),
    () => 'Pneumonoultramicroscopicsilicovolcanoconiosis'.repeat(1 + int(20)),
  ])());
}

// Random code points from many blocks (no unassigned or newly assigned ones).
const blocks = [[0x20, 0x7e], [0xa0, 0x24f], [0x370, 0x3ff], [0x400, 0x4ff], [0x590, 0x5ea],
  [0x600, 0x6ff], [0x900, 0x97f], [0xe01, 0xe5b], [0x1100, 0x11ff], [0x2000, 0x206f],
  [0x2190, 0x23ff], [0x2500, 0x27bf], [0x3040, 0x30ff], [0x4e00, 0x9fa5], [0xac00, 0xd7a3],
  [0xff01, 0xff9f], [0x1f300, 0x1f64f], [0x1f900, 0x1f9ff], [0x0300, 0x036f]];
for (let i = 0; i < 250; i++) {
  add(repeat(range(1, 24), () => {
    const [lo, hi] = pick(blocks);
    return cp(lo, hi);
  }));
}

// Invalid UTF-8: stray continuation bytes, truncated sequences, overlongs, surrogates,
// bytes that never appear, mixed with valid text.
const utf8 = (s) => [...Buffer.from(s, 'utf8')];
const badBytes = [[0x80], [0xbf], [0xc0, 0xaf], [0xc3], [0xe6, 0xad], [0xe6], [0xf0, 0x9f, 0x98],
  [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xff], [0xfe], [0xe0, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xc2, 0x41], [0xe2, 0x28, 0xa1]];
for (let i = 0; i < 80; i++) {
  const bytes = [];
  for (let k = range(1, 6); k > 0; k--) {
    if (rand() < 0.5) bytes.push(...pick(badBytes));
    else bytes.push(...utf8(pick(english.concat(korean, emoji, [' ', '\n', '歪']))));
  }
  addBytes(bytes);
}

process.stdout.write(JSON.stringify({ seed: SEED, entries }, null, 0) + '\n');
process.stderr.write(`${entries.length} entries\n`);
