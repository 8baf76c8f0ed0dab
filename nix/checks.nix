# `nix flake check`: every package and the shell must build, and the patched QEMU must report the
# pinned version, offer the series' `bootpart` property and find its firmware blobs.
{
  pkgs,
  pins,
  lab,
  devShell,
}:
{
  inherit (lab) qemu-bplab ovmf;
  devshell = devShell;
  qemu-bplab-smoke = pkgs.runCommand "qemu-bplab-smoke" { nativeBuildInputs = [ lab.qemu-bplab ]; } ''
    qemu-system-x86_64 --version | grep -F "version ${pins.qemu.version}"
    qemu-system-x86_64 -device nvme,help | grep -F "bootpart="
    # machine init loads the BIOS: fails when the linked blobs are missing
    echo quit | qemu-system-x86_64 -M pc -nodefaults -display none -monitor stdio -S
    touch $out
  '';
}
