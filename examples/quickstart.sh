#!/bin/sh
# Quickstart: the default NAT network, a namespace, and an endpoint in it — the container-host basics.
#   PowerShell:  New-HnsNetwork -Type NAT -Name nat ; New-HnsEndpoint -NetworkId $net.Id -Name web1-ep ;
#                New-HnsNamespace ; Add-HnsNamespaceEndpoint
# Run as root. Safe to run again: it keeps what is already there.
set -eu

hnsctl network create nat --if-not-exists
hnsctl endpoint create web1-ep --network nat --namespace web1 --if-not-exists

hnsctl network list
hnsctl endpoint list
hnsctl namespace list
echo
echo "try: ip netns exec web1 ip addr show eth0"
