# The two commands of the README. Each sets up what is missing first
# (scripts/bootstrap.sh), so they work on a fresh machine.
.PHONY: run test bench soak bootstrap

# Build the SPA and serve it with the demo data on http://127.0.0.1:8080.
# Extra server flags: make run ARGS="--addr 127.0.0.1:9000"
run:
	@scripts/run.sh $(ARGS)

# Every check: fmt, clippy (native and wasm), server tests, wasm tests in
# headless Chromium, and the end-to-end suite against a real server.
test:
	@scripts/test.sh

bootstrap:
	@scripts/bootstrap.sh

# Benchmarks with budgets (bench/run.sh): prints figures, fails naming a budget.
bench:
	@bench/run.sh

# Long adversarial runs (minutes): SIGKILLs under load, then the trail is checked.
soak:
	@scripts/soak.sh
