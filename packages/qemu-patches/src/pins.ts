/**
 * Everything the build is pinned to: the QEMU source, its checksum, the configure flags and the
 * device set. A change here changes the build key, so a cached build never outlives its recipe.
 * The recipe was measured in shared/research/lab-recipes-qemu-build.md. The version, the Debian
 * source and the tarball's sha256 live in @bplab/pins (pins.json), which flake.nix reads too.
 */
import { pins } from "@bplab/pins";

export const QEMU_VERSION = pins.qemu.version;

/** Debian's repackaged upstream tarball, fetched with `apt-get source`. */
export const DEBIAN_SOURCE_PACKAGE = pins.qemu.debianSourcePackage;
export const DEBIAN_SOURCE_VERSION = pins.qemu.debianSourceVersion;
/** The Debian suite whose Sources index lists DEBIAN_SOURCE_VERSION. */
export const DEBIAN_SOURCE_SUITE = pins.qemu.debianSourceSuite;
export const ORIG_TARBALL = pins.qemu.origTarball;
/** From the Checksums-Sha256 field of the .dsc, checked on every download. */
export const ORIG_TARBALL_SHA256 = pins.qemu.origTarballSha256;
/** Where the tarball lives in a Debian mirror, for when the Sources index no longer lists it. */
export const ORIG_TARBALL_POOL_PATH = `pool/main/q/qemu/${ORIG_TARBALL}`;
/** The directory the tarballs (Debian's and upstream's) unpack to. */
export const SOURCE_TOP_DIR = `qemu-${QEMU_VERSION}`;
/** 246 MB of firmware sources the build does not need. */
export const SOURCE_EXCLUDES = [`${SOURCE_TOP_DIR}/roms`];

/** Bumped whenever the build steps change in a way the other inputs do not show. */
export const RECIPE_REVISION = 1;

export const DEBIAN_BACKPORTS_SUITE = "bookworm-backports";

/** Debian packages the build needs (bookworm). */
export const APT_PACKAGES = [
  "build-essential",
  "pkgconf",
  "ninja-build",
  "python3",
  "python3-venv",
  "libglib2.0-dev",
  "libpixman-1-dev",
  "zlib1g-dev",
  "libslirp-dev",
  "seabios",
  "ipxe-qemu",
  "qemu-system-data",
  "ccache",
  "git",
  "perl",
  "xz-utils",
  "dpkg-dev",
] as const;

/** QEMU 10.2 needs meson >= 1.5; bookworm has 1.0.1, bookworm-backports has 1.7. */
export const BACKPORTS_PACKAGES = ["meson", "python3-pycotap"] as const;

/** The commands the build runs; checked before anything is installed or built. */
export const REQUIRED_TOOLS = ["cc", "ninja", "meson", "pkg-config", "git", "perl", "tar", "xz", "ccache"];

/** The Kconfig device set (configs/devices/x86_64-softmmu/<name>.mak). */
export const DEVICE_CONFIG_NAME = "bplab-nvme";
export const DEVICE_CONFIG = [
  "# machines",
  "CONFIG_I440FX=y",
  "CONFIG_Q35=y",
  "# devices under test",
  "CONFIG_NVME_PCI=y",
  "CONFIG_VFIO_PCI=y",
  "CONFIG_VFIO_USER=y",
  "# what pc/q35 create by default",
  "CONFIG_VGA_PCI=y",
  "CONFIG_E1000_PCI=y",
  "CONFIG_E1000E_PCI_EXPRESS=y",
  "# real guests",
  "CONFIG_PCIE_PORT=y",
  "CONFIG_PCI_BRIDGE=y",
  "CONFIG_VIRTIO_PCI=y",
  "CONFIG_VIRTIO_BLK=y",
  "CONFIG_VIRTIO_NET=y",
  "CONFIG_VIRTIO_SERIAL=y",
  "CONFIG_VIRTIO_RNG=y",
  "# QEMU 10.2.2 Kconfig gaps: link errors without these",
  "CONFIG_SPDM_SOCKET=y",
  "CONFIG_PXB=y",
  "CONFIG_CXL=y",
  "CONFIG_CXL_MEM_DEVICE=y",
];

/** Debian firmware directories; an uninstalled binary finds them under build/qemu-bundle/. */
export const FIRMWARE_DIRS = ["/usr/share/seabios", "/usr/lib/ipxe/qemu", "/usr/share/qemu"];

export const CONFIGURE_FLAGS = [
  "--python=/usr/bin/python3",
  "--cc=ccache cc",
  "--target-list=x86_64-softmmu",
  "--without-default-features",
  "--without-default-devices",
  `--with-devices-x86_64=${DEVICE_CONFIG_NAME}`,
  "--disable-download",
  "--disable-install-blobs",
  "--enable-kvm",
  "--enable-tcg",
  "--enable-pixman",
  "--enable-slirp",
  `--firmwarepath=${FIRMWARE_DIRS.join(":")}`,
];

/**
 * Edits the +ds tarball needs because Debian strips the firmware blobs (the same effect as
 * Debian's skip-unpack-edk2-blobs.patch and skip-install-dtb.patch). Not part of the series.
 */
export interface SourceFixup {
  readonly file: string;
  readonly from: string;
  readonly to: string;
}

export const SOURCE_FIXUPS: readonly SourceFixup[] = [
  { file: "pc-bios/meson.build", from: "\nif unpack_edk2_blobs\n", to: "\nif unpack_edk2_blobs and false\n" },
  { file: "pc-bios/meson.build", from: "\nsubdir('dtb')\n", to: "\n#subdir('dtb')\n" },
];

export const BUILD_TARGETS = ["qemu-system-x86_64", "tests/qtest/qos-test"];

/** The qos-test path of every nvme test (there is no separate nvme-test binary). */
export const NVME_QOS_PATH = "/x86_64/pc/i440FX-pcihost/pci-bus-pc/pci-bus/nvme";
/** The Boot Partition tests of the series; the other tests under NVME_QOS_PATH are stock. */
export const BP_TEST_MARKER = "/bp-";

/** Author and sign-off of the series. */
export const SERIES_AUTHOR = "nvme-bp-lab developers <dev@bplab.invalid>";

/** The command that builds the patched QEMU, from the repository root. */
export const BUILD_COMMAND = "pnpm --filter @bplab/qemu-patches run build:qemu";
/** The command that builds the pinned QEMU without the series, from the repository root. */
export const UNPATCHED_BUILD_COMMAND = `${BUILD_COMMAND} --unpatched`;
