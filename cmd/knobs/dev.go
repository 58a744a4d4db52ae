package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/knobs-app/knobs/backend/model/modeltest"
)

// The dev command holds tools for developers and benchmarks, not for end users.
func init() {
	register(&command{
		name:    "dev",
		summary: "developer tools (dev mkmodel: write a random test checkpoint)",
		usage:   "dev mkmodel --out DIR (--shape llama-3.2-1b | --tiny NAME) [--seed N]",
		run:     runDev,
		hidden:  true,
	})
}

func runDev(args []string, stdout, stderr io.Writer) error {
	usage := "Subcommands:\n" +
		"  mkmodel   write a random-weight checkpoint in the mlx-community layout"
	if handled, err := groupHelp(args, stdout, usage, "missing subcommand"); handled {
		return err
	}
	switch args[0] {
	case "mkmodel":
		return runMkmodel(args[1:], stdout, stderr)
	}
	return usageErrorf("unknown dev subcommand %q", args[0])
}

// shapeSpec returns the spec of a named full-size shape or tiny test model.
func shapeSpec(shape, tiny string) (modeltest.Spec, error) {
	switch {
	case shape != "" && tiny != "":
		return modeltest.Spec{}, usageErrorf("give --shape or --tiny, not both")
	case shape == "llama-3.2-1b":
		return modeltest.Llama32_1B(), nil
	case shape != "":
		return modeltest.Spec{}, usageErrorf("unknown --shape %q; known: llama-3.2-1b", shape)
	case tiny != "":
		s, ok := modeltest.Tiny(tiny)
		if !ok {
			return modeltest.Spec{}, usageErrorf("unknown --tiny %q; known: %s",
				tiny, strings.Join(modeltest.TinyNames(), ", "))
		}
		return s, nil
	}
	return modeltest.Spec{}, usageErrorf("give --shape or --tiny")
}

// tokenizerFiles reads the tokenizer files of a model directory that exist.
func tokenizerFiles(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, name := range []string{"tokenizer.json", "tokenizer_config.json",
		"special_tokens_map.json", "generation_config.json"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) && name != "tokenizer.json" {
			continue
		}
		if err != nil {
			return nil, err
		}
		files[name] = data
	}
	return files, nil
}

func runMkmodel(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("dev mkmodel", stderr)
	out := fs.String("out", "", "directory to write the checkpoint into")
	shape := fs.String("shape", "", "full-size shape: llama-3.2-1b")
	tiny := fs.String("tiny", "", "tiny test model: "+strings.Join(modeltest.TinyNames(), ", "))
	seed := fs.Uint64("seed", 0, "random seed (0 keeps the preset's)")
	bits := fs.Int("bits", -1, "override the bit width (0 = unquantized)")
	vocab := fs.Int("vocab", 0, "override vocab_size")
	tokDir := fs.String("tokenizer-dir", "", "copy tokenizer.json and its companion files "+
		"from this directory")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usageErrorf("--out is required")
	}
	spec, err := shapeSpec(*shape, *tiny)
	if err != nil {
		return err
	}
	if *seed != 0 {
		spec.Seed = *seed
	}
	if *bits >= 0 {
		spec.Bits = *bits
	}
	if *vocab > 0 {
		spec.VocabSize = *vocab
	}
	if *tokDir != "" {
		if spec.Files, err = tokenizerFiles(*tokDir); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "writing %s ...\n", *out)
	if err := modeltest.Write(*out, spec); err != nil {
		return err
	}
	fmt.Fprintln(stdout, *out)
	return nil
}
