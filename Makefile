# Gongkai: two set-up commands on a fresh machine.
#   make site   install into .venv, build the example site into output/
#   make test   install test dependencies (browser included) and run the whole suite
#   make serve  preview the example site on http://127.0.0.1:8000/
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check -q
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.test-installed
BROWSER_PKGS := chromium-headless-shell fonts-wqy-microhei

.PHONY: site test serve check bench compare browser clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -e .
	touch $@

site: $(STAMP)
	$(PY) -m generator build

check: $(STAMP)
	$(PY) -m generator check

serve: $(STAMP)
	$(PY) -m generator serve

$(TSTAMP): $(STAMP)
	$(PIP) install -e '.[test]'
	touch $@

# Debian's headless Chromium and a CJK font (no browser download is possible), and
# axe-core from npm for the accessibility audits.
browser:
	@if ! command -v chromium-headless-shell >/dev/null 2>&1 || ! dpkg -s fonts-wqy-microhei >/dev/null 2>&1; then \
	  echo "Installing $(BROWSER_PKGS) with apt-get"; \
	  SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(BROWSER_PKGS) >/dev/null; \
	fi
	@[ -f node_modules/axe-core/axe.min.js ] || npm ci --no-audit --no-fund --silent

test: $(TSTAMP) browser
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) bench/build_bench.py --docs 1000
	$(PY) bench/compare.py --docs 1000 10000

compare: $(STAMP)
	$(PY) bench/compare.py --docs 1000 10000

clean:
	rm -rf output .output.* .pytest_cache test-artifacts
