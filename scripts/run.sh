#!/usr/bin/env bash
# `make run`: set up what is missing, build, and serve the console with the
# demo data. Flags after `make run ARGS="..."` go to viewas-server; the
# environment variables of its --help work too (VIEWAS_ADDR, VIEWAS_DB, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

scripts/bootstrap.sh
build_spa
build_server

cat <<'TXT'

  Demo logins (password for all: duvo-demo)
    admin@duvo.example         administrator, Duvo
    support@duvo.example       administrator (support staff), Duvo
    partner@northwind.example  partner, Northwind Partners (clients: Initech, Globex Retail)
    alice@acme.example         user, Acme Logistics (policy: notify)
    bob@globex.example         user, Globex Retail (policy: silent)
    carol@initech.example      user, Initech (policy: notify)

  Open the console at the first URL printed below; the second is the demo
  partner portal (another origin) that embeds it: sign in there as
  partner@northwind.example. Ctrl-C stops the server.

TXT
# The demo partner portal on a second origin (another port).
export VIEWAS_PORTAL_ADDR="${VIEWAS_PORTAL_ADDR:-127.0.0.1:8090}"
# exec: Ctrl-C reaches the server itself, which shuts down cleanly.
exec target/release/viewas-server --demo "$@"
