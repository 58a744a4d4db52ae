# Knobs: build, run and test the desktop app without the wails CLI.
#
#   make run     install what is missing, build the app and start it
#   make test    everything CI checks: Go, frontend and a headless smoke test
#   make build   the desktop binary, build/bin/knobs
#   make cli     the headless CLI, build/bin/knobs-cli
#   make bench   engine speed on a random model of the Llama 3.2 1B shape
#   make e2e     browser end-to-end tests against the real backend (part of make test)
#
# The desktop build reproduces "wails build": generate the bindings, build the
# frontend, then compile with the desktop tags.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

GO  ?= go
NPM ?= npm
UNAME_S := $(shell uname -s)
UNAME_M := $(shell uname -m)

BIN     := build/bin/knobs
CLI_BIN := build/bin/knobs-cli
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0-dev)
LDFLAGS := -w -s -X main.version=$(VERSION)

ifeq ($(UNAME_S),Linux)
# Debian 12 has only WebKitGTK 4.1, which Wails v2 selects with webkit2_41.
DESKTOP_TAGS := desktop,production,webkit2_41
else
DESKTOP_TAGS := desktop,production
endif

# Debian packages needed to build and test. Helpers whose tests need more packages
# add them here (one list, installed in one apt-get call).
DEBIAN_PACKAGES := \
	build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev \
	xvfb imagemagick xauth dbus dbus-x11 xdotool python3 chromium fonts-dejavu-core \
	fonts-noto-cjk python3-torch python3-numpy bible-kjv-text python3-jinja2 python3-regex \
	qemu-user

.PHONY: help
help:
	@sed -n 's/^#   make /  make /p' Makefile

# --- dependencies ---------------------------------------------------------------

.PHONY: deps deps-system deps-go
deps: deps-system frontend/node_modules/.installed deps-go

deps-system:
	@scripts/install-deps.sh $(DEBIAN_PACKAGES)

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && $(NPM) ci --no-audit --no-fund --loglevel=error
	@touch $@

deps-go:
	@$(GO) mod download

# --- build ----------------------------------------------------------------------

.PHONY: build bindings frontend cli bridge
build: deps bindings frontend
	$(GO) build -tags $(DESKTOP_TAGS) -ldflags "$(LDFLAGS)" -o $(BIN) .
	@echo "built $(BIN)"

# bindings regenerates frontend/wailsjs (committed) from the bound Go methods, as
# "wails generate module" would.
bindings:
	$(GO) build -tags bindings -o build/gen-bindings .
	@mkdir -p build/bin
	@./build/gen-bindings >build/bin/gen-bindings.log 2>&1 || { cat build/bin/gen-bindings.log; exit 1; }

frontend: frontend/node_modules/.installed bindings
	cd frontend && $(NPM) run --silent build

# bridge is the App served over HTTP to a browser, for the end-to-end tests.
bridge:
	$(GO) build -tags bridge -o build/bin/knobs-bridge .

cli:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(CLI_BIN) ./cmd/knobs
	@echo "built $(CLI_BIN)"

# --- run ------------------------------------------------------------------------

