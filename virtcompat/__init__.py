"""virtcompat domain package.

Everything a verdict, a probe diagnosis or a domain-config validation needs lives here:
catalogue models, host facts, the rule registry, parsers and the verdict engine. This
package never imports Flask; the HTTP layer in ``api/`` only translates requests into calls
to it.
"""
