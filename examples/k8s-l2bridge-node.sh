#!/bin/sh
# A Kubernetes node with an l2bridge pod network (flannel host-gw style), ported from what the Windows
# node scripts do: Microsoft SDN's start-kubelet / helper.psm1, flannel's host-gw backend on Windows and
# the win-bridge CNI plugin.
#
#   Windows                                                     here
#   New-HNSNetwork -Type L2Bridge -Name cbr0 -AdapterName ...   hnsctl network create cbr0 --type l2bridge
#   New-HnsEndpoint cbr0_ep + Attach-HnsHostEndpoint            hnsctl endpoint create cbr0_ep --host
#   win-bridge ADD: New-HnsEndpoint (with its policies),        hnsctl endpoint create --json - --namespace NS
#     Add-HnsNamespaceEndpoint                                    (the same HNSEndpoint document, NAT + OutBoundNAT)
#
# The pod subnet is this node's podCIDR (not the LAN's subnet): the rest of the cluster reaches it
# through this node's LAN address (flannel host-gw adds "POD_SUBNET via NODE_IP" on every other node, or
# the LAN's router has that route). Run as root. Safe to run again: what exists is kept.
#
# Every parameter is an environment variable; the defaults assume a /24 podCIDR.
#   ADAPTER          the node's LAN adapter (NetworkAdapterName)                        eth0
#   NODE_SUBNET      the node's LAN subnet: an OutBoundNAT exception                    192.168.1.0/24
#   POD_SUBNET       this node's podCIDR                                                10.244.1.0/24
#   POD_GATEWAY      the network's gateway (helper.psm1 Get-PodGateway: .1)             <podCIDR>.1
#   POD_ENDPOINT_GATEWAY  the host endpoint cbr0_ep, which pods route through
#                    (flannel host-gw and win-bridge: .2)                               <podCIDR>.2
#   HOST_ENDPOINT    1: create cbr0_ep and route pods through it; 0: pods use POD_GATEWAY as is
#                    (for a podCIDR whose gateway some router on the LAN holds)         1
#   CLUSTER_CIDR     the cluster's pod network: an OutBoundNAT exception                10.244.0.0/16
#   SERVICE_CIDR     the service network: an OutBoundNAT exception                      10.96.0.0/12
#   NETWORK_NAME     the HNS network's name                                             cbr0
#   POD_NAMESPACE    the pod's network namespace (its HNS namespace / compartment)      pod1
#   POD_ENDPOINT     the pod's endpoint name                                            POD_NAMESPACE
#   POD_IP           the pod's static address in POD_SUBNET                             <podCIDR>.10
#   HOST_PORT, CONTAINER_PORT, HOST_PORT_PROTOCOL   the hostPort mapping                8080, 80, tcp
#   HNSCTL           the hnsctl command                                                 hnsctl (from PATH)
#
# Undo: hnsctl network delete "$NETWORK_NAME" --force   (the adapter gets its addresses and routes back)
set -eu

