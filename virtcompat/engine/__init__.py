"""Verdict engine: HostFacts, the catalogue snapshot, resolution and the rules' checks."""
