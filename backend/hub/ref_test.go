package hub

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseRef(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.MkdirAll("models/mine", 0o755); err != nil {
		t.Fatal(err)
	}
	cwd, _ := os.Getwd()
	cases := []struct {
		in       string
		dir      string
		repo     string
		revision string
	}{
		{"", "", DefaultModel, "main"},
		{"mlx-community/Llama-3.2-1B-Instruct-4bit", "", DefaultModel, "main"},
		{"Qwen/Qwen3-0.6B-MLX-4bit@v1.0", "", "Qwen/Qwen3-0.6B-MLX-4bit", "v1.0"},
		{"org/name@" + fakeCommit, "", "org/name", fakeCommit},
		{"org/name@refs/pr/1", "", "org/name", "refs/pr/1"},
		{"gpt2", "", "gpt2", "main"},
		{"./weights", filepath.Join(cwd, "weights"), "", ""},
		{"/abs/model", "/abs/model", "", ""},
		{"models/mine", filepath.Join(cwd, "models/mine"), "", ""}, // an existing directory
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			r, err := ParseRef(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if r.Dir != tc.dir || r.Repo != tc.repo || r.Revision != tc.revision {
				t.Errorf("ParseRef(%q) = %+v", tc.in, r)
			}
		})
	}
	for _, bad := range []string{"a/b/c", "org/na--me", "org/-name", "org/name.", "org/x@../../etc",
		"org/x@/main", "org/x@a b", "org//x", "org/x@", "sp ace/x", strings.Repeat("a", 100) + "/x"} {
		t.Run("invalid "+bad, func(t *testing.T) {
			_, err := ParseRef(bad)
			if bad == "org/x@" {
				// An empty revision means main.
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantCode(t, err, CodeInvalidRef)
		})
	}
}

func TestValidateFileName(t *testing.T) {
	for _, ok := range []string{"config.json", "model-00001-of-00002.safetensors", "sub/dir/x.json",
		"naïve name.txt"} {
		if err := validateFileName(ok); err != nil {
			t.Errorf("%q rejected: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "/x", "../x", "a/../b", "a/./b", "a//b", "a/", `a\b`,
		"a\x00b", "C:x", "..", "."} {
		if validateFileName(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCheckConfig(t *testing.T) {
	ok := []string{
		`{"model_type":"llama"}`,
		`{"model_type":"qwen3","quantization":{"group_size":64,"bits":4}}`,
		`{"model_type":"qwen2","quantization":{"group_size":32,"bits":8,"mode":"affine"},` +
			`"quantization_config":{"group_size":32,"bits":8}}`,
		`{"model_type":"llama","quantization":{"group_size":64,"bits":4,` +
			`"model.embed_tokens":{"group_size":32,"bits":6}}}`,
	}
	for _, c := range ok {
		if err := CheckConfig([]byte(c)); err != nil {
			t.Errorf("%s: %v", c, err)
		}
	}
	bad := map[string]string{
		`{"model_type":"mistral"}`: `"mistral"`,
		`{"model_type":"llama","quantization":{"group_size":64,"bits":4,"mode":"nvfp4"}}`: `"nvfp4"`,
		`{"model_type":"llama","quantization":{"group_size":48,"bits":4}}`:                "group_size 48",
		`{"model_type":"llama","quantization":{"bits":4}}`:                                "group_size (missing)",
		`{"model_type":"llama","quantization_config":{"quant_method":"awq"}}`:             `"awq"`,
		`not json`: "not valid JSON",
	}
	for c, mention := range bad {
		err := CheckConfig([]byte(c))
		wantCode(t, err, CodeUnsupported)
		if !strings.Contains(err.Error(), mention) {
			t.Errorf("%s: error %q does not mention %s", c, err, mention)
		}
	}
}

func TestOptionsFromEnv(t *testing.T) {
	isolateEnv(t)
	home := t.TempDir()
	t.Setenv("HF_HOME", home)
	mustWrite(t, filepath.Join(home, "token"), "hf_fromfile\n")
	o := OptionsFromEnv()
	if o.CacheDir != filepath.Join(home, "hub") || o.Token != "hf_fromfile" ||
		o.Endpoint != DefaultEndpoint || o.Offline {
		t.Errorf("from HF_HOME: %+v", o)
	}

	t.Setenv("HUGGINGFACE_HUB_CACHE", "/legacy")
	if o := OptionsFromEnv(); o.CacheDir != "/legacy" {
		t.Errorf("HUGGINGFACE_HUB_CACHE ignored: %s", o.CacheDir)
	}
	t.Setenv("HF_HUB_CACHE", "/new")
	t.Setenv("HF_TOKEN", " hf_fromenv ")
	t.Setenv("HF_ENDPOINT", "https://mirror.example/")
	t.Setenv("HF_HUB_OFFLINE", "yes")
	o = OptionsFromEnv()
	if o.CacheDir != "/new" || o.Token != "hf_fromenv" || o.Endpoint != "https://mirror.example" ||
		!o.Offline {
		t.Errorf("from variables: %+v", o)
	}

	t.Setenv("HF_HOME", "")
	t.Setenv("HF_HUB_CACHE", "")
	t.Setenv("HUGGINGFACE_HUB_CACHE", "")
	t.Setenv("XDG_CACHE_HOME", "/xdg")
	if o := OptionsFromEnv(); o.CacheDir != "/xdg/huggingface/hub" {
		t.Errorf("XDG_CACHE_HOME default: %s", o.CacheDir)
	}

	c := NewClient(Options{NoToken: true})
	if c.opts.Token != "" || c.Options().Token != "" {
		t.Error("NoToken kept the environment token")
	}
	c = NewClient(Options{})
	if c.opts.Token != "hf_fromenv" || c.Options().Token != "[set]" {
		t.Errorf("token from env: shown as %q", c.Options().Token)
	}
}

func TestNormalizeEtag(t *testing.T) {
	for in, want := range map[string]string{`"abc"`: "abc", `W/"abc"`: "abc", "abc": "abc"} {
		if got := normalizeEtag(in); got != want {
			t.Errorf("normalizeEtag(%s) = %s", in, got)
		}
	}
}
