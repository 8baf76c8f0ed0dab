# packages/pins/pins.json for the flake: parsed, checked at evaluation time (so
# `nix flake check --no-build` rejects a broken pin before anything is fetched), and extended with
# the names the flake derives from it. @bplab/pins applies the same rules on the TypeScript side.
{ pinsFile }:
let
  pins = builtins.fromJSON (builtins.readFile pinsFile);
  qemu = pins.qemu;
  require = ok: message: if ok then true else throw "pins.json: ${message}";
  matches = regex: text: builtins.match regex text != null;
  escapeDots = builtins.replaceStrings [ "." "+" ] [ "\\." "\\+" ];
  pnpmMajor = builtins.head (builtins.split "\\." pins.pnpm.version);
  # Debian's pool directory: lib* packages are filed under their first four letters.
  poolLetter =
    name: if builtins.substring 0 3 name == "lib" then builtins.substring 0 4 name else builtins.substring 0 1 name;
in
assert require (pins.schema == 1) "schema must be 1, got ${toString pins.schema}";
assert require (matches "[0-9]+\\.[0-9]+\\.[0-9]+" qemu.version) "qemu.version ${qemu.version} is not X.Y.Z";
assert require (matches "[0-9a-f]{64}" qemu.origTarballSha256)
  "qemu.origTarballSha256 is not 64 lower-case hex digits";
assert require (qemu.origTarball == "${qemu.debianSourcePackage}_${qemu.version}+ds.orig.tar.xz")
  "qemu.origTarball ${qemu.origTarball} is not the +ds orig tarball of ${qemu.version}";
assert require (matches "([0-9]+:)?${escapeDots qemu.version}\\+ds-[0-9]+" qemu.debianSourceVersion)
  "qemu.debianSourceVersion ${qemu.debianSourceVersion} is not a +ds version of ${qemu.version}";
assert require (matches "[0-9]+\\.[0-9]+\\.[0-9]+" pins.pnpm.version) "pnpm.version is not X.Y.Z";
assert require (builtins.isInt pins.node.major) "node.major is not an integer";
pins
// {
  qemu = qemu // {
    poolPath = "pool/main/${poolLetter qemu.debianSourcePackage}/${qemu.debianSourcePackage}/${qemu.origTarball}";
  };
  nodeAttribute = "nodejs_${toString pins.node.major}";
  pnpmAttribute = "pnpm_${pnpmMajor}";
}
