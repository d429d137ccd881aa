#!/bin/bash
# packaging/gpu_deps.sh: the bundle that lets packaging/gpu_check.sh build and test on a GPU machine
# that has a CUDA PyTorch, a compiler, CMake and ninja but none of our other build dependencies (the
# device tool's machines: no Qt, no package registry). Run it HERE, on Debian 12, with apt working:
#
#   packaging/gpu_deps.sh [OUT_DIR]        (default: .gpu-bundle/ in the checkout, ignored by git)
#
# It downloads Debian 12's own packages with `apt-get download` and unpacks them with `dpkg -x` into
# a temporary folder (never into /): Qt 6 Core and Test (libraries, headers, CMake packages, moc and
# the other tools Qt's CMake files name) with the libraries Qt Core loads (ICU, double-conversion,
# libb2, PCRE2-16, zstd, GLib, zlib, libgomp), CLI11 and nlohmann-json (headers, CMake packages),
# SQLite 3 and OpenSSL's libcrypto (headers, libraries), gloo's headers, ICU, PCRE2-8 and zlib for
# the engine, and pkgconf (the engine finds PCRE2 and ICU through pkg-config). Documentation, static
# libraries and the headers of Qt modules the GUI-less build does not use are left out; .pc files
# are made relocatable (prefix=${pcfiledir}/..., which pkgconf expands), so the bundle works from
# any folder. Then it checks every ELF file in it: no undefined dependency (ldd, with the bundle's
# libraries first) outside the bundle but the C and C++ runtimes, and no glibc symbol version newer
# than the device's glibc (2.39: Ubuntu 24.04). Output: OUT_DIR/lwb-gpu-bundle.tar.xz, holding
# lwb-gpu-bundle/usr/... and lwb-gpu-bundle/MANIFEST.txt (package = version).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out_dir=${1:-$root/.gpu-bundle}
device_glibc=2.39

packages=(
  # Qt 6 Core and Test: runtime, headers + CMake packages, moc/rcc/qmake/... that Qt6CoreTools
  # names (its CMake file refuses to load when one of them is missing).
  libqt6core6 libqt6test6 qt6-base-dev qt6-base-dev-tools qmake6
  # What libQt6Core.so.6 loads (ldd): ICU 72, double-conversion, BLAKE2 (libb2 -> libgomp),
  # PCRE2-16, zstd, GLib (-> PCRE2-8), zlib.
  libicu72 libdouble-conversion3 libb2-1 libgomp1 libpcre2-16-0 libzstd1 libglib2.0-0 zlib1g
  # The engine: the BPE tokenizer's PCRE2-8 and ICU (through pkg-config), zlib (lexicon data).
  libpcre2-8-0 libpcre2-32-0 libpcre2-posix3 libpcre2-dev libicu-dev zlib1g-dev pkgconf-bin libpkgconf3
  # lorawb's command line, JSON, the run store (SQLite), SHA-256 (libcrypto), dist/'s gloo headers.
  libcli11-dev nlohmann-json3-dev libsqlite3-0 libsqlite3-dev libssl3 libssl-dev libgloo-dev
)
# Qt modules whose headers the build uses (tests link Qt6::Core and Qt6::Test only without the GUI).
qt_header_dirs_kept=(QtCore QtTest)

work=$(mktemp -d /tmp/lwb-gpu-deps.XXXXXX)
trap 'rm -rf "$work"' EXIT
bundle=$work/lwb-gpu-bundle
mkdir -p "$work/debs" "$bundle"

