# Two commands do everything on a fresh machine:
#   make demo   -> the terminal with the reference host and the virtual printer
#   make test   -> lint, type-check and the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Debian packages the project needs: a TrueType font for slip images, and the browser the
# web UI's tests drive through Playwright (Debian's chromium: never `playwright install`).
DEB_PACKAGES := fonts-dejavu-core chromium

.PHONY: demo test lint typecheck unit bench system-deps venv clean

venv: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	@$(MAKE) --no-print-directory system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(STAMP)

system-deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

demo: $(STAMP)
	$(BIN)/kiosk demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck unit

bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b; done

clean:
	rm -rf $(VENV) build *.egg-info

# The soak (docs/reliability.md): LazyFS is built offline from Debian packages by the vendored
# build.sh (cached under ~/.cache/lazyfs-build); `make test` runs the soak's small size.
LAZYFS_BUILD := ../shared/vendor/lazyfs/build.sh
.PHONY: lazyfs soak

lazyfs:
	@bash $(LAZYFS_BUILD) >/dev/null

unit: lazyfs

soak: $(STAMP) lazyfs
	$(BIN)/python -m soak --size full --out var/soak
