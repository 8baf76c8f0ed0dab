# packages.bplab-efi-app: the firmware lab's EFI application (packages/firmware/efi) built with
# nixpkgs' gnu-efi by the same commands as the pnpm build. Both read efi/build-recipe.json (flags,
# gnu-efi paths relative to its prefix, PE sections); scripts/test/nix-flake.test.mjs compares the
# commands below with the ones @bplab/firmware's efiBuildCommands derives for the same prefix.
{
  pkgs,
  pins,
  efiSource,
  version,
}:
let
  recipe = builtins.fromJSON (builtins.readFile (efiSource + "/build-recipe.json"));
  gnuEfi = pkgs.${pins.gnuEfi.nixAttribute};
  at = path: "${gnuEfi}/${path}";
  # Sorted like the TypeScript build's readdir().sort() (attrNames are sorted).
  sources = builtins.filter (name: builtins.match ".*\\.c" name != null) (
    builtins.attrNames (builtins.readDir efiSource)
  );
  sourceDir = "${efiSource}";
  workDir = "build";
  # bpfw.c -> build/bpfw.o, as join(workDir, name.replace(/\.c$/, ".o")) does.
  objectOf = name: "${workDir}/${builtins.head (builtins.match "(.*)\\.c" name)}.o";
  objects = map objectOf sources;
  shared = "${workDir}/bpfw.so";
  cflags = map (dir: "-I${at dir}") recipe.gnuEfi.includeDirs ++ recipe.cflags;
  commands =
    map (name: {
      command = "gcc";
      args = cflags ++ [
        "-c"
        "${sourceDir}/${name}"
        "-o"
        (objectOf name)
      ];
    }) sources
    ++ [
      {
        command = "ld";
        args =
          recipe.linkFlags
          ++ [
            "-L${at recipe.gnuEfi.libDir}"
            "-T"
            (at recipe.gnuEfi.linkerScript)
            (at recipe.gnuEfi.crt0)
          ]
          ++ objects
          ++ [
            "-o"
            shared
          ]
          ++ recipe.linkLibraries;
      }
      {
        command = "objcopy";
        args =
          builtins.concatMap (section: [
            "-j"
            section
          ]) recipe.peSections
          ++ recipe.objcopyFlags
          ++ [
            shared
            "${workDir}/${recipe.output}"
          ];
      }
    ];
  run = step: "${step.command} ${pkgs.lib.escapeShellArgs step.args}\n";
in
pkgs.stdenv.mkDerivation {
  pname = "bplab-efi-app";
  inherit version;
  src = efiSource;
  # The recipe's flags are the whole truth: no cc-wrapper hardening (stack protector, fortify,
  # PIE) may add to them, as none does on Debian.
  hardeningDisable = [ "all" ];
  dontConfigure = true;
  buildPhase = "mkdir -p ${workDir}\n" + builtins.concatStringsSep "" (map run commands);
  installPhase = ''
    install -D -m 0644 ${workDir}/${recipe.output} "$out/share/bplab/${recipe.output}"
  '';
  passthru.bplab = {
    inherit commands sourceDir workDir;
    gnuEfiPrefix = "${gnuEfi}";
  };
}
