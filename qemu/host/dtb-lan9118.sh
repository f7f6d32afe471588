#!/bin/bash
# Write a copy of the smdkv310 device tree that declares the LAN9118 QEMU's
# smdkc210 board has, so the armmp kernel's smsc911x driver finds it
# (run.sh --arch arm --net: qemu/host/net.sh).
#
#   qemu/host/dtb-lan9118.sh IN.dtb OUT.dtb
#
# QEMU 7.2 (hw/arm/exynos4_boards.c) maps a lan9118 model in 16-bit mode at
# 0x05000000 when the machine has a NIC, its interrupt line inverted into
# the combiner input (37, 1): external interrupt EINT5, which reaches the
# GIC as SPI 21, the sixth line of the gpx0 bank. Linux 6.1's
# exynos4210-smdkv310.dts describes no Ethernet at all, hence the node
# added here:
#
#  - interrupts through gpx0 pin 5, not straight from the GIC: the pinctrl
#    driver takes SPI 16-23 as chained handlers for gpx0, so a request for
#    SPI 21 itself would fail; its handler forwards the line without
#    reading any register (QEMU does not model the pin controller);
#  - level-high, the driver's default polarity: smsc911x programs the chip
#    active-low open-drain unless told "smsc,irq-active-high" and
#    "smsc,irq-push-pull", QEMU's model drives the line inverted for that,
#    and the board inverts it again;
#  - 32-bit accesses: QEMU's 16-bit mode takes 32-bit ones as well, and
#    they halve the MMIO exits of every FIFO word.
#
# fdtput comes from device-tree-compiler, installed here if missing.

set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=qemu/host/env.sh
. "$here/env.sh"
# shellcheck source=qemu/host/apt.sh
. "$here/apt.sh"

in=${1:?usage: dtb-lan9118.sh IN.dtb OUT.dtb}
out=${2:?usage: dtb-lan9118.sh IN.dtb OUT.dtb}
[[ -r $in ]] || { echo "dtb-lan9118: $in: not readable" >&2; exit 1; }
command -v fdtput >/dev/null || zcdev_apt_install dtb-lan9118 device-tree-compiler

gpx0=/soc/pinctrl@11000000/gpx0-gpio-bank
node=/ethernet@5000000
cp "$in" "$out"
fdtget "$out" "$gpx0" interrupt-controller >/dev/null 2>&1 ||
	{ echo "dtb-lan9118: $in has no interrupt controller at $gpx0" >&2; exit 1; }

# gpx0 is referenced by nothing in the stock tree, so it has no phandle:
# give it the next free one.
phandle=$(fdtget "$out" "$gpx0" phandle 2>/dev/null || true)
if [[ -z $phandle ]]; then
	phandle=$(dtc -I dtb -O dts "$out" 2>/dev/null |
		sed -n 's/.*phandle = <\(0x[0-9a-f]*\)>;.*/\1/p' |
		while read -r p; do echo $((p)); done | sort -n | tail -1)
	phandle=$((${phandle:-0} + 1))
	fdtput -t u "$out" "$gpx0" phandle "$phandle"
fi

fdtput -c "$out" "$node"
fdtput -t s "$out" "$node" compatible smsc,lan9115
fdtput -t x "$out" "$node" reg 0x05000000 0x10000
fdtput -t u "$out" "$node" interrupt-parent "$phandle"
# IRQ_TYPE_LEVEL_HIGH (4)
fdtput -t u "$out" "$node" interrupts 5 4
fdtput -t u "$out" "$node" reg-io-width 4
fdtput -t s "$out" "$node" phy-mode mii
