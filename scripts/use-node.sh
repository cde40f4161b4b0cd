# Sourced by ./run and .ci/run: puts Node.js 24 first on PATH when the machine's node is older than 22,
# installing it from the npm registry (the `node` package) into ~/.node24 the first time.
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 22 ]; then
  if [ ! -x "$HOME/.node24/bin/node" ]; then
    echo "Node.js $(node --version 2>/dev/null || echo missing) is too old; installing Node.js 24 into $HOME/.node24" >&2
    npm install --global --prefix "$HOME/.node24" node@24 >&2
  fi
  export PATH="$HOME/.node24/bin:$PATH"
fi
if [ "$(node_major)" -lt 22 ]; then
  echo "Node.js 22 or later is required (found $(node --version))" >&2
  exit 1
fi
