"""Pure domain: value objects and rules, no I/O, no SDKs, no clock reads."""
