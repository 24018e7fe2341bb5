#!/usr/bin/env bash
# Removes everything a real test node made on this machine: its processes (kubelet, kube-proxy, containerd,
# shims and the containers they ran), mounts under its directory, its network links, the iptables chains
# kube-proxy and the kubelet created, CNI state, shim sockets, cgroups, and the kernel settings the
# components changed (restored to what they were before the node started). Best effort: every step runs
# even if an earlier one fails. Safe to run twice.
#
# Runs from the harness's stop(), from its exit handler, from a watchdog when the test runner is killed, and
# at the start of the next run when a stale lock is found.
#
# Usage: teardown.sh [--owner PID]   with --owner, only if the node's lock still belongs to PID (a watchdog
#                                    must not tear down a node another run has started since)
set -uo pipefail

lock="${PODMCP_REAL_NODE_LOCK:-/run/podmcp-real-node.lock}"
base="${PODMCP_REAL_NODE_DIR:-/var/lib/podmcp-real-node}"

if [[ "${1:-}" == "--owner" ]]; then
  [[ -f "$lock/pid" && "$(cat "$lock/pid")" == "${2:-}" ]] || exit 0
fi

# What the harness recorded before it changed anything: which shared folders existed, the kernel settings.
# shellcheck source=/dev/null
[[ -f "$lock/state.env" ]] && source "$lock/state.env"
NODE_BIN="${NODE_BIN:-}"

# 1. Processes. The kubelet first, so it restarts nothing; then every process whose command line names the
#    node's directory (containerd, kube-proxy, shims, which are started with the node's containerd socket).
kill_pid() { [[ -n "$1" ]] && kill -KILL "$1" 2>/dev/null; }
[[ -f "$lock/pids" ]] && while read -r pid; do kill_pid "$pid"; done <"$lock/pids"
for proc in /proc/[0-9]*; do
  pid="${proc#/proc/}"
  [[ "$pid" == "$$" ]] && continue
  cmdline="$(tr '\0' ' ' <"$proc/cmdline" 2>/dev/null)" || continue
  [[ "$cmdline" == *"$base/"* ]] && kill_pid "$pid"
done
# The containers outlive their killed shims: runc stops and deletes them (and their cgroups).
runc="$NODE_BIN/runc"
if [[ -x "$runc" && -d "$base/runc" ]]; then
  for root in "$base/runc" "$base"/runc/*/; do
    [[ -d "$root" ]] || continue
    for id in $("$runc" --root "$root" list -q 2>/dev/null); do
      "$runc" --root "$root" delete --force "$id" >/dev/null 2>&1
    done
  done
fi
sleep 0.5

# 2. Mounts under the node's directory (volumes, rootfs overlays, sandbox /dev/shm, network namespaces),
#    deepest first.
for _ in 1 2 3; do
  mounts="$(awk -v base="$base/" 'index($2, base) == 1 { print $2 }' /proc/self/mounts | sort -r)"
  [[ -z "$mounts" ]] && break
  while read -r mount; do umount -l "$mount" 2>/dev/null; done <<<"$mounts"
done

# 3. Network links: the pods' veths go with their namespaces; the bridges are deleted explicitly.
for link in podmcp-cni0 podmcp0; do
  if ip link show "$link" >/dev/null 2>&1; then
    for veth in $(ip -o link show master "$link" 2>/dev/null | awk -F': ' '{ print $2 }' | cut -d@ -f1); do
      ip link delete "$veth" 2>/dev/null
    done
    ip link delete "$link" 2>/dev/null
  fi
done

# 4. iptables: rules in the built-in chains that jump to a KUBE-* chain, then the KUBE-* chains themselves.
sweep() {
  local tool="$1" table rules line chain
  command -v "$tool-save" >/dev/null || return 0
  for table in filter nat mangle raw; do
    rules="$("$tool-save" -t "$table" 2>/dev/null)" || continue
    while read -r line; do
      [[ -n "$line" ]] || continue
      eval "$tool -w -t $table -D ${line#-A }" 2>/dev/null
    done < <(grep -E '^-A (INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING) .*KUBE-' <<<"$rules")
    for chain in $(sed -n 's/^:\(KUBE-[^ ]*\) .*/\1/p' <<<"$rules"); do "$tool" -w -t "$table" -F "$chain" 2>/dev/null; done
    for chain in $(sed -n 's/^:\(KUBE-[^ ]*\) .*/\1/p' <<<"$rules"); do "$tool" -w -t "$table" -X "$chain" 2>/dev/null; done
  done
}
sweep iptables
sweep ip6tables
command -v conntrack >/dev/null && conntrack -D -s 198.18.0.0/15 >/dev/null 2>&1
command -v conntrack >/dev/null && conntrack -D -d 198.18.0.0/15 >/dev/null 2>&1

# 5. cgroups the kubelet made for pods (cgroupfs driver: a kubepods tree under each hierarchy).
for _ in 1 2 3 4 5; do
  left=0
  for tree in /sys/fs/cgroup/kubepods /sys/fs/cgroup/*/kubepods; do
    [[ -d "$tree" ]] || continue
    find "$tree" -depth -type d -exec rmdir {} \; 2>/dev/null
    [[ -d "$tree" ]] && left=1
  done
  [[ "$left" == 0 ]] && break
  sleep 0.5
done

# 6. State in machine-wide folders the components use whatever they are told.
rm -rf /var/lib/cni/networks/podmcp-test /var/lib/cni/results/podmcp-test-* 2>/dev/null
if [[ -d /run/containerd/s && -f "$lock/created" ]]; then
  find /run/containerd/s -mindepth 1 -newer "$lock/created" -delete 2>/dev/null
fi
if [[ -d /var/log/containers ]]; then
  find /var/log/containers -maxdepth 1 -type l -lname "$base/*" -delete 2>/dev/null
fi
rm -rf /var/lib/kubelet/device-plugins/kubelet.sock /var/lib/kubelet/plugins_registry 2>/dev/null
# Shared folders that did not exist before the node started go as a whole.
for dir in ${CREATED_DIRS:-}; do rm -rf "$dir"; done

# 7. Kernel settings the kubelet and kube-proxy change (the harness recorded them as name=value).
for setting in ${SYSCTLS:-}; do
  name="${setting%%=*}"
  value="${setting#*=}"
  [[ -w "/proc/sys/${name//.//}" ]] && printf '%s\n' "$value" >"/proc/sys/${name//.//}" 2>/dev/null
done

rm -rf "$base"
rm -rf "$lock"
exit 0