ADAPTER=${ADAPTER:-eth0}
NODE_SUBNET=${NODE_SUBNET:-192.168.1.0/24}
POD_SUBNET=${POD_SUBNET:-10.244.1.0/24}
pod_prefix=${POD_SUBNET%/*}
pod_prefix=${pod_prefix%.*}
POD_GATEWAY=${POD_GATEWAY:-$pod_prefix.1}
POD_ENDPOINT_GATEWAY=${POD_ENDPOINT_GATEWAY:-$pod_prefix.2}
HOST_ENDPOINT=${HOST_ENDPOINT:-1}
CLUSTER_CIDR=${CLUSTER_CIDR:-10.244.0.0/16}
SERVICE_CIDR=${SERVICE_CIDR:-10.96.0.0/12}
NETWORK_NAME=${NETWORK_NAME:-cbr0}
POD_NAMESPACE=${POD_NAMESPACE:-pod1}
POD_ENDPOINT=${POD_ENDPOINT:-$POD_NAMESPACE}
POD_IP=${POD_IP:-$pod_prefix.10}
HOST_PORT=${HOST_PORT:-8080}
CONTAINER_PORT=${CONTAINER_PORT:-80}
HOST_PORT_PROTOCOL=${HOST_PORT_PROTOCOL:-tcp}
HNSCTL=${HNSCTL:-hnsctl}

say() { printf '%s\n' "== $*"; }

# 1. The external vSwitch in L2Bridge mode on the node's adapter, with the podCIDR as its subnet.
#    PowerShell: New-HNSNetwork -Type L2Bridge -Name cbr0 -AddressPrefix $podCIDR -Gateway $podGW
#                -AdapterName $InterfaceName      (flannel host-gw: hcn.HostComputeNetwork{Type: L2Bridge})
#    The adapter's addresses and routes move to the bridge; the node keeps its LAN address and MAC.
say "network $NETWORK_NAME: l2bridge on $ADAPTER, pods in $POD_SUBNET"
"$HNSCTL" network create "$NETWORK_NAME" --type l2bridge --adapter "$ADAPTER" \
    --subnet "$POD_SUBNET" --gateway "$POD_GATEWAY" --if-not-exists

# 2. The host's own vNIC on the pod network: flannel host-gw's "cbr0_ep" (podCIDR .2), through which
#    pods reach the node and anything routed beyond it.
#    PowerShell: $ep = New-HnsEndpoint -NetworkId $net.Id -Name cbr0_ep -IPAddress $podEndpointGW -Gateway 0.0.0.0
#                Attach-HnsHostEndpoint -EndpointID $ep.Id -CompartmentID 1
#                netsh interface ipv4 set interface "vEthernet (cbr0_ep)" forwarding=enabled
#    (forwarding: hnsctl switches IPv4 forwarding on for the OutBoundNAT policy below)
if [ "$HOST_ENDPOINT" = 1 ]; then
    say "host endpoint ${NETWORK_NAME}_ep: $POD_ENDPOINT_GATEWAY on the node"
    "$HNSCTL" endpoint create "${NETWORK_NAME}_ep" --network "$NETWORK_NAME" --host --ip "$POD_ENDPOINT_GATEWAY" \
        --gateway 0.0.0.0 --if-not-exists
    pod_gateway=$POD_ENDPOINT_GATEWAY
else
    pod_gateway=$POD_GATEWAY
fi

# 3. The pod: what win-bridge does on CNI ADD. Its endpoint document carries the hostPort mapping
#    (runtimeConfig.portMappings -> a NAT policy) and OutBoundNAT: the pod keeps its own address towards
#    the cluster (pods, services, the nodes' LAN) and leaves as the node for everything else. Its gateway
#    is the host endpoint (win-bridge sets GatewayAddress to podCIDR .2). The endpoint joins the pod's
#    namespace in the same step; run again, the existing endpoint is kept if it has all of this.
#    PowerShell: New-HnsEndpoint -NetworkId $net.Id -Name $pod -IPAddress $podIP -Gateway $podEndpointGW
#                  -JsonString '{"Policies":[{"Type":"NAT",...},{"Type":"OutBoundNAT","ExceptionList":[...]}]}'
#                New-HnsNamespace ; Add-HnsNamespaceEndpoint -NamespaceID $ns.ID -EndpointID $ep.ID
#    CNI config (win-bridge): {"Name": "EndpointPolicy", "Value": {"Type": "OutBoundNAT", "ExceptionList": [...]}}
say "pod endpoint $POD_ENDPOINT: $POD_IP via $pod_gateway in namespace $POD_NAMESPACE, hostPort $HOST_PORT -> $CONTAINER_PORT/$HOST_PORT_PROTOCOL, outbound NAT except $CLUSTER_CIDR $SERVICE_CIDR $NODE_SUBNET"
"$HNSCTL" endpoint create --json - --namespace "$POD_NAMESPACE" --if-not-exists <<EOF
{
  "Name": "$POD_ENDPOINT",
  "VirtualNetworkName": "$NETWORK_NAME",
  "IPAddress": "$POD_IP",
  "GatewayAddress": "$pod_gateway",
  "Policies": [
    {"Type": "NAT", "Protocol": "$HOST_PORT_PROTOCOL", "InternalPort": $CONTAINER_PORT, "ExternalPort": $HOST_PORT},
    {"Type": "OutBoundNAT", "ExceptionList": ["$CLUSTER_CIDR", "$SERVICE_CIDR", "$NODE_SUBNET"]}
  ]
}
EOF

# What the node now has (Get-HnsNetwork / Get-HnsEndpoint / Get-HnsPolicyList).
"$HNSCTL" network show "$NETWORK_NAME"
"$HNSCTL" endpoint list --network "$NETWORK_NAME"
"$HNSCTL" policy list --endpoint "$POD_ENDPOINT"
