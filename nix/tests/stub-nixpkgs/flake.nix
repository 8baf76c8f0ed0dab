# A stand-in for nixpkgs, for the offline checks only (this machine cannot fetch nixpkgs). It has
# exactly the attributes the lab's flake uses, under their nixpkgs names, as trivial derivations
# that are never built. What it proves: the flake's outputs have the right structure, every
# attribute it names exists (a misspelt one is "attribute missing"), the qemu override arguments
# are ones nixpkgs' qemu accepts, every patch file exists, and the pins pass nix/pins.nix's rules.
# What it cannot prove: that real nixpkgs builds any of it (see docs/nix.md).
{
  description = "offline stub of the nixpkgs attributes nvme-bp-lab uses";

  outputs =
    { self }:
    let
      system = "x86_64-linux";

      # Every stub derivation: instantiable, never buildable. Extra attributes are passed to the
      # derivation, so each one is forced (paths must exist, strings must coerce).
      stubDerivation =
        name: extra:
        derivation (
          {
            inherit name system;
            builder = "/bin/sh";
            args = [
              "-c"
              "echo stub nixpkgs cannot build ${name} >&2; exit 1"
            ];
          }
          // extra
        );

      simplePackage = name: stubDerivation name { };

      # nixpkgs' qemu: override takes the function's arguments (a misspelt one is an error there
      # too), overrideAttrs merges like mkDerivation's and keeps passthru reachable.
      # (a subset of the argument names of nixpkgs' pkgs/applications/virtualization/qemu/default.nix)
      qemuArguments = [
        "hostCpuOnly"
        "hostCpuTargets"
        "minimal"
        "toolsOnly"
        "userOnly"
        "nixosTestRunner"
        "enableDocs"
        "enableTools"
        "enableBlobs"
      ];
      makeQemu =
        attrs:
        let
          drv = stubDerivation "${attrs.pname}-${attrs.version}" {
            inherit (attrs) version src postPatch postInstall;
            patches = builtins.deepSeq attrs.patches attrs.patches;
          };
        in
        drv
        // attrs.passthru
        // {
          inherit (attrs) pname version src patches passthru;
          override =
            args:
            let
              unknown = builtins.filter (n: !(builtins.elem n qemuArguments)) (builtins.attrNames args);
            in
            if unknown == [ ] then makeQemu attrs else throw "qemu.override: unknown argument(s) ${toString unknown}";
          overrideAttrs = f: makeQemu (attrs // f attrs);
        };
      qemu = makeQemu {
        pname = "qemu";
        version = "0-stub";
        src = simplePackage "qemu-stub-src";
        patches = [ ];
        postPatch = "";
        postInstall = "";
        passthru = { };
      };

      # fetchurl: a fixed-output derivation, so the hash and URL can be read back with `nix eval`.
      fetchurl =
        {
          url,
          sha256 ? null,
          hash ? null,
        }:
        assert (sha256 == null) != (hash == null) || throw "fetchurl: give exactly one of sha256, hash";
        let
          drv = derivation {
            name = baseNameOf url;
            inherit system url;
            builder = "/bin/sh";
            args = [
              "-c"
              "exit 1"
            ];
            outputHashMode = "flat";
            outputHashAlgo = "sha256";
            outputHash = if sha256 != null then sha256 else hash;
          };
        in
        drv // { inherit url; };

      # mkShell: the packages are deep-forced, so a missing attribute among them fails evaluation.
      mkShell =
        args:
        builtins.deepSeq (args.packages or [ ]) (
          stubDerivation "nix-shell" (builtins.removeAttrs args [ "packages" ] // { packages = args.packages or [ ]; })
        );

      runCommand = name: env: script: stubDerivation name (env // { buildCommand = script; });

      # stdenv.mkDerivation: pname + version name it, passthru stays reachable (not passed to the
      # derivation), every other attribute is forced as a derivation attribute.
      stdenv.mkDerivation =
        attrs:
        stubDerivation "${attrs.pname}-${attrs.version}" (builtins.removeAttrs attrs [ "passthru" ])
        // (attrs.passthru or { })
        // {
          inherit (attrs) pname version;
        };

      OVMF = simplePackage "OVMF" // {
        fd = simplePackage "OVMF-fd";
      };

      packages = {
        inherit
          qemu
          fetchurl
          mkShell
          runCommand
          stdenv
          OVMF
          ;
        lib = self.lib;
        nodejs_20 = simplePackage "nodejs-20";
        nodejs_22 = simplePackage "nodejs-22";
        pnpm_9 = simplePackage "pnpm-9";
        pnpm_10 = simplePackage "pnpm-10";
        pnpm = simplePackage "pnpm";
        nvme-cli = simplePackage "nvme-cli";
        gnu-efi = simplePackage "gnu-efi";
        mtools = simplePackage "mtools";
        dosfstools = simplePackage "dosfstools";
        meson = simplePackage "meson";
        ninja = simplePackage "ninja";
        pkg-config = simplePackage "pkg-config";
        glib = simplePackage "glib";
        pixman = simplePackage "pixman";
        libslirp = simplePackage "libslirp";
        zlib = simplePackage "zlib";
        python3 = simplePackage "python3";
      };
    in
    {
      lib = {
        genAttrs = names: f: builtins.listToAttrs (map (n: { name = n; value = f n; }) names);
        escapeShellArg = arg: "'${builtins.replaceStrings [ "'" ] [ "'\\''" ] (toString arg)}'";
        escapeShellArgs = args: builtins.concatStringsSep " " (map self.lib.escapeShellArg args);
      };
      legacyPackages.${system} = packages;
    };
}
