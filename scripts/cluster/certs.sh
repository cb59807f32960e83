# Certificates and kubeconfigs of the local cluster (openssl), under $STATE/pki. Sourced by up.
# Each is made once; the API server's and the kubelet's serving certificates are made again
# when the node's address changed (their names include it).

PKI="$STATE/pki"

# cert NAME CN O SANS CA: a key and a certificate signed by CA (SANS: "IP:1.2.3.4,DNS:x" or "").
cert() {
  local name=$1 cn=$2 org=$3 sans=$4 ca=$5 subj ext
  [ -s "$PKI/$name.crt" ] && return 0
  subj="/CN=$cn"; [ -n "$org" ] && subj="/O=$org$subj"
  ext="$PKI/$name.ext"
  { echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=serverAuth,clientAuth"
    [ -n "$sans" ] && echo "subjectAltName=$sans"; } > "$ext"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/$ca.crt" -CAkey "$PKI/$ca.key" -CAcreateserial \
    -days 365 -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$ext"
}

ca() {
  [ -s "$PKI/$1.crt" ] && return 0
  openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$PKI/$1.key" -subj "/CN=$2" \
    -days 3650 -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$PKI/$1.crt" 2>/dev/null
}

# kubeconfig NAME USER-CERT SERVER
kubeconfig() {
  local file="$STATE/$1.kubeconfig"
  [ -s "$file" ] && return 0
  kubectl config set-cluster booru --certificate-authority="$PKI/ca.crt" --embed-certs \
    --server="$3" --kubeconfig="$file" >/dev/null
  kubectl config set-credentials "$2" --client-certificate="$PKI/$2.crt" --client-key="$PKI/$2.key" \
    --embed-certs --kubeconfig="$file" >/dev/null
  kubectl config set-context booru --cluster=booru --user="$2" --namespace=booru --kubeconfig="$file" >/dev/null
  kubectl config use-context booru --kubeconfig="$file" >/dev/null
  chmod 600 "$file"
}

make_certs() {
  local ip=$1
  mkdir -p "$PKI"; chmod 700 "$PKI"
  # A new node address: the serving certificates must name it.
  if [ "$(cat "$PKI/node-ip" 2>/dev/null)" != "$ip" ]; then
    rm -f "$PKI"/apiserver.* "$PKI"/kubelet-serving.*
    echo "$ip" > "$PKI/node-ip"
  fi
  ca ca booru-cluster-ca
  ca front-proxy-ca booru-front-proxy-ca
  cert apiserver kube-apiserver "" \
    "IP:127.0.0.1,IP:$ip,IP:$KUBERNETES_SVC_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DOMAIN" ca
  cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters "" ca
  cert admin booru-admin system:masters "" ca
  cert controller-manager system:kube-controller-manager "" "" ca
  cert scheduler system:kube-scheduler "" "" ca
  cert kube-proxy system:kube-proxy "" "" ca
  cert kubelet "system:node:$NODE_NAME" system:nodes "" ca
  cert kubelet-serving "$NODE_NAME" "" "IP:$ip,IP:127.0.0.1,DNS:$NODE_NAME" ca
  cert front-proxy-client front-proxy-client "" "" front-proxy-ca
  [ -s "$PKI/sa.key" ] || { openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null; openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null; }
  local local_api="https://127.0.0.1:$APISERVER_PORT"
  kubeconfig admin admin "$local_api"
  kubeconfig controller-manager controller-manager "$local_api"
  kubeconfig scheduler scheduler "$local_api"
  kubeconfig kubelet kubelet "$local_api"
  kubeconfig kube-proxy kube-proxy "$local_api"
}
