# Courier: build, test, demo, interop, fuzz, bench, docs.
# `make test` is what CI runs (.ci/run); it installs what a fresh Debian machine lacks.

SHELL        := /bin/bash
SWIFT        ?= swift
CONFIG       ?= debug
BUILD_FLAGS  ?=
FUZZ_TIME    ?= 60
FUZZ_SECONDS ?= $(FUZZ_TIME)
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := nginx-light nghttp2-server nghttp2-client wrk tinyproxy libhttp-parser-dev libnghttp2-dev libssl-dev zlib1g-dev curl openssl python3-venv time
VENV         := .venv

.PHONY: all build test test-only deps pydeps layers demo interop fuzz fuzz-smoke bench docs clean test-asan test-tsan soak
.PHONY: doc-snippets doc-coverage examples example-crawler example-downloader example-stream

all: build

## Debian packages the tests and benchmarks need (installed only when missing).
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

## Python packages for cross-checks (hpack), in a local virtual environment.
pydeps:
	@[ -x $(VENV)/bin/python ] || python3 -m venv $(VENV)
	@$(VENV)/bin/python -c 'import hpack' 2>/dev/null || $(VENV)/bin/pip install -q hpack

layers:
	@./Scripts/check-layers.sh

## Every ```swift block in Docs/*.md is in the compiled snippets (Examples/DocSnippets, Tests/CourierDocSnippetsTests).
doc-snippets:
	@./Scripts/check-doc-snippets.sh

## Every public symbol in Sources/ has a doc comment (after build-tests: the symbol graphs build incrementally).
doc-coverage:
	@./Scripts/check-doc-coverage.sh

build:
	$(SWIFT) build -c $(CONFIG) $(BUILD_FLAGS)

## Builds everything (tests included) and fails on any warning in the project's own code.
build-tests:
	@mkdir -p .tmp
	@set -o pipefail; $(SWIFT) build --build-tests $(BUILD_FLAGS) 2>&1 | tee .tmp/build.log
	@if grep -E "^$(CURDIR)/(Sources|Tests|Examples)/.*: warning:" .tmp/build.log; then \
	  echo "error: the project's code has warnings (above)"; exit 1; fi

test: deps pydeps layers doc-snippets build-tests doc-coverage test-only

# Swift Testing starts every test at once; on two cores the cooperative pool then serves hundreds of tests
# and a test's own timeout measures the others' work. Eight at a time keeps the run as fast and the
# timeouts meaningful.
TEST_WIDTH ?= 8

test-only:
	SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=$(TEST_WIDTH) COURIER_PYTHON=$(CURDIR)/$(VENV)/bin/python $(SWIFT) test --skip-build $(BUILD_FLAGS)

demo:
	$(SWIFT) run -c release courier demo

interop: deps
	COURIER_INTEROP=1 $(SWIFT) test --filter Interop

fuzz:
	$(MAKE) -C Fuzz run SECONDS=$(FUZZ_SECONDS)

fuzz-smoke:
	$(MAKE) -C Fuzz run SECONDS=20

bench: deps
	$(MAKE) -C Benchmarks bench

## Examples, each against the in-process test server (built by `make test`; `CONFIG=release` for speed).
example-crawler:
	$(SWIFT) run -c $(CONFIG) ExampleCrawler
example-downloader:
	$(SWIFT) run -c $(CONFIG) ExampleDownloader
example-stream:
	$(SWIFT) run -c $(CONFIG) ExampleStreamConsumer
examples: example-crawler example-downloader example-stream

## DocC reference of the public modules, one archive each in .build/docs/<Module>.doccarchive.
DOC_TARGETS ?= Courier CourierTestServer CourierOpenAPITransport CourierTracing CourierCore CourierHPACK CourierHTTP1 \
               CourierHTTP2 CourierReactor CourierTLS CourierTransport CourierPool
docs:
	@mkdir -p .build/docs
	@for target in $(DOC_TARGETS); do \
	  $(SWIFT) package --allow-writing-to-directory .build/docs generate-documentation --target $$target \
	    --output-path .build/docs/$$target.doccarchive --warnings-as-errors || exit 1; \
	done

## Long-running load (SOAK_SECONDS, default 600): 64 concurrent HTTP/1.1 and HTTP/2 requests against nginx and
## the in-process server, RSS and open descriptors sampled each second, drift printed at the end.
SOAK_SECONDS ?= 600

soak: deps build-tests
	COURIER_SOAK_SECONDS=$(SOAK_SECONDS) $(SWIFT) test --skip-build $(BUILD_FLAGS) --filter SoakTests

## Sanitizer runs; TEST_FILTER narrows them (a regular expression over suite and test names).
TEST_FILTER ?=
SANITIZER_RUN = SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=$(TEST_WIDTH) COURIER_PYTHON=$(CURDIR)/$(VENV)/bin/python \
	$(SWIFT) test $(BUILD_FLAGS) $(if $(TEST_FILTER),--filter '$(TEST_FILTER)')

# Leak detection is off: the exit tests and example programs end inside a running async main, whose frames
# (and what they hold) LeakSanitizer reports at exit; `make test` checks resident memory and descriptors with
# the growth, hostile-server and soak tests instead (under a sanitizer only descriptors are checked).
test-asan: deps pydeps
	ASAN_OPTIONS="detect_leaks=0 $(ASAN_OPTIONS)" \
	  $(SANITIZER_RUN) -Xswiftc -sanitize=address --scratch-path .build-asan

test-tsan: deps pydeps
	TSAN_OPTIONS="suppressions=$(CURDIR)/Tests/ThreadSanitizer.supp $(TSAN_OPTIONS)" \
	  $(SANITIZER_RUN) -Xswiftc -sanitize=thread --scratch-path .build-tsan

clean:
	rm -rf .build .build-* .tmp
	-$(MAKE) -C Fuzz clean
	-$(MAKE) -C Benchmarks clean
