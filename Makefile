# netlens: `make demo` builds and runs on the bundled sample, `make test` runs every test.
SHELL    := /bin/bash
GO       ?= go
BIN      := bin/netlens
VERSION  := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/netlens/netlens/internal/cli.version=$(VERSION)
FUZZSCALE ?= 1
DEMO     := demo

# Fuzz targets run briefly by `make test`: package:target:seconds. The
# readers and decoders of captured bytes get the most time.
FUZZ := ./input/pcap:FuzzPcap:30 ./input/pcapng:FuzzPcapng:30 ./input:FuzzOpen:30 \
        ./decode:FuzzDecode:30 ./decode:FuzzParseDNS:30 ./decode:FuzzTLSServerName:10 ./decode:FuzzHTTPHost:10 \
        ./dataset:FuzzOpen:10 ./output:FuzzJSONString:5 ./output:FuzzSanitize:5 \
        ./chart:FuzzJSON:10 ./chart/static:FuzzRender:10

.PHONY: all assets build demo test vet fuzz bench clean

all: build

# The chart library (ECharts, from npm) is embedded in the binary.
assets:
	chart/html/gen.sh

build: assets
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/netlens

demo: build
	rm -rf $(DEMO)
	$(BIN) report examples/dlink-camera-setup.pcap -o $(DEMO)
	$(BIN) query -d $(DEMO)/dataset "SELECT a, b, b_port, service, name, state, pkts_a_to_b + pkts_b_to_a AS pkts FROM flows ORDER BY pkts DESC LIMIT 8"
	@echo "open $(DEMO)/index.html in a browser"

vet: assets
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: files above need formatting'; exit 1; }
	$(GO) vet ./...

test: build vet
	$(GO) test -count=1 ./...
	$(MAKE) fuzz

fuzz:
	@for t in $(FUZZ); do IFS=: read -r pkg name secs <<< "$$t"; secs=$$((secs * $(FUZZSCALE))); \
	  echo "fuzz $$pkg $$name for $${secs}s"; \
	  $(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $${secs}s -fuzzminimizetime 5s $$pkg || exit 1; done

bench: build
	bench/run.sh

clean:
	rm -rf bin $(DEMO)
