# Sourced by every script that reads or writes cargo's outputs (test.sh,
# bindings/*.sh, the packaging scripts), before it changes directory:
#
#   source "$(dirname "$0")/target-dir.sh"
#
# Sets target_dir to cargo's target directory, absolute, as `cargo metadata`
# reports it: CARGO_TARGET_DIR if set (a relative value is relative to the
# directory the script was started from, as for cargo itself), else
# build.target-dir from a cargo config, else the workspace's target/. Exports
# it as CARGO_TARGET_DIR, so that every cargo command of the script, and of
# the scripts it runs, builds in that same directory wherever it runs.
# Never write the target directory's path literally in a script: ./test.sh
# checks that none does, and runs the binding stages with CARGO_TARGET_DIR.

fieldsync_root=$(dirname "${BASH_SOURCE[0]}")/..
if ! fieldsync_metadata=$(cargo metadata --format-version 1 --no-deps --manifest-path "$fieldsync_root/Cargo.toml"); then
    echo "cannot find cargo's target directory: \`cargo metadata\` failed" >&2
    exit 1
fi
if ! target_dir=$(printf '%s' "$fieldsync_metadata" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])') ||
    [ -z "$target_dir" ]; then
    echo "cannot find cargo's target directory in \`cargo metadata\`" >&2
    exit 1
fi
export CARGO_TARGET_DIR=$target_dir
unset fieldsync_root fieldsync_metadata
