# The two commands of the README, plus helpers. Each target does its own set-up.
ARGS ?=

.PHONY: demo test setup lint screenshots bench-demo-data

demo:  ## set up, create the demo company, run the nightly jobs, serve on http://127.0.0.1:8000
	@bash .ci/demo

test:  ## set up and run the whole test suite (PostgreSQL/Redis when available)
	@bash .ci/test $(ARGS)

screenshots:  ## photograph the main pages as each role (demo company) into docs/screenshots
	@SCREENSHOT_DIR=$(CURDIR)/docs/screenshots bash .ci/test tests/test_browser_pages.py tests/test_browser_phone.py -k "screenshots or phone" -q

setup:
	@bash .ci/setup

lint:
	@bash .ci/setup && .venv/bin/ruff check . && .venv/bin/ruff format --check .
