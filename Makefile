# kvsclip — make test runs everything CI runs; make run shows a clip being made.
SHELL := /bin/bash
GO ?= go
SHARED ?= ../shared/testdata/kvs
FUZZTIME ?= 30s
BIN := bin/kvsclip

.PHONY: test deps deps-run player vet bench fuzz run testdata build clean

# apt_install installs the Debian packages named in $$missing, if any, with
# sudo unless root.
apt_install = if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# What make run needs: ffmpeg makes the demo recording and checks that the
# demo clip decodes, curl talks to the server. Installed only when missing.
deps-run:
	@missing=""; \
	command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing="$$missing ffmpeg"; \
	command -v curl >/dev/null || missing="$$missing curl"; \
	$(apt_install)

# The web page's players of HLS and DASH sessions: hls.js and dash.js from
# the npm registry, pinned by version and by their packages' SHA-256,
# unpacked (the minified build and its license) into PLAYER_DIR, where
# kvsclip serve looks by default (--player-dir) and the browser tests find
# them; never committed (server/doc.go says why).
HLSJS_VERSION := 1.7.4
HLSJS_SHA256 := e4ab3d5d13f7cca9ef241d098f39686e19fd451831ba07dc9943482fd5ff75c7
DASHJS_VERSION := 5.2.1
DASHJS_SHA256 := 4eacb0cc3525276666ca3f084611cdabb5a2264d128dfe0750fe106fbddd088f
PLAYER_DIR ?= $(if $(XDG_CACHE_HOME),$(XDG_CACHE_HOME),$(HOME)/.cache)/kvsclip/player
player:
	@missing=""; \
	command -v npm >/dev/null || missing=" npm"; \
	$(apt_install)
	@./scripts/player.sh '$(PLAYER_DIR)' hls.js '$(HLSJS_VERSION)' '$(HLSJS_SHA256)' dist/hls.min.js
	@./scripts/player.sh '$(PLAYER_DIR)' dashjs '$(DASHJS_VERSION)' '$(DASHJS_SHA256)' dist/modern/umd/dash.mediaplayer.min.js LICENSE.md

# What the tests need besides: ffmpeg/ffprobe decode and list packets,
# mkvtoolnix checks the Matroska writer, Debian's chromium plays clips in
# the web page's browser tests (server/browser_test.go, and the playback
# sessions' in server/browser_sessions_test.go, with the players above),
# and the AWS CLI, boto3 and Node with npm (which installs the JS SDK
# pinned in compat/js/package-lock.json) are the clients of the
# conformance run (server/compat_test.go); boto3 counts when the python3
# on PATH or Debian's imports it. valgrind counts the instructions of
# clips (make instructions).
deps: deps-run player
	@missing=""; \
	command -v mkvinfo >/dev/null || missing="$$missing mkvtoolnix"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v aws >/dev/null || missing="$$missing awscli"; \
	python3 -c 'import boto3' 2>/dev/null || /usr/bin/python3 -c 'import boto3' 2>/dev/null || missing="$$missing python3-boto3"; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	command -v valgrind >/dev/null || missing="$$missing valgrind"; \
	$(apt_install)
	@# The S3 server of the archive's S3 tests (about a minute to build),
	@# installed in $$(go env GOPATH)/bin, where the tests look for it.
	@if ! command -v versitygw >/dev/null && [ ! -x "$$($(GO) env GOPATH)/bin/versitygw" ]; then \
		echo "installing versitygw"; \
		GOBIN="$$($(GO) env GOPATH)/bin" $(GO) install github.com/versity/versitygw/cmd/versitygw@v1.8.0; \
	fi

# The engine's API against its snapshot in api/ (internal/cmd/apitxt): each
# package's exported names, one a line as in Go's api/go1.*.txt. A line
# gone (a name removed or changed) fails until `make api-update` moves the
# snapshot in the same commit; new lines pass and are listed. Then every
# exported name must be used outside its package (cmd/, server/, bench/,
# other packages and their tests) or be listed, with the reason it is
# public, in api/public-on-purpose.txt: a new name asks the question again.
API_PKGS := mkv codec dedup fragindex kvs mp4 remux
.PHONY: api-check api-update
api-check:
	$(GO) run ./internal/cmd/apitxt $(API_PKGS)
api-update:
	$(GO) run ./internal/cmd/apitxt -update $(API_PKGS)

vet:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi

# The race pass runs with -json, which internal/cmd/testreport reads back
# into what go test prints, then lists the tests that skipped and why (a
# clone without the shared recordings or a tool skips some, CI none) and
# counts them. pipefail keeps go test's own exit status (a failure before
# any JSON) beside the report's; the list is printed again last.
TESTREPORT := bin/testreport
# RACE_SKIP are exhaustive tests of the engine (every run of consecutive
# fragments of every recording, every plan against the two-pass
# reference) that start no goroutine of their own: under the race detector
# they took 330 s of remux's 590 s. The engine's concurrent paths have race
# tests of their own (TestPlannedConcurrentWrites, TestReadAhead); these
# run in full without the detector, after the race pass.
RACE_SKIP := ^(TestEveryRunRecordings|TestPlanMatchesPlanned)$$
test: deps vet api-check bench-smoke instructions
	$(GO) build -o $(TESTREPORT) ./internal/cmd/testreport
	set -o pipefail; $(GO) test -race -count=1 -skip '$(RACE_SKIP)' -json ./... | $(TESTREPORT) -summary bin/test-summary.txt
	@# Memory budgets, which the race detector's own memory would drown
	@# (built with !race, so the pass above leaves them out), and the
	@# exhaustive tests the race pass leaves to this one.
	$(GO) test -count=1 -run 'TestConcurrentClipsMemory' ./server
	$(GO) test -count=1 -run '$(RACE_SKIP)' ./remux
	$(MAKE) --no-print-directory fuzz-smoke
	@cat bin/test-summary.txt

