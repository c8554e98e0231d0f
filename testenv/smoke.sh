#!/usr/bin/env bash
# End-to-end check of scripts/testcluster against the real binaries: starts a cluster, talks to
# it with curl as the admin and the restricted user, checks PodSecurity admission, the audit log,
# encryption at rest, RBAC and SubjectAccessReview, the documented limitations (no controllers),
# then a second and third cluster side by side, and stops everything. Exits non-zero on any
# failure; the last line is "N passed, M failed". KEEP_LOGS=1 keeps the run dirs.
#
#   testenv/smoke.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tc="$root/scripts/testcluster"
for t in curl jq openssl base64; do
  command -v "$t" >/dev/null || { echo "smoke: '$t' is needed but not on PATH" >&2; exit 1; }
done

passed=0
failed=0
started=()
ok() { passed=$((passed + 1)); echo "ok   - $*"; }
bad() { failed=$((failed + 1)); echo "FAIL - $*"; }
check() { # check <description> <command...>
  local d=$1
  shift
  if "$@"; then ok "$d"; else bad "$d"; fi
}

cleanup() {
  local r
  for r in "${started[@]}"; do
    [ -d "$r" ] || continue
    if [ "$failed" -gt 0 ]; then KEEP_LOGS=1 "$tc" down "$r" || true; else "$tc" down "$r" || true; fi
  done
}
trap cleanup EXIT

up() { # up: starts a cluster, prints its run dir
  local line
  line=$("$tc" up) || return 1
  sed -n 's/^RUN_DIR=\([^ ]*\) .*/\1/p' <<<"$line"
}

# ------------------------------------------------------------------ one cluster, in depth
t0=$(date +%s%N)
run=$(up) || { echo "smoke: scripts/testcluster up failed"; echo "0 passed, 1 failed"; exit 1; }
started+=("$run")
echo "smoke: cluster up in $((($(date +%s%N) - t0) / 1000000)) ms: $run"
set -a
# shellcheck disable=SC1091
. "$run/env"
set +a
api_pid=$(sed -n 's/^APISERVER_PID=//p' "$run/state")
etcd_pid=$(sed -n 's/^ETCD_PID=//p' "$run/state")

# req <admin|restricted|anon> <METHOD> <path> [json body]: sets CODE and BODY
req() {
  local who=$1 method=$2 path=$3 body=${4:-} auth=()
  case $who in
    admin) auth=(--cert "$ADMIN_CERT" --key "$ADMIN_KEY") ;;
    restricted) auth=(--cert "$RESTRICTED_CERT" --key "$RESTRICTED_KEY") ;;
    anon) ;;
  esac
  local out
  out=$(mktemp)
  if [ -n "$body" ]; then
    CODE=$(curl -sS -o "$out" -w '%{http_code}' --cacert "$CA_CERT" "${auth[@]}" -X "$method" \
      -H 'Content-Type: application/json' --data-binary "$body" "$APISERVER_URL$path") || CODE=000
  else
    CODE=$(curl -sS -o "$out" -w '%{http_code}' --cacert "$CA_CERT" "${auth[@]}" -X "$method" \
      "$APISERVER_URL$path") || CODE=000
  fi
  BODY=$(cat "$out")
  rm -f "$out"
}
is() { [ "$1" = "$2" ] || { echo "     expected '$2', got '$1'" >&2; return 1; }; }
has() { grep -qF -- "$2" <<<"$1" || { echo "     '$2' not in: ${1:0:400}" >&2; return 1; }; }

# TLS really verifies against our CA (no -k anywhere), and the kubeconfigs embed the same material.
check "kubeconfigs embed the CA and client certs" \
  bash -c "grep -q certificate-authority-data '$KUBECONFIG_ADMIN' && grep -q client-key-data '$KUBECONFIG_RESTRICTED'"
check "serving cert verifies against the CA for 127.0.0.1 and localhost" \
  bash -c "curl -fsS --cacert '$CA_CERT' '$APISERVER_URL/readyz' >/dev/null && \
    curl -fsS --cacert '$CA_CERT' --resolve 'localhost:${APISERVER_URL##*:}:127.0.0.1' 'https://localhost:${APISERVER_URL##*:}/livez' >/dev/null"

