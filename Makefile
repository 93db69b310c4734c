# The two commands of the README:
#   make run    install what the app needs (in .venv) and start it on http://localhost:8501
#   make test   install what the tests need (Python packages in .venv; Debian's chromium for the
#               browser tests, when missing) and run the whole suite
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8501
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install install-dev chromium bench screenshot clean

$(PY):
	$(PYTHON) -m venv $(VENV)

install: $(PY)
	$(PY) -m pip install -q -r requirements.txt

install-dev: $(PY)
	$(PY) -m pip install -q -r requirements-dev.txt

chromium:
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium; }

run: install
	$(PY) -m streamlit run app.py --server.port $(PORT) $(ARGS)

test: install-dev chromium
	$(PY) -m pytest

bench: install-dev
	$(PY) -m benchmarks.bench_kernels
	$(PY) -m benchmarks.bench_padding
	$(PY) -m benchmarks.bench_pooling
	$(PY) -m benchmarks.bench_receptive
	$(PY) -m benchmarks.bench_cost
	$(PY) -m benchmarks.bench_pretrained

screenshot: install-dev chromium
	CNNPLAY_SCREENSHOT_DIR=docs $(PY) -m pytest tests/e2e -q

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
