# netlens: `make demo` builds and runs on the bundled sample, `make test` runs every test.
GO       ?= go
BIN      := bin/netlens
VERSION  := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/netlens/netlens/internal/cli.version=$(VERSION)
FUZZTIME ?= 30s
DEMO     := demo

# Fuzz targets run briefly by `make test`: package and target name.
FUZZ := ./input/pcap:FuzzPcap ./input/pcapng:FuzzPcapng ./input:FuzzOpen ./decode:FuzzDecode \
        ./chart:FuzzJSON ./chart/static:FuzzRender

.PHONY: all assets build demo test vet fuzz bench clean

all: build

# The chart library (ECharts, from npm) is embedded in the binary.
assets:
	chart/html/gen.sh

build: assets
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/netlens

demo: build
	rm -rf $(DEMO)
	$(BIN) ingest examples/dlink-camera-setup.pcap -d $(DEMO)/dataset
	$(BIN) query -d $(DEMO)/dataset "SELECT a, b, b_port, service, state, pkts_a_to_b + pkts_b_to_a AS pkts, bytes_a_to_b + bytes_b_to_a AS bytes FROM flows ORDER BY bytes DESC LIMIT 10"

vet: assets
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: files above need formatting'; exit 1; }
	$(GO) vet ./...

test: build vet
	$(GO) test -count=1 ./...
	$(MAKE) fuzz

fuzz:
	@for t in $(FUZZ); do pkg=$${t%%:*}; name=$${t##*:}; \
	  echo "fuzz $$pkg $$name for $(FUZZTIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg || exit 1; done

bench: build
	bench/run.sh

clean:
	rm -rf bin $(DEMO)
