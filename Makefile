# The two front-door commands (README, Quick start) and a few conveniences.
# Every target runs scripts/setup.sh first, so a fresh Debian 12 machine needs nothing else.

PRESET ?= release
BUILD_DIR := build/$(PRESET)
JOBS ?= 2

.PHONY: setup configure build demo test test-asan bench compare compare-peers clean

setup:
	@scripts/setup.sh

configure: setup
	@if [ ! -f $(BUILD_DIR)/build.ninja ]; then cmake --preset $(PRESET); fi

build: configure
	cmake --build --preset $(PRESET) -j $(JOBS)

demo: build
	scripts/demo.sh $(BUILD_DIR)/predictwire
	$(BUILD_DIR)/predictwire compare --quick --out report

compare: build
	$(BUILD_DIR)/predictwire compare --out report

compare-peers: build
	$(BUILD_DIR)/predictwire compare --quick --peers --out report

test: build
	ctest --preset $(PRESET)

test-asan:
	$(MAKE) test PRESET=asan

bench: build
	benchmarks/roundtrip.sh $(BUILD_DIR)

clean:
	rm -rf build
