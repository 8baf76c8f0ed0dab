# `nix develop`: Node and pnpm at the pinned majors, the patched QEMU, OVMF, nvme-cli, gnu-efi,
# mtools and QEMU's build dependencies. BPLAB_QEMU makes the TypeScript packages run the Nix-built
# QEMU instead of building their own.
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
  BPLAB_OVMF_CODE = "${lab.ovmf}/FV/OVMF_CODE.fd";
  BPLAB_OVMF_VARS = "${lab.ovmf}/FV/OVMF_VARS.fd";

  # nixpkgs' pnpm is the pinned major, not necessarily the pinned version; pnpm 10 switches to the
  # root packageManager version by itself when it can reach the registry.
  shellHook = ''
    if [ "$(pnpm --version 2>/dev/null)" != "${pins.pnpm.version}" ]; then
      echo "bplab: pnpm $(pnpm --version 2>/dev/null) from nixpkgs; package.json pins ${pins.pnpm.version}" >&2
    fi
  '';
}
