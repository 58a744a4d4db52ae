package tokenizer

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The encode benchmark runs over a mixed corpus of at least 10 MB: real English prose
// (daulet's long_text.txt), Korean paragraphs (common words and random syllables, so
// that many words are new to the BPE cache), and every entry of the test corpus
// (code, numbers, emoji, other scripts). It is written once, deterministically, to
// .cache/testdata/tokenizers/bench/corpus.txt; chunks are separated by "\n\x1e\n" so
// that the JavaScript benchmark encodes exactly the same strings.

const benchCorpusMB = 10

const chunkSep = "\n\x1e\n"

func benchCorpus(t testing.TB) []string {
	t.Helper()
	path := filepath.Join(testdataDir, "bench", "corpus.txt")
	if data, err := os.ReadFile(path); err == nil {
		return strings.Split(string(data), chunkSep)
	}
	english, err := os.ReadFile(needData(t, "daulet/long_text.txt"))
	if err != nil {
		t.Fatal(err)
	}
	texts, _ := corpusTexts(t)
	chunks := makeBenchChunks(string(english), texts)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Join(chunks, chunkSep)), 0o644); err != nil {
		t.Fatal(err)
	}
	return chunks
}

func makeBenchChunks(english string, texts []string) []string {
	rng := rand.New(rand.NewPCG(1, 2))
	korean := strings.Fields("안녕하세요 감사합니다 사랑 하늘 바다 컴퓨터 인공지능 모델 온도 확률 토큰 " +
		"샘플링 생성 문장 한국어 서울 부산 학교 선생님 학생 읽었다 썼습니다 먹었습니다 갔어요 좋아요 " +
		"그래서 하지만 왜냐하면 빨리 천천히 오늘 내일 어제 우리는 그들은 이것은 저것이 있습니다 없습니다")
	syllable := func() string { return string(rune(0xAC00 + rng.IntN(0xD7A4-0xAC00))) }
	var chunks []string
	size := 0
	for size < benchCorpusMB<<20 {
		var chunk string
		switch r := rng.IntN(10); {
		case r < 4: // English prose window
			start := rng.IntN(len(english) - 4096)
			chunk = validUTF8(english[start : start+256+rng.IntN(3840)])
		case r < 7: // Korean paragraph
			var b strings.Builder
			for range 20 + rng.IntN(120) {
				if rng.IntN(3) == 0 {
					for range 1 + rng.IntN(4) {
						b.WriteString(syllable())
					}
				} else {
					b.WriteString(korean[rng.IntN(len(korean))])
				}
				b.WriteString([]string{" ", " ", " ", ", ", ". ", "\n"}[rng.IntN(6)])
			}
			chunk = b.String()
		default: // a few test corpus entries
			var b strings.Builder
			for range 1 + rng.IntN(8) {
				b.WriteString(validUTF8(texts[rng.IntN(len(texts))]))
				b.WriteByte('\n')
			}
			chunk = b.String()
		}
		chunk = strings.ReplaceAll(chunk, "\x1e", "")
		chunks = append(chunks, chunk)
		size += len(chunk)
	}
	return chunks
}

func corpusBytes(chunks []string) int {
	n := 0
	for _, c := range chunks {
		n += len(c)
	}
	return n
}

// BenchmarkEncode measures single-goroutine Encode over the benchmark corpus.
func BenchmarkEncode(b *testing.B) {
	for _, name := range []string{"llama3", "qwen3"} {
		b.Run(name, func(b *testing.B) {
			tok := loadModel(b, name)
			chunks := benchCorpus(b)
			b.SetBytes(int64(corpusBytes(chunks)))
			for b.Loop() {
				for _, c := range chunks {
					tok.Encode(c, false)
				}
			}
		})
	}
}

// BenchmarkLoad measures Load of the 9 MB Llama 3 tokenizer.json (file already read).
func BenchmarkLoad(b *testing.B) {
	data, err := os.ReadFile(needData(b, "llama3/tokenizer.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Load(data); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime returns the CPU time (user + system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs f and returns its wall and CPU time.
func measure(f func()) (wall, cpu time.Duration) {
	c0, w0 := cpuTime(), time.Now()
	f()
	return time.Since(w0), cpuTime() - c0
}

// TestEncodeThroughputReport compares Encode with tiktoken-go and
// @huggingface/tokenizers (node) on the same corpus in the same run, and times the
// load of the Llama 3 tokenizer. It is a measurement, not a check: it runs only when
// KNOBS_TOKENIZER_BENCH=1.
func TestEncodeThroughputReport(t *testing.T) {
	if os.Getenv("KNOBS_TOKENIZER_BENCH") != "1" {
		t.Skip("set KNOBS_TOKENIZER_BENCH=1 to measure")
	}
	chunks := benchCorpus(t)
	mb := float64(corpusBytes(chunks)) / (1 << 20)
	report := func(what string, wall, cpu time.Duration) {
		t.Logf("%-40s %7.2f MB/s wall  %7.2f MB/s cpu  (%.2f MB in %v wall, %v cpu)",
			what, mb/wall.Seconds(), mb/cpu.Seconds(), mb,
			wall.Round(time.Millisecond), cpu.Round(time.Millisecond))
	}

	// Load time: best of five, the file already in memory.
	data, err := os.ReadFile(needData(t, "llama3/tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	bestWall, bestCPU := time.Hour, time.Hour
	for range 5 {
		wall, cpu := measure(func() {
			if _, err := Load(data); err != nil {
				t.Fatal(err)
			}
		})
		bestWall, bestCPU = min(bestWall, wall), min(bestCPU, cpu)
	}
	t.Logf("load llama3 tokenizer.json (%.1f MB): best of 5: %v wall, %v cpu (all threads)",
		float64(len(data))/(1<<20), bestWall.Round(time.Millisecond), bestCPU.Round(time.Millisecond))

	for _, name := range []string{"llama3", "qwen3"} {
		tok, err := Load(mustRead(t, filepath.Join(testdataDir, modelDirs[name], "tokenizer.json")))
		if err != nil {
			t.Fatal(err)
		}
		for pass := 1; pass <= 2; pass++ {
			wall, cpu := measure(func() {
				for _, c := range chunks {
					tok.Encode(c, false)
				}
			})
			report(fmt.Sprintf("knobs %s pass %d", name, pass), wall, cpu)
		}
	}

	enc := loadTiktoken(t)
	wall, cpu := measure(func() {
		for _, c := range chunks {
			enc.Encode(c, []string{"all"}, nil)
		}
	})
	report("tiktoken-go llama3", wall, cpu)

	// @huggingface/tokenizers in node, one thread, same chunks.
	script, _ := filepath.Abs("../../tools/tokenizer-oracle/bench.mjs")
	for _, name := range []string{"llama3", "qwen3"} {
		cmd := exec.Command("node", script, filepath.Join(testdataDir, modelDirs[name]),
			filepath.Join(testdataDir, "bench", "corpus.txt"))
		cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(testdataDir, "oracle", "node_modules"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("node bench: %v\n%s", err, out)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			t.Logf("node @huggingface/tokenizers %s %s", name, line)
		}
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
