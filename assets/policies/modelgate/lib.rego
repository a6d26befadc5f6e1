# Helpers shared by the concerns. No deny or warn here.
package modelgate.lib

import rego.v1

# Risk tiers at which missing or doubtful evidence denies instead of warning.
strict if input.risk in data.thresholds.strict_risks

default level := "warn"

level := "deny" if strict

# The value at `path` in the input, for a finding's `looked_at`.
at(path) := object.get(input, path, null)

# A metric value, readable in a message: numbers as they are, non-finite
# values as the protocol's strings ("NaN", "Infinity", "-Infinity").
show(x) := sprintf("%v", [x])

percent(x) := sprintf("%.1f%%", [x * 100])

# How many items a message lists before "and N more".
list_limit := 10

# "required input column a (double) was removed" / "3 required input columns were removed: a (double), ..."
columns(cols, noun, one, many) := sprintf("%s %s (%s) %s", [noun, cols[0].name, cols[0].type, one]) if count(cols) == 1

columns(cols, noun, one, many) := sprintf("%d %ss %s: %s%s", [
	count(cols), noun, many,
	concat(", ", [sprintf("%s (%s)", [c.name, c.type]) | some c in array.slice(cols, 0, list_limit)]),
	more(count(cols)),
]) if count(cols) > 1

# "input column a changed type from long to double" / "2 input columns changed type: a (long -> double), ..."
changes(cs, noun, verb) := sprintf("%s %s %s from %s to %s", [noun, cs[0].name, verb, cs[0].from, cs[0].to]) if count(cs) == 1

changes(cs, noun, verb) := sprintf("%d %ss %s: %s%s", [
	count(cs), noun, verb,
	concat(", ", [sprintf("%s (%s -> %s)", [c.name, c.from, c.to]) | some c in array.slice(cs, 0, list_limit)]),
	more(count(cs)),
]) if count(cs) > 1

# "input column c became required" / "2 input columns became required: a, b"
names(cs, noun, verb) := sprintf("%s %s %s", [noun, cs[0].name, verb]) if count(cs) == 1

names(cs, noun, verb) := sprintf("%d %ss %s: %s%s", [
	count(cs), noun, verb,
	concat(", ", [c.name | some c in array.slice(cs, 0, list_limit)]),
	more(count(cs)),
]) if count(cs) > 1

# "a, b, c" / "a, ..., j and 5 more"
list(items) := concat("", [concat(", ", array.slice(items, 0, list_limit)), more(count(items))])

more(n) := "" if n <= list_limit

more(n) := sprintf(" and %d more", [n - list_limit]) if n > list_limit
