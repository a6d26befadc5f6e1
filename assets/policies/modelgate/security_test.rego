package modelgate.security

import rego.v1

import data.modelgate.testing

scan := data.fixtures.clean_high.security

with_scan(fields) := testing.clean_with("security", object.union(scan, fields))

issue(severity) := {"severity": severity, "description": "unsafe op", "operator": "system", "module": "os", "source": "model.pkl", "scanner": "x"}

test_clean_scan_passes if {
	count(findings) == 0 with input as data.fixtures.clean_high
}

test_high_issue_denies_at_every_risk if {
	deny == {"security: modelscan found 1 HIGH issue(s)"} with input as data.fixtures.high_scan_issue_low
	every risk in ["medium", "high", "critical"] {
		count(deny) == 1 with input as testing.at_risk(data.fixtures.high_scan_issue_low, risk)
	}
}

test_critical_issue_denies if {
	deny == {"security: modelscan found 1 CRITICAL issue(s)"} with input as with_scan({
		"scan": "findings", "issues": [issue("CRITICAL")], "total_issues": 1,
		"severity_counts": {"critical": 1, "high": 0, "medium": 0, "low": 0},
	})
}

test_listed_issue_counts_even_if_the_summary_says_none if {
	deny == {"security: modelscan found 1 CRITICAL issue(s)"} with input as with_scan({"scan": "findings", "issues": [issue("CRITICAL")]})
}

test_medium_issue_warns if {
	doc := with_scan({"scan": "findings", "issues": [issue("MEDIUM")]})
	count(deny) == 0 with input as doc
	warn == {"security: modelscan found 1 MEDIUM issue(s)"} with input as doc
}

test_not_scanned_denies_for_high if {
	some msg in deny with input as data.fixtures.not_scanned_high
	startswith(msg, "security: modelscan scanned no file")
}

test_not_scanned_warns_for_low if {
	doc := testing.at_risk(data.fixtures.not_scanned_high, "low")
	not any_security_deny with input as doc
	some msg in warn with input as doc
	startswith(msg, "security: modelscan scanned no file")
}

any_security_deny if count(deny) > 0

test_partial_scan_denies_for_high if {
	some msg in deny with input as with_scan({"scan": "partial", "uncovered_model_files": ["weights.bin"]})
	msg == "security: modelscan did not scan 1 model file(s): weights.bin, for high risk"
}

test_scan_errors_deny_for_high if {
	some msg in deny with input as with_scan({"scan": "partial", "errors": [{"description": "boom"}]})
	msg == "security: modelscan reported 1 error(s), for high risk"
}

test_missing_report_denies_for_critical_and_warns_for_medium if {
	absent := testing.clean_with("security", {"status": "absent"})
	some msg in deny with input as testing.at_risk(absent, "critical")
	startswith(msg, "security: no modelscan report")
	some w in warn with input as testing.at_risk(absent, "medium")
	startswith(w, "security: no modelscan report")
	count(deny) == 0 with input as testing.at_risk(absent, "medium")
}
