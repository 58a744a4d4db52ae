package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/knobs-app/knobs/backend/model"
	"github.com/knobs-app/knobs/backend/model/modeltest"
	"github.com/knobs-app/knobs/backend/quant"
)

func init() {
	register(&command{
		name:    "bench",
		summary: "measure prefill and decode speed against the machine's memory bandwidth",
		usage: "bench (--model DIR | --shape llama-3.2-1b) [--prompt-tokens N] [--gen-tokens N] " +
			"[--columns B] [--json]",
		run: runBench,
	})
}

// benchOutput is the --json output; its keys are a documented contract.
type benchOutput struct {
	Columns                 int     `json:"columns"`
	PromptTokens            int     `json:"prompt_tokens"`
	GenTokens               int     `json:"gen_tokens"`
	PrefillTokensPerSecond  float64 `json:"prefill_tokens_per_second"`
	DecodeStepSeconds       float64 `json:"decode_step_seconds"`
	DecodeTokensPerSecond   float64 `json:"decode_tokens_per_second"`
	BytesPerToken           int64   `json:"bytes_per_token"`
	EffectiveGBPerSecond    float64 `json:"effective_gb_per_second"`
	MeasuredBandwidthGBPerS float64 `json:"measured_bandwidth_gb_per_second"`
	BandwidthFraction       float64 `json:"bandwidth_fraction"`
	GOMAXPROCS              int     `json:"gomaxprocs"`
	// PrefillCPUSeconds and DecodeStepCPUSeconds are the process CPU time (user +
	// system, all threads) of the prefill and of the median decode step. On a loaded
	// machine the wall-clock figures above include waiting for a core; these do not.
	PrefillCPUSeconds    float64 `json:"prefill_cpu_seconds"`
	DecodeStepCPUSeconds float64 `json:"decode_step_cpu_seconds"`
	// RSSBytes is the process's resident memory after the decode steps (Linux VmRSS;
	// 0 elsewhere): the mapped weights, the KV caches and the scratch buffers.
	RSSBytes int64 `json:"rss_bytes"`
}

func runBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", stderr)
	modelDir := fs.String("model", "", "model directory")
	shape := fs.String("shape", "", "without --model: write (once, into the user cache dir) and "+
		"use a random model of this shape: llama-3.2-1b")
	promptTokens := fs.Int("prompt-tokens", 128, "prompt length for the prefill measurement")
	genTokens := fs.Int("gen-tokens", 32, "decode steps to time")
	columns := fs.Int("columns", 1,
		fmt.Sprintf("sequences decoded together (1..%d)", model.MaxBatch))
	asJSON := fs.Bool("json", false, "print one JSON object")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the decode steps to this file")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case (*modelDir == "") == (*shape == ""):
		return usageErrorf("give exactly one of --model and --shape")
	case *columns < 1 || *columns > model.MaxBatch:
		return usageErrorf("--columns must be in [1, %d], got %d", model.MaxBatch, *columns)
	case *promptTokens < 1 || *genTokens < 1:
		return usageErrorf("--prompt-tokens and --gen-tokens must be positive")
	}
	progress := func(format string, a ...any) {
		if !*asJSON {
			fmt.Fprintf(stderr, format, a...)
		}
	}

	dir := *modelDir
	if dir == "" {
		var err error
		if dir, err = shapeModel(*shape, progress); err != nil {
			return err
		}
	}
	progress("loading %s\n", dir)
	m, err := model.LoadWithOptions(dir,
		model.Options{ContextLength: *promptTokens + *genTokens + 1})
	if err != nil {
		return err
	}
	defer m.Close()

	out, err := benchModel(m, *promptTokens, *genTokens, *columns, *cpuProfile, progress)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(out)
	}
	printBench(stdout, out)
	return nil
}

// shapeModel returns the directory of the random model of a named shape in the user
// cache dir, writing it first if it is not there.
func shapeModel(shape string, progress func(string, ...any)) (string, error) {
	spec, err := shapeSpec(shape, "")
	if err != nil {
		return "", err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find a cache dir for the %s model: %w", shape, err)
	}
	dir := filepath.Join(cache, "knobs", "bench", fmt.Sprintf("%s-seed%d", shape, spec.Seed))
	if _, err := os.Stat(filepath.Join(dir, "model.safetensors")); err == nil {
		return dir, nil
	}
	// Write beside the final place and rename, so an interrupted run leaves no model
	// that looks complete.
	partial := dir + ".partial"
	os.RemoveAll(partial)
	progress("writing a random %s model to %s (once) ...\n", shape, dir)
	start := time.Now()
	if err := modeltest.Write(partial, spec); err != nil {
		return "", err
	}
	if err := os.Rename(partial, dir); err != nil {
		return "", fmt.Errorf("write bench model: %w", err)
	}
	progress("wrote it in %.0f s\n", time.Since(start).Seconds())
	return dir, nil
}

