#!/bin/sh
# Regenerates backend/sampling/testdata/llamacpp.json with llama.cpp's samplers,
# compiled from the Go module github.com/ollama/ollama (cgo, C++17). A cold build takes
# several minutes on two cores; it shares tools/oracle's private GOCACHE under .cache/.
# Needs a C/C++ toolchain (build-essential).
set -eu
cd "$(dirname "$0")/../../.."
root=$(pwd)
export GOWORK=off GOFLAGS=-mod=mod
export GOCACHE="$root/.cache/oracle-gocache"
mod=$(cd backend/sampling/oracle && go list -m -f '{{.Dir}}' github.com/ollama/ollama)
export CGO_CPPFLAGS="-I$mod/llama/llama.cpp/include -I$mod/ml/backend/ggml/ggml/include"
(cd backend/sampling/oracle && go build -o /tmp/knobs-sampling-oracle .)
/tmp/knobs-sampling-oracle >backend/sampling/testdata/llamacpp.json
