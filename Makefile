# Two commands for a fresh machine:  make lab  |  make test
# Both create .venv on first use and reinstall only when pyproject.toml changes.
# (Students need neither: pip install fedlearn_edu, then fedlearn-edu lab.)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
comma  := ,
EXTRAS ?= dev,app,refs,flower,apps,docs,zh
STAMP  := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
# make lab installs only what the notebooks use (no test tools, no Voila/Playwright)
LAB_EXTRAS ?= zh,flower,apps
LAB_STAMP  := $(VENV)/.lab-installed-$(subst $(comma),-,$(LAB_EXTRAS))
LAB_DIR    ?= build/lab
LAB_ARGS   ?= --no-browser
PORT   ?= 8888
# Jupyter refuses to run as root (containers, CI) unless told it may (fedlearn-edu lab knows).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: install lab test unit notebooks bench lint figures docs clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

$(LAB_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[$(LAB_EXTRAS)]"
	@rm -f $(VENV)/.lab-installed-*
	@touch $@

# A working copy in $(LAB_DIR) (the same copy as `fedlearn-edu lab`): JupyterLab's autosave
# never writes into the tracked notebooks, and a notebook you edited there is kept.
lab: $(LAB_STAMP)
	@echo "Starting JupyterLab on a copy of notebooks/ in $(LAB_DIR) - open the http://127.0.0.1 URL printed below."
	$(PY) -m fedlearn_edu lab $(LAB_DIR) --port $(PORT) $(LAB_ARGS)

test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadfile --no-loadscope-reorder --durations=40 --nbval-lax --nbval-current-env -p no:cacheprovider tests notebooks

unit: $(STAMP)
	$(PY) -m pytest -p no:cacheprovider tests

notebooks: $(STAMP)
	$(PY) -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider notebooks

bench: $(STAMP)
	@for f in benchmarks/*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

lint: $(STAMP)
	$(VENV)/bin/ruff check .

figures: $(STAMP)
	$(PY) -m pytest -p no:cacheprovider tests/test_browser.py --update-screenshot

# the rendered book of the executed notebooks, offline: build/book/html/index.html
docs: $(STAMP)
	$(PY) tools/build_book.py

clean:
	rm -rf $(VENV) build *.egg-info
