# 虚拟化技术讲解 — everyday commands. `.venv` and `node_modules` are created
# on demand from the pinned requirements.txt and package-lock.json.

PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
export NO_MKDOCS_2_WARNING := 1

.PHONY: serve site test bench fix urls screenshots clean

# Preview at http://127.0.0.1:8000/, rebuilt on every save.
serve: $(VENV)/.installed node_modules/.installed
	SITE_URL=http://127.0.0.1:8000/ $(BIN)/python -m mkdocs serve --dev-addr 127.0.0.1:8000

# The deployable site in site/, built strictly: any warning is an error. Then its
# take-away editions, from the same build: site/virtualization-docs.pdf and
# site/virtualization-docs-offline.zip (tools/editions.py).
# A failed or killed build leaves no site/ that looks deployable: it is built
# in .site-partial/ and renamed to site/ once its editions are in, checked.
site: $(VENV)/.installed node_modules/.installed
	rm -rf site .site-partial
	$(BIN)/python -m mkdocs build --strict --clean -d .site-partial || { rm -rf .site-partial; exit 1; }
	$(BIN)/python -m tools.editions .site-partial || { rm -rf .site-partial; exit 1; }
	mv .site-partial site

# Every check: build, content, links, diagrams, search, accessibility, lint.
test: $(VENV)/.installed node_modules/.installed
	$(BIN)/python -m pytest -n 4 --dist loadfile

# Figures, not verdicts: Lighthouse on every page, build time, index size.
bench: $(VENV)/.installed node_modules/.installed
	$(BIN)/python -m bench

# Add newly published pages and section anchors to published-urls.txt.
urls: site
	$(BIN)/python -m tools.urls site

# PNGs of the views that matter (light, dark, phone, tooltip, 404) in bench/results/screenshots/.
screenshots: $(VENV)/.installed node_modules/.installed
	$(BIN)/python -m tools.screenshots

# Apply the automatic fixes of the Chinese copy and Markdown linters.
fix: $(VENV)/.installed
	$(BIN)/python -m tools.lint --fix

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# CI's deploy build passes NPM_CI_FLAGS=--omit=dev (no Lighthouse).
NPM_CI_FLAGS ?=
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund $(NPM_CI_FLAGS)
	touch $@

# .cache holds the diagrams rendered at build time (hooks/diagrams.py).
clean:
	rm -rf site .site-partial site.lock .site-partial.lock .cache .pytest_cache bench/results
