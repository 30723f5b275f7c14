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

# Every benchmark on N contacts (lists, lookups, export memory, creates, import rate, lead
# intake), on SQLite and PostgreSQL, and the focus-area lookup; results go to docs/benchmarks.md.
# `just bench 100000 sqlite` for a quick run, `just bench 0 focus` for the focus areas alone,
# `just bench 1000000 leads` for the lead intake alone, `just bench 0 calendar` for the calendar
# (an office of 30 brokers with 200,000 bookings) and the iCalendar feed, `just bench 50000 calls`
# for filling a call list from 50,000 contacts, `just bench 1000000 segments` for segmentation
# over 1,000,000 contacts with a history and the .xlsx export of one office (100,000 contacts).
bench contacts="1000000" *databases="":
    scripts/bench.sh {{contacts}} {{databases}}
