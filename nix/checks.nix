# `nix flake check`: every package and the shell must build, the patched QEMU must report the
# pinned version, offer the series' `bootpart` property and find its firmware blobs, and the EFI
# application must be an x86-64 PE32+ EFI application.
{
  pkgs,
  pins,
  lab,
  efiApp,
  devShell,
}:
{
  inherit (lab) qemu-bplab ovmf;
  bplab-efi-app = efiApp;
  devshell = devShell;
  # The EFI application is a PE32+ image ("MZ", then "PE\0\0" at e_lfanew) for x86-64 (machine 8664h)
  # with the EFI application subsystem (10), as objcopy --target efi-app-x86_64 --subsystem=10 makes.
  bplab-efi-app-pe = pkgs.runCommand "bplab-efi-app-pe" { } ''
    app=${efiApp}/share/bplab/bpfw.efi
    [ "$(head -c 2 "$app")" = MZ ]
    pe=$(od -An -tu4 -j 60 -N 4 "$app" | tr -d ' ')
    [ "$(od -An -c -j "$pe" -N 2 "$app" | tr -d ' ')" = PE ]
    [ "$(od -An -tx2 -j $((pe + 4)) -N 2 "$app" | tr -d ' ')" = 8664 ]
    [ "$(od -An -tu2 -j $((pe + 24 + 68)) -N 2 "$app" | tr -d ' ')" = 10 ]
    touch $out
  '';
  qemu-bplab-smoke = pkgs.runCommand "qemu-bplab-smoke" { nativeBuildInputs = [ lab.qemu-bplab ]; } ''
    qemu-system-x86_64 --version | grep -F "version ${pins.qemu.version}"
    qemu-system-x86_64 -device nvme,help | grep -F "bootpart="
    # machine init loads the BIOS: fails when the linked blobs are missing
    echo quit | qemu-system-x86_64 -M pc -nodefaults -display none -monitor stdio -S
    touch $out
  '';
}
