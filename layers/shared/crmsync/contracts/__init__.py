"""Messages that cross a process boundary and are not HTTP-only models: queue messages, the CRM's
notification callback, and the connect and CRM-side inputs that services consume.

`api/` and `services/` both import these; this package imports only `crmsync.domain`.
"""
