#!/bin/sh
# The guest half of --net hub: the same NICs, addresses and netns as nic;
# only the host side differs (a QEMU hub: no offloads, sends are copied).
# shellcheck shell=dash
exec sh /usr/lib/zcdev/net-nic.sh hub
