#!/usr/bin/env bash
# Installs the Debian packages tracegrad's demo/test need, when their programs are missing.
# Usage: scripts/system-deps.sh demo|test
set -eu
want=(graphviz dataset-fashion-mnist)
[ "${1:-test}" = test ] && want+=(chromium chromium-driver)

missing=()
for pkg in "${want[@]}"; do
  case $pkg in
    graphviz) command -v dot >/dev/null 2>&1 || missing+=("$pkg") ;;
    chromium) command -v chromium >/dev/null 2>&1 || missing+=("$pkg") ;;
    chromium-driver) command -v chromedriver >/dev/null 2>&1 || missing+=("$pkg") ;;
    dataset-fashion-mnist) [ -d /usr/share/datasets/fashion-mnist ] || missing+=("$pkg") ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"
else
  echo "tracegrad needs these system packages: ${missing[*]}" >&2
  echo "Install them, then run make again:  sudo apt-get install -y ${missing[*]}" >&2
  echo "(graphviz elsewhere: brew install graphviz, or conda install -c conda-forge graphviz)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "tracegrad needs: ${missing[*]} (no apt-get here: install them with your package manager)" >&2
  exit 1
fi
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${missing[@]}" >/dev/null
