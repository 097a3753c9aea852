#!/usr/bin/env bash
# Bind a NIC to a DPDK-capable driver (vfio-pci) or back to its kernel one.
#   drivers-config/bind-nic.sh PCI [vfio-pci|KERNEL_DRIVER]
#   drivers-config/bind-nic.sh --status
# mlx5 needs no binding (bifurcated driver); af_packet and tap need none.
set -euo pipefail
if [ "${1:-}" = "--status" ] || [ $# -eq 0 ]; then
	exec dpdk-devbind.py --status-dev net
fi
pci=$1
drv=${2:-vfio-pci}
if [ "$drv" = "vfio-pci" ]; then
	modprobe vfio-pci 2>/dev/null || true
	if [ ! -e /sys/module/vfio_pci ]; then
		echo "bind-nic: vfio-pci is not available on this kernel" >&2
		exit 1
	fi
fi
# Refuse to pull the interface that carries our own route away.
if dpdk-devbind.py --status-dev net | grep "$pci" | grep -q '\*Active\*'; then
	echo "bind-nic: $pci is active (has routes); bring it down first" >&2
	exit 1
fi
dpdk-devbind.py --bind="$drv" "$pci"
dpdk-devbind.py --status-dev net
