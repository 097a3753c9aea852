#!/usr/bin/env bash
# Reserve 2 MiB hugepages and mount hugetlbfs, through DPDK's own tool.
#   drivers-config/hugepages.sh [SIZE]     e.g. 1G (default 1G)
#   drivers-config/hugepages.sh --clear
set -euo pipefail
if [ "${1:-}" = "--clear" ]; then
	exec dpdk-hugepages.py --unmount --clear
fi
size=${1:-1G}
dpdk-hugepages.py --pagesize 2M --setup "$size"
dpdk-hugepages.py --show
