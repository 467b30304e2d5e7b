# Two commands do everything on a fresh machine:
#   make demo   -> the terminal with the reference host and the virtual printer
#   make test   -> lint, type-check and the whole test suite
# Both install Python packages only from the hashed locks in requirements/ (`make lock` refreshes
# them, README: Dependencies).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# pip itself, pinned: a new pip may resolve, build or refuse the same lock differently.
# requirements/pip.txt holds this version with its hashes (`make lock` writes it).
PIP_VERSION := 26.3
REQ    := requirements
# What a venv holds, one stamp per set: a changed lock (or pip pin) reinstalls that set.
RUNTIME_STAMP := $(VENV)/.installed-runtime
TEST_STAMP    := $(VENV)/.installed-test
BENCH_STAMP   := $(VENV)/.installed-bench
# The newest Babel release, pinned in its own lock and installed apart from the venv's packages:
# tests/slips/test_money_cldr.py renders slips with it and with the locked one.
BABEL_NEWEST  := $(VENV)/babel-newest
# make lock's own venv (pip-tools and what it needs, from requirements/tools.txt).
LOCK_VENV ?= .venv-lock
# Debian packages. Runtime: what `make demo` and a counter need (the fonts of slip images and of
# the screen: fonts-noto-core has the manat sign ₼ that DejaVu 2.37 lacks). Tests: what only the
# tests need on top (the browser the web UI's tests drive through Playwright: Debian's chromium,
# never `playwright install`; and what the deploy/ tests check the units, users, udev rules and
# fonts with: systemd-analyze verify needs the units' binaries, /usr/bin/cage and
# /usr/bin/chromium). Add a package to the list it belongs to; `system-deps` installs whatever of
# them is missing.
DEB_RUNTIME := fonts-dejavu-core fonts-noto-core
DEB_TEST    := chromium systemd udev cage fontconfig
# pip-compile's options for every lock: hashes for --require-hashes, no index URLs of this machine
# in the files, and the header names the command that refreshes them.
COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet \
	--generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links \
	--no-emit-trusted-host --newline lf
# Install exactly the files' pins, their hashes checked, nothing resolved on the way.
PIP_LOCKED := $(BIN)/pip install --quiet --require-hashes --no-deps --only-binary :all:

.PHONY: demo test lint typecheck unit soak bench bench-smoke system-deps system-deps-runtime system-deps-test \
	venv venv-test lock lock-upgrade clean

venv: $(RUNTIME_STAMP)

venv-test: $(TEST_STAMP)

# The runtime set: pip, the runtime lock (with the build backend that installs the project
# itself without build isolation, so nothing unpinned is fetched), the project, editable, no deps.
$(RUNTIME_STAMP): Makefile $(REQ)/pip.txt $(REQ)/runtime.txt setup.cfg pyproject.toml
	@$(MAKE) --no-print-directory system-deps-runtime
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(REQ)/pip.txt
	@$(BIN)/pip --version | grep -q "^pip $(PIP_VERSION) " || \
	  { echo "pip is not $(PIP_VERSION): make lock rewrites $(REQ)/pip.txt"; exit 1; }
	$(PIP_LOCKED) -r $(REQ)/runtime.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	@rm -f $(TEST_STAMP) $(BENCH_STAMP)
	@touch $(RUNTIME_STAMP)

# The test set on top: the test lock (it pins every shared package as the runtime lock does),
# the newest Babel apart, and `pip check` that the whole set is consistent.
$(TEST_STAMP): $(RUNTIME_STAMP) $(REQ)/test.txt $(REQ)/babel-newest.txt
	@$(MAKE) --no-print-directory system-deps-test
	$(PIP_LOCKED) -r $(REQ)/test.txt
	rm -rf $(BABEL_NEWEST)
	$(PIP_LOCKED) --target $(BABEL_NEWEST) -r $(REQ)/babel-newest.txt
	$(BIN)/pip check
	@touch $(TEST_STAMP)

