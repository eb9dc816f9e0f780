#!/bin/sh
# A Kubernetes node with a VXLAN overlay pod network (flannel vxlan style), ported from what the Windows
# node scripts do: Microsoft SDN's start.ps1 / helper.psm1, flannel's vxlan backend on Windows and the
# win-overlay CNI plugin.
#
#   Windows                                                       here
#   New-HNSNetwork -Type Overlay -SubnetPolicies @{VSID=4096}     hnsctl network create vxlan0 --type overlay --vsid 4096
#   network policies HostRoute, RemoteSubnetRoute (one per node)  hnsctl policy add hostroute / remotesubnetroute --network
#   win-overlay ADD: New-HnsEndpoint with OutBoundNAT + NAT,      hnsctl endpoint create POD --namespace NS -p HOST:CONTAINER
#     Add-HnsNamespaceEndpoint                                    hnsctl policy add outboundnat
#
# Each node owns its podCIDR; the other nodes' podCIDRs are reached through VXLAN to their underlay
# address, addressed to their distributed-router MAC (what flannel publishes as the node's VtepMAC).
# This node's DR MAC exists once the network does: the script prints it last, as the PEERS entry the
# other nodes need. So a cluster comes up in two passes: run it on every node (PEERS empty or partial),
# then again with PEERS complete. Run as root. Safe to run again: what exists is kept.
#
# Every parameter is an environment variable; the defaults assume a /24 podCIDR.
#   ADAPTER          the underlay adapter (its first IPv4 address is the provider address)   eth0
#   POD_SUBNET       this node's podCIDR                                                     10.244.1.0/24
#   POD_GATEWAY      the podCIDR's gateway, held by the node                                 <podCIDR>.1
#   VSID, VXLAN_PORT the VXLAN network identifier and UDP port, the same on every node      4096, 4789
#   PEERS            the other nodes, space separated: PODCIDR=PROVIDER_ADDRESS=DR_MAC
#                    e.g. "10.244.2.0/24=198.51.100.12=02-11-5A-0C-77-10"                   (none)
#   CLUSTER_CIDR     the cluster's pod network: an OutBoundNAT exception                     10.244.0.0/16
#   SERVICE_CIDR     the service network: an OutBoundNAT exception                           10.96.0.0/12
#   NETWORK_NAME     the HNS network's name                                                  vxlan0
#   POD_NAMESPACE    the pod's network namespace                                             pod1
#   POD_ENDPOINT     the pod's endpoint name                                                 POD_NAMESPACE
#   POD_IP           the pod's address in POD_SUBNET                                         <podCIDR>.10
#   HOST_PORT, CONTAINER_PORT, HOST_PORT_PROTOCOL   the hostPort mapping                     8080, 80, tcp
#   HNSCTL           the hnsctl command                                                      hnsctl (from PATH)
#
# A peer whose route exists with another provider address or DR MAC (that node recreated its network)
# gets its route replaced; routes of nodes no longer in PEERS are left alone (remove them with
# `hnsctl policy remove ID`). Undo everything: hnsctl network delete "$NETWORK_NAME" --force
set -eu

