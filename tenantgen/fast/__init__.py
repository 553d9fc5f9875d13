"""The speed machinery: everything that makes tenantgen fast and nothing that makes it correct.

Parse cache, render cache, incremental reuse, helper processes, compiled schemas, the fast document
check, early staging, the cache-file format. No stage imports this package: the pipeline builds each
piece and hands it in (see docs/architecture.md). Nothing is re-exported here, so that a helper
process that needs one piece does not load the others.
"""
