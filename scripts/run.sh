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

  Open the URL printed below. Ctrl-C stops the server.

TXT
# exec: Ctrl-C reaches the server itself, which shuts down cleanly.
exec target/release/viewas-server --demo "$@"
