#!/usr/bin/env bash
# Writes migrations for pretix_hubspot (or checks for missing ones with: tools/makemigrations.sh --check --dry-run).
#
# Released pretix wheels carry unmigrated model drift in pretixbase. `makemigrations pretix_hubspot` would then also
# write a core migration into site-packages and make ours depend on it; such a migration exists nowhere else. We
# remove the stray core file and point our dependency at the newest core migration of the
# oldest supported pretix release instead.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
APP=pretix_hubspot
CORE_MIG_DIR=$("$PY" -c 'import os, pretix.base.migrations as m; print(os.path.dirname(m.__file__))')
# The newest core migration of the oldest pretix we support (pyproject.toml): our migrations must apply there too.
FLOOR_CORE=0298_pluggable_permissions
before=$(ls "$CORE_MIG_DIR")
DATA_DIR=${DATA_DIR:-$(mktemp -d)}
export DATA_DIR
PRETIX_CONFIG_FILE=/dev/null "$PY" -m pretix makemigrations "$APP" "$@"
for f in $(comm -13 <(echo "$before" | sort) <(ls "$CORE_MIG_DIR" | sort)); do
  bogus=${f%.py}
  rm -f "$CORE_MIG_DIR/$f"
  sed -i "s/('pretixbase', '$bogus')/('pretixbase', '$FLOOR_CORE')/" "$APP"/migrations/*.py
done