.PHONY: run
run: build
ifeq ($(UNAME_S),Linux)
	@if [ -z "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ]; then \
		echo "No DISPLAY: starting Knobs on a virtual screen (Xvfb)."; \
		echo "To see it, run it on a desktop, or take a screenshot from another shell:"; \
		echo "  import -display :99 -window root knobs.png   (:99 or the next free display)"; \
		echo "To run it yourself: Xvfb :99 -screen 0 1280x800x24 &"; \
		echo "  DISPLAY=:99 dbus-run-session -- $(BIN)"; \
		exec xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- ./$(BIN); \
	elif [ -z "$${DBUS_SESSION_BUS_ADDRESS:-}" ]; then \
		exec dbus-run-session -- ./$(BIN); \
	else \
		exec ./$(BIN); \
	fi
else
	./$(BIN)
endif

# --- test -----------------------------------------------------------------------

.PHONY: test testdata gofmt vet gotest bindings-check frontend-check frontend-test smoke e2e
test: deps testdata gofmt vet gotest bindings-check frontend-check frontend-test smoke e2e
	@echo "make test: all passed"

# testdata runs every fetch script that helpers add under scripts/testdata/.
testdata:
	@for s in scripts/testdata/*.sh; do \
		[ -e "$$s" ] || continue; \
		echo "testdata: $$s"; \
		bash "$$s"; \
	done

gofmt:
	@files=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard -- '*.go')); \
	if [ -n "$$files" ]; then echo "gofmt needed:"; echo "$$files"; exit 1; fi

vet:
	$(GO) vet ./...
	$(GO) vet -tags smoke ./tests/...
	$(GO) vet -tags bridge .
	$(GO) vet -tags noasm ./backend/quant/ ./backend/model/...

gotest:
	$(GO) test ./...
	$(GO) test -race ./backend/lab/...
	$(GO) test -tags bridge -run Bridge .
	# The portable kernels alone, as on a CPU without AVX2 or with -tags noasm.
	$(GO) test -tags noasm ./backend/quant/ ./backend/model/...
ifeq ($(UNAME_S)-$(UNAME_M),Linux-x86_64)
	# The engine as Apple silicon runs it (arm64: portable kernels, and Go may
	# fuse multiply-adds there), under qemu-user; -short skips the slow probes.
	GOARCH=arm64 CGO_ENABLED=0 $(GO) vet ./backend/...
	GOARCH=arm64 CGO_ENABLED=0 $(GO) test -short -exec qemu-aarch64 \
		./backend/safetensors/ ./backend/quant/ ./backend/model/... ./backend/tokenizer/ \
		./backend/sampling/
endif

# bindings-check regenerates frontend/wailsjs and reports when it differs from the
# committed files (an error in CI): after changing a bound method, commit the result.
bindings-check: bindings
	@changed=$$(git status --porcelain -- frontend/wailsjs); \
	if [ -n "$$changed" ]; then \
		echo "frontend/wailsjs differs from the committed bindings; commit it:"; \
		echo "$$changed"; \
		if [ -n "$${CI:-}" ]; then exit 1; fi; \
	fi

frontend-check: frontend/node_modules/.installed
	cd frontend && $(NPM) run --silent check
	cd frontend && $(NPM) run --silent format:check

frontend-test: frontend/node_modules/.installed
	cd frontend && $(NPM) run --silent test

# smoke starts the production binary under Xvfb on a private session bus; see
# tests/smoke. Screenshots and logs stay in artifacts/smoke.
smoke: build
	dbus-run-session -- $(GO) test -tags smoke -count=1 -v ./tests/smoke 2>&1 \
		| grep -v '^dbus-daemon\[' | grep -v 'SpiRegistry daemon'

# e2e drives the built frontend in Debian's Chromium (playwright-core, never a downloaded
# browser) against the real backend through the bridge; see tests/e2e. Screenshots stay
# in artifacts/e2e.
tests/e2e/node_modules/.installed: tests/e2e/package.json tests/e2e/package-lock.json
	cd tests/e2e && $(NPM) ci --no-audit --no-fund --loglevel=error
	@touch $@

# In CI a contract element the UI lacks fails the test (E2E_STRICT) instead of skipping.
e2e: frontend bridge tests/e2e/node_modules/.installed
	cd tests/e2e && E2E_STRICT=$${E2E_STRICT:-$${CI:+1}} \
		node --test --test-concurrency=1 --test-reporter=spec

# --- bench ----------------------------------------------------------------------

.PHONY: bench
# bench measures prefill and decode of the real engine on a random checkpoint of the
# Llama 3.2 1B shape (written once into the user cache dir), one column and five.
bench:
	$(GO) run ./cmd/knobs bench --shape llama-3.2-1b --columns 1
	$(GO) run ./cmd/knobs bench --shape llama-3.2-1b --columns 5

# --- housekeeping ---------------------------------------------------------------

.PHONY: fmt clean
fmt: frontend/node_modules/.installed
	gofmt -w $$(git ls-files --cached --others --exclude-standard -- '*.go')
	cd frontend && $(NPM) run --silent format

clean:
	rm -rf build/bin build/gen-bindings frontend/dist artifacts
