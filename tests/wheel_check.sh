#!/usr/bin/env bash
# What a user gets from `pip install`: build the wheel of this checkout, install it into a brand-new virtualenv
# (made with the system python3, dependencies from PyPI), and from outside the checkout run the command on a
# bundled sample. Catches what the editable install hides: a module or schema missing from the wheel, an import
# of something only the checkout has.
#
#   bash tests/wheel_check.sh [PYTHON]    # PYTHON builds the wheel; default .venv/bin/python
#
# Prints one line, "wheel check: ok (...)", or fails with a message and the failing step's output.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_python="${1:-$repo/.venv/bin/python}"
sample="$repo/samples/zenger-article.html"
started=$SECONDS

tmp="$(mktemp -d "${TMPDIR:-/tmp}/wheel-check.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
trap 'echo "wheel check: FAILED at line $LINENO: $BASH_COMMAND" >&2' ERR

fail() {
    echo "wheel check: FAILED: $1" >&2
    if [[ -s "$tmp/out" ]]; then
        echo "--- output of that step:" >&2
        tail -n 40 "$tmp/out" >&2
    fi
    exit 1
}

# step DESCRIPTION COMMAND...: run COMMAND with its output kept in $tmp/out (shown only if it fails).
step() {
    local what="$1"
    shift
    "$@" >"$tmp/out" 2>&1 || fail "$what (exit $?): $*"
}

case "$build_python" in /*) ;; *) build_python="$PWD/$build_python" ;; esac  # not resolved: a venv's python is a link
[[ -x "$build_python" ]] || fail "no python to build with at $build_python (make install makes .venv)"
[[ -f "$sample" ]] || fail "the bundled sample $sample is missing"

# setuptools builds in-tree: keep its build/ and egg-info out of the checkout, so that no file left there by an
# earlier build (a module since removed) can reach the wheel.
cat >"$tmp/build.cfg" <<EOF
[build]
build_base = $tmp/build
[egg_info]
egg_base = $tmp
EOF

cd "$repo"
DIST_EXTRA_CONFIG="$tmp/build.cfg" step "building the wheel" \
    "$build_python" -m pip wheel --quiet --no-deps -w "$tmp/dist" .
wheels=("$tmp"/dist/*.whl)
[[ ${#wheels[@]} -eq 1 && -f "${wheels[0]}" ]] || fail "expected one wheel in $tmp/dist, found: ${wheels[*]}"
wheel="${wheels[0]}"

step "creating a virtualenv with the system python3" python3 -m venv "$tmp/venv"
venv_python="$tmp/venv/bin/python"
step "installing the wheel (dependencies from PyPI)" "$venv_python" -m pip install --quiet "$wheel"
cli="$tmp/venv/bin/ingest-plugin"
[[ -x "$cli" ]] || fail "the wheel installed no ingest-plugin command"

# Everything below runs outside the checkout: nothing of it is importable from here.
cd "$tmp"

step "ingest-plugin --version" "$cli" --version
version="$(tr -d '\n' <"$tmp/out")"
[[ "$version" == "ingest-plugin "* ]] || fail "ingest-plugin --version printed '$version'"

"$cli" parse "$sample" >"$tmp/parsed.jsonl" 2>"$tmp/out" || fail "ingest-plugin parse $sample (exit $?)"
# A rendering of every kind, each checked by the rendering schemas the wheel must carry (docs/renderings.md).
for profile in ninjs-2.2 ninjs-1.6 superdesk newsml-g2; do
    "$cli" parse "$sample" --profile "$profile" >"$tmp/rendered" 2>"$tmp/out" \
        || fail "ingest-plugin parse $sample --profile $profile (exit $?)"
    [[ -s "$tmp/rendered" ]] || fail "ingest-plugin parse --profile $profile printed nothing"
done

step "ingest-plugin check-config --help" "$cli" check-config --help
grep -q "check-config" "$tmp/out" || fail "ingest-plugin check-config --help printed no usage"

# The parsed document, checked against the schema the wheel installed (not the checkout's), with jsonschema alone.
cat >"$tmp/check.py" <<'EOF'
import json
import pathlib
import sys

import jsonschema

import ingest_plugin.schemas

venv, repo, parsed = map(pathlib.Path, sys.argv[1:4])
package = pathlib.Path(ingest_plugin.schemas.__file__).resolve().parent
assert package.is_relative_to(venv.resolve()), f"ingest_plugin.schemas imported from {package}, not the new venv"
assert not package.is_relative_to(repo.resolve()), f"ingest_plugin.schemas imported from the checkout: {package}"
schema_path = package / "ninjs-profile.schema.json"
assert schema_path.is_file(), f"the wheel holds no {schema_path.name} next to ingest_plugin/schemas"
schemas = sorted(p.name for p in package.glob("*.schema.json"))

lines = parsed.read_text(encoding="utf-8").splitlines()
assert len(lines) == 1, f"parse printed {len(lines)} lines, expected one JSON document"
document = json.loads(lines[0])
assert document["uri"].startswith("urn:newsml:"), f"unexpected uri {document['uri']!r}"
schema = json.loads(schema_path.read_text(encoding="utf-8"))
validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
validator.validate(document)
print(f"{document['uri']}; {len(schemas)} schemas in the wheel")
EOF
step "checking the parsed document and the installed schemas" \
    "$venv_python" "$tmp/check.py" "$tmp/venv" "$repo" "$tmp/parsed.jsonl"
checked="$(tr -d '\n' <"$tmp/out")"

echo "wheel check: ok ($(basename "$wheel"); $version; parse -> $checked; $((SECONDS - started)) s)"
