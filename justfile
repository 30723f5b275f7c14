# Common tasks. `just --list` shows them.

export CARGO_TARGET_DIR := env_var_or_default("CARGO_TARGET_DIR", env_var("HOME") + "/.cache/crm-target")

# Set up, load the demo company into SQLite and serve on http://127.0.0.1:8080.
demo:
    scripts/run-demo.sh

# Set up and run every check and test (what CI runs).
test:
    scripts/test.sh

# Build the SPA into frontend/dist.
frontend:
    scripts/build-frontend.sh

# Regenerate api-spec/openapi.json from the code.
spec:
    UPDATE_SPEC=1 cargo test -p crm-tests --test openapi

# Seed 1,000,000 contacts and measure caller-lookup latency on SQLite and PostgreSQL.
bench-lookup contacts="1000000":
    scripts/bench-lookup.sh {{contacts}}
