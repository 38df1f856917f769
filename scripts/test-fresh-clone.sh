#!/usr/bin/env bash
# Runs the test suite from a fresh clone of this repository's HEAD, in a temporary directory
# with nothing beside it: proof that the tests read no file outside the repository (their data
# is in testdata/). Only committed files are tested; uncommitted changes are not in the clone.
#
#   scripts/test-fresh-clone.sh [arguments of cargo test; default: --workspace --locked]
#
# A CARGO_TARGET_DIR given in the environment is reused, so dependencies are not rebuilt (the
# workspace's own crates are, since their sources are new files); without one, the clone builds
# in its own target/, which is removed with it.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
head=$(git -C "$repo" rev-parse HEAD)
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
  echo "note: uncommitted changes in $repo are not tested (the clone is of HEAD $head)" >&2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone --quiet --no-checkout "$repo" "$work/skytale"
git -C "$work/skytale" checkout --quiet --detach "$head"
cd "$work/skytale"
if [ -e ../shared ]; then
  echo "error: $work/shared exists; the clone must have nothing beside it" >&2
  exit 1
fi

# The accessibility test drives axe-core through npm packages installed beside it (git-ignored).
if [ -f crates/render/tests/browser/package.json ] && command -v npm >/dev/null; then
  (cd crates/render/tests/browser && npm ci --prefer-offline --no-audit --no-fund --silent)
fi
# The push tests check webhook signatures with the Standard Webhooks reference library and
# the ActivityPub actor with Fedify (npm).
for d in crates/server/tests/webhooks crates/server/tests/activitypub; do
  if [ -f "$d/package.json" ] && command -v npm >/dev/null; then
    (cd "$d" && npm ci --prefer-offline --no-audit --no-fund --silent)
  fi
done

if [ $# -eq 0 ]; then
  set -- --workspace --locked
fi
echo "cargo test $* in a fresh clone of $head at $PWD (target: ${CARGO_TARGET_DIR:-./target})"
cargo test "$@"
