# modelgate's default policy bundle: the gates every review is evaluated against.
#
# The package `modelgate` is the contract: `deny` and `warn` are sets of
# strings (a deny blocks approval unless a compliance override waives that
# exact message), `errors` is a set of strings that fails the evaluation
# closed. Each concern lives in its own sub-package below `modelgate`, with
# its own `deny`, `warn` and `findings`; this file only unions them, so that
# modelgate can say which sub-package produced each message. See docs/policy.md.
package modelgate

import rego.v1

import data.modelgate.broken_evidence
import data.modelgate.drift
import data.modelgate.fairness
import data.modelgate.regression
import data.modelgate.required_evidence
import data.modelgate.schema
import data.modelgate.security
import data.modelgate.settings

deny contains msg if some msg in broken_evidence.deny

deny contains msg if some msg in drift.deny

deny contains msg if some msg in fairness.deny

deny contains msg if some msg in regression.deny

deny contains msg if some msg in required_evidence.deny

deny contains msg if some msg in schema.deny

deny contains msg if some msg in security.deny

warn contains msg if some msg in broken_evidence.warn

warn contains msg if some msg in fairness.warn

warn contains msg if some msg in regression.warn

warn contains msg if some msg in required_evidence.warn

warn contains msg if some msg in schema.warn

warn contains msg if some msg in security.warn

# A threshold missing from data.json would silently switch a rule off: fail closed instead.
errors contains msg if some msg in settings.errors

# Only with a drift report (`modelgate drift`): reviews never see these.
errors contains msg if some msg in drift.errors