// benchModel measures the memory bandwidth, a prefill of promptTokens tokens, then
// genTokens decode steps of columns sequences forked from that prompt.
func benchModel(m *model.Model, promptTokens, genTokens, columns int, cpuProfile string,
	progress func(string, ...any)) (*benchOutput, error) {
	out := &benchOutput{Columns: columns, PromptTokens: promptTokens, GenTokens: genTokens,
		BytesPerToken: m.WeightBytes(), GOMAXPROCS: runtime.GOMAXPROCS(0)}
	vocab := m.VocabSize()

	// The bandwidth is probed before and after the model runs and the better
	// probe kept: on a shared machine one probe can land in a busy moment and
	// understate the limit the decode steps are compared with.
	progress("measuring memory read bandwidth ...\n")
	out.MeasuredBandwidthGBPerS = quant.MeasureReadBandwidth()

	// Prefill a prompt of arbitrary, spread-out token ids.
	prompt := make([]int32, promptTokens)
	for i := range prompt {
		prompt[i] = int32((i*7919 + 13) % vocab)
	}
	progress("prefill of %d tokens ...\n", promptTokens)
	logits := make([]float32, columns*vocab)
	root := m.NewCache()
	start, cpuStart := time.Now(), processCPUTime()
	if err := m.Prefill(root, prompt, logits); err != nil {
		return nil, err
	}
	out.PrefillTokensPerSecond = float64(promptTokens) / time.Since(start).Seconds()
	out.PrefillCPUSeconds = (processCPUTime() - cpuStart).Seconds()

	// Decode all columns together, each feeding back its own greedy token.
	caches := m.Fork(root, columns)
	tokens := make([]int32, columns)
	for i := range tokens {
		tokens[i] = int32((i*31 + 7) % vocab)
	}
	steps := make([]float64, genTokens)
	cpu := make([]float64, genTokens)
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	for s := range steps {
		progress("\rdecode step %d/%d", s+1, genTokens)
		start, cpuStart := time.Now(), processCPUTime()
		if err := m.DecodeBatch(caches, tokens, logits); err != nil {
			return nil, err
		}
		steps[s] = time.Since(start).Seconds()
		cpu[s] = (processCPUTime() - cpuStart).Seconds()
		for i := range tokens {
			tokens[i] = model.Argmax(logits[i*vocab : (i+1)*vocab])
		}
	}
	progress("\nmeasuring memory read bandwidth again ...\n")
	out.MeasuredBandwidthGBPerS = max(out.MeasuredBandwidthGBPerS, quant.MeasureReadBandwidth())

	slices.Sort(steps)
	slices.Sort(cpu)
	out.DecodeStepSeconds = steps[len(steps)/2]
	out.DecodeStepCPUSeconds = cpu[len(cpu)/2]
	out.DecodeTokensPerSecond = 1 / out.DecodeStepSeconds
	out.EffectiveGBPerSecond = float64(out.BytesPerToken) / out.DecodeStepSeconds / 1e9
	out.BandwidthFraction = out.EffectiveGBPerSecond / out.MeasuredBandwidthGBPerS
	out.RSSBytes = residentBytes()
	return out, nil
}

func printBench(w io.Writer, o *benchOutput) {
	rows := []struct {
		name, value string
	}{
		{"columns", fmt.Sprint(o.Columns)},
		{"prefill", fmt.Sprintf("%.1f tokens/s (%d tokens)",
			o.PrefillTokensPerSecond, o.PromptTokens)},
		{"decode step", fmt.Sprintf("%.2f ms (median of %d)",
			o.DecodeStepSeconds*1e3, o.GenTokens)},
		{"decode step CPU", fmt.Sprintf("%.2f ms (all threads)", o.DecodeStepCPUSeconds*1e3)},
		{"decode", fmt.Sprintf("%.2f tokens/s per column", o.DecodeTokensPerSecond)},
		{"weights per step", fmt.Sprintf("%.1f MB", float64(o.BytesPerToken)/1e6)},
		{"effective", fmt.Sprintf("%.2f GB/s", o.EffectiveGBPerSecond)},
		{"measured bandwidth", fmt.Sprintf("%.2f GB/s (%d threads)",
			o.MeasuredBandwidthGBPerS, o.GOMAXPROCS)},
		{"fraction", fmt.Sprintf("%.0f %%", 100*o.BandwidthFraction)},
		{"resident memory", fmt.Sprintf("%.0f MB", float64(o.RSSBytes)/1e6)},
	}
	for _, r := range rows {
		fmt.Fprintf(w, "%-20s %s\n", r.name, r.value)
	}
}

// residentBytes returns the process's resident set size from /proc/self/status, or 0
// where that file does not exist. (Not the peak: the bandwidth probe's 1 GiB buffer,
// unmapped before the model runs, would dominate it.)
func residentBytes() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb * 1024
		}
	}
	return 0
}
