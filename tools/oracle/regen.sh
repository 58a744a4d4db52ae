#!/bin/sh
# Regenerates backend/model/testdata/ref/NAME.llamacpp.json for every tiny test model
# with llama.cpp, compiled from the Go module github.com/ollama/ollama (cgo, C++17).
# The first build takes several minutes on two cores; it uses a private GOCACHE under
# .cache/ so that other builds do not evict it. Needs a C/C++ toolchain (build-essential).
set -eu
cd "$(dirname "$0")/../.."
root=$(pwd)
PROMPT=1,17,42,99,3,250,7,64,128,5,200,31
export GOWORK=off GOFLAGS=-mod=mod
export GOCACHE="$root/.cache/oracle-gocache"
mod=$(cd tools/oracle && go list -m -f '{{.Dir}}' github.com/ollama/ollama)
export CGO_CPPFLAGS="-I$mod/llama/llama.cpp/include -I$mod/ml/backend/ggml/ggml/include"
(cd tools/oracle && go build -o /tmp/knobs-oracle .)
for name in $(go run ./tools/torchref/tinynames); do
	/tmp/knobs-oracle --model backend/model/testdata/models/"$name" --prompt-ids $PROMPT \
		--steps 8 --top 16 >backend/model/testdata/ref/"$name".llamacpp.json
	echo "$name"
done
