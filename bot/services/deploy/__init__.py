"""The deploy guard: a guarded template change (``guard``), the ``deploy`` use-case (``run``), freezes and abort."""
