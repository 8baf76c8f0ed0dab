# `nix develop`: Node and pnpm at the pinned majors, the patched QEMU, OVMF, nvme-cli, gnu-efi,
# mtools and QEMU's build dependencies. BPLAB_QEMU makes the TypeScript packages run the Nix-built
# QEMU instead of building their own; BPLAB_OVMF_* and BPLAB_GNU_EFI point @bplab/firmware at
# nixpkgs' OVMF and gnu-efi.
{
  pkgs,
  pins,
  lab,
}:
let
  qemuBinary = "${lab.qemu-bplab}/bin/qemu-system-x86_64";
in
pkgs.mkShell {
  packages = [
    pkgs.${pins.nodeAttribute}
    pkgs.${pins.pnpmAttribute}
    lab.qemu-bplab
    lab.ovmf
    pkgs.${pins.nvmeCli.nixAttribute}
    pkgs.${pins.gnuEfi.nixAttribute}
    pkgs.mtools
    pkgs.dosfstools
    # what @bplab/qemu-patches needs to build QEMU itself (the qtest binaries)
    pkgs.meson
    pkgs.ninja
    pkgs.pkg-config
    pkgs.glib
    pkgs.pixman
    pkgs.libslirp
    pkgs.zlib
    pkgs.python3
  ];

  BPLAB_QEMU = qemuBinary;
  # @bplab/firmware boots these instead of Debian's /usr/share/OVMF files (both or neither).
  BPLAB_OVMF_CODE = "${lab.ovmf}/FV/OVMF_CODE.fd";
  BPLAB_OVMF_VARS = "${lab.ovmf}/FV/OVMF_VARS.fd";
  # @bplab/firmware's pnpm build links the EFI app against this gnu-efi instead of Debian's /usr,
  # with efi/build-recipe.json's flags (the same ones packages.bplab-efi-app uses).
  BPLAB_GNU_EFI = "${pkgs.${pins.gnuEfi.nixAttribute}}";
  # The recipe's flags are the whole truth for the EFI app: no cc-wrapper hardening flags.
  hardeningDisable = [ "all" ];

  # nixpkgs' pnpm is the pinned major, not necessarily the pinned version; pnpm 10 switches to the
  # root packageManager version by itself when it can reach the registry.
  shellHook = ''
    if [ "$(pnpm --version 2>/dev/null)" != "${pins.pnpm.version}" ]; then
      echo "bplab: pnpm $(pnpm --version 2>/dev/null) from nixpkgs; package.json pins ${pins.pnpm.version}" >&2
    fi
  '';
}
