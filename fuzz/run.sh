#!/usr/bin/env bash
# Fuzzes one target for real: cargo-fuzz and libFuzzer, coverage-guided,
# starting from the committed corpus (fuzz/corpus/TARGET), then minimizes
# the corpus so that it stays small enough to commit (see the end).
# A crash is written to fuzz/artifacts/TARGET/; fix it, then copy the
# input into fuzz/corpus/TARGET/ so that ./test.sh replays it for good.
#
#   fuzz/run.sh TARGET SECONDS [libFuzzer options...]
#   fuzz/run.sh criteria 1800
#
# Targets: feed_page, feed_page_structured, criteria, language_tag,
# mock_bodies (fuzz/Cargo.toml). Installs cargo-fuzz when it is missing.
# cargo-fuzz wants nightly; RUSTC_BOOTSTRAP=1 lets it build on stable.
# Sanitizer: none (fieldsync is safe Rust, the targets look for panics and
# broken properties; debug assertions and overflow checks stay on).
set -euo pipefail

if [ $# -lt 2 ]; then
    echo "usage: fuzz/run.sh TARGET SECONDS [libFuzzer options...]" >&2
    exit 2
fi
target=$1
seconds=$2
shift 2

source "$(dirname "$0")/../bindings/target-dir.sh"
cd "$(dirname "$0")/.."
if ! command -v cargo-fuzz >/dev/null; then
    echo "installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1
fuzz_target_dir="$target_dir/fuzz"
mkdir -p "fuzz/corpus/$target"
cargo fuzz run --sanitizer none --target-dir "$fuzz_target_dir" "$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 "$@"

# Minimize: a set cover of the corpus by edges (not hit counts), then at
# most FUZZ_CORPUS_MAX files (300), the smallest; seeds (seed-*) and fixed
# crashes (regression-*) always stay.
host=$(rustc -vV | sed -n 's/^host: //p')
binary="$fuzz_target_dir/$host/release/$target"
corpus="fuzz/corpus/$target"
minimized=$(mktemp -d)
trap 'rm -rf "$minimized"' EXIT
"$binary" -set_cover_merge=1 -use_counters=0 "$minimized" "$corpus" 2>&1 | tail -1
find "$minimized" -type f -printf '%s %p\n' | sort -n | tail -n +"$((${FUZZ_CORPUS_MAX:-300} + 1))" |
    cut -d' ' -f2- | xargs -r rm --
find "$corpus" -type f ! -name 'seed-*' ! -name 'regression-*' -delete
cp "$minimized"/* "$corpus"/ 2>/dev/null || true
echo "$corpus: $(find "$corpus" -type f | wc -l) files, $(du -sh "$corpus" | cut -f1)"
