# The Lambda package of ApiFunction (python3.12, arm64), built on any host.
#
# `sam build` calls `make build-ApiFunction` with ARTIFACTS_DIR set (template.yaml:
# `Metadata: {BuildMethod: makefile}`); by hand: `make build-ApiFunction ARTIFACTS_DIR=/tmp/pkg`,
# then `uv run python scripts/check_artifact.py /tmp/pkg`.
#
# 1. uv exports the locked runtime dependencies with their hashes: main dependencies only, so the
#    `aws` extra (boto3/botocore, which the Lambda runtime provides) stays out, and PRUNE (below)
#    is pruned together with the packages only it needs. `make requirements OUTPUT=FILE` writes
#    the same export, for CI's pip-audit.
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
# `--prune` leaves out a package and whatever only it needed.
# - uvicorn (with h11, click): Lambda runs no server of its own.
# - ecdsa (with six), rsa, pyasn1: python-jose requires them, but jose/backends/__init__.py and
#   jose/utils.py import its ecdsa and rsa backends (pyasn1 serves only the rsa one) only when
#   cryptography fails to import, and cryptography is installed (python-jose[cryptography]).
#   test_package.py verifies an RS256 token in the package with their imports made to fail.
#   Leaving ecdsa out also leaves out its advisory that will not be fixed, CVE-2024-23342 /
#   GHSA-wj6h-64fc-37mp (a timing side channel when signing with P-256, which this service never
#   does), so CI's pip-audit of this export stays clean.
PRUNE := uvicorn ecdsa rsa pyasn1
EXPORT = $(UV) export --quiet --no-dev --no-emit-project --format requirements.txt --no-header \
  $(addprefix --prune ,$(PRUNE))

.PHONY: build-ApiFunction requirements

requirements:
	@test -n "$(OUTPUT)" || { echo "OUTPUT is not set" >&2; exit 1; }
	$(EXPORT) --output-file "$(OUTPUT)"

build-ApiFunction:
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set" >&2; exit 1; }
	mkdir -p "$(ARTIFACTS_DIR)"
	requirements="$$(mktemp)"; trap 'rm -f "$$requirements"' EXIT; \
	$(EXPORT) --output-file "$$requirements"; \
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
