# The lab's packages: nixpkgs' QEMU with the Boot Partition series on the pinned source,
# and nixpkgs' OVMF. Everything versioned comes from pins (nix/pins.nix).
{
  pkgs,
  pins,
  patchDir,
}:
let
  qemuPins = pins.qemu;

  # The series file lists the patches in order; '#' lines are comments, the cover letter is absent.
  seriesNames = builtins.filter (
    line: builtins.isString line && line != "" && builtins.substring 0 1 line != "#"
  ) (builtins.split "\n" (builtins.readFile (patchDir + "/series")));

  # Debian's repackaged upstream tarball: the same bytes, checked against the same sha256, as the
  # TypeScript build (@bplab/qemu-patches) uses. mirror://debian/ resolves through nixpkgs' own
  # mirror list. The upstream release tarball is not used: its hash cannot be verified here.
  source = pkgs.fetchurl {
    url = "mirror://debian/${qemuPins.poolPath}";
    sha256 = qemuPins.origTarballSha256;
  };

  # The +ds tarball has no firmware blobs: the same two edits as @bplab/qemu-patches' SOURCE_FIXUPS
  # (a test compares the two lists through `nix eval`).
  sourceFixups = [
    {
      file = "pc-bios/meson.build";
      from = "\nif unpack_edk2_blobs\n";
      to = "\nif unpack_edk2_blobs and false\n";
    }
    {
      file = "pc-bios/meson.build";
      from = "\nsubdir('dtb')\n";
      to = "\n#subdir('dtb')\n";
    }
  ];
  applyFixup =
    fixup:
    "substituteInPlace ${fixup.file} --replace-fail ${pkgs.lib.escapeShellArg fixup.from} ${pkgs.lib.escapeShellArg fixup.to}\n";

  qemu-bplab =
    (pkgs.qemu.override {
      # Only the emulator the lab runs: pc/q35 guests on x86_64.
      hostCpuTargets = [ "x86_64-softmmu" ];
      # The +ds tarball has no prebuilt pc-bios blobs to install (the TypeScript build passes
      # --disable-install-blobs for the same reason).
      enableBlobs = false;
    }).overrideAttrs
      (old: {
        pname = "qemu-bplab";
        version = qemuPins.version;
        src = source;
        patches = (old.patches or [ ]) ++ map (name: patchDir + "/${name}") seriesNames;
        postPatch = (old.postPatch or "") + builtins.concatStringsSep "" (map applyFixup sourceFixups);
        # Without installed blobs, pc/q35 cannot start (no bios-256k.bin, no NIC option ROMs). The
        # TypeScript build takes them from Debian's seabios/ipxe; here they come from nixpkgs' stock
        # QEMU, linked in wherever this build installed nothing of the same name.
        postInstall = (old.postInstall or "") + ''
          mkdir -p "$out/share/qemu"
          for blob in ${pkgs.qemu}/share/qemu/*; do
            [ -e "$out/share/qemu/$(basename "$blob")" ] || ln -s "$blob" "$out/share/qemu/"
          done
        '';
        passthru = (old.passthru or { }) // {
          bplab = {
            inherit seriesNames sourceFixups;
            pins = qemuPins;
          };
        };
      });

  ovmf = pkgs.${pins.ovmf.nixAttribute}.fd;
in
{
  inherit qemu-bplab ovmf;
}
