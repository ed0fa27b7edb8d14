# kvsclip — make test runs everything CI runs; make run shows a clip being made.
SHELL := /bin/bash
GO ?= go
SHARED ?= ../shared/testdata/kvs
FUZZTIME ?= 30s
BIN := bin/kvsclip

.PHONY: test deps vet bench fuzz run testdata build clean

# Test oracles: ffmpeg/ffprobe decode and list packets, mkvtoolnix checks
# the Matroska writer. Installed only when missing.
deps:
	@missing=""; \
	command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing="$$missing ffmpeg"; \
	command -v mkvinfo >/dev/null || missing="$$missing mkvtoolnix"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

vet:
	$(GO) vet ./...

test: deps vet
	$(GO) test -race -count=1 ./...

build:
	$(GO) build -o $(BIN) ./cmd/kvsclip

# Go benchmarks, then the whole CLI against `ffmpeg -c copy` on the same
# input in the same run.
bench: deps build
	$(GO) test -run '^$$' -bench . -benchmem ./...
	./scripts/bench-vs-ffmpeg.sh $(BIN) $(SHARED)

# Every fuzz target for FUZZTIME each.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

# Clip a real KVS GetMedia dump and show how to do it yourself.
run: deps build
	$(BIN) inspect $(SHARED)/producer/vogels_480.mkv | head -20
	$(BIN) clip -o clip.mp4 --manifest clip.json $(SHARED)/producer/vogels_480.mkv
	ffprobe -v error -show_entries stream=codec_name,width,height,sample_rate:format=duration -of compact clip.mp4
	@echo "wrote clip.mp4 and clip.json; try: $(BIN) clip -o my.mp4 $(SHARED)/getmedia/output_get_media.mkv"

# Regenerate the committed media in testdata/ from the shared sample frames.
testdata:
	$(GO) run ./testdata/gen -shared $(SHARED) -out testdata

clean:
	rm -rf bin clip.mp4 clip.json
