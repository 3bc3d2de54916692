#!/usr/bin/env bash
# The Portal's screens in a real browser (issue 14): headless Chromium
# driven by selenium, against a fresh mock, with a technician's device on
# the Python bindings syncing what the admin does on the screens.
# Screenshots of each screen go to <target>/screenshots/.
#
#   sync-server-mock/screens/run.sh      # after bindings/generate.sh (./test.sh runs it)
#
# Installs what it needs when it is missing: Debian's chromium and
# chromium-driver (apt-get; no browser can be downloaded otherwise), and
# selenium (pinned) into a venv under cargo's target directory.
set -euo pipefail
source "$(dirname "$0")/../../bindings/target-dir.sh"
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    echo "== installing chromium and chromium-driver (apt-get)"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
venv=$target_dir/screens-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import selenium' 2>/dev/null; then
    echo "== installing selenium 4.48.0 into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "selenium==4.48.0"
fi
bindings=$target_dir/bindings/python
if [ ! -f "$bindings/fieldsync.py" ]; then
    echo "missing $bindings/fieldsync.py: run bindings/generate.sh first" >&2
    exit 1
fi
if [ "${FIELDSYNC_SERVER_BUILT:-0}" != 1 ] || [ ! -x "$target_dir/debug/sync-server-mock" ]; then
    cargo build --quiet -p sync-server-mock
fi
mkdir -p "$target_dir/screenshots"
rm -f "$target_dir/screenshots/"*.png
RUST_BACKTRACE=0 PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" sync-server-mock/screens/test_screens.py \
    "$target_dir/debug/sync-server-mock" "$bindings" "$target_dir/screenshots"
