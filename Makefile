# aigateway — developer entry points. Every target works on a fresh clone after `npm ci` (done by the targets).
SHELL := /bin/bash
NODE_MODULES := node_modules/.package-lock.json
PORT ?= 8080
ADMIN_PORT ?= 9090
EMULATOR_PORT ?= 4566

.PHONY: all install build typecheck lint test run bench e2e-kind clean

all: build

$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $(NODE_MODULES)

install: $(NODE_MODULES)

build: $(NODE_MODULES)
	npx tsc -p tsconfig.build.json

typecheck: $(NODE_MODULES)
	npx tsc -p tsconfig.json --noEmit

lint: $(NODE_MODULES)
	npx biome check .

## test: build, typecheck, lint, then every suite (unit, end-to-end, and the kube-apiserver suite when its binaries are built).
test: build typecheck lint
	npx vitest run

## run: the Bedrock emulator on :$(EMULATOR_PORT) and the gateway on :$(PORT) serving examples/.
run: build
	@node dist/gateway/src/cli/aigw.js emulator --port $(EMULATOR_PORT) & emu=$$!; \
	trap 'kill $$emu 2>/dev/null' EXIT INT TERM; \
	for i in $$(seq 1 50); do curl -sf http://127.0.0.1:$(EMULATOR_PORT)/_emulator/health >/dev/null && break; sleep 0.1; done; \
	echo "demo API key: sk-aigw-demo-0000000000000000"; \
	node dist/gateway/src/cli/aigw.js serve --config examples/ --port $(PORT) --admin-port $(ADMIN_PORT)

bench: build
	node dist/bench/run.js $(BENCH_ARGS)

clean:
	rm -rf dist

## e2e-kind: kind cluster, image build and load, helm install, smoke call through the gateway Service.
## Needs Docker and kind; not run in CI (this project's CI machines have no container engine).
e2e-kind:
	bash test/kube/tools/e2e-kind.sh
