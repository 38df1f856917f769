#!/usr/bin/env bash
# The software bill of materials of the `skytale` binary: CycloneDX 1.5 JSON, every crate
# compiled into it for Linux x86_64 (build-time-only crates left out), with versions, licences
# and package URLs. Written to target/sbom/skytale.cdx.json (or the path given).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/sbom/skytale.cdx.json}"
command -v cargo-cyclonedx >/dev/null || cargo install cargo-cyclonedx --locked
cargo cyclonedx --manifest-path crates/cli/Cargo.toml --describe binaries \
  --target x86_64-unknown-linux-gnu --no-build-deps -f json --spec-version 1.5 -q
mkdir -p "$(dirname "$out")"
mv crates/cli/skytale_bin.cdx.json "$out"
python3 - "$out" <<'PY'
import json, sys
bom = json.load(open(sys.argv[1]))
assert bom["bomFormat"] == "CycloneDX", "not a CycloneDX document"
components = bom.get("components", [])
assert components, "no components"
missing = [c["name"] for c in components if not c.get("purl")]
assert not missing, f"components without a package URL: {missing}"
print(f"{sys.argv[1]}: CycloneDX {bom['specVersion']}, {len(components)} components")
PY
