# Every target creates its own virtual environment from pyproject.toml on first use.
VENV   ?= .venv
PYTHON ?= python3
BIN     = $(VENV)/bin
SAMPLE  = sample_logs/dynamodb-2025-10-20
OUT    ?= out

.PHONY: install demo test lint format sample-logs bench bench-cloudtrail fuzz clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

## demo: ingest the bundled sample logs of 20 October 2025, run every rule, write the report
demo: install
	rm -f $(OUT)/dynamodb-2025-10-20.duckdb
	$(BIN)/analyzer ingest $(SAMPLE) --db $(OUT)/dynamodb-2025-10-20.duckdb
	$(BIN)/analyzer detect $(OUT)/dynamodb-2025-10-20.duckdb --fail-on none --tz America/Los_Angeles
	$(BIN)/analyzer report $(OUT)/dynamodb-2025-10-20.duckdb --out $(OUT)/report --tz America/Los_Angeles
	@echo "Open $(OUT)/report/report.html (or read $(OUT)/report/report.md)."

## test: lint, type-check the library, then the whole test suite
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q -p no:cacheprovider

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## sample-logs: regenerate sample_logs/ byte for byte
sample-logs: install
	$(BIN)/analyzer simulate dynamodb-2025-10-20 --out $(SAMPLE) --seed 20251020 --force

## fuzz: the damage, kill -9 and rotation suites with many more examples than CI runs
fuzz: install
	PF_FUZZ_EXAMPLES=500 PF_FUZZ_KILLS=20 PF_FUZZ_LIVES=30 PF_FUZZ_STEPS=60 \
		$(BIN)/pytest -q -p no:cacheprovider tests/ingest/test_fuzz.py tests/ingest/test_crash.py

## bench: the benchmark of benchmarks/ (see benchmarks/RESULTS.md)
bench: install
	$(BIN)/python benchmarks/run.py

## bench-cloudtrail: CloudTrail ingest against DuckDB's read_json (benchmarks/cloudtrail.py)
bench-cloudtrail: install
	$(BIN)/python benchmarks/cloudtrail.py

clean:
	rm -rf $(OUT) .pytest_cache .ruff_cache .mypy_cache
