#!/usr/bin/env bash
# The local cluster's storage: a default StorageClass without a provisioner and a pool of
# hostPath PersistentVolumes under $STATE/volumes, which claims bind to as they come. A volume
# whose claim was deleted (Released) is wiped and offered again. Idempotent; run by up.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
POOL=${BOORU_CLUSTER_VOLUMES:-10}

kubectl_ apply -f - >/dev/null <<YAML
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local-hostpath
  annotations: { storageclass.kubernetes.io/is-default-class: "true" }
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Retain
YAML

for i in $(seq -w 1 "$POOL"); do
  dir="$STATE/volumes/pv-$i"
  # Any pod user may write (hostPath volumes ignore fsGroup).
  mkdir -p "$dir" && chmod 0777 "$dir"
  kubectl_ get pv "local-$i" >/dev/null 2>&1 && continue
  kubectl_ apply -f - >/dev/null <<YAML
apiVersion: v1
kind: PersistentVolume
metadata: { name: local-$i, labels: { booru.io/local-volume: "true" } }
spec:
  storageClassName: local-hostpath
  capacity: { storage: 1Ti }
  accessModes: [ReadWriteOnce, ReadWriteMany]
  persistentVolumeReclaimPolicy: Retain
  hostPath: { path: "$dir", type: Directory }
  nodeAffinity:
    required:
      nodeSelectorTerms:
        - matchExpressions: [{ key: kubernetes.io/hostname, operator: In, values: ["$NODE_NAME"] }]
YAML
done

# Released: its claim is gone. Empty it and make it Available again.
kubectl_ get pv -l booru.io/local-volume=true \
  -o jsonpath='{range .items[?(@.status.phase=="Released")]}{.metadata.name} {.spec.hostPath.path}{"\n"}{end}' |
  while read -r name path; do
    case "$path" in "$STATE"/volumes/pv-*) ;; *) continue ;; esac
    find "$path" -mindepth 1 -delete
    chmod 0777 "$path"
    kubectl_ patch pv "$name" --type json -p '[{"op":"remove","path":"/spec/claimRef"}]' >/dev/null
    log "volume $name wiped and available again"
  done