system-deps-runtime:
	@$(MAKE) --no-print-directory system-deps PACKAGES="$(DEB_RUNTIME)"

system-deps-test:
	@$(MAKE) --no-print-directory system-deps PACKAGES="$(DEB_TEST)"

PACKAGES ?= $(DEB_RUNTIME) $(DEB_TEST)
system-deps:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

demo: $(RUNTIME_STAMP)
	$(BIN)/kiosk demo

# ruff, and the layering of design.md §1 (pyproject.toml's [tool.importlinter] contracts).
lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

unit: $(TEST_STAMP)
	$(BIN)/pytest -q

# The benchmark suite at its smoke sizes: it runs and reports every figure (not timed).
bench-smoke: $(BENCH_STAMP)
	$(BIN)/pytest -q tests/reliability/test_bench_smoke.py

test: lint typecheck unit bench-smoke

# The benchmark suite (bench/README.md): every figure beside its reference, in one JSON object,
# also kept in var/bench/last.json. BENCH_ARGS=--smoke for the tiny sizes CI runs.
bench: $(BENCH_STAMP)
	@mkdir -p var/bench
	$(BIN)/python bench/run.py --json $(BENCH_ARGS) | tee var/bench/last.json

# The bench set on top of the test set: the references the suite measures against.
$(BENCH_STAMP): $(TEST_STAMP) $(REQ)/bench.txt
	$(PIP_LOCKED) -r $(REQ)/bench.txt
	$(BIN)/pip check
	@touch $(BENCH_STAMP)

# Refresh the locks from setup.cfg, pyproject.toml and requirements/*.in. A pin that still
# satisfies its range is kept (pip-compile reads the old lock first), so two runs on the same
# inputs give the same files; `make lock-upgrade` moves every pin to the newest release.
# The newest Babel is always moved: that lock exists to follow the registry.
lock: $(LOCK_VENV)/.installed
	echo "pip==$(PIP_VERSION)" | $(COMPILE) --allow-unsafe -o $(REQ)/pip.txt -
	$(COMPILE) --allow-unsafe $(UPGRADE) -o $(REQ)/tools.txt $(REQ)/tools.in
	$(COMPILE) --allow-unsafe $(UPGRADE) --all-build-deps -o $(REQ)/runtime.txt setup.cfg
	$(COMPILE) --allow-unsafe $(UPGRADE) --extra test -o $(REQ)/test.txt \
	  setup.cfg $(REQ)/test.in
	$(COMPILE) --allow-unsafe $(UPGRADE) --extra bench -o $(REQ)/bench.txt \
	  setup.cfg $(REQ)/bench.in
	$(COMPILE) --upgrade -o $(REQ)/babel-newest.txt $(REQ)/babel-newest.in

lock-upgrade:
	@$(MAKE) --no-print-directory lock UPGRADE=--upgrade

$(LOCK_VENV)/.installed: Makefile $(REQ)/pip.txt $(REQ)/tools.txt
	@[ -x $(LOCK_VENV)/bin/python ] || $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --require-hashes --no-deps -r $(REQ)/pip.txt
	$(LOCK_VENV)/bin/pip install --quiet --require-hashes --no-deps -r $(REQ)/tools.txt
	@touch $@

clean:
	rm -rf $(VENV) $(LOCK_VENV) build *.egg-info

# The soak (docs/reliability.md): LazyFS is built offline from Debian packages by the vendored
# build.sh (cached under ~/.cache/lazyfs-build); `make test` runs the soak's small size.
LAZYFS_BUILD := ../shared/vendor/lazyfs/build.sh
.PHONY: lazyfs soak

lazyfs:
	@bash $(LAZYFS_BUILD) >/dev/null

unit: lazyfs

soak: $(TEST_STAMP) lazyfs
	$(BIN)/python -m soak --size full --out var/soak
	SOAK=1 $(BIN)/pytest -q -m soak -p no:randomly  # real-time: the advice endpoint down past 120 s