echo "gpu_deps: downloading ${#packages[@]} Debian packages"
(cd "$work/debs" && apt-get download -qq "${packages[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
downloaded=$(find "$work/debs" -name '*.deb' | wc -l)
if [ "$downloaded" -ne "${#packages[@]}" ]; then
  echo "gpu_deps: expected ${#packages[@]} packages, apt-get download gave $downloaded" >&2
  exit 1
fi
for deb in "$work"/debs/*.deb; do
  dpkg -x "$deb" "$bundle"
  printf '%s = %s\n' "$(dpkg-deb -f "$deb" Package)" "$(dpkg-deb -f "$deb" Version)" >>"$bundle/MANIFEST.txt"
done

usr=$bundle/usr
libdir=$usr/lib/x86_64-linux-gnu
# One library folder: packages that still install into /lib (zlib1g) join /usr/lib, and links to
# absolute paths (/lib/x86_64-linux-gnu/libz.so.1.2.13) point to the file beside them instead.
if [ -d "$bundle/lib" ]; then
  cp -a "$bundle/lib/." "$usr/lib/"
  rm -rf "$bundle/lib"
fi
while IFS= read -r -d '' link; do
  target=$(readlink "$link")
  if [[ "$target" == /* ]] && [ -e "$(dirname "$link")/$(basename "$target")" ]; then
    ln -sfn "$(basename "$target")" "$link"
  fi
done < <(find "$bundle" -type l -print0)
# Left out: documentation, static libraries, Qt's D-Bus tools, GLib's GIO/GObject side (Qt Core loads libglib only),
# ICU's build makefiles and command-line tools (usr/bin keeps pkgconf and Qt's tools), and the headers of Qt's GUI, network, SQL, ... modules.
rm -rf "$usr"/share/{doc,man,locale,lintian,bug,info,gdb,glib-2.0,gettext,bash-completion} "$usr/libexec" \
  "$libdir/gio" "$libdir/glib-2.0" "$libdir/icu"
find "$bundle" -name '*.a' -delete
rm -f "$libdir"/libgio-2.0.so* "$libdir"/libgobject-2.0.so* "$libdir"/libgmodule-2.0.so* "$libdir"/libgthread-2.0.so*
find "$usr/bin" -mindepth 1 ! -name pkgconf ! -name '*qmake6' ! -name 'qtpaths6' -delete
rm -f "$usr"/lib/qt6/bin/qdbus* # D-Bus tools (Qt6DBusTools, not loaded without the GUI)
for dir in "$usr"/include/x86_64-linux-gnu/qt6/*/; do
  name=$(basename "$dir")
  [[ " ${qt_header_dirs_kept[*]} " == *" $name "* ]] || rm -rf "$dir"
done
# Links left dangling by the above (the -dev packages' .so links to Qt modules not shipped here).
find "$bundle" -xtype l -delete

# pkg-config files: every absolute /usr (prefix=, -I, -L) becomes the bundle's own usr, found from the .pc file.
for pc in "$libdir"/pkgconfig/*.pc "$usr"/share/pkgconfig/*.pc; do
  case "$pc" in
  "$libdir"/pkgconfig/*) up='${pcfiledir}/../../..' ;;
  *) up='${pcfiledir}/../..' ;;
  esac
  sed -i -E "s#(= *|-I|-L)/usr(/|\$| )#\\1${up}\\2#g" "$pc"
  if grep -Eq '(=|-I|-L) */usr' "$pc"; then
    echo "gpu_deps: $pc still names /usr after relocation:" >&2
    grep -En '(=|-I|-L) */usr' "$pc" >&2
    exit 1
  fi
done

# Every ELF file: its dependencies resolve inside the bundle or to the C/C++ runtime every Linux
# machine has; no symbol needs a glibc newer than the device's.
runtime_libs='^(linux-vdso\.so\.1|ld-linux-x86-64\.so\.2|libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libstdc\+\+\.so\.6|libgcc_s\.so\.1)$'
problems=0
newest_glibc=0
elf_count=0
while IFS= read -r -d '' file; do
  head -c 4 "$file" | grep -q $'\x7fELF' || continue
  elf_count=$((elf_count + 1))
  while read -r soname arrow target _; do
    [ "$arrow" = "=>" ] || continue
    if [ "$target" = "not" ]; then
      echo "gpu_deps: ${file#"$work"/} needs $soname, which nothing provides" >&2
      problems=$((problems + 1))
    elif [[ "$target" != "$bundle"/* ]] && ! [[ "$soname" =~ $runtime_libs ]]; then
      echo "gpu_deps: ${file#"$work"/} needs $soname from the system ($target): add its package" >&2
      problems=$((problems + 1))
    fi
  done < <(LD_LIBRARY_PATH=$libdir ldd "$file" 2>/dev/null || true)
  for version in $(objdump -T "$file" 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sort -u); do
    newest_glibc=$(printf '%s\n%s\n' "$newest_glibc" "${version#GLIBC_}" | sort -V | tail -1)
  done
done < <(find "$bundle" -type f -print0)
if [ "$(printf '%s\n%s\n' "$newest_glibc" "$device_glibc" | sort -V | tail -1)" != "$device_glibc" ]; then
  echo "gpu_deps: the bundle needs glibc $newest_glibc, newer than the device's $device_glibc" >&2
  problems=$((problems + 1))
fi
if [ "$problems" -ne 0 ]; then
  echo "gpu_deps: $problems problem(s); no bundle written" >&2
  exit 1
fi
echo "gpu_deps: $elf_count ELF files, dependencies inside the bundle or the C/C++ runtime;" \
  "newest glibc symbol $newest_glibc (device: $device_glibc)"

mkdir -p "$out_dir"
tarball=$out_dir/lwb-gpu-bundle.tar.xz
echo "gpu_deps: unpacked $(du -sh "$bundle" | cut -f1); compressing"
tar -C "$work" -cf - lwb-gpu-bundle | xz -T0 -6 >"$tarball.part"
mv "$tarball.part" "$tarball"
echo "gpu_deps: wrote $tarball ($(du -h "$tarball" | cut -f1), $(wc -l <"$bundle/MANIFEST.txt") packages)"
