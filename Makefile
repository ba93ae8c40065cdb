# netlens: `make demo` builds and runs on the bundled sample, `make test` runs every test.
SHELL    := /bin/bash
GO       ?= go
BIN      := bin/netlens
VERSION  := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/netlens/netlens/internal/cli.version=$(VERSION)
DEMO     := demo

# Fuzz targets run briefly by `make test`: package:target:executions. The
# readers and decoders of captured bytes get the most (about 30 s each here).
# Budgets are counts, not durations: a duration -fuzztime can end in a
# spurious "context deadline exceeded" with Go 1.26 (golang/go#75804).
FUZZ := ./input/pcap:FuzzPcap:300000 ./input/pcapng:FuzzPcapng:200000 ./input:FuzzOpen:80000 ./input:FuzzOpenCut:50000 \
        ./decode:FuzzDecode:400000 ./decode:FuzzParseDNS:200000 ./decode:FuzzTLSServerName:100000 \
        ./decode:FuzzHTTPHost:100000 ./dataset:FuzzOpen:20000 ./output:FuzzJSONString:50000 \
        ./output:FuzzSanitize:50000 ./chart:FuzzJSON:150000 ./chart/static:FuzzRender:100000 \
        ./input/zeek:FuzzTSV:100000 ./input/zeek:FuzzJSON:100000 ./input/nfdump:FuzzCSV:100000 \
        ./input/flowcsv:FuzzCSV:100000 ./input/flowcsv:FuzzParquet:20000 ./input/internal/textrec:FuzzAddrs:50000 ./input/btclog:FuzzReader:100000 ./input/darknet:FuzzReader:100000 \
        ./decode/tcpstream:FuzzAssembler:100000 ./decode/bitcoin:FuzzDecoder:100000 \
        ./services:FuzzMapLoad:200000

# Tracked files over 2 MB fail `make test` unless listed here: real
# fixtures only, never build output.
LARGE_OK :=

.PHONY: all assets chdb build demo test test-tools vet sizes fuzz bench clean

all: build

# The chart library (ECharts, from npm) is committed and embedded in the
# binary; this updates it to the version pinned in chart/html/package.json.
assets:
	chart/html/gen.sh

# ClickHouse as a library (chdb, from npm: about 160 MB to download, 530 MB
# unpacked), which the tests load to check netlens' ClickHouse SQL on a
# current release. Building netlens never needs it.
chdb:
	internal/chdb/fetch.sh

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/netlens

demo: build
	rm -rf $(DEMO)
	$(BIN) report examples/dlink-camera-setup.pcap -o $(DEMO)
	$(BIN) query -d $(DEMO)/dataset "SELECT a, b, b_port, service, name, state, pkts_a_to_b + pkts_b_to_a AS pkts FROM flows ORDER BY pkts DESC LIMIT 8"
	@echo "open $(DEMO)/index.html in a browser"

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: files above need formatting'; exit 1; }
	$(GO) vet ./...

sizes:
	@big=$$(git ls-files -z | xargs -0 stat -c '%s %n' | awk '$$1 > 2097152 { sub(/^[0-9]+ /, ""); print }' | grep -vxF -e '' $(foreach f,$(LARGE_OK),-e '$(f)') || true); \
	if [ -n "$$big" ]; then echo "tracked files over 2 MB that LARGE_OK in the Makefile does not list:"; echo "$$big"; exit 1; fi

# The tools the tests check against (tshark, capinfos, Chromium,
# ClickHouse, npm), from Debian's packages when they are missing.
test-tools:
	scripts/install-test-tools

# Every test, then the fuzz targets; the last lines count the tests and
# name every skipped one with its reason.
test: test-tools build vet sizes chdb
	@mkdir -p bin; set -o pipefail; $(GO) test -count=1 -json ./... | $(GO) run ./internal/testsummary bin/test-summary.txt
	$(MAKE) fuzz
	@cat bin/test-summary.txt

fuzz:
	@for t in $(FUZZ); do IFS=: read -r pkg name n <<< "$$t"; \
	  echo "fuzz $$pkg $$name: $$n inputs"; \
	  $(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $${n}x -fuzzminimizetime 1000x $$pkg || exit 1; done

bench: build
	bench/run.sh

clean:
	rm -rf bin $(DEMO)
