# The two commands of the README:
#   make run    install what the app needs (in .venv) and start it on http://localhost:8501
#   make test   install what the tests need (Python packages in .venv; Debian's chromium and
#               dataset-fashion-mnist when missing) and run the whole suite
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8501
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# torch's OpenMP threads wait passively: spinning threads slow everything on a shared 2-core box
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: run test install install-dev lock debs bench bench-browser load screenshot clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# constraints.txt: the exact versions of every package (transitive ones too) that CI runs
install: $(PY)
	$(PY) -m pip install -q -r requirements.txt -c constraints.txt

install-dev: $(PY)
	$(PY) -m pip install -q -r requirements-dev.txt -c constraints.txt

# after changing a pin in requirements*.txt: resolve afresh, test, then write constraints.txt
lock: $(PY)
	$(PY) -m pip install -q -r requirements-dev.txt
	{ sed -n '1,3p' constraints.txt; $(PY) -m pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt

# Debian packages the tests use: chromium (browser tests), dataset-fashion-mnist (the transfer
# learning page's real data; without it the page falls back to a generated set) and nginx (the
# load balancer in front of two replicas, tests/test_replicas.py; only run, never as a service).
DEBS_MISSING = $(shell test -x /usr/bin/chromium || echo chromium) \
	$(shell test -d /usr/share/datasets/fashion-mnist || echo dataset-fashion-mnist) \
	$(shell test -x /usr/sbin/nginx || echo nginx)

debs:
	@test -z "$(strip $(DEBS_MISSING))" || { $(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $(DEBS_MISSING); }

run: install
	$(PY) -m streamlit run app.py --server.port $(PORT) $(ARGS)

test: install-dev debs
	$(PY) -m pytest

bench: install-dev
	$(PY) -m benchmarks.bench_kernels
	$(PY) -m benchmarks.bench_padding
	$(PY) -m benchmarks.bench_train_cnn
	$(PY) -m benchmarks.bench_dense_to_conv
	$(PY) -m benchmarks.bench_pooling
	$(PY) -m benchmarks.bench_receptive
	$(PY) -m benchmarks.bench_cost
	$(PY) -m benchmarks.bench_pretrained
	$(PY) -m benchmarks.bench_feature_space
	$(PY) -m benchmarks.bench_synthesis
	$(PY) -m benchmarks.bench_style
	$(PY) -m benchmarks.bench_transfer
	$(PY) -m benchmarks.bench_detection
	$(PY) -m benchmarks.bench_segmentation
	$(PY) -m benchmarks.bench_text_cnn

# every page's rerun as a browser sees it (real server, Chromium), with the floor pages
bench-browser: install-dev debs
	$(PY) -m benchmarks.browser_rerun --apptest

# N simulated students (websocket clients) against one server: latency, exceptions, memory
#   make load ARGS="--students 30 --minutes 10 --trainers 3"
load: install-dev
	$(PY) -m benchmarks.class_load $(ARGS)

screenshot: install-dev debs
	CNNPLAY_SCREENSHOT_DIR=docs $(PY) -m pytest tests/e2e -q

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
