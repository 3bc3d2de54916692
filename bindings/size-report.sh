#!/usr/bin/env bash
# Where the shipped library's bytes go: the sections of the stripped
# libfieldsync.so (x86-64, profile release-small, as bindings/generate.sh
# builds it), then the machine code (.text) of each crate, as cargo-bloat
# attributes it, each as a share of the stripped total.
#
#   bindings/size-report.sh        # the top 20 crates
#   bindings/size-report.sh 40     # the top 40 (0: all)
#
# Not part of ./test.sh: cargo-bloat needs the symbols, so the library is
# built a second time, unstripped, in <target>/size-report (its own target
# directory: the shipped build in <target>/release-small stays as it is);
# the first run takes about 4 minutes on 2 cores. Installs cargo-bloat
# (crates.io) when it is missing.
set -euo pipefail
source "$(dirname "$0")/target-dir.sh"
cd "$(dirname "$0")/.."

top=${1:-20}
# FIELDSYNC_FLAVOUR=lean: the lean flavour (no built-in HTTP stack).
case "${FIELDSYNC_FLAVOUR:-plain}" in
plain) features=() profile=release-small ;;
lean) features=(--no-default-features) profile=release-lean ;;
*)
    echo "size-report.sh knows the plain and lean flavours" >&2
    exit 2
    ;;
esac
bloat_version=0.12.1
if ! cargo bloat --version 2>/dev/null | grep -qF "$bloat_version"; then
    echo "== installing cargo-bloat $bloat_version (cargo install)"
    cargo install --quiet --locked cargo-bloat --version "$bloat_version"
fi

source bindings/sqlite-flags.sh
source bindings/link-flags.sh

echo "== the debug library (the names of uniffi's metadata, which the shipped one leaves out)"
cargo build --quiet -p fieldsync-ffi --lib "${features[@]}"
fieldsync_hide_uniffi_metadata "$target_dir/debug/libfieldsync.so" "$target_dir/uniffi-metadata-${FIELDSYNC_FLAVOUR:-plain}.map"

echo "== the shipped library (as generate.sh builds it)"
cargo rustc --quiet -p fieldsync-ffi --lib --profile "$profile" --crate-type cdylib "${features[@]}" -- "${FIELDSYNC_LINK_ARGS[@]}"
shipped=$target_dir/$profile/libfieldsync.so

echo "== the same library with its symbols, through cargo-bloat (in $target_dir/size-report)"
# cargo-bloat runs `cargo build`, which links the cdylib together with the
# crate's rlib and staticlib: LTO then keeps every public Rust item and the
# library is a fifth larger than the one apps get. A `cargo` first on the
# PATH turns that `cargo build` into the `cargo rustc --crate-type cdylib`
# of generate.sh; cargo-bloat keeps the symbols (strip = false).
wrapper=$(mktemp -d)
report=$(mktemp)
trap 'rm -rf "$wrapper" "$report"' EXIT
cat >"$wrapper/cargo" <<EOF
#!/usr/bin/env bash
if [ "\${1:-}" = build ]; then
    shift
    exec "$(command -v cargo)" rustc "\$@" --crate-type cdylib -- ${FIELDSYNC_LINK_ARGS[*]}
fi
exec "$(command -v cargo)" "\$@"
EOF
chmod +x "$wrapper/cargo"
PATH="$wrapper:$PATH" cargo bloat -p fieldsync-ffi --lib --profile "$profile" "${features[@]}" \
    --target-dir "$target_dir/size-report" --crates -n 0 --message-format json >"$report"
unstripped=$target_dir/size-report/$profile/libfieldsync.so

python3 - "$shipped" "$unstripped" "$report" "$top" <<'EOF'
import json, os, subprocess, sys, tempfile

shipped, unstripped, report, top = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
total = os.path.getsize(shipped)

def sections(path):
    out = subprocess.run(["readelf", "-W", "-S", path], check=True,
                         capture_output=True, text=True).stdout
    sizes = {}
    for line in out.splitlines():
        fields = line.replace("[ ", "[").split()
        if len(fields) > 6 and fields[0].startswith("[") and fields[1].startswith("."):
            if fields[2] != "NOBITS":
                sizes[fields[1]] = int(fields[5], 16)
    return sizes

# The analysed build must be the shipped one with symbols: stripped, it is
# the same size (binutils' strip and rustc's differ by a few bytes).
with tempfile.TemporaryDirectory() as tmp:
    stripped_copy = os.path.join(tmp, "lib.so")
    subprocess.run(["strip", "-o", stripped_copy, unstripped], check=True)
    analysed = os.path.getsize(stripped_copy)

def row(name, size):
    return f"| {name} | {size:,} | {100 * size / total:.1f}% |"

print()
print(f"libfieldsync.so, stripped: {total:,} bytes ({total / 1048576:.2f} MiB)")
print(f"(the analysed build with symbols, stripped by binutils: {analysed:,} bytes)")
print()
groups = [
    ("machine code (.text)", [".text"]),
    ("constants (.rodata: tables, strings, certificates)", [".rodata"]),
    ("unwinding tables (.eh_frame, .eh_frame_hdr, .gcc_except_table)",
     [".eh_frame", ".eh_frame_hdr", ".gcc_except_table"]),
    ("relocations (.rela.dyn, .relr.dyn, .rela.plt)", [".rela.dyn", ".relr.dyn", ".rela.plt"]),
    ("pointer tables (.data.rel.ro: vtables), .data", [".data.rel.ro", ".data"]),
]
found = sections(shipped)
print("| section | bytes | share |")
print("| --- | ---: | ---: |")
counted = 0
for name, names in groups:
    size = sum(found.get(n, 0) for n in names)
    counted += size
    print(row(name, size))
print(row("the rest (symbol tables for the exports, ELF headers, padding)", total - counted))

# The largest named constants (most of .rodata has no symbol: string
# literals, the tables of the Unicode and compression crates).
out = subprocess.run(["nm", "-S", "-C", "--size-sort", unstripped], check=True,
                     capture_output=True, text=True).stdout
constants = []
for line in out.splitlines():
    fields = line.split(None, 3)
    if len(fields) == 4 and fields[2] in "rRdD":
        constants.append((int(fields[1], 16), fields[3]))
print()
print("The largest named constants:")
print()
print("| constant | bytes | share |")
print("| --- | ---: | ---: |")
for size, name in sorted(constants, reverse=True)[:5]:
    print(row(f"`{name}`", size))

data = json.load(open(report))
crates = sorted(data["crates"], key=lambda c: -c["size"])
shown = crates if top == 0 else crates[:top]
print()
print(f"Machine code by crate (cargo-bloat's attribution of the {data['text-section-size']:,} bytes of .text;")
print("[Unknown]: code without a Rust crate, mostly SQLite's C and ring's C and assembly):")
print()
print("| crate | .text bytes | share of the stripped total |")
print("| --- | ---: | ---: |")
for c in shown:
    print(row(c["name"], c["size"]))
rest = crates[len(shown):]
if rest:
    print(row(f"{len(rest)} more crates", sum(c["size"] for c in rest)))
EOF
