# Runs firewalld's own rich-rule parser (firewall.core.rich, the installed
# firewalld) over rules read as JSON strings, one per line, and prints one
# JSON result per line: {"ok": canonical} | {"code": NAME, "msg": text} |
# {"crash": "ExceptionType: text"}. Used by TestAgainstRichPy.
import json
import sys

from firewall.core.rich import Rich_Rule
from firewall.errors import FirewallError

for line in sys.stdin:
    rule = json.loads(line)
    try:
        # As firewalld's addRichRule: parse, then check (again) on adding,
        # which is what catches an empty rule.
        r = Rich_Rule(rule_str=rule)
        r.check()
        out = {"ok": str(r)}
    except FirewallError as e:
        out = {"code": FirewallError.errors[e.code], "msg": "" if e.msg is None else str(e.msg)}
    except Exception as e:  # firewalld reports these as UNKNOWN_ERROR
        out = {"crash": "%s: %s" % (type(e).__name__, e)}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