req admin GET /version
check "GET /version is 200" is "$CODE" 200
gv=$(jq -r .gitVersion <<<"$BODY")
check "/version reports v1.37.x ($gv)" bash -c "[[ '$gv' == v1.37.* ]]"
check "env KUBE_VERSION matches /version" is "$KUBE_VERSION" "$gv"

req anon GET /api/v1/namespaces
check "anonymous is authenticated but forbidden (403)" is "$CODE" 403

# Identity as the apiserver sees the client certs.
req restricted POST /apis/authentication.k8s.io/v1/selfsubjectreviews \
  '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}'
check "restricted user is palisade-restricted" is "$(jq -r .status.userInfo.username <<<"$BODY")" palisade-restricted
check "restricted user is in group palisade:restricted" \
  is "$(jq -r '.status.userInfo.groups | index("palisade:restricted") != null' <<<"$BODY")" true
req admin POST /apis/authentication.k8s.io/v1/selfsubjectreviews \
  '{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}'
check "admin is palisade-admin in system:masters" \
  is "$(jq -r '[.status.userInfo.username, (.status.userInfo.groups | index("system:masters") != null)] | @tsv' <<<"$BODY")" \
  "$(printf 'palisade-admin\ttrue')"

# Namespace enforcing the restricted Pod Security Standard.
ns=smoke-restricted
req admin POST /api/v1/namespaces \
  "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$ns\",\"labels\":{\"pod-security.kubernetes.io/enforce\":\"restricted\",\"pod-security.kubernetes.io/enforce-version\":\"latest\"}}}"
check "create namespace $ns (201)" is "$CODE" 201

req admin POST "/api/v1/namespaces/$ns/pods" \
  "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"bad\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"registry.invalid/x:1\",\"securityContext\":{\"privileged\":true}}]}}"
check "privileged pod in a restricted namespace is rejected (403)" is "$CODE" 403
msg=$(jq -r .message <<<"$BODY")
check "rejection comes from PodSecurity" has "$msg" 'violates PodSecurity "restricted:latest"'
check "rejection names privileged" has "$msg" 'privileged (container "c" must not set securityContext.privileged=true)'

good_pod="{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"good\"},\"spec\":{\"securityContext\":{\"runAsNonRoot\":true,\"seccompProfile\":{\"type\":\"RuntimeDefault\"}},\"containers\":[{\"name\":\"c\",\"image\":\"registry.invalid/x:1\",\"securityContext\":{\"allowPrivilegeEscalation\":false,\"capabilities\":{\"drop\":[\"ALL\"]}}}]}}"
req admin POST "/api/v1/namespaces/$ns/pods" "$good_pod"
check "restricted-compliant pod is admitted (201)" is "$CODE" 201

# A privileged pod is accepted where nothing is enforced (--allow-privileged=true).
req admin POST /api/v1/namespaces/default/pods \
  "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"priv\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"registry.invalid/x:1\",\"securityContext\":{\"privileged\":true}}]}}"
check "privileged pod in an unlabelled namespace is admitted (201)" is "$CODE" 201

# Secret: created, audited (metadata only), encrypted at rest.
req admin POST "/api/v1/namespaces/$ns/secrets" \
  "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s1\"},\"stringData\":{\"password\":\"smoke-plaintext-canary\"}}"
check "create secret (201)" is "$CODE" 201
check "audit log exists and is non-empty" test -s "$AUDIT_LOG"
audit_hits=$(jq -c "select(.objectRef.resource==\"secrets\" and .objectRef.name==\"s1\" and .verb==\"create\" and .stage==\"ResponseComplete\")" "$AUDIT_LOG" | head -n 1)
check "audit log has the secret create (ResponseComplete, by palisade-admin)" \
  is "$(jq -r '[.user.username, .level, .responseStatus.code] | @tsv' <<<"$audit_hits")" "$(printf 'palisade-admin\tMetadata\t201')"
