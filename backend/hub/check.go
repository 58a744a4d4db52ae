package hub

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
)

// SupportedModelTypes are the config.json model_type values Knobs' engine runs.
var SupportedModelTypes = []string{"llama", "qwen2", "qwen3"}

// supportedBits and supportedGroupSizes are the affine quantizations mlx.core.quantize
// produces (mx.quantize accepts these bit widths and group sizes).
var (
	supportedBits       = []int{2, 3, 4, 5, 6, 8}
	supportedGroupSizes = []int{32, 64, 128}
)

// mlxQuantization is the "quantization" object mlx-lm writes into config.json; per-layer
// overrides, when present, sit next to these keys and are not checked here.
type mlxQuantization struct {
	GroupSize *int   `json:"group_size"`
	Bits      *int   `json:"bits"`
	Mode      string `json:"mode"`
}

// CheckConfig checks, from config.json alone, that a checkpoint is one Knobs can run:
// a supported model_type, and either no quantization or MLX affine quantization with a
// bit width and group size mx.quantize produces. Quantizations of other toolkits
// (quantization_config with a quant_method such as gptq, awq, bitsandbytes or fp8) are
// rejected. Errors have code unsupported_model and name the offending key and value.
func CheckConfig(data []byte) error {
	var cfg struct {
		ModelType     string          `json:"model_type"`
		Quantization  json.RawMessage `json:"quantization"`
		QuantConfig   json.RawMessage `json:"quantization_config"`
		Architectures []string        `json:"architectures"`
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return unsupported("config.json is not valid JSON (%v)", err)
	}
	if cfg.ModelType == "" {
		return unsupported("config.json has no model_type")
	}
	if !slices.Contains(SupportedModelTypes, cfg.ModelType) {
		return unsupported("model_type %q is not supported (supported: %s)", cfg.ModelType,
			strings.Join(SupportedModelTypes, ", "))
	}
	if len(cfg.Quantization) > 0 && string(cfg.Quantization) != "null" {
		return checkMLXQuantization(cfg.Quantization)
	}
	if len(cfg.QuantConfig) > 0 && string(cfg.QuantConfig) != "null" {
		var qc struct {
			QuantMethod string `json:"quant_method"`
		}
		_ = json.Unmarshal(cfg.QuantConfig, &qc)
		if qc.QuantMethod != "" {
			return unsupported("quantization_config.quant_method %q is not an MLX "+
				"quantization (only MLX affine checkpoints are supported)", qc.QuantMethod)
		}
	}
	return nil
}

func checkMLXQuantization(raw json.RawMessage) error {
	var q mlxQuantization
	if err := json.Unmarshal(raw, &q); err != nil {
		return unsupported("config.json quantization is not an object (%v)", err)
	}
	if q.Mode != "" && q.Mode != "affine" {
		return unsupported("quantization mode %q is not supported (supported: affine)", q.Mode)
	}
	if q.Bits == nil || !slices.Contains(supportedBits, *q.Bits) {
		return unsupported("quantization bits %s is not supported (supported: %v)",
			intOrMissing(q.Bits), supportedBits)
	}
	if q.GroupSize == nil || !slices.Contains(supportedGroupSizes, *q.GroupSize) {
		return unsupported("quantization group_size %s is not supported (supported: %v)",
			intOrMissing(q.GroupSize), supportedGroupSizes)
	}
	return nil
}

func intOrMissing(p *int) string {
	if p == nil {
		return "(missing)"
	}
	return fmt.Sprint(*p)
}

func unsupported(format string, args ...any) *Error {
	return &Error{Code: CodeUnsupported, Msg: "not a supported MLX checkpoint: " +
		fmt.Sprintf(format, args...)}
}

// validateFileName checks a file name listed by the Hub before it becomes a path in
// the cache: a relative, forward-slash path whose segments are plain names, so that
// snapshots/<commit>/<name> cannot resolve outside the snapshot.
func validateFileName(name string) error {
	bad := name == "" || len(name) > 1024 || strings.HasPrefix(name, "/") ||
		strings.ContainsAny(name, "\\\x00") || strings.Contains(name, ":")
	if !bad {
		for _, seg := range strings.Split(name, "/") {
			if seg == "" || seg == "." || seg == ".." {
				bad = true
				break
			}
		}
	}
	if bad || path.Clean(name) != name {
		return fmt.Errorf("unsafe file name %s", quoteShort(name))
	}
	return nil
}

// neededFile reports whether a repository file is part of what Knobs loads: the
// configs, the tokenizer files, the safetensors index and the model*.safetensors
// weights at the top of the repository (the files mlx-lm's loader reads).
func neededFile(name string) bool {
	switch name {
	case configFile, "generation_config.json", tokenizerFile, "tokenizer_config.json",
		"special_tokens_map.json", "chat_template.jinja", "chat_template.json",
		safetensorsIdx:
		return true
	}
	ok, _ := path.Match(weightFilesGlob, name)
	return ok
}
