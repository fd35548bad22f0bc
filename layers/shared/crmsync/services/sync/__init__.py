"""The sync runtime (issue 5): runs of bounded steps, one-record sync (S4), imports (W2).

The pure planner (`crmsync.domain.sync`) decides what to do with each record; this package reads
the pages, looks up mappings and match candidates, carries the decisions out through the vendor
ports and the store, and keeps the run history (S5) and the module status (M8).
"""