check "audit log never holds the secret value" bash -c "! grep -q smoke-plaintext-canary '$AUDIT_LOG'"
raw=$(curl -fsS -X POST "$ETCD_URL/v3/kv/range" \
  -d "{\"key\":\"$(printf '/registry/secrets/%s/s1' "$ns" | base64 -w0)\"}" | jq -r '.kvs[0].value' | base64 -d | head -c 40 | tr -c '[:print:]' '.')
check "secret is encrypted at rest in etcd (secretbox)" has "$raw" "k8s:enc:secretbox:v1:key1:"

# RBAC: the restricted user has no bindings.
req restricted GET /api/v1/secrets
check "restricted user cannot list secrets (403)" is "$CODE" 403
req restricted GET "/api/v1/namespaces/$ns/secrets"
check "restricted user cannot list secrets in $ns (403)" is "$CODE" 403
req admin GET /api/v1/secrets
check "admin can list secrets (200)" is "$CODE" 200

# SubjectAccessReview as admin.
sar() { # sar <user> <group> -> allowed
  req admin POST /apis/authorization.k8s.io/v1/subjectaccessreviews \
    "{\"apiVersion\":\"authorization.k8s.io/v1\",\"kind\":\"SubjectAccessReview\",\"spec\":{\"user\":\"$1\",\"groups\":[\"$2\"],\"resourceAttributes\":{\"verb\":\"list\",\"resource\":\"secrets\",\"namespace\":\"$ns\"}}}"
  [ "$CODE" = 201 ] || { echo "     SubjectAccessReview returned $CODE: ${BODY:0:300}" >&2; echo error; return; }
  jq -r .status.allowed <<<"$BODY"
}
check "SubjectAccessReview: palisade-restricted may not list secrets" is "$(sar palisade-restricted palisade:restricted)" false
check "SubjectAccessReview: a system:masters member may" is "$(sar someone system:masters)" true

# A narrow Role + RoleBinding created by a test takes effect (RBAC bootstrap done at /readyz).
req admin POST "/apis/rbac.authorization.k8s.io/v1/namespaces/$ns/roles" \
  '{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"pod-reader"},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get","list"]}]}'
check "create Role (201)" is "$CODE" 201
req admin POST "/apis/rbac.authorization.k8s.io/v1/namespaces/$ns/rolebindings" \
  '{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"restricted-pod-reader"},"subjects":[{"kind":"Group","name":"palisade:restricted","apiGroup":"rbac.authorization.k8s.io"}],"roleRef":{"kind":"Role","name":"pod-reader","apiGroup":"rbac.authorization.k8s.io"}}'
check "create RoleBinding (201)" is "$CODE" 201
req restricted GET "/api/v1/namespaces/$ns/pods"
check "restricted user can list pods in $ns once bound (200)" is "$CODE" 200

# Documented limitations (docs/testcluster.md): nothing runs the controllers.
req admin GET "/api/v1/namespaces/$ns/pods/good"
check "admitted pod stays Pending, unscheduled" \
  is "$(jq -r '[.status.phase, (.spec.nodeName // "none")] | @tsv' <<<"$BODY")" "$(printf 'Pending\tnone')"
req admin GET "/api/v1/namespaces/$ns/serviceaccounts/default"
check "no default ServiceAccount in a new namespace (404)" is "$CODE" 404
req admin GET "/api/v1/namespaces/$ns/configmaps/kube-root-ca.crt"
check "no kube-root-ca.crt ConfigMap in a new namespace (404)" is "$CODE" 404
req admin GET /api/v1/namespaces/default/endpoints/kubernetes
check "no endpoints for the kubernetes Service (--endpoint-reconciler-type=none)" is "$CODE" 404
req admin GET /api/v1/namespaces/default/services/kubernetes
check "the kubernetes Service exists (10.96.0.1)" is "$(jq -r .spec.clusterIP <<<"$BODY")" 10.96.0.1
req admin POST "/api/v1/namespaces/$ns/serviceaccounts" \
  '{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"tok"}}'
