"""Helpers of bench/bench_votes.py: gunicorn settings and the two benchmark-only endpoints.

A package of its own so that ``make bench`` (which runs every ``bench/*.py``) does not
run these modules as benchmarks.
"""
