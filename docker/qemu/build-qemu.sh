#!/bin/bash
# The lab image's QEMU builder. It reads recipe.json, which @bplab/container writes from
# @bplab/qemu-patches' qemuBuildRecipe(): the same excludes, fixups, device set, series, configure
# flags and targets as the host build (packages/qemu-patches), so the flags have one home. It
# installs the result where qemuBinaryPath() looks for it: $BPLAB_CACHE_DIR/qemu/<key>/.
#   build-qemu.sh deps   apt-get the build dependencies (bookworm + bookworm-backports for meson)
#   build-qemu.sh build  verify the tarball, unpack, fix up, git am the series, configure, ninja, install
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
recipe="$here/recipe.json"
field() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print("\n".join(v) if isinstance(v,list) else v)' "$recipe" "$1"; }
export DEBIAN_FRONTEND=noninteractive

# The archive the base image's apt already uses (one-line or deb822 format): never a fixed host.
debian_mirror() {
  local uri
  uri=$(awk '$1=="deb" && $0 ~ / bookworm / {for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1 || true)
  [ -n "$uri" ] || uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [ -n "$uri" ] || { echo "build-qemu: no bookworm archive in the image's apt sources" >&2; exit 1; }
  echo "$uri"
}

deps() {
  python3 --version >/dev/null 2>&1 || { apt-get update -q && apt-get install -y -q --no-install-recommends python3; }
  local suite
  suite=$(field backportsSuite)
  echo "deb $(debian_mirror) $suite main" > "/etc/apt/sources.list.d/$suite.list"
  apt-get update -q
  # shellcheck disable=SC2046
  apt-get install -y -q --no-install-recommends $(field aptPackages)
  # shellcheck disable=SC2046
  apt-get install -y -q --no-install-recommends -t "$suite" $(field backportsPackages)
  rm -rf /var/lib/apt/lists/*
}

build() {
  local started tarball top work key dest
  started=$(date +%s)
  tarball="$here/$(field origTarball)"
  echo "$(field origTarballSha256)  $tarball" | sha256sum -c -
  top=$(field sourceTopDir)
  work=/work
  mkdir -p "$work/build"
  mapfile -t excludes < <(field sourceExcludes)
  tar --no-same-owner -xf "$tarball" -C "$work" "${excludes[@]/#/--exclude=}"
  # the fixups the +ds tarball needs, and the device set (what applySourceFixups does on the host)
  python3 - "$recipe" "$work/$top" <<'PY'
import json, os, sys
recipe, src = json.load(open(sys.argv[1])), sys.argv[2]
for fix in recipe["fixups"]:
    path = os.path.join(src, fix["file"])
    text = open(path).read()
    if fix["to"] in text:
        continue
    if fix["from"] not in text:
        sys.exit(f"{path}: expected {fix['from']!r} for a build fixup")
    open(path, "w").write(text.replace(fix["from"], fix["to"]))
devices = os.path.join(src, "configs", "devices", "x86_64-softmmu", recipe["deviceConfigName"] + ".mak")
open(devices, "w").write("\n".join(recipe["deviceConfig"]) + "\n")
PY
  local author name email
  author=$(field seriesAuthor)
  name=${author% <*}
  email=${author##*<}
  email=${email%>}
  local git=(git -c "user.name=$name" -c "user.email=$email")
  (
    cd "$work/$top"
    "${git[@]}" init -q -b master
    "${git[@]}" add -A
    "${git[@]}" commit -q --no-verify -m "QEMU $top with the build fixups"
    while read -r patch; do
      "${git[@]}" am -q --committer-date-is-author-date "$here/patches/$patch"
    done < <(field patches)
  )
  mapfile -t flags < <(field configureFlags)
  mapfile -t targets < <(field buildTargets)
  (cd "$work/build" && "../$top/configure" "${flags[@]}" && ninja -j"$(nproc)" "${targets[@]}")

  key=$(field key)
  dest="${BPLAB_CACHE_DIR:?}/qemu/$key"
  mkdir -p "$dest/build/tests/qtest"
  strip -o "$dest/build/qemu-system-x86_64" "$work/build/qemu-system-x86_64"
  strip -o "$dest/build/tests/qtest/qos-test" "$work/build/tests/qtest/qos-test"
  cp -a "$work/build/qemu-bundle" "$dest/build/qemu-bundle"
  # an uninstalled binary finds firmware under qemu-bundle/<path> (linkFirmware() on the host)
  while read -r dir; do
    mkdir -p "$dest/build/qemu-bundle$(dirname "$dir")"
    ln -sfn "$dir" "$dest/build/qemu-bundle$dir"
  done < <(field firmwareDirs)
  python3 - "$recipe" "$dest/build.json" "$started" <<'PY'
import datetime, json, sys, time
recipe, out, started = json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3])
stamp = dict(recipe["stamp"])
stamp["builtAt"] = datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")
stamp["durationMs"] = int((time.time() - started) * 1000)
open(out, "w").write(json.dumps(stamp, indent=2) + "\n")
PY
  rm -rf "$work"
  echo "build-qemu: $dest/build/qemu-system-x86_64 (key $key, $(( $(date +%s) - started )) s)"
}

case "${1:-}" in
  deps) deps ;;
  build) build ;;
  *) echo "usage: build-qemu.sh deps|build" >&2; exit 2 ;;
esac
