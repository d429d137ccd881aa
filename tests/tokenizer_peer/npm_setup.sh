# Sourced by the peer checks: require_node_packages NAME PACKAGE... checks
# that node and npm exist (naming the check NAME otherwise) and installs the
# pinned packages (npm ci, package-lock.json) when any PACKAGE is missing
# from node_modules. Needs the npm registry for that install.
require_node_packages() {
  local check="$1" here
  shift
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  for tool in node npm; do
    command -v "$tool" >/dev/null || { echo "$check: $tool not found" >&2; exit 1; }
  done
  for package in "$@"; do
    if [ ! -f "$here/node_modules/$package/package.json" ]; then
      (cd "$here" && npm ci --no-audit --no-fund)
      return
    fi
  done
}
