"""Helpers of bench/bench_reads.py: gunicorn settings, a response counter and the wrk
script. A package of its own so that ``make bench`` does not run them as benchmarks."""
