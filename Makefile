# The Lambda package of ApiFunction (python3.12, arm64), built on any host.
#
# `sam build` calls `make build-ApiFunction` with ARTIFACTS_DIR set (template.yaml:
# `Metadata: {BuildMethod: makefile}`); by hand: `make build-ApiFunction ARTIFACTS_DIR=/tmp/pkg`,
# then `uv run python scripts/check_artifact.py /tmp/pkg`.
#
# 1. uv exports the locked runtime dependencies with their hashes: main dependencies only, so the
#    `aws` extra (boto3/botocore, which the Lambda runtime provides) stays out, and uvicorn (the
#    local server) is pruned together with the packages only it needs.
# 2. uv installs exactly those wheels for manylinux2014 aarch64 / CPython 3.12, whatever the host,
#    never building from source and refusing any file whose hash differs from the lock.
# 3. The application's own package is copied in.
# 4. CPython 3.12 compiles every module. /var/task is read-only, so without matching
#    __pycache__ every cold start compiles everything again. The .pyc files are unchecked-hash
#    based: a zip does not keep exact modification times, and a timestamp-based .pyc whose
#    source looks newer would be ignored on every start.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c

UV ?= uv
PYTHON_VERSION := 3.12
# Lambda arm64. tests/infra/test_package.py overrides it with the host's architecture to build a
# twin it can import and run.
PYTHON_PLATFORM := aarch64-manylinux2014
# Lambda does not run a server of its own, so uvicorn and its exclusive dependencies stay out.
PRUNE := uvicorn

.PHONY: build-ApiFunction

build-ApiFunction:
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set" >&2; exit 1; }
	mkdir -p "$(ARTIFACTS_DIR)"
	requirements="$$(mktemp)"; trap 'rm -f "$$requirements"' EXIT; \
	$(UV) export --quiet --no-dev --no-emit-project --format requirements.txt \
	  --no-header $(addprefix --prune ,$(PRUNE)) --output-file "$$requirements"; \
	$(UV) pip install --quiet --require-hashes --no-deps \
	  --only-binary :all: --python-platform $(PYTHON_PLATFORM) \
	  --python-version $(PYTHON_VERSION) --link-mode copy \
	  --target "$(ARTIFACTS_DIR)" -r "$$requirements"
# Console scripts of the dependencies are of no use in Lambda.
	rm -rf "$(ARTIFACTS_DIR)/bin"
	rm -rf "$(ARTIFACTS_DIR)/portfolio_api"
	cp -R src/portfolio_api "$(ARTIFACTS_DIR)/portfolio_api"
	find "$(ARTIFACTS_DIR)" -name __pycache__ -type d -prune -exec rm -rf {} +
	$(UV) run --no-project --python $(PYTHON_VERSION) -- python -m compileall -q -f \
	  --invalidation-mode unchecked-hash "$(ARTIFACTS_DIR)"