req admin POST "/api/v1/namespaces/$ns/serviceaccounts/tok/token" \
  '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{}}'
check "TokenRequest works without a controller-manager (201)" is "$CODE" 201
token=$(jq -r .status.token <<<"$BODY")
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA_CERT" -H "Authorization: Bearer $token" "$APISERVER_URL/api/v1/namespaces/$ns/pods")
check "the issued SA token authenticates (403 = known identity, no RBAC)" is "$code" 403

# ------------------------------------------------------------------ down
"$tc" down "$run"
started=()
gone() { # gone <pid>: no such process, or only a zombie waiting for its new parent to reap it
  local i
  for ((i = 0; i < 50; i++)); do
    [ -e "/proc/$1" ] || return 0
    [ "$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)" = Z ] && return 0
    sleep 0.1
  done
  return 1
}
check "kube-apiserver process gone after down" gone "$api_pid"
check "etcd process gone after down" gone "$etcd_pid"
check "run dir removed after down" test ! -e "$run"

# ------------------------------------------------------------------ several clusters at once
t0=$(date +%s%N)
tmpd=$(mktemp -d)
"$tc" up >"$tmpd/a" 2>"$tmpd/a.err" &
pa=$!
"$tc" up >"$tmpd/b" 2>"$tmpd/b.err" &
pb=$!
ra=""
rb=""
if wait $pa; then ra=$(sed -n 's/^RUN_DIR=\([^ ]*\) .*/\1/p' "$tmpd/a"); started+=("$ra"); else cat "$tmpd/a.err"; fi
if wait $pb; then rb=$(sed -n 's/^RUN_DIR=\([^ ]*\) .*/\1/p' "$tmpd/b"); started+=("$rb"); else cat "$tmpd/b.err"; fi
echo "smoke: two clusters started concurrently in $((($(date +%s%N) - t0) / 1000000)) ms"
check "two concurrent 'up' calls both succeed with one stdout line each" \
  bash -c "[ -n '$ra' ] && [ -n '$rb' ] && [ \$(wc -l <'$tmpd/a') = 1 ] && [ \$(wc -l <'$tmpd/b') = 1 ]"
if [ -n "$ra" ] && [ -n "$rb" ]; then
  ua=$(sed -n 's/^APISERVER_URL=//p' "$ra/env")
  ub=$(sed -n 's/^APISERVER_URL=//p' "$rb/env")
  check "the two clusters have different ports" bash -c "[ '$ua' != '$ub' ]"
  check "clusters are independent (namespace made in b is not in a)" bash -c "
    curl -fsS --cacert '$rb/pki/ca.crt' --cert '$rb/pki/admin.crt' --key '$rb/pki/admin.key' -X POST \
      -H 'Content-Type: application/json' --data-binary '{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"only-in-b\"}}' \
      '$ub/api/v1/namespaces' >/dev/null &&
    [ \$(curl -s -o /dev/null -w '%{http_code}' --cacert '$ra/pki/ca.crt' --cert '$ra/pki/admin.crt' --key '$ra/pki/admin.key' '$ua/api/v1/namespaces/only-in-b') = 404 ]"
  check "status lists both" bash -c "'$tc' status | grep -qF '$ra' && '$tc' status | grep -qF '$rb'"
  latest=$("$tc" env | sed -n 's/^RUN_DIR=//p')
  check "'env' with no argument names one of them" bash -c "[ '$latest' = '$ra' ] || [ '$latest' = '$rb' ]"
  pids=$(cat "$ra/state" "$rb/state" | sed -n 's/^\(APISERVER\|ETCD\)_PID=//p' | tr '\n' ' ')
  "$tc" down
  "$tc" down
  started=()
  check "two 'down' calls stop both (most recent first)" bash -c "[ ! -e '$ra' ] && [ ! -e '$rb' ]"
  for p in $pids; do check "pid $p gone" gone "$p"; done
fi
rm -rf "$tmpd"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
