# aigateway — developer entry points. Every target works on a fresh clone after `npm ci` (done by the targets).
SHELL := /bin/bash
NODE_MODULES := node_modules/.package-lock.json
PORT ?= 8080
ADMIN_PORT ?= 9090
EMULATOR_PORT ?= 4566

# Node 22 or newer: the one on PATH, or the one .ci/node.sh installs from the npm registry (cached) when
# that is older. It says which on stderr; make stops here when neither can be had.
NODE_BIN := $(shell bash .ci/node.sh)
ifneq ($(.SHELLSTATUS),0)
$(error Node 22 or newer is needed, see the message above)
endif
ifneq ($(NODE_BIN),)
export PATH := $(NODE_BIN):$(PATH)
endif

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
## Other ports: make run PORT=8081 ADMIN_PORT=9091 EMULATOR_PORT=4567 (examples/ reads EMULATOR_PORT).
## Stops at once, saying which port, when the emulator or the gateway cannot start.
run: build
	@node dist/gateway/src/cli/aigw.js emulator --port $(EMULATOR_PORT) & emu=$$!; \
	trap 'kill $$emu 2>/dev/null' EXIT INT TERM; \
	up=; for i in $$(seq 1 100); do \
	  kill -0 $$emu 2>/dev/null || break; \
	  curl -sf --max-time 1 http://127.0.0.1:$(EMULATOR_PORT)/_emulator/health >/dev/null && { up=1; break; }; \
	  sleep 0.1; \
	done; \
	if [ -z "$$up" ] || ! kill -0 $$emu 2>/dev/null; then \
	  echo "make run: the Bedrock emulator did not start on 127.0.0.1:$(EMULATOR_PORT) (4566 is also LocalStack's port); pick a free one: make run EMULATOR_PORT=4567" >&2; \
	  exit 1; \
	fi; \
	echo "OpenAI API: http://127.0.0.1:$(PORT)/v1  demo API key: sk-aigw-demo-0000000000000000"; \
	EMULATOR_PORT=$(EMULATOR_PORT) node dist/gateway/src/cli/aigw.js serve --config examples/ --port $(PORT) --admin-port $(ADMIN_PORT) || { \
	  code=$$?; \
	  if [ $$code -lt 128 ]; then echo "make run: the gateway did not start (see above); other ports: make run PORT=8081 ADMIN_PORT=9091" >&2; fi; \
	  exit $$code; \
	}

bench: build
	node dist/bench/run.js $(BENCH_ARGS)

clean:
	rm -rf dist

## e2e-kind: kind cluster, image build and load, helm install, smoke call through the gateway Service.
## Needs Docker and kind; not run in CI (this project's CI machines have no container engine).
e2e-kind:
	bash test/kube/tools/e2e-kind.sh
