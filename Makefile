# Build and test targets. `make test` is what CI runs (.ci/run); it needs a
# local ZooKeeper and Java, which `make deps` installs on Debian/Ubuntu.

GO ?= go
JAVA_DIR := /usr/share/java
# ZooKeeper server (zktest), Curator (recipes and curator-x-discovery) for
# the Java interop tests, slf4j, and the Netty jars ZooKeeper's TLS port
# needs but its package does not pull in (netty-codec, netty-resolver:
# zktest.WithTLS).
APT_PACKAGES := zookeeper default-jre-headless libcurator-recipes-java libcurator-framework-java libcurator-discovery-java libslf4j-java libnetty-java
# javac compiles the small Java interop programs.
APT_JDK := default-jdk-headless

.PHONY: deps test test-short vet build

deps:
	@missing=""; pkgs=""; \
	command -v java >/dev/null 2>&1 || missing="$$missing java"; \
	for jar in zookeeper.jar curator-recipes.jar curator-framework.jar curator-x-discovery.jar slf4j-api.jar netty-codec.jar netty-resolver.jar; do \
		test -f "$(JAVA_DIR)/$$jar" || missing="$$missing $(JAVA_DIR)/$$jar"; \
	done; \
	if [ -n "$$missing" ]; then pkgs=" $(APT_PACKAGES)"; fi; \
	if ! command -v javac >/dev/null 2>&1; then missing="$$missing javac"; pkgs="$$pkgs $(APT_JDK)"; fi; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	echo "deps: missing:$$missing"; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		set -x; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$pkgs; \
	else \
		echo "deps: install them as root, e.g.:" >&2; \
		echo "  sudo apt-get update && sudo apt-get install -y$$pkgs" >&2; \
		echo "(outside Debian/Ubuntu: Java plus an Apache ZooKeeper release via ZOOKEEPER_HOME," >&2; \
		echo " or running servers via ZK_TEST_SERVERS=host:port,...; see zktest/doc.go)" >&2; \
		exit 1; \
	fi

vet:
	$(GO) vet ./...
	@set -e; for m in $(SUBMODULES); do (cd $$m && $(GO) vet ./...); done

# Modules of their own inside the repository (each with a replace to the
# root), so that core users never download their dependencies; `make test`
# vets and tests each of them too.
SUBMODULES := metrics/prometheus metrics/otel

test: deps
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 25m ./...
	$(GO) test -race -count=1 -timeout 5m ./cache -args -cache.watches=oneshot
	@set -e; for m in $(SUBMODULES); do \
		echo "(cd $$m && $(GO) vet ./... && $(GO) test -race -count=1 -timeout 5m ./...)"; \
		(cd $$m && $(GO) vet ./... && $(GO) test -race -count=1 -timeout 5m ./...); \
	done

test-short:
	$(GO) test -short -race ./...
	@set -e; for m in $(SUBMODULES); do (cd $$m && $(GO) test -short -race ./...); done

build:
	$(GO) build ./...
	@if [ -d cmd/zkr ]; then echo "$(GO) build -o bin/zkr ./cmd/zkr"; $(GO) build -o bin/zkr ./cmd/zkr; fi

# zkr: the command-line tool (cmd/zkr).
.PHONY: demo bench bench-quick

# A live walkthrough of the recipes on an embedded ZooKeeper.
demo: deps
	$(GO) build -o bin/zkr ./cmd/zkr
	bin/zkr demo

# zkr side by side with Curator, kazoo and go-zookeeper in the anchor harness
# (../shared/anchors, or ANCHORS_DIR=...), once with fsync on and once with
# forceSync=no; tables land in bench/results/<timestamp>-<fsync|nofsync>/.
# IMPLS, BENCH_ARGS, WORKLOADS and ROUNDS pass through (see
# bench/side-by-side.sh), e.g. make bench WORKLOADS=w1,w2 ROUNDS=5.
bench: deps
	$(GO) build -o bin/zkr ./cmd/zkr
	ZKR=bin/zkr bench/side-by-side.sh
	ZKR=bin/zkr ZK_EXTRA_CFG=forceSync=no bench/side-by-side.sh

# Every workload once, briefly, against an embedded ZooKeeper (a smoke test
# of the benchmarks, not a measurement).
BENCH_QUICK_ARGS ?= --raw-warmup 100 --raw-ops 300 --w1-warmup 50 --w1-cycles 300 \
	--w2-warmup-s 0.5 --w2-duration-s 2 --w3-rounds 10 --w4-items 500 --w4-depths 1000 \
	--w5-increments 100 --w6-rounds 10 --scale-instances 20 --scale-services 2
bench-quick: deps
	$(GO) build -o bin/zkr ./cmd/zkr
	bin/zkr bench all $(BENCH_QUICK_ARGS)

# chaos runs every recipe against a private 3-member ensemble under seeded
# faults for the full budget and prints the per-recipe table (see
# internal/chaos/doc.go). CHAOS_SEED=n replays a schedule; `make test` runs a
# one-minute version.
CHAOS_DURATION ?= 10m
.PHONY: chaos
chaos: deps
	$(GO) test -count=1 -timeout 40m -run '^TestChaos$$' -v ./internal/chaos -args -chaos.duration=$(CHAOS_DURATION) $(if $(CHAOS_SEED),-chaos.seed=$(CHAOS_SEED))
