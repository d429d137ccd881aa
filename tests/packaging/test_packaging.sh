#!/usr/bin/env bash
# Installation and the Debian package, as a user gets them:
#   cmake --install into a temporary prefix: executables, run configs, the
#   built-in models, and the
#   desktop entry, icon and AppStream metadata where desktops look for them,
#   each valid per desktop-file-validate / appstreamcli (when installed);
#   cpack -G DEB: a .deb whose contents and control fields say the same, with
#   dependencies found by dpkg-shlibdeps, carrying the wheel's LibTorch;
#   as root: dpkg -i, then both executables run with the build folder and the
#   Python environment hidden (empty folders mounted over them in a private
#   mount namespace), so nothing they load comes from either; then dpkg -r.
# usage: test_packaging.sh BUILD_DIR [PYTHON_ENV]
set -euo pipefail
build="$(cd "$1" && pwd)"
venv="${2:-}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$work/prefix" >/dev/null
app_id=org.lorawb.LoraWorkbench
for path in bin/lorawb bin/lora-workbench share/applications/$app_id.desktop \
            share/icons/hicolor/scalable/apps/$app_id.svg share/metainfo/$app_id.metainfo.xml \
            share/lora-workbench/configs/lora_default.json \
            share/lora-workbench/models/lexicon-base/config.json \
            share/lora-workbench/models/lexicon-base/model.safetensors; do
  [ -e "$work/prefix/$path" ] || fail "cmake --install did not install $path"
done
"$work/prefix/bin/lorawb" --version | grep -q "lorawb" || fail "the installed lorawb does not run"
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$work/prefix/share/applications/$app_id.desktop" || fail "desktop entry invalid"
fi
if command -v appstreamcli >/dev/null; then
  appstreamcli validate --no-net "$work/prefix/share/metainfo/$app_id.metainfo.xml" >/dev/null \
    || fail "AppStream metadata invalid"
fi
echo "install: ok"

(cd "$build" && cpack -G DEB -B "$work/deb" >/dev/null) || fail "cpack -G DEB failed"
deb="$(ls "$work"/deb/lora-workbench_*.deb)"
contents="$(dpkg-deb -c "$deb")"
for path in ./usr/bin/lora-workbench ./usr/bin/lorawb ./usr/share/applications/$app_id.desktop \
            ./usr/share/metainfo/$app_id.metainfo.xml ./usr/share/lora-workbench/models/lexicon-base/config.json; do
  grep -q " $path\$" <<<"$contents" || fail "$deb lacks $path"
done
grep -q " ./usr/lib/lora-workbench/torch/lib/libtorch_cpu.so\$" <<<"$contents" || fail "$deb does not carry LibTorch"
depends="$(dpkg-deb -f "$deb" Depends)"
grep -q "libqt6widgets6" <<<"$depends" || fail "Depends lacks Qt Widgets: $depends"
grep -q "libssl3" <<<"$depends" || fail "Depends lacks OpenSSL's libcrypto (SHA-256): $depends"
echo "deb: ok ($(basename "$deb"), $(du -h "$deb" | cut -f1))"
echo "Depends: $depends"

if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
  echo "dpkg -i: skipped (needs root and unshare)"
  exit 0
fi
if dpkg-query -W lora-workbench >/dev/null 2>&1; then
  echo "dpkg -i: skipped (a lora-workbench package is installed already; not replacing it)"
  exit 0
fi
dpkg -i "$deb" >/dev/null || fail "dpkg -i $deb failed"
trap 'dpkg -r lora-workbench >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
mkdir -p "$work/empty"
hide="mount --bind $work/empty $build"
[ -n "$venv" ] && [ -d "$venv" ] && hide="$hide && mount --bind $work/empty $venv"
versions="$(unshare --mount sh -c "$hide && /usr/bin/lorawb --version && QT_QPA_PLATFORM=offscreen /usr/bin/lora-workbench --version" 2>&1)" \
  || fail "the installed executables do not run without the build folder and $venv: $versions"
grep -q "lorawb" <<<"$versions" || fail "lorawb --version printed: $versions"
echo "dpkg -i: ok, with $build${venv:+ and $venv} hidden:"
echo "$versions"
