"""Xen domain-config validation (xm 3.x Python-style and xl 4.x libxlu configs).

Nothing in this package executes, imports or opens anything a config names: both formats
are read by a hand-written tokenizer (``syntax``), the option catalogue is data
(``options.yaml``), and the checks are registered rules (``rules``). The public entry point
is :func:`virtcompat.xen.validate.validate_config`.
"""
