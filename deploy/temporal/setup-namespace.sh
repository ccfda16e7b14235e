#!/bin/sh
# The temporal-setup job of docker-compose.yml (temporalio/admin-tools image, Temporal CLI):
# waits for the server, creates asrflow's namespace unless it exists, and registers asrflow's
# custom search attributes (ASRFLOW_SEARCH_ATTRIBUTES, all Keyword, as domain/search-attributes.ts
# declares them). Safe to run again: an existing namespace is kept, and registering an
# attribute that exists with the same type changes nothing.
set -eu

: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS (host:port of the frontend) is not set}"
NAMESPACE="${ASRFLOW_NAMESPACE:-asrflow}"
RETENTION="${ASRFLOW_NAMESPACE_RETENTION:-30d}"
: "${ASRFLOW_SEARCH_ATTRIBUTES:?ASRFLOW_SEARCH_ATTRIBUTES (space-separated names) is not set}"
MAX_ATTEMPTS="${ASRFLOW_SETUP_MAX_ATTEMPTS:-60}"
export TEMPORAL_ADDRESS

attempt=1
until temporal operator cluster health >/dev/null 2>&1; do
  if [ "$attempt" -ge "$MAX_ATTEMPTS" ]; then
    echo "Temporal at $TEMPORAL_ADDRESS did not become healthy" >&2
    temporal operator cluster health
    exit 1
  fi
  echo "waiting for Temporal at $TEMPORAL_ADDRESS ($attempt)"
  attempt=$((attempt + 1))
  sleep 2
done

if temporal operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; then
  echo "namespace $NAMESPACE exists"
else
  # Another run may have created it in between: only a namespace that still cannot be
  # described is an error.
  temporal operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION" \
    || temporal operator namespace describe --namespace "$NAMESPACE" >/dev/null
  echo "namespace $NAMESPACE created (retention $RETENTION)"
fi

# A new namespace can take a moment to reach every frontend; retry each registration.
for name in $ASRFLOW_SEARCH_ATTRIBUTES; do
  attempt=1
  until temporal operator search-attribute create --namespace "$NAMESPACE" --name "$name" --type Keyword >/dev/null; do
    if [ "$attempt" -ge 15 ]; then
      echo "could not register search attribute $name on $NAMESPACE" >&2
      exit 1
    fi
    attempt=$((attempt + 1))
    sleep 2
  done
  echo "search attribute $name (Keyword) registered on $NAMESPACE"
done