# A static binary (no cgo): nothing in it needs libc, and without the
# dynamic loader `kvsclip clip` starts about 0.7 ms sooner (bench/README.md).
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/kvsclip

# Instruction budgets (cmd/kvsclip/internal/instructions): callgrind's
# counts of end-to-end clips of the committed recordings against
# bench/instructions.txt; a rise of more than 3% fails. The budgets move
# only with a reason, in the commit that moves them:
#   make instructions-update REASON='why the clip path got dearer'
.PHONY: instructions instructions-update
instructions: build
	CGO_ENABLED=0 $(GO) run ./cmd/kvsclip/internal/instructions -kvsclip $(BIN)
instructions-update: build
	@[ -n "$(REASON)" ] || { echo "make instructions-update needs REASON='why the budgets move'"; exit 1; }
	CGO_ENABLED=0 $(GO) run ./cmd/kvsclip/internal/instructions -kvsclip $(BIN) -update -reason "$$REASON"

# Go benchmarks, then kvsclip against cp and `ffmpeg -c copy` on the
# benchmark recording, interleaved, medians and ratios as a table
# (bench/cmd/compare; bench/README.md has the last one).
.PHONY: bench-data bench-smoke
#
# BASELINE_REV=<commit> adds that commit's build (bin/kvsclip-baseline) to
# the same rounds, for a before/after table.
BASELINE_REV ?=
bench: deps build bench-data $(if $(BASELINE_REV),bench-baseline)
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) run ./bench/cmd/compare -kvsclip $(BIN) $(if $(BASELINE_REV),-baseline $(BIN)-baseline)

# The binary of BASELINE_REV, built in a temporary worktree.
.PHONY: bench-baseline
bench-baseline:
	@tmp=$$(mktemp -d) && git worktree add -q --detach "$$tmp" '$(BASELINE_REV)' && \
	(cd "$$tmp" && CGO_ENABLED=0 $(GO) build -o '$(CURDIR)/$(BIN)-baseline' ./cmd/kvsclip); \
	rc=$$?; git worktree remove --force "$$tmp"; exit $$rc

# The benchmark recording (bench/data/input.mkv, not committed): 70 s of
# 1080p H.264+AAC in 2 s Clusters, made by ffmpeg when missing.
bench-data: deps
	$(GO) run ./bench/cmd/compare -make-data

# Every benchmark once, so none rots; those that need bench/data skip
# without it. No duration is asserted anywhere.
bench-smoke:
	$(GO) test -run '^$$' -bench . -benchtime=1x ./...

# Every fuzz target for FUZZTIME each, one after the other; FUZZFLAGS adds
# flags (-parallel 1 on a shared machine). A finding stops the run and is
# written under the package's testdata/fuzz/<Target>/.
FUZZFLAGS ?=
.PHONY: fuzz-smoke
fuzz:
	@GO=$(GO) ./scripts/fuzz.sh $(FUZZTIME) $(FUZZFLAGS)

# What CI runs at the end of make test: every fuzz target for 10 s,
# minimizing a finding for at most 100 runs so that it is reported quickly.
fuzz-smoke:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=10s FUZZFLAGS='-fuzzminimizetime=100x $(FUZZFLAGS)'

# Start the KVS-compatible server on a local archive, create stream demo, put
# a minute of H.264+AAC that ffmpeg makes into it with `kvsclip put`, check
# that a GetClip of it decodes, print ready client calls, and keep serving
# until Ctrl-C (scripts/run.sh). RUN_ADDR / RUN_DATA override where; the
# server's log goes to RUN_DATA/kvsclip.log.
RUN_ADDR ?= 127.0.0.1:8080
RUN_DATA ?= ./data
run: deps-run build
	@# The page's players are a nicety here: without npm or the
	@# registry the demo still runs, and the page says what is missing.
	@$(MAKE) --no-print-directory player || echo "make run: the page's HLS/DASH players were not fetched (npm); the demo runs without them"
	@# With a terminal, the script runs as a job of its own (set -m) and
	@# gets the terminal: Ctrl-C then reaches it alone, it stops the server
	@# and exits 0, and make is not interrupted into an error.
	@if [ -t 0 ]; then set -m; fi; PLAYER_DIR='$(PLAYER_DIR)' ./scripts/run.sh '$(RUN_ADDR)' '$(RUN_DATA)' '$(BIN)'; exit $$?

# Regenerate the committed media in testdata/ with ffmpeg (testdata/gen; it
# needs no shared data).
testdata: deps-run
	$(GO) run ./testdata/gen -shared $(SHARED) -out testdata

clean:
	rm -rf bin clip.mp4 clip.json
