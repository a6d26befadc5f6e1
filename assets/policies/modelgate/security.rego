# The modelscan report (modelgate/security_scan.json). `scan` is "clean",
# "findings", "not_scanned" or "partial"; a scan that scanned nothing is never
# clean. CRITICAL and HIGH issues deny at every risk; a scan that cannot show
# the model is clean (missing, nothing scanned, partial, errors) denies at the
# strict risk tiers and warns otherwise. A report that cannot be read is
# broken evidence (see broken_evidence.rego).
package modelgate.security

import rego.v1

import data.modelgate.lib

report := input.security

# Issues of a severity: the larger of the summary's count and the listed
# issues, so a summary that disagrees with its own list cannot hide one.
issues(severity) := max([
	object.get(report.severity_counts, lower(severity), 0),
	count([i | some i in report.issues; upper(i.severity) == severity]),
])

findings contains finding if {
	report.status == "present"
	some severity in ["CRITICAL", "HIGH"]
	n := issues(severity)
	n > 0
	finding := {
		"level": "deny",
		"msg": sprintf("security: modelscan found %d %s issue(s)", [n, severity]),
		"looked_at": {
			"input.security.severity_counts": report.severity_counts,
			"input.security.issues[_]": [i | some i in report.issues; upper(i.severity) == severity],
		},
	}
}

findings contains finding if {
	report.status == "present"
	some severity in ["MEDIUM", "LOW"]
	n := issues(severity)
	n > 0
	finding := {
		"level": "warn",
		"msg": sprintf("security: modelscan found %d %s issue(s)", [n, severity]),
		"looked_at": {
			"input.security.severity_counts": report.severity_counts,
			"input.security.issues[_]": [i | some i in report.issues; upper(i.severity) == severity],
		},
	}
}

findings contains finding if {
	report.status == "absent"
	finding := {
		"level": lib.level,
		"msg": sprintf("security: no modelscan report (modelgate/security_scan.json), for %s risk", [input.risk]),
		"looked_at": {"input.security.status": report.status, "input.risk": input.risk},
	}
}

findings contains finding if {
	report.status == "present"
	report.scan == "not_scanned"
	finding := {
		"level": lib.level,
		"msg": sprintf("security: modelscan scanned no file, so the model is not shown clean, for %s risk", [input.risk]),
		"looked_at": {
			"input.security.scan": report.scan,
			"input.security.total_scanned": report.total_scanned,
			"input.risk": input.risk,
		},
	}
}

findings contains finding if {
	report.status == "present"
	count(report.uncovered_model_files) > 0
	report.scan != "not_scanned"
	finding := {
		"level": lib.level,
		"msg": sprintf(
			"security: modelscan did not scan %d model file(s): %s, for %s risk",
			[count(report.uncovered_model_files), lib.list(report.uncovered_model_files), input.risk],
		),
		"looked_at": {"input.security.uncovered_model_files": report.uncovered_model_files, "input.risk": input.risk},
	}
}

findings contains finding if {
	report.status == "present"
	count(report.errors) > 0
	finding := {
		"level": lib.level,
		"msg": sprintf("security: modelscan reported %d error(s), for %s risk", [count(report.errors), input.risk]),
		"looked_at": {"input.security.errors": report.errors, "input.risk": input.risk},
	}
}

# "partial" without errors or uncovered files: never expected, never a pass.
findings contains finding if {
	report.status == "present"
	report.scan == "partial"
	count(report.errors) == 0
	count(report.uncovered_model_files) == 0
	finding := {
		"level": lib.level,
		"msg": sprintf("security: the modelscan report is partial, for %s risk", [input.risk]),
		"looked_at": {"input.security.scan": report.scan, "input.risk": input.risk},
	}
}

deny contains f.msg if {
	some f in findings
	f.level == "deny"
}

warn contains f.msg if {
	some f in findings
	f.level == "warn"
}
