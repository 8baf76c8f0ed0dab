# The lab as one reproducible unit: the patched QEMU, OVMF, the firmware lab's EFI application and
# a development shell with everything `pnpm install && pnpm turbo test` needs. Versions and checksums come from packages/pins/pins.json
# (the single source of truth the TypeScript builders read too); docs/nix.md says what is verified
# offline and what only a machine that reaches nixpkgs can check.
{
  description = "nvme-bp-lab: NVMe Boot Partitions lab (patched QEMU, OVMF, EFI app, dev shell)";

  # A release branch that still carries the pinned Node and pnpm majors; the first `nix flake lock`
  # on a machine with network access records the exact revision in flake.lock (see docs/nix.md).
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";

  outputs =
    { self, nixpkgs }:
    let
      pins = import ./nix/pins.nix { pinsFile = ./packages/pins/pins.json; };
      # The lab emulates x86_64 guests with x86_64 OVMF and builds an x86_64 EFI application.
      systems = [ "x86_64-linux" ];
      forEachSystem = f: nixpkgs.lib.genAttrs systems (system: f system nixpkgs.legacyPackages.${system});
      labFor =
        pkgs:
        import ./nix/lab.nix {
          inherit pkgs pins;
          patchDir = ./packages/qemu-patches/patches;
        };
      # The firmware lab's EFI application, from the same recipe file as `pnpm build`.
      efiAppFor =
        pkgs:
        import ./nix/efi-app.nix {
          inherit pkgs pins;
          efiSource = ./packages/firmware/efi;
          version = (builtins.fromJSON (builtins.readFile ./packages/firmware/package.json)).version;
        };
    in
    {
      packages = forEachSystem (
        _system: pkgs:
        let
          lab = labFor pkgs;
        in
        {
          inherit (lab) qemu-bplab ovmf;
          bplab-efi-app = efiAppFor pkgs;
          default = lab.qemu-bplab;
        }
      );

      devShells = forEachSystem (
        _system: pkgs: {
          default = import ./nix/devshell.nix {
            inherit pkgs pins;
            lab = labFor pkgs;
          };
        }
      );

      checks = forEachSystem (
        system: pkgs:
        import ./nix/checks.nix {
          inherit pkgs pins;
          lab = labFor pkgs;
          efiApp = self.packages.${system}.bplab-efi-app;
          devShell = self.devShells.${system}.default;
        }
      );
    };
}
