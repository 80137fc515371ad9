# Keel — two commands on a fresh Debian 12 machine:
#   make run    install, build, create data/keel.db with the demo tenant if absent, serve
#   make test   install, build and run every test (SQLite and a throw-away PostgreSQL)
BUILD ?= build
BUILD_ASAN ?= build-asan
JOBS ?= $(shell nproc)
DB ?= data/keel.db
PORT ?= 8080

BUILD_FUZZ ?= build-fuzz
FUZZ_SECONDS ?= 60

.PHONY: deps build run test test-dates test-sanitize bench clean demo fuzz web

WEB_SOURCES := $(shell find web/src web/public web/index.html web/vite.config.ts web/tsconfig.json docs/openapi.json -type f 2>/dev/null)

deps:
	@bash scripts/install-deps

$(BUILD)/build.ninja: CMakeLists.txt
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEEL_WERROR=ON > /dev/null

build: deps $(BUILD)/build.ninja web/dist/index.html tools/openapi/node_modules/.package-lock.json
	@cmake --build $(BUILD) -j $(JOBS)

# The web front end: the locked npm packages, then a type-checked Vite build into web/dist
# (served by `keel serve`), with the bundle size per chunk printed.
web/node_modules/.package-lock.json: web/package-lock.json web/package.json
	@cd web && npm ci --no-audit --no-fund --loglevel=error
web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	@cd web && npm run --silent build
web: deps web/dist/index.html

# Redocly CLI, pinned, for the OpenAPI lint of `make test` (tests/lint/openapi_lint.sh).
tools/openapi/node_modules/.package-lock.json: tools/openapi/package-lock.json tools/openapi/package.json
	@cd tools/openapi && npm ci --no-audit --no-fund --loglevel=error

run: build
	@bash scripts/run-demo "$(BUILD)/keel" "$(DB)" "$(PORT)"

demo: build
	@$(BUILD)/keel demo --database "$(DB)" --if-absent

test: build
	@cd $(BUILD) && ctest --output-on-failure -j 1

# The suites that read "now" again, on the test clock (tests/support/test_clock.h) at two awkward
# moments: just after midnight on the first of a month (still the previous day in UTC) and late
# on 31 December. The demo test needs no pass of its own: it generates with fixed end dates on
# those days (and a leap day) whatever the clock says.
DATE_SUITES := ^(http_test|security_test)$$
test-dates: build
	@cd $(BUILD) && KEEL_TEST_NOW=2026-12-01T00:30:00+08:00 ctest --output-on-failure -j 1 -R '$(DATE_SUITES)'
	@cd $(BUILD) && KEEL_TEST_NOW=2026-12-31T23:30:00+08:00 ctest --output-on-failure -j 1 -R '$(DATE_SUITES)'

# The second CI configuration: AddressSanitizer + UndefinedBehaviorSanitizer (at -O1), every test
# but the source checks (label lint: they read the tree, which `make test` already checked).
test-sanitize: deps
	@cmake -S . -B $(BUILD_ASAN) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEEL_SANITIZE=ON -DKEEL_WERROR=ON -DKEEL_BUILD_BENCH=OFF > /dev/null
	@cmake --build $(BUILD_ASAN) -j $(JOBS)
	@cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j 1 -LE lint

# libFuzzer targets (clang), each run for FUZZ_SECONDS from the seed corpus.
fuzz: deps
	@cmake -S . -B $(BUILD_FUZZ) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DKEEL_FUZZ=ON -DKEEL_BUILD_TESTS=OFF -DKEEL_BUILD_BENCH=OFF > /dev/null
	@cmake --build $(BUILD_FUZZ) -j $(JOBS) --target formula_fuzz
	@mkdir -p $(BUILD_FUZZ)/corpus/formula && cp -n fuzz/corpus/formula/* $(BUILD_FUZZ)/corpus/formula/ 2>/dev/null || true
	@$(BUILD_FUZZ)/fuzz/formula_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=512 -timeout=5 $(BUILD_FUZZ)/corpus/formula
	@cmake --build $(BUILD_FUZZ) -j $(JOBS) --target ingest_fuzz
	@mkdir -p $(BUILD_FUZZ)/corpus/ingest && cp -n fuzz/corpus/ingest/* $(BUILD_FUZZ)/corpus/ingest/ 2>/dev/null || true
	@$(BUILD_FUZZ)/fuzz/ingest_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 $(BUILD_FUZZ)/corpus/ingest
	@cmake --build $(BUILD_FUZZ) -j $(JOBS) --target yaml_fuzz
	@mkdir -p $(BUILD_FUZZ)/corpus/yaml && cp -n fuzz/corpus/yaml/* $(BUILD_FUZZ)/corpus/yaml/ 2>/dev/null || true
	@$(BUILD_FUZZ)/fuzz/yaml_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=5 $(BUILD_FUZZ)/corpus/yaml
	@cmake --build $(BUILD_FUZZ) -j $(JOBS) --target csv_fuzz
	@mkdir -p $(BUILD_FUZZ)/corpus/csv && cp -n fuzz/corpus/csv/* $(BUILD_FUZZ)/corpus/csv/ 2>/dev/null || true
	@$(BUILD_FUZZ)/fuzz/csv_fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 $(BUILD_FUZZ)/corpus/csv

bench: build
	@bash bench/run-all "$(BUILD)"

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ) web/dist
