# The two quickstart commands: `make demo` and `make test`. Both build the project's
# own virtualenv first, so a fresh machine needs nothing but Python 3.11+.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install lint clean browser superset lock

LOCK   := constraints/reelhouse.txt

# The install is the tested one: every package at the version in the lock (pip constraints).
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade 'pip>=24'
	$(BIN)/pip install --quiet -c $(LOCK) -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/reelhouse demo

test: $(STAMP) browser superset
	$(BIN)/ruff check .
	$(BIN)/pytest

# Superset 6.1 lives in its own virtualenv (it pins SQLAlchemy 1.4 and pandas 2.1); installed once.
superset: $(STAMP)
	$(BIN)/reelhouse superset install

# The email and dashboard browser tests use Debian's chromium (test tools cannot download browsers here).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
		{ echo "installing Debian's chromium for the browser tests"; \
		  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -q chromium >/dev/null; }

# After changing pyproject.toml or Superset's requirements: resolve afresh and write both locks.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv && .lock-venv/bin/pip install --quiet --upgrade 'pip>=24'
	.lock-venv/bin/pip install --quiet -e '.[dev]'
	{ sed -n '1,2p' $(LOCK); .lock-venv/bin/pip freeze --exclude-editable; } > $(LOCK).new && mv $(LOCK).new $(LOCK)
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv && .lock-venv/bin/pip install --quiet --upgrade 'pip>=24'
	.lock-venv/bin/pip install --quiet $$($(BIN)/python -c 'from reelhouse.superset.service import REQUIREMENTS; print(" ".join(REQUIREMENTS))')
	{ sed -n '1,2p' constraints/superset.txt; .lock-venv/bin/pip freeze; } > constraints/superset.txt.new && mv constraints/superset.txt.new constraints/superset.txt
	rm -rf .lock-venv

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	-$(BIN)/reelhouse db stop
	rm -rf $(VENV) .reelhouse