ADAPTER=${ADAPTER:-eth0}
POD_SUBNET=${POD_SUBNET:-10.244.1.0/24}
pod_prefix=${POD_SUBNET%/*}
pod_prefix=${pod_prefix%.*}
POD_GATEWAY=${POD_GATEWAY:-$pod_prefix.1}
VSID=${VSID:-4096}
VXLAN_PORT=${VXLAN_PORT:-4789}
PEERS=${PEERS:-}
CLUSTER_CIDR=${CLUSTER_CIDR:-10.244.0.0/16}
SERVICE_CIDR=${SERVICE_CIDR:-10.96.0.0/12}
NETWORK_NAME=${NETWORK_NAME:-vxlan0}
POD_NAMESPACE=${POD_NAMESPACE:-pod1}
POD_ENDPOINT=${POD_ENDPOINT:-$POD_NAMESPACE}
POD_IP=${POD_IP:-$pod_prefix.10}
HOST_PORT=${HOST_PORT:-8080}
CONTAINER_PORT=${CONTAINER_PORT:-80}
HOST_PORT_PROTOCOL=${HOST_PORT_PROTOCOL:-tcp}
HNSCTL=${HNSCTL:-hnsctl}

say() { printf '%s\n' "== $*"; }
upper_mac() { printf '%s\n' "$1" | tr 'abcdef:' 'ABCDEF-'; }
# A top-level string field of an object's JSON (`show -o json` puts those two spaces in).
field() { sed -n "s/^  \"$1\": \"\(.*\)\",*\$/\1/p"; }

# One line per policy: ID TYPE NETWORK-ID ENDPOINT-ID DESTINATION PROVIDER-ADDRESS DR-MAC EXCEPTION...
# (flattened from `policy list -o json`, so no jq is needed; "-" for an empty field)
policies() {
    "$HNSCTL" policy list -o json | awk '
        function f(v) { return v == "" ? "-" : v }
        /"ID":/                          { gsub(/[",]/, "", $2); id = $2 }
        /"Type":/                        { gsub(/[",]/, "", $2); type = $2 }
        /"NetworkId":/                   { gsub(/[",]/, "", $2); net = $2 }
        /"EndpointId":/                  { gsub(/[",]/, "", $2); ep = $2 }
        /"DestinationPrefix":/           { gsub(/[",]/, "", $2); dest = $2 }
        /"ProviderAddress":/             { gsub(/[",]/, "", $2); pa = $2 }
        /"DistributedRouterMacAddress":/ { gsub(/[",]/, "", $2); mac = $2 }
        /^ *"[0-9a-fA-F.:]+\/[0-9]+",?$/ { gsub(/[", ]/, ""); exc = exc " " $0 }
        /^ *},?$/ { print f(id), f(type), f(net), f(ep), f(dest), f(pa), f(mac) exc; id = type = net = ep = dest = pa = mac = exc = "" }'
}

# 1. The overlay network: this node's podCIDR on a VXLAN segment shared by every node.
#    PowerShell: New-HNSNetwork -Type Overlay -Name vxlan0 -AddressPrefix $podCIDR -Gateway $podGW
#                -AdapterName $InterfaceName -SubnetPolicies @(@{Type = "VSID"; VSID = 4096})
#    (flannel vxlan: hcn.HostComputeNetwork{Type: Overlay, Ipams: [{Subnets: [{IpAddressPrefix: podCIDR,
#     Policies: [{Type: VSID, Settings: {IsolationId: 4096}}]}]}]}, with VXLAN_PORT as the VxlanPort policy)
say "network $NETWORK_NAME: overlay VSID $VSID on $ADAPTER, pods in $POD_SUBNET"
"$HNSCTL" network create "$NETWORK_NAME" --type overlay --subnet "$POD_SUBNET" --gateway "$POD_GATEWAY" \
    --vsid "$VSID" --vxlan-port "$VXLAN_PORT" --adapter "$ADAPTER" --if-not-exists
# (V1 prints a network's ID upper-case, as Get-HnsNetwork; `policy list` prints the NetworkId lower-case)
network_id=$("$HNSCTL" network show "$NETWORK_NAME" -o json | field ID | tr 'A-F' 'a-f')

# 2. HostRoute: the node reaches its own pods (kubelet probes, hostNetwork pods) through the network.
#    HCN network policy (flannel vxlan): {"Type": "HostRoute", "Settings": {}}
if policies | awk -v n="$network_id" '$2 == "HostRoute" && $3 == n { found = 1 } END { exit !found }'; then
    say "hostroute policy on $NETWORK_NAME (kept)"
else
    say "hostroute policy on $NETWORK_NAME"
    "$HNSCTL" policy add hostroute --network "$NETWORK_NAME"
fi

# 3. One RemoteSubnetRoute per other node: its podCIDR lives behind its provider address and DR MAC.
#    HCN network policy (flannel vxlan, per subnet lease):
#      {"Type": "RemoteSubnetRoute", "Settings": {"DestinationPrefix": "10.244.2.0/24", "IsolationId": 4096,
#       "ProviderAddress": "198.51.100.12", "DistributedRouterMacAddress": "02-11-..."}}
for peer in $PEERS; do
    destination=${peer%%=*}
    rest=${peer#*=}
    provider=${rest%%=*}
    dr_mac=${rest#*=}
    if [ -z "$destination" ] || [ -z "$provider" ] || [ -z "$dr_mac" ] || [ "$provider" = "$rest" ]; then
        echo "$0: PEERS entry '$peer' is not PODCIDR=PROVIDER_ADDRESS=DR_MAC" >&2
        exit 2
    fi
    dr_mac=$(upper_mac "$dr_mac")
    current=$(policies | awk -v n="$network_id" -v d="$destination" '$2 == "RemoteSubnetRoute" && $3 == n && $5 == d { print $1, $6, $7 }')
    if [ -n "$current" ]; then
        set -- $current
        if [ "$2" = "$provider" ] && [ "$(upper_mac "$3")" = "$dr_mac" ]; then
            say "remote subnet $destination via $provider ($dr_mac) (kept)"
            continue
        fi
        say "remote subnet $destination moved from $2 ($3): replacing its route"
        "$HNSCTL" policy remove "$1"
    fi
    say "remote subnet $destination via $provider ($dr_mac)"
    "$HNSCTL" policy add remotesubnetroute --network "$NETWORK_NAME" --destination "$destination" \
        --provider-address "$provider" --dr-mac "$dr_mac"
done

# 4. The pod: what win-overlay does on CNI ADD. Its endpoint document carries the hostPort mapping
#    (runtimeConfig.portMappings -> a NAT policy), and the endpoint joins the pod's namespace.
#    PowerShell: New-HnsEndpoint -NetworkId $net.Id -Name $pod -IPAddress $podIP
#                  -JsonString '{"Policies":[{"Type":"NAT","Protocol":"tcp","InternalPort":80,"ExternalPort":8080}]}'
#                New-HnsNamespace ; Add-HnsNamespaceEndpoint -NamespaceID $ns.ID -EndpointID $ep.ID
say "pod endpoint $POD_ENDPOINT: $POD_IP in namespace $POD_NAMESPACE, hostPort $HOST_PORT -> $CONTAINER_PORT/$HOST_PORT_PROTOCOL"
"$HNSCTL" endpoint create "$POD_ENDPOINT" --network "$NETWORK_NAME" --namespace "$POD_NAMESPACE" --ip "$POD_IP" \
    -p "$HOST_PORT:$CONTAINER_PORT/$HOST_PORT_PROTOCOL" --if-not-exists
endpoint_id=$("$HNSCTL" endpoint show "$POD_ENDPOINT" -o json | field ID)

# 5. OutBoundNAT: pod-to-pod and pod-to-service traffic keeps the pod's address (it stays in the
#    overlay); everything else (other nodes' underlay addresses, the internet) leaves as this node.
#    CNI config (win-overlay): {"Name": "EndpointPolicy", "Value": {"Type": "OutBoundNAT",
#                               "ExceptionList": ["$CLUSTER_CIDR", "$SERVICE_CIDR"]}}
existing=$(policies | awk -v e="$endpoint_id" '$2 == "OutBoundNAT" && $4 == e')
if [ -z "$existing" ]; then
    say "outbound NAT for $POD_ENDPOINT, except $CLUSTER_CIDR $SERVICE_CIDR"
    "$HNSCTL" policy add outboundnat --endpoint "$POD_ENDPOINT" --exception "$CLUSTER_CIDR" --exception "$SERVICE_CIDR"
else
    for cidr in "$CLUSTER_CIDR" "$SERVICE_CIDR"; do
        case " $existing " in
            *" $cidr "*) ;;
            *) echo "$0: endpoint $POD_ENDPOINT has an OutBoundNAT policy without the exception $cidr; remove it first" >&2
               exit 4 ;;
        esac
    done
    say "outbound NAT for $POD_ENDPOINT (kept)"
fi

# What the node now has, and the line the other nodes need in their PEERS.
"$HNSCTL" network show "$NETWORK_NAME"
"$HNSCTL" policy list
provider_address=$("$HNSCTL" network show "$NETWORK_NAME" -o json | field ManagementIP)
dr_mac=$("$HNSCTL" network show "$NETWORK_NAME" -o json | field DRMacAddress)
say "this node for the other nodes' PEERS: $POD_SUBNET=$provider_address=$dr_mac"
