#!/bin/sh
# First runbook: the default NAT network, as a Windows container host has it.
#   PowerShell:  New-HnsNetwork -Type NAT -Name nat ; Get-HnsNetwork | ? Name -eq nat ; Remove-HnsNetwork
# Run as root. Uses the state directory from HNSCTL_STATE_DIR when set.
set -eu

# Create the default network (a free /20 in 172.16.0.0/12 is chosen); a re-run keeps the existing one.
hnsctl network create nat --if-not-exists

# Show it as a person reads it, then as a script reads it.
hnsctl network show nat
id=$(hnsctl network list -q)
echo "network IDs: $id"
hnsctl network show nat -o json

# Tear it down: the bridge, its nftables rules and its state file go; nothing else is touched.
hnsctl network delete nat
