# Build and test targets. `make test` is what CI runs (.ci/run); it needs a
# local ZooKeeper and Java, which `make deps` installs on Debian/Ubuntu.

GO ?= go
JAVA_DIR := /usr/share/java
# ZooKeeper server (zktest), Curator for the Java interop tests, slf4j.
APT_PACKAGES := zookeeper default-jre-headless libcurator-recipes-java libcurator-framework-java libslf4j-java
# javac compiles the small Java interop programs.
APT_JDK := default-jdk-headless

.PHONY: deps test test-short vet build

deps:
	@missing=""; pkgs=""; \
	command -v java >/dev/null 2>&1 || missing="$$missing java"; \
	for jar in zookeeper.jar curator-recipes.jar curator-framework.jar slf4j-api.jar; do \
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

test: deps
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 25m ./...

test-short:
	$(GO) test -short -race ./...

build:
	$(GO) build ./...
	@if [ -d cmd/zkr ]; then echo "$(GO) build -o bin/zkr ./cmd/zkr"; $(GO) build -o bin/zkr ./cmd/zkr; fi
